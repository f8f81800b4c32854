"""An in-memory catalog for the example shop and tests: word search and gift recommendations.

It scans every product on each query, which is fine for a few hundred products; the full
catalog (feed importers, a full-text index) replaces it for real shops.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from catalog.audience import Audience, parse_gender, parse_recipient
from catalog.errors import FeedRowError
from catalog.feed import read_jsonl
from catalog.models import Product
from catalog.text import QueryTerm, best_match, index_terms, query_terms
from catalog.vocabulary import INTEREST_WORDS, STOPWORDS
from flows.l10n import language as language_of

# How much a matching word counts, by where it matched.
_TITLE_OWN_LOCALE = 3.0
_TITLE_OTHER_LOCALE = 2.5
_LABELS = 2.5  # tags, category, brand
_DESCRIPTION = 1.0
_WHOLE_TITLE_BONUS = 5.0

_SYNONYM = 0.9  # a tag named in another language: "klocki" for "lego"
_PART_OF_NAME = 0.8  # a word of a category or brand, not a whole tag

# Recommendations: an interest match (8) outweighs all "good fit" bonuses together (at most
# 2.5), and a second pick from one category costs enough (4) that a matching product from
# another category comes first, but not so much that a product matching nothing does.
_INTEREST_WEIGHT = 8.0
_SAME_CATEGORY_PENALTY = 4.0


@dataclass(frozen=True)
class _Entry:
    """A product with its words folded once, at load time."""

    product: Product
    position: int
    titles: dict[str, frozenset[str]]  # language -> title words
    whole_titles: frozenset[str]
    labels: frozenset[str]  # words of the brand, category and tags
    names: frozenset[str]  # the whole tags and category: "tea", "teacoffee"
    synonyms: frozenset[str]  # the tags' and category's names in the sample locales
    description: frozenset[str]

    @classmethod
    def build(cls, product: Product, position: int) -> _Entry:
        titles: dict[str, set[str]] = {}
        for tag, text in product.title.items():
            titles.setdefault(language_of(tag), set()).update(index_terms(text))
        labels = index_terms(" ".join((product.brand, product.category, *product.tags)))
        names = {t.replace("_", "") for t in (product.category, *product.tags)}
        labels |= names
        synonyms = set().union(*(INTEREST_WORDS.get(name, ()) for name in names))
        description: set[str] = set()
        for text in product.description.values():
            description |= index_terms(text)
        return cls(
            product=product,
            position=position,
            titles={lang: frozenset(words) for lang, words in titles.items()},
            whole_titles=frozenset(
                " ".join(sorted(index_terms(t))) for t in product.title.values()
            ),
            labels=frozenset(labels),
            names=frozenset(names),
            synonyms=frozenset(synonyms - labels),
            description=frozenset(description),
        )

    def term_score(self, term: QueryTerm, language: str) -> float:
        best = 0.0
        for lang, words in self.titles.items():
            weight = _TITLE_OWN_LOCALE if lang == language else _TITLE_OTHER_LOCALE
            best = max(best, weight * best_match(term, words))
        if term.forms[0].isdigit():  # "1000 pieces" in a title, not "1:8 scale" in a text
            return best
        best = max(best, _LABELS * best_match(term, self.labels))
        best = max(best, _LABELS * _SYNONYM * best_match(term, self.synonyms))
        if best < _DESCRIPTION:
            best = max(best, _DESCRIPTION * best_match(term, self.description))
        return best

    def interest_score(self, term: QueryTerm) -> float:
        """How well one interest matches: tags and category first, then title words."""
        best = max(
            best_match(term, self.names),
            _PART_OF_NAME * best_match(term, self.labels),  # "tea" in "tea_coffee"
            _SYNONYM * best_match(term, self.synonyms),
        )
        if best < 1.0:
            for words in self.titles.values():
                best = max(best, 0.7 * best_match(term, words))
        return best


class SampleCatalog:
    """Products kept in memory, in feed order, with the rows the feed had to skip."""

    def __init__(
        self, products: Iterable[Product], *, rejected: Sequence[FeedRowError] = ()
    ) -> None:
        self._entries: list[_Entry] = []
        self._by_id: dict[str, _Entry] = {}
        for position, product in enumerate(products):
            if product.id in self._by_id:
                raise ValueError(f"duplicate product id {product.id!r}")
            entry = _Entry.build(product, position)
            self._entries.append(entry)
            self._by_id[product.id] = entry
        self.rejected: list[FeedRowError] = list(rejected)

    @classmethod
    def from_jsonl(cls, path: str | Path) -> SampleCatalog:
        """Load a JSON Lines feed; bad rows are logged, skipped and kept in ``.rejected``."""
        read = read_jsonl(path)
        return cls(read.products, rejected=read.rejected)

    @classmethod
    def empty(cls) -> SampleCatalog:
        """A catalog without products, for a shop that has no feed yet."""
        return cls(())

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Product]:
        return (entry.product for entry in self._entries)

    def get(self, product_id: str) -> Product | None:
        """The product with this id, or None."""
        entry = self._by_id.get(product_id.strip()) if isinstance(product_id, str) else None
        return entry.product if entry else None

    def categories(self) -> list[str]:
        return sorted({entry.product.category for entry in self._entries})

    def tags(self) -> list[str]:
        return sorted({tag for entry in self._entries for tag in entry.product.tags})

    def search(
        self,
        query: str = "",
        *,
        locale: str,
        min_price: int | None = None,
        max_price: int | None = None,
        age: int | None = None,
        in_stock: bool = True,
        limit: int = 6,
    ) -> list[Product]:
        """Products whose words match ``query`` in any locale, best first.

        Case, accents and Persian letter forms are ignored; a short word matches as a prefix
        and a long one also matches its inflections. Products matching the most query words
        are kept; among them in-stock products come first, then title matches, then words
        in the shopper's ``locale``. An empty query lists everything that passes the filters.
        """
        if limit <= 0:
            return []
        terms = query_terms(query, stopwords=STOPWORDS)
        # Numbers ("8", "1000") add to the score but are not required: "lego for 8" must not
        # prefer a "1:8 scale" model over every other lego set.
        counted = [term for term in terms if not term.forms[0].isdigit()] or terms
        whole = " ".join(sorted(index_terms(query)))
        language = language_of(locale)
        hits: list[tuple[int, float, _Entry]] = []
        for entry in self._entries:
            product = entry.product
            if in_stock and not product.in_stock:
                continue
            if min_price is not None and product.price < min_price:
                continue
            if max_price is not None and product.price > max_price:
                continue
            if age is not None and not product.suits_age(age):
                continue
            scores = [entry.term_score(term, language) for term in terms]
            matched = sum(
                1 for term, score in zip(terms, scores, strict=True) if score and term in counted
            )
            if counted and not matched:
                continue
            score = sum(scores) + (_WHOLE_TITLE_BONUS if whole in entry.whole_titles else 0.0)
            hits.append((matched, score, entry))
        if not hits:
            return []
        most = max(matched for matched, _, _ in hits)
        best = [hit for hit in hits if hit[0] == most]
        best.sort(key=lambda hit: (not hit[2].product.in_stock, -hit[1], hit[2].position))
        return [entry.product for _, _, entry in best[:limit]]

    def recommend(
        self,
        *,
        locale: str,
        recipient: str | None = None,
        age: int | None = None,
        gender: str | None = None,
        budget: int | None = None,
        interests: str | Sequence[str] | None = None,
        limit: int = 6,
    ) -> list[Product]:
        """A short, varied list of in-stock gift ideas within ``budget`` (minor units) and age.

        ``recipient`` is child, teen or adult (or a word like "dad" or "girl"); an exact
        ``age`` wins over it. Products matching ``interests`` (tags, categories or title
        words, in any of the catalog's languages) come first; without a match the list falls
        back to well-fitting picks. At most two products share a category unless nothing
        else fits.
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
        terms = _interest_terms(interests)

        scored: list[tuple[float, _Entry]] = []
        for entry in self._entries:
            product = entry.product
            if not product.in_stock:
                continue
            if budget is not None and product.price > budget:
                continue
            if wanted_gender and product.gender not in ("any", wanted_gender):
                continue
            fit = _age_fit(product, age, audience)
            if fit is None:
                continue
            interest = sum(entry.interest_score(term) for term in terms)
            score = _INTEREST_WEIGHT * interest + fit + _budget_fit(product, budget)
            if wanted_gender and product.gender == wanted_gender:
                score += 0.5
            scored.append((score, entry))
        return [entry.product for entry in _diverse(scored, limit)]


def _interest_terms(interests: str | Sequence[str] | None) -> list[QueryTerm]:
    if interests is None:
        return []
    text = interests if isinstance(interests, str) else " ".join(str(i) for i in interests)
    terms = query_terms(text.replace(",", " ").replace(";", " "), stopwords=STOPWORDS)
    return [term for term in terms if term.forms[0] not in STOPWORDS]


def _age_fit(product: Product, age: int | None, audience: Audience | None) -> float | None:
    """None when the product is not for this age; else up to 1 for a product aimed at it."""
    span = product.age_max - product.age_min + 1
    if age is not None:
        if not product.suits_age(age):
            return None
        return 1.0 - 0.6 * min(span, 60) / 60  # "8-12" beats "3-99" for an 8-year-old
    if audience is not None:
        low, high = audience.ages
        overlap = min(high, product.age_max) - max(low, product.age_min) + 1
        if overlap <= 0:
            return None
        return max(0.3, overlap / span)
    return 0.5


def _budget_fit(product: Product, budget: int | None) -> float:
    """Prefer gifts that use a fair part of the budget over the cheapest trinkets."""
    if not budget:
        return 0.5
    share = product.price / budget
    return 1.0 if share >= 0.4 else 0.4 + 1.5 * share


def _diverse(scored: list[tuple[float, _Entry]], limit: int) -> list[_Entry]:
    """Pick greedily by score, discounting categories already picked; cap each category."""
    cap = max(2, math.ceil(limit / 3))
    picked: list[_Entry] = []
    per_category: dict[str, int] = {}
    remaining = sorted(scored, key=lambda item: (-item[0], item[1].position))
    for capped in (True, False):
        while len(picked) < limit:
            candidates = [
                (score - _SAME_CATEGORY_PENALTY * per_category.get(e.product.category, 0), e)
                for score, e in remaining
                if not capped or per_category.get(e.product.category, 0) < cap
            ]
            if not candidates:
                break
            _, choice = max(candidates, key=lambda item: (item[0], -item[1].position))
            picked.append(choice)
            per_category[choice.product.category] = per_category.get(choice.product.category, 0) + 1
            remaining = [item for item in remaining if item[1] is not choice]
    return picked


__all__ = ["SampleCatalog"]
