"""Gift recommendations over the index: in stock, within budget and age, by interest, varied.

Scoring (per product, from its variants that pass): an interest match counts 8 (tags and
categories fully, their words 0.8, their names in other shop languages 0.9, title words 0.7),
so it outweighs the "good fit" bonuses together: up to 1 for an age range aimed at the
recipient, up to 1 for a price using a fair part of the budget, 0.5 for the wanted gender.
Then a greedy pick penalises a second product of a category (4) or of a brand (1) and caps
each category, so the list stays varied.

At a million products only a bounded slice is scored: the :data:`CANDIDATES` best interest
matches and the first :data:`CANDIDATES` products in static-rank order; a small catalog is
scored whole.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from catalog.audience import Audience, parse_gender, parse_recipient
from catalog.index import LABEL, NAME, TITLE, SearchIndex, gender_code, top_k
from catalog.search import MATCH_CACHE_BYTES, lut, term_matches
from catalog.text import QueryTerm, query_terms
from catalog.vocabulary import STOPWORDS

CANDIDATES = 5_000
_SHORTLIST = 120
_INTEREST_WEIGHT = 8.0
_SAME_CATEGORY_PENALTY = 4.0
_SAME_BRAND_PENALTY = 1.0
_REC_LUT = lut({NAME: 1.0, LABEL: 0.8, TITLE: 0.7})


def interest_terms(interests: str | Sequence[str] | None) -> list[QueryTerm]:
    if interests is None:
        return []
    text = interests if isinstance(interests, str) else " ".join(str(i) for i in interests)
    terms = query_terms(text.replace(",", " ").replace(";", " "), stopwords=STOPWORDS)
    return [term for term in terms if term.forms[0] not in STOPWORDS]


def recommend(
    index: SearchIndex,
    *,
    now: datetime,
    recipient: str | None = None,
    age: int | None = None,
    gender: str | None = None,
    budget: int | None = None,
    interests: str | Sequence[str] | None = None,
    limit: int = 6,
) -> list[int]:
    """Seqs of a short, varied list of in-stock gift ideas; see the module docstring.

    ``recipient`` is a word like "child", "dad" or "córka"; an exact ``age`` wins over it; an
    unknown recipient or gender constrains nothing. Raises ValueError for a negative age or
    budget.
    """
    if limit <= 0:
        return []
    if age is not None and age < 0:
        raise ValueError(f"age must not be negative, got {age}")
    if budget is not None and budget < 0:
        raise ValueError(f"budget must not be negative, got {budget}")
    audience = parse_recipient(recipient)
    wanted_gender = parse_gender(gender)
    if wanted_gender is None and audience is not None:
        wanted_gender = audience.gender
    terms = interest_terms(interests)
    if index.n_products == 0:
        return []

    cand, interest = _candidates(index, tuple(terms))

    pos, groups = index.variants_of(cand)
    columns = index.now_columns(int(now.timestamp()))
    price_now = columns.v_price[pos]
    passing = columns.v_buyable[pos].copy()
    if budget is not None:
        passing &= price_now <= budget
    genders = index.v_gender[pos]
    if wanted_gender is not None:
        passing &= (genders == 0) | (genders == gender_code(wanted_gender))
    low = index.v_age_lo[pos].astype(np.float64)
    high = index.v_age_hi[pos].astype(np.float64)
    fit = _age_fit(low, high, age, audience)
    passing &= ~np.isnan(fit)
    if not passing.any():
        return []
    keep = groups.any(passing)
    fit_p = groups.reduce(np.maximum, np.where(passing, fit, -1.0), -1.0)[keep]
    big = np.iinfo(np.int64).max
    price_p = groups.reduce(np.minimum, np.where(passing, price_now, big), big)[keep]
    gender_hit = groups.any(passing & (genders != 0))[keep]
    cand = cand[keep]
    if interest is not None:
        interest = interest[keep]
    score = fit_p + _budget_fit(price_p, budget)
    if wanted_gender is not None:
        score = score + 0.5 * gender_hit
    if interest is not None:
        score = score + _INTEREST_WEIGHT * interest
    if len(cand) > _SHORTLIST:
        # Enough for the greedy pick: a category cap never reaches past the best hundred.
        best = top_k(score, _SHORTLIST)
        cand, score = cand[best], score[best]
    return _diverse(index, cand, score, limit)


def _candidates(
    index: SearchIndex, terms: tuple[QueryTerm, ...]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32] | None]:
    """The slice to score (ascending seqs) and each one's interest score, or None without
    interests. It depends only on the interests, so it is remembered per index (LRU)."""
    key = ("recommend", terms)
    with index.match_cache_lock:
        found = index.match_cache.get(key)
        if found is not None:
            index.match_cache.move_to_end(key)
            return found  # type: ignore[no-any-return]
    result = _slice(index, terms)
    size = sum(a.nbytes for a in result if a is not None)
    with index.match_cache_lock:
        if key not in index.match_cache:
            index.match_cache[key] = result
            index.match_cache_bytes += size
        while index.match_cache_bytes > MATCH_CACHE_BYTES and len(index.match_cache) > 1:
            _, old = index.match_cache.popitem(last=False)
            index.match_cache_bytes -= sum(a.nbytes for a in old if a is not None)
    return result


def _slice(
    index: SearchIndex, terms: tuple[QueryTerm, ...]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32] | None]:
    interest: npt.NDArray[np.float32] | None = None
    matched = np.empty(0, dtype=np.int32)
    if terms:
        interest = np.zeros(index.n_products, dtype=np.float32)
        found = []
        for term in terms:
            ords, values, _ = term_matches(index, term, _REC_LUT)
            interest[ords] += values
            found.append(ords)
        if len(found) == 1:
            matched = found[0]
        elif sum(len(f) for f in found) * 32 < index.n_products:
            matched = np.unique(np.concatenate(found))
        else:
            matched = np.flatnonzero(interest).astype(np.int32)
    active = index.active
    if len(active) <= 2 * CANDIDATES:
        cand = active
    else:
        if interest is not None and len(matched) > CANDIDATES:
            # Ties (products with the same interest score) go to the best static rank.
            matched = matched[top_k(interest[matched], CANDIDATES)]
        cand = np.union1d(active[:CANDIDATES], matched).astype(np.int32)
    return cand, None if interest is None else interest[cand]


def _age_fit(
    low: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    age: int | None,
    audience: Audience | None,
) -> npt.NDArray[np.float64]:
    """NaN when the variant is not for this age; else up to 1 for one aimed at it."""
    span = high - low + 1
    if age is not None:
        fit = 1.0 - 0.6 * np.minimum(span, 60) / 60  # "8-12" beats "3-99" for an 8-year-old
        return np.where((low <= age) & (age <= high), fit, np.nan)
    if audience is not None:
        a_low, a_high = audience.ages
        overlap = np.minimum(a_high, high) - np.maximum(a_low, low) + 1
        return np.where(overlap > 0, np.maximum(0.3, overlap / span), np.nan)
    return np.full(len(low), 0.5)


def _budget_fit(price: npt.NDArray[np.int64], budget: int | None) -> npt.NDArray[np.float64]:
    """Prefer gifts that use a fair part of the budget over the cheapest trinkets."""
    if not budget:
        return np.full(len(price), 0.5)
    share = price / budget
    return np.where(share >= 0.4, 1.0, 0.4 + 1.5 * share)


def _diverse(
    index: SearchIndex, cand: npt.NDArray[np.int32], score: npt.NDArray[np.float64], limit: int
) -> list[int]:
    """Pick greedily by score, discounting categories and brands already picked; cap each."""
    cap = max(2, math.ceil(limit / 3))
    order = np.lexsort((cand, -score))
    remaining = [
        (float(score[i]), int(cand[i]), int(index.p_leaf[cand[i]]), int(index.p_brand[cand[i]]))
        for i in order
    ]
    picked: list[int] = []
    per_category: dict[int, int] = {}
    per_brand: dict[int, int] = {}
    for capped in (True, False):
        while len(picked) < limit and remaining:
            best_i, best_value = -1, -math.inf
            for i, (value, _seq, category, brand) in enumerate(remaining):
                if capped and per_category.get(category, 0) >= cap:
                    continue
                value -= _SAME_CATEGORY_PENALTY * per_category.get(category, 0)
                if brand >= 0:
                    value -= _SAME_BRAND_PENALTY * per_brand.get(brand, 0)
                if value > best_value:
                    best_i, best_value = i, value
            if best_i < 0:
                break
            _, seq, category, brand = remaining.pop(best_i)
            picked.append(seq)
            per_category[category] = per_category.get(category, 0) + 1
            per_brand[brand] = per_brand.get(brand, 0) + 1
    return picked


__all__ = ["CANDIDATES", "interest_terms", "recommend"]
