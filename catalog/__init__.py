"""Products, the sample in-memory catalog, and the catalog's flow actions.

catalog = SampleCatalog.from_jsonl("examples/shop/catalog.jsonl")
catalog.search("klocki", locale="pl", max_price=20000)
catalog.recommend(locale="en", age=8, budget=15000, interests="science")
register_catalog_actions(registry, catalog)
"""

from catalog.actions import product_for_locale, register_catalog_actions
from catalog.errors import CatalogError, FeedFileError, FeedRowError
from catalog.l10n import format_price, pick_text
from catalog.models import Availability, Gender, Product, Variant
from catalog.sample import SampleCatalog
from catalog.text import fold

__all__ = [
    "Availability",
    "CatalogError",
    "FeedFileError",
    "FeedRowError",
    "Gender",
    "Product",
    "SampleCatalog",
    "Variant",
    "fold",
    "format_price",
    "pick_text",
    "product_for_locale",
    "register_catalog_actions",
]
