"""The catalog: feed imports into SQL generations, an in-memory search index, recommendations.

shopdb.migrate(engine, catalog.MIGRATIONS)    # create or update the catalog's tables
catalog = Catalog(engine)                     # on SQLite or PostgreSQL
catalog.import_path("examples/shop/catalog.jsonl")
catalog.search("klocki", max_price=20000, in_stock=True).hits
catalog.recommend(age=8, budget=15000, interests="science")
register_catalog_actions(registry, catalog)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalog.actions import product_for_locale, register_catalog_actions
    from catalog.catalog import Catalog
    from catalog.errors import CatalogError, FeedFileError, FeedRowError
    from catalog.importer import ImportReport
    from catalog.l10n import format_price, pick_text
    from catalog.migrations import MIGRATIONS
    from catalog.products import Product, Variant
    from catalog.records import (
        AGE_YEARS,
        AgeGroup,
        Availability,
        FeedItem,
        Gender,
        Offer,
        Problem,
        Status,
    )
    from catalog.search import Facets, Hit, SearchResult
    from catalog.text import fold

# Imported when first asked for (PEP 562): the feed parser process imports catalog.feeds and
# would otherwise load SQLAlchemy, the search and the recommendations it never uses.
_HOMES = {
    "product_for_locale": "catalog.actions",
    "register_catalog_actions": "catalog.actions",
    "Catalog": "catalog.catalog",
    "CatalogError": "catalog.errors",
    "FeedFileError": "catalog.errors",
    "FeedRowError": "catalog.errors",
    "ImportReport": "catalog.importer",
    "format_price": "catalog.l10n",
    "pick_text": "catalog.l10n",
    "MIGRATIONS": "catalog.migrations",
    "Product": "catalog.products",
    "Variant": "catalog.products",
    "AGE_YEARS": "catalog.records",
    "AgeGroup": "catalog.records",
    "Availability": "catalog.records",
    "FeedItem": "catalog.records",
    "Gender": "catalog.records",
    "Offer": "catalog.records",
    "Problem": "catalog.records",
    "Status": "catalog.records",
    "Facets": "catalog.search",
    "Hit": "catalog.search",
    "SearchResult": "catalog.search",
    "fold": "catalog.text",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'catalog' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


__all__ = [
    "AGE_YEARS",
    "MIGRATIONS",
    "AgeGroup",
    "Availability",
    "Catalog",
    "CatalogError",
    "Facets",
    "FeedFileError",
    "FeedItem",
    "FeedRowError",
    "Gender",
    "Hit",
    "ImportReport",
    "Offer",
    "Problem",
    "Product",
    "SearchResult",
    "Status",
    "Variant",
    "fold",
    "format_price",
    "pick_text",
    "product_for_locale",
    "register_catalog_actions",
]
