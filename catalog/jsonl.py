"""The example shop's JSON Lines feed as :class:`~catalog.records.FeedItem` rows.

Each line is one product (see :mod:`catalog.models`): ``title`` and ``description`` by locale,
``age_min``/``age_max``, ``tags`` and optional ``variants``. A product with variants becomes one
item per variant grouped by the product's id; the variant's own name by locale travels in
``_label:<locale>`` attributes and the age range in ``_age``, which the store keeps and never
shows as attributes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from catalog.feed import read_jsonl
from catalog.l10n import pick_text
from catalog.models import Product
from catalog.records import Availability, FeedItem, Gender, Problem


def _items(product: Product, line: int) -> list[FeedItem]:
    common = {
        "group_id": product.id,
        "title": pick_text(product.title, "en"),
        "title_i18n": dict(product.title),
        "description": pick_text(product.description, "en"),
        "description_i18n": dict(product.description),
        "currency": product.currency,
        "brand": product.brand,
        "categories": (product.category,),
        "tags": product.tags,
        "gender": None if product.gender == "any" else Gender(product.gender),
        "image": product.image,
        "link": product.url,
        "line": line,
    }
    ages = {"_age": f"{product.age_min}-{product.age_max}"}
    if not product.variants:
        return [
            FeedItem(
                id=product.id,
                price=product.price,
                availability=Availability(product.availability),
                attributes=ages,
                **common,  # type: ignore[arg-type]
            )
        ]
    items = []
    for variant in product.variants:
        labels = {f"_label:{locale}": text for locale, text in variant.title.items()}
        availability = (
            variant.availability if product.availability == "in_stock" else product.availability
        )
        items.append(
            FeedItem(
                id=variant.id,
                price=product.price if variant.price is None else variant.price,
                availability=Availability(availability),
                attributes={**variant.attributes, **ages, **labels},
                **common,  # type: ignore[arg-type]
            )
        )
    return items


class JsonlFeed:
    """Iterate the feed's items; ``problems`` holds the rows that were skipped."""

    format = "jsonl"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.rows = 0
        self.problems: list[Problem] = []

    def __iter__(self) -> Iterator[FeedItem]:
        read = read_jsonl(self.path)  # raises FeedFileError for a missing or unreadable file
        self.problems = [
            Problem(error.line, None, error.reason, file=str(self.path)) for error in read.rejected
        ]
        for product, line in zip(read.products, read.lines, strict=True):
            self.rows += 1
            yield from _items(product, line)


__all__ = ["JsonlFeed"]
