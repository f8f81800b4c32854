"""The catalog: feed imports into SQL generations, an in-memory search index, recommendations.

catalog = Catalog(engine)                     # a migrated SQLite or PostgreSQL engine
catalog.import_path("examples/shop/catalog.jsonl")
catalog.search("klocki", max_price=20000, in_stock=True).hits
catalog.recommend(age=8, budget=15000, interests="science")
register_catalog_actions(registry, catalog)
"""

from catalog.actions import product_for_locale, register_catalog_actions
from catalog.catalog import Catalog
from catalog.errors import CatalogError, FeedFileError, FeedRowError
from catalog.importer import ImportReport
from catalog.l10n import format_price, pick_text
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

__all__ = [
    "AGE_YEARS",
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
