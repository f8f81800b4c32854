"""Search over the in-process index: word matching, per-variant filters, ranking and facets.

Every step is a numpy operation over the matched products, so a query matching 300,000 of a
million products costs a few milliseconds, not the 100-700 ms that ranking takes in SQLite FTS5
or PostgreSQL (see docs/catalog.md).

Ranking, best first:

1. products matching the most query words (numbers are optional: "lego 8" still finds lego);
2. more words matched exactly (not as a prefix, inflection or typo);
3. in stock (a buyable variant among those that passed the filters);
4. on sale now (decided at query time, so sale windows need no re-index);
5. text relevance: title > brand, category and tags > description;
6. feed order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from catalog.index import DESC, LABEL, NAME, TITLE, SearchIndex, gender_code, name_key, top_k
from catalog.products import Product, Variant
from catalog.records import AgeGroup, Availability, Gender
from catalog.text import QueryTerm, best_match, fold, query_terms
from catalog.vocabulary import INTEREST_WORDS, STOPWORDS

SEARCH_WEIGHTS = {TITLE: 3.0, LABEL: 2.5, NAME: 2.5, DESC: 1.0}
SYNONYM = 0.9  # a tag named in another language: "klocki" for lego
PRICE_EDGES = (2000, 5000, 10000, 20000, 50000)  # minor units: facet buckets
FACET_SIZE = 10


def lut(weights: dict[int, float]) -> npt.NDArray[np.float32]:
    """Weight of a field mask: the best weight among the fields it has."""
    table = np.zeros(16, dtype=np.float32)
    for mask in range(16):
        table[mask] = max((w for bit, w in weights.items() if mask & bit), default=0.0)
    return table


_SEARCH_LUT = lut(SEARCH_WEIGHTS)


@lru_cache(maxsize=4096)
def synonym_tags(form: str) -> tuple[tuple[str, float], ...]:
    """Tags whose name in some shop language matches ``form``: ("klocki") -> (("lego", 1.0),)."""
    found = []
    for tag, words in INTEREST_WORDS.items():
        if form == tag:
            continue
        quality = best_match(QueryTerm(form, (form,)), words)
        if quality:
            found.append((tag, quality))
    return tuple(found)


Match = tuple[npt.NDArray[np.int32], npt.NDArray[np.float32], npt.NDArray[np.bool_]]


MATCH_CACHE_BYTES = 64 << 20  # per index: a few dozen broad words
MATCH_CACHE_MIN = 20_000  # matches below this are cheap enough to redo


def term_matches(index: SearchIndex, term: QueryTerm, table: npt.NDArray[np.float32]) -> Match:
    """:func:`match_term`, remembered for broad words (they cost the most and recur most).

    The cache lives on the index, so a new generation starts empty; the arrays are read-only.
    """
    key = (term, table.tobytes())
    with index.match_cache_lock:
        found = index.match_cache.get(key)
        if found is not None:
            index.match_cache.move_to_end(key)
            return found  # type: ignore[no-any-return]
    result = match_term(index, term, table)
    if len(result[0]) >= MATCH_CACHE_MIN:
        size = sum(a.nbytes for a in result)
        for array in result:
            array.flags.writeable = False
        with index.match_cache_lock:
            if key not in index.match_cache:
                index.match_cache[key] = result
                index.match_cache_bytes += size
            while index.match_cache_bytes > MATCH_CACHE_BYTES and len(index.match_cache) > 1:
                _, old = index.match_cache.popitem(last=False)
                index.match_cache_bytes -= sum(a.nbytes for a in old)
    return result


def match_term(index: SearchIndex, term: QueryTerm, table: npt.NDArray[np.float32]) -> Match:
    """Products matching one typed word (sorted), their score and whether it matched exactly.

    Each expansion of the word (prefixes, inflections, typos, tags named in other shop
    languages) is a posting list; one list is used as it is, several are merged.
    """
    pieces: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.float32], bool]] = []
    title_only = term.forms[0].isdigit()  # "1000 pieces" in a title, not "1:8" in a text
    for form in term.forms:
        expansion = index.expand(form)
        for tid, quality in zip(expansion.tids, expansion.qualities, strict=True):
            ords, masks = index.postings(tid)
            if title_only:
                keep = (masks & TITLE) > 0
                ords, masks = ords[keep], masks[keep]
            pieces.append((ords, table[masks] * np.float32(quality), quality == 1.0))
        if title_only:
            continue
        for tag, quality in synonym_tags(form):
            tag_id = index.term_ids.get(name_key(tag))
            if tag_id is None:
                continue
            ords, masks = index.postings(tag_id)
            ords = ords[(masks & NAME) > 0]
            value = np.float32(table[NAME] * SYNONYM * quality)
            pieces.append((ords, np.full(len(ords), value, dtype=np.float32), quality == 1.0))
    pieces = [p for p in pieces if len(p[0])]
    if not pieces:
        return np.empty(0, np.int32), np.empty(0, np.float32), np.empty(0, bool)
    if len(pieces) == 1:
        ords, values, exact = pieces[0]
        return ords, values, np.full(len(ords), exact)
    total = sum(len(p[0]) for p in pieces)
    if total * 32 < index.n_products:
        every = np.concatenate([p[0] for p in pieces])
        found, where = np.unique(every, return_inverse=True)
        scores = np.zeros(len(found), dtype=np.float32)
        np.maximum.at(scores, where, np.concatenate([p[1] for p in pieces]))
        exactly = np.zeros(len(found), dtype=bool)
        flags = np.concatenate([np.full(len(p[0]), p[2]) for p in pieces])
        exactly[where[flags]] = True
        return found.astype(np.int32), scores, exactly
    dense = np.zeros(index.n_products, dtype=np.float32)
    dense_exact = np.zeros(index.n_products, dtype=bool)
    for ords, values, exact in pieces:
        current = dense[ords]
        np.maximum(current, values, out=current)
        dense[ords] = current
        if exact:
            dense_exact[ords] = True
    found = np.flatnonzero(dense).astype(np.int32)
    return found, dense[found], dense_exact[found]


@dataclass(frozen=True)
class Filters:
    """What a variant must satisfy for its product to match. Prices are in minor units."""

    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool = False
    age: int | None = None
    age_group: AgeGroup | None = None
    gender: Gender | None = None
    brand: str | None = None
    category: str | None = None
    min_rating: int | None = None  # tenths of a star: 40 keeps products rated 4.0 or more

    @property
    def only_in_stock(self) -> bool:
        """The only variant filter is "in stock" (or there is none)."""
        return (
            self.min_price is None
            and self.max_price is None
            and self.age is None
            and self.age_group is None
            and self.gender is None
        )

    @property
    def on_variants(self) -> bool:
        return (
            self.min_price is not None
            or self.max_price is not None
            or self.in_stock
            or self.age is not None
            or self.age_group is not None
            or self.gender is not None
        )

    def accepts(self, variant: Variant, now: datetime) -> bool:
        """The same test as the numpy masks, for the few variants of the hits shown."""
        price = variant.price_at(now)
        if self.min_price is not None and price < self.min_price:
            return False
        if self.max_price is not None and price > self.max_price:
            return False
        if self.in_stock and not variant.in_stock:
            return False
        low, high = variant.ages
        if self.age is not None and not low <= self.age <= high:
            return False
        if self.age_group is not None and variant.age_group != self.age_group:
            return False
        return not (
            self.gender is not None
            and gender_code(variant.gender) not in (0, gender_code(self.gender))
        )


@dataclass(frozen=True)
class Hit:
    """A matching product with only the variants that passed the filters."""

    product: Product
    variants: tuple[Variant, ...]


@dataclass
class Facets:
    """Counts of matching products per value, most frequent first."""

    brands: list[tuple[str, int]] = field(default_factory=list)
    categories: list[tuple[str, int]] = field(default_factory=list)
    age_groups: dict[str, int] = field(default_factory=dict)
    availability: dict[str, int] = field(default_factory=dict)
    # (lowest, highest or None, count) in minor units, by the lowest matching price now.
    prices: list[tuple[int, int | None, int]] = field(default_factory=list)


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: Facets


@dataclass
class Ranked:
    """What the index decides; the catalog then loads the hits' rows."""

    total: int
    seqs: list[int]
    facets: Facets


def _now_prices(index: SearchIndex, pos: Any, now: int):  # type: ignore[no-untyped-def]
    """Price in force at ``now`` and whether it is a sale price, for the variants at ``pos``.

    Only variants that have a sale price are checked against their window: most have none,
    and gathering three more int64 columns for every match is what cost the most.
    """
    price = index.v_price[pos]
    with_sale = np.flatnonzero(index.v_has_sale[pos])
    on_sale = np.zeros(len(price), dtype=bool)
    if len(with_sale):
        at = np.asarray(pos)[with_sale] if not isinstance(pos, slice) else with_sale
        active = (index.v_sale_start[at] <= now) & (now < index.v_sale_end[at])
        on_sale[with_sale[active]] = True
        price = price.copy() if isinstance(pos, slice) else price
        price[with_sale[active]] = index.v_sale[at[active]]
    return price, on_sale


def rank(
    index: SearchIndex,
    query: str,
    filters: Filters,
    *,
    now: datetime,
    limit: int,
    offset: int = 0,
    facets: bool = True,
    ratings: npt.NDArray[np.int16] | None = None,
    by_rating: bool = False,
) -> Ranked:
    """Match, filter, rank and count: the seqs of products ``offset .. offset+limit``.

    ``ratings``: each product's average rating in tenths of a star (0: not rated), for
    ``filters.min_rating`` and ``by_rating`` (the best rated first, then the usual order).
    """
    terms = query_terms(query, stopwords=STOPWORDS)
    counted = [t for t in terms if not t.forms[0].isdigit()] or terms
    if not terms:
        cand: npt.NDArray[np.int32] = index.active
        score = None
        exact = None
    elif len(terms) == 1:
        cand, score, exactly = term_matches(index, terms[0], _SEARCH_LUT)
        exact = exactly.astype(np.int64)
    else:
        matches = [term_matches(index, term, _SEARCH_LUT) for term in terms]
        both = _all_words(terms, counted, matches)
        if both is not None:
            cand, score, exact = both
        else:
            total_score = np.zeros(index.n_products, dtype=np.float32)
            matched = np.zeros(index.n_products, dtype=np.uint8)
            exact_count = np.zeros(index.n_products, dtype=np.uint8)
            for term, (ords, values, exactly) in zip(terms, matches, strict=True):
                total_score[ords] += values
                if term in counted:
                    matched[ords] += 1
                    exact_count[ords] += exactly
            best = int(matched.max()) if len(matched) else 0
            if best == 0:
                return Ranked(0, [], Facets())
            cand = np.flatnonzero(matched == best).astype(np.int32)
            score = total_score[cand]
            exact = exact_count[cand].astype(np.int64)
    if cand is not index.active:
        # Gathering with int32 positions makes numpy convert them at every gather (a dozen
        # below, each several times slower for it): convert them once.
        cand = cand.astype(np.intp)

    # Product-level filters first: they are one lookup per product.
    if filters.brand is not None:
        brand = index.brand_ids.get(fold(filters.brand).strip(), -2)
        keep = index.p_brand[cand] == brand
        cand, score, exact = _take(keep, cand, score, exact)
    if filters.category is not None:
        category = index.category_ids.get(fold(filters.category).strip(), -2)
        keep = index.in_category(cand, category) if category >= 0 else np.zeros(len(cand), bool)
        cand, score, exact = _take(keep, cand, score, exact)
    if filters.min_rating is not None:
        if ratings is None:
            return Ranked(0, [], Facets())
        keep = ratings[cand] >= filters.min_rating
        cand, score, exact = _take(keep, cand, score, exact)
    if len(cand) == 0:
        return Ranked(0, [], Facets())

    moment = int(now.timestamp())
    columns = index.now_columns(moment)
    if filters.on_variants and not filters.only_in_stock:
        counts = None
        if cand is not index.active:
            # Products none of whose variants can pass, told by per-product columns before
            # their variants are gathered: not buyable at all, or cheapest (buyable) variant
            # above the highest price. The rest go through every variant filter below.
            if filters.in_stock or filters.max_price is not None:
                if filters.max_price is None:
                    possible = columns.p_buyable[cand]
                else:
                    low = columns.p_low_buyable if filters.in_stock else columns.p_low
                    possible = low[cand] <= filters.max_price
                cand, score, exact = _take(possible, cand, score, exact)
            counts = index.var_count[cand]
            has = counts > 0
            if not has.all():
                cand, score, exact = _take(has, cand, score, exact)
                counts = counts[has]
        cand, in_stock, sale_now, found_facets, keep = _by_variants(
            index, columns, cand, filters, facets, counts
        )
        cand, score, exact = _take(keep, cand, score, exact)
    else:
        # No variant filters, or only "in stock": per-product columns answer directly.
        if filters.in_stock:
            keep = np.flatnonzero(columns.p_buyable[cand])
            cand, score, exact = _take(keep, cand, score, exact)
            in_stock = np.ones(len(cand), dtype=bool)
            sale_now = columns.p_sale_buyable[cand]
        else:
            in_stock = columns.p_buyable[cand]
            sale_now = columns.p_sale[cand]
        found_facets = Facets()
        if facets and len(cand):
            if filters.in_stock:
                avail = columns.p_avail_bits_buyable[cand]
                ages = columns.p_age_bits_buyable[cand]
                lowest = columns.p_low_buyable[cand]
            else:
                avail = columns.p_avail_bits[cand]
                ages = columns.p_age_bits[cand]
                lowest = columns.p_low[cand]
            found_facets = _facets(index, cand, None, avail, ages, lowest)
    total = len(cand)
    if total == 0:
        return Ranked(0, [], found_facets)

    # Candidates are in static-rank (feed) order, so top_k's tie order is that order.
    key = (in_stock.astype(np.int64) << 39) | (sale_now.astype(np.int64) << 38)
    if exact is not None:
        key |= np.minimum(exact, 15) << 40
    if score is not None:
        key |= np.minimum((score * 100).astype(np.int64), (1 << 26) - 1)
    if by_rating and ratings is not None:
        key |= ratings[cand].astype(np.int64) << 44
    top = top_k(key, offset + limit)[offset:]
    return Ranked(total, [int(s) for s in cand[top]], found_facets)


# Bits of a product's passing variants, OR-ed together (see NowColumns.v_flags).
_PASS, _BUY, _SALE, _AVAIL_SHIFT, _AGE_SHIFT = 1, 2, 4, 3, 8


def _by_variants(index, columns, cand, filters, facets, counts):  # type: ignore[no-untyped-def]
    """Per-variant filters: which products keep a passing variant, and their ranking flags.

    A variant's flags (buyable, on sale, availability and age-group bits) come packed in one
    integer, so a product's variants combine with one OR instead of one pass per value.
    ``counts``: each candidate's number of variants (at least one), unless ``cand`` is
    ``index.active``.
    """
    age_group = list(AgeGroup).index(filters.age_group) if filters.age_group else None
    gender = gender_code(filters.gender) if filters.gender is not None else None

    if cand is index.active:  # everything: whole arrays beat gathering nearly all of them
        pos: Any = slice(None)
        owner = index.v_active_pos  # the product of each variant, as a position in active
    else:  # every product here has a variant (see rank)
        starts = index.p_var_off[cand]
        if len(cand) == 0 or int(counts.max()) == 1:
            pos, owner = starts, None  # one variant each
        else:
            # The product of each variant first, then the variants' positions from it: one
            # repeat over the variants instead of two (as index.variants_of does).
            owner = np.repeat(np.arange(len(cand), dtype=np.intp), counts)
            first = np.zeros(len(cand), dtype=np.int64)
            np.cumsum(counts[:-1], out=first[1:])
            pos = np.arange(len(owner), dtype=np.int64) + (starts - first)[owner]
    price_now = columns.v_price[pos]
    passing: npt.NDArray[np.bool_] | None = None

    def require(mask: npt.NDArray[np.bool_]) -> None:
        nonlocal passing
        passing = mask if passing is None else passing & mask

    if filters.min_price is not None:
        require(price_now >= filters.min_price)
    if filters.max_price is not None:
        require(price_now <= filters.max_price)
    if filters.in_stock:
        require(columns.v_buyable[pos])
    if filters.age is not None:
        age = filters.age
        require((index.v_age_lo[pos] <= age) & (index.v_age_hi[pos] >= age))  # type: ignore[operator]
    if age_group is not None:
        require(index.v_age_group[pos] == age_group)
    if gender is not None:
        genders = index.v_gender[pos]
        require((genders == 0) | (genders == gender))
    assert passing is not None  # only called with variant filters
    # Only the passing variants go on: their products, in order, and one OR / min per product.
    hit = np.flatnonzero(passing)
    flags = columns.v_flags[pos][hit] if isinstance(pos, slice) else columns.v_flags[pos[hit]]
    lowest = price_now[hit]
    if owner is None:
        keep = hit
    else:
        owners = owner[hit]
        starts = np.flatnonzero(np.diff(owners, prepend=-1))
        keep = owners[starts].astype(np.intp, copy=False)  # gathers below are faster with intp
        if len(starts) < len(owners):  # some product has several passing variants
            flags = np.bitwise_or.reduceat(flags, starts)
            if facets:
                lowest = np.minimum.reduceat(lowest, starts)
    in_stock, sale_now = (flags & _BUY) > 0, (flags & _SALE) > 0
    found_facets = Facets()
    if facets:
        found_facets = _facets(
            index,
            cand[keep],
            None,
            (flags >> _AVAIL_SHIFT) & 0x1F,
            (flags >> _AGE_SHIFT) & 0x7F,
            lowest,
        )
    return cand, in_stock, sale_now, found_facets, keep


def _all_words(terms, counted, matches):  # type: ignore[no-untyped-def]
    """Products matching every counted word, with summed scores and exact counts, found by
    binary search in the sorted match lists; None when no product has them all (then the
    best partial matches win, which needs the dense count)."""
    lists = [m for t, m in zip(terms, matches, strict=True) if t in counted]
    if not lists:
        return None
    narrowest = cand = min((m[0] for m in lists), key=len)
    for ords, _, _ in lists:
        if ords is narrowest:  # not ``cand``: that is a new array after the first word
            continue
        cand = _members(cand, ords)
        if len(cand) == 0:
            return None
    score = np.zeros(len(cand), dtype=np.float32)
    exact = np.zeros(len(cand), dtype=np.uint8)
    where: Any
    for term, (ords, values, exactly) in zip(terms, matches, strict=True):
        if ords is cand:  # the narrowest word's own list: every entry is a candidate
            where = slice(None)
        elif len(ords) <= len(cand):
            at = np.searchsorted(cand, ords)
            found = at < len(cand)
            found[found] = cand[at[found]] == ords[found]
            where, values, exactly = at[found], values[found], exactly[found]
        else:
            at = np.searchsorted(ords, cand)  # every candidate is in ``ords`` if counted
            found = at < len(ords)
            found[found] = ords[at[found]] == cand[found]
            where = np.flatnonzero(found)
            values, exactly = values[at[where]], exactly[at[where]]
        score[where] += values
        if term in counted:
            exact[where] += exactly
    return cand.astype(np.int32, copy=False), score, exact.astype(np.int64)


def _members(small, big):  # type: ignore[no-untyped-def]
    """The sorted intersection of two sorted arrays of distinct values."""
    if len(small) > len(big):
        small, big = big, small
    if len(small) == 0:
        return small
    at = np.searchsorted(big, small)
    found = at < len(big)
    found[found] = big[at[found]] == small[found]
    return small[found]


def _take(keep, cand, score, exact):  # type: ignore[no-untyped-def]
    if keep.dtype == np.bool_:
        # A boolean mask is walked once per array and branches on every entry; positions,
        # found once, gather the three arrays several times faster.
        keep = np.flatnonzero(keep)
    return (
        cand[keep],
        None if score is None else score[keep],
        None if exact is None else exact[keep],
    )


def _facets(index, cand, keep, avail_any, age_any, lowest) -> Facets:  # type: ignore[no-untyped-def]
    products = cand if keep is None else cand[keep]
    facets = Facets()
    if len(products) == 0:
        return facets
    if keep is not None:
        avail_any, age_any, lowest = avail_any[keep], age_any[keep], lowest[keep]
    brands = index.p_brand[products]
    counts = np.bincount(brands + 1)[1:]  # -1 = no brand
    if len(counts):
        facets.brands = _top(counts, index.brand_names)
    categories = index.category_counts(products)
    if len(categories):
        facets.categories = _top(categories, index.category_names)
    for n, count in enumerate(_bit_counts(avail_any, len(Availability))):
        if count:
            facets.availability[list(Availability)[n].value] = count
    for n, count in enumerate(_bit_counts(age_any, len(AgeGroup))):
        if count:
            facets.age_groups[list(AgeGroup)[n].value] = count
    # Products at or above each edge, one comparison pass per edge: a binary search per
    # product (searchsorted) costs several times more over a few hundred thousand hits.
    at_least = [len(lowest), *(int(np.count_nonzero(lowest >= e)) for e in PRICE_EDGES), 0]
    buckets = [at_least[n] - at_least[n + 1] for n in range(len(PRICE_EDGES) + 1)]
    edges = (0, *PRICE_EDGES)
    for n, count in enumerate(buckets):
        if count:
            high = PRICE_EDGES[n] if n < len(PRICE_EDGES) else None
            facets.prices.append((edges[n], high, int(count)))
    return facets


def _bit_counts(bits: npt.NDArray[Any], n_bits: int) -> list[int]:
    """How many of ``bits`` have each of the lowest ``n_bits`` bits set."""
    return [int(np.count_nonzero(bits & (1 << n))) for n in range(n_bits)]


def _top(counts: npt.NDArray[np.int64], names: list[str]) -> list[tuple[str, int]]:
    nonzero = np.flatnonzero(counts)
    if len(nonzero) > FACET_SIZE:
        nonzero = nonzero[np.argpartition(-counts[nonzero], FACET_SIZE - 1)[:FACET_SIZE]]
    ordered = sorted(nonzero, key=lambda i: (-counts[i], names[i]))
    return [(names[i], int(counts[i])) for i in ordered]


__all__ = ["Facets", "Filters", "Hit", "Ranked", "SearchResult", "lut", "rank", "term_matches"]
