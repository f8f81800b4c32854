"""The catalog's words for the understanding: its tags, categories and brands, and the words
of its product titles in every feed language (:class:`understanding.CatalogVocabulary`).

Built from the catalog's public API (a search for everything, with facets) once per catalog
generation and kept until an import makes a new one; the first message after an import
pays the rebuild (about 20 ms for the demo shop's 58 products, ~1 s for 20,000).
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

from catalog.text import fold
from catalog.vocabulary import INTEREST_WORDS
from understanding import CatalogTerms

if TYPE_CHECKING:
    from catalog.catalog import Catalog

MAX_PRODUCTS = 20_000
_WORD = re.compile(r"[^\W\d_]{2,}")


class CatalogLexicon:
    """What a :class:`~catalog.Catalog` sells, as words; refreshed with its generation."""

    def __init__(self, catalog: Catalog, *, max_products: int = MAX_PRODUCTS) -> None:
        self.catalog = catalog
        self.max_products = max_products
        self._terms = CatalogTerms(version=object())
        self._lock = threading.Lock()

    def terms(self) -> CatalogTerms:
        # Before the first import (generation None) the empty terms are kept too: every
        # message of a shop without a catalog asked, and each built them again under the lock.
        generation = self.catalog.generation
        if self._terms.version == generation:
            return self._terms
        with self._lock:
            if self._terms.version == generation:
                return self._terms
            self._terms = self._build(generation)
            return self._terms

    def _build(self, generation: object) -> CatalogTerms:
        if generation is None:
            return CatalogTerms(version=None)
        found = self.catalog.search("", limit=self.max_products, facets=True)
        words: set[str] = set()
        labels: set[str] = set()
        brands = [name for name, _count in found.facets.brands]
        for hit in found.hits:
            product = hit.product
            for title in product.title.values():
                words.update(_WORD.findall(fold(title)))
            labels.update(t for t in product.tags if not any(ch.isdigit() for ch in t))
            labels.update(product.categories)
        labels.update(name for name, _count in found.facets.categories)
        interests: dict[str, dict[str, list[str]]] = {}
        for label in labels:
            key = label.strip()
            if not key:
                continue
            spoken = key.replace("_", " ").replace("-", " ")
            interests[key] = {"": sorted({spoken, *INTEREST_WORDS.get(key, ())})}
            words.update(_WORD.findall(fold(spoken)))
        for brand in brands:
            words.update(_WORD.findall(fold(brand)))
        return CatalogTerms(
            version=generation,
            interests=interests,
            brands=tuple(brands),
            words=frozenset(words),
        )


__all__ = ["CatalogLexicon"]
