"""Search words: product texts and queries split into folded words, and how they match.

Folding itself (case, accents, script variants) is :func:`shoptext.fold`, the rule every
package shares; a stored index records the fold's version (see :mod:`catalog.index`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from shoptext import fold

# Characters that join the parts of one written word: "t-shirt", "تی‌شرت" (ZWNJ), "rock'n'roll".
_JOINERS = "-\u200c'’"
_WORD = re.compile(rf"[^\W_]+(?:[{_JOINERS}][^\W_]+)*")
_JOINER = re.compile(rf"[{_JOINERS}]")


def index_terms(text: str) -> list[str]:
    """The folded words of a product text, each once, in the order they first come; a
    joined word counts whole and by its parts (in place of it)."""
    return folded_terms(fold(text))


def folded_terms(folded: str) -> list[str]:
    """:func:`index_terms` of a text already passed through :func:`fold`.

    A list, not a set: the index gives words their ids in this order, and a set's order
    changes with the process's string hashing (PYTHONHASHSEED), so the same catalog made
    different index bytes on every run.
    """
    words = _WORD.findall(folded)
    if not _JOINER.search(folded):
        return list(dict.fromkeys(words))
    terms: dict[str, None] = {}
    for word in words:
        if _JOINER.search(word):
            parts = _JOINER.split(word)
            terms.update(dict.fromkeys(parts))
            terms["".join(parts)] = None
        else:
            terms[word] = None
    return list(terms)


@dataclass(frozen=True)
class QueryTerm:
    """One word the shopper typed; it matches a product when any of ``forms`` does."""

    text: str
    forms: tuple[str, ...]


def query_terms(text: str, *, stopwords: frozenset[str] = frozenset()) -> list[QueryTerm]:
    """The words of a query, folded; stop words are dropped unless nothing else is left."""
    terms: list[QueryTerm] = []
    seen: set[str] = set()
    for word in _WORD.findall(fold(text)):
        parts = _JOINER.split(word)
        joined = "".join(parts)
        if joined in seen:
            continue
        seen.add(joined)
        # "t-shirt" matches "tshirt" or "shirt"; "کتاب‌ها" (books) matches "کتابها" or "کتاب".
        forms = (joined, *(p for p in parts if len(p) >= 3 and p != joined))
        terms.append(QueryTerm(word, forms))
    meaningful = [t for t in terms if t.forms[0] not in stopwords]
    return meaningful or terms


def match_quality(query: str, term: str) -> float:
    """How well a typed word matches an indexed word: 1 exact, less for prefixes and inflections.

    A prefix covers words still being typed ("leg" -> "lego"); a long shared stem covers
    inflection without a stemmer per language ("klocków" ~ "klocki", "книги" ~ "книга").
    """
    if query == term:
        return 1.0
    if query.isdigit() or term.isdigit():
        return 0.0
    if len(query) >= 2 and term.startswith(query):
        return 0.8 if len(query) >= 3 else 0.5
    common = 0
    for a, b in zip(query, term, strict=False):
        if a != b:
            break
        common += 1
    if common >= 4 and common >= max(len(query), len(term)) - 3:
        return 0.6
    return 0.0


def best_match(term: QueryTerm, indexed: set[str] | frozenset[str]) -> float:
    """The best :func:`match_quality` of any form of ``term`` against a set of indexed words."""
    if isinstance(indexed, frozenset):
        return _best_match_cached(term.forms, indexed)
    return _best_match(term.forms, indexed)


@lru_cache(maxsize=200_000)
def _best_match_cached(forms: tuple[str, ...], indexed: frozenset[str]) -> float:
    # Product word sets are frozen at load time and shoppers repeat the same interests, so
    # the fuzzy comparison of one word against one product is worth remembering.
    return _best_match(forms, indexed)


def _best_match(forms: tuple[str, ...], indexed: set[str] | frozenset[str]) -> float:
    best = 0.0
    for form in forms:
        if form in indexed:
            return 1.0
        for word in indexed:
            quality = match_quality(form, word)
            if quality > best:
                best = quality
    return best


__all__ = [
    "QueryTerm",
    "best_match",
    "fold",
    "folded_terms",
    "index_terms",
    "match_quality",
    "query_terms",
]
