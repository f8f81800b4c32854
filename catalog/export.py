"""The catalog written back as a Meta catalog feed (CSV), with shopchat's own ids.

    rows = export_meta_csv(engine, out)      # the current generation, active products only

Meta's retailer ids (``product_retailer_id`` in a WhatsApp catalog order) are the feed's
``id`` column, so a merchant who loads this file into Commerce Manager gets WhatsApp orders
whose ids are shopchat's product and variant ids: the round trip closes. A product without
variants is one row with its own id; a product with variants is one row per variant, grouped
by ``item_group_id`` (the product's id). Prices are written as Meta asks (``12.50 PLN``,
a point for decimals), availability in Meta's spellings, dates as ISO 8601 with an offset.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import IO

from sqlalchemy import Engine

from catalog import store as tables
from catalog.blocks import STATUS
from catalog.feeds.values import currency_exponent
from catalog.l10n import pick_text
from catalog.products import Product
from catalog.records import Availability

COLUMNS = (
    "id",
    "item_group_id",
    "title",
    "description",
    "availability",
    "condition",
    "price",
    "sale_price",
    "sale_price_effective_date",
    "link",
    "image_link",
    "additional_image_link",
    "brand",
    "product_type",
    "color",
    "size",
    "gtin",
    "quantity_to_sell_on_facebook",
)
_AVAILABILITY = {
    Availability.IN_STOCK: "in stock",
    Availability.OUT_OF_STOCK: "out of stock",
    Availability.PREORDER: "preorder",
    Availability.BACKORDER: "available for order",
    Availability.DISCONTINUED: "discontinued",
}


def _money(minor: int, currency: str) -> str:
    exponent = currency_exponent(currency)
    return f"{Decimal(minor).scaleb(-exponent):.{exponent}f} {currency}"


def _moment(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value else ""


def _products(engine: Engine) -> Iterator[Product]:
    generation = tables.CatalogStore(engine).current_generation()
    if generation is None:
        return
    for entry in tables.iter_entries(engine, generation):
        if entry[STATUS] == "active":
            found = tables.active_variants(entry)
            if found:
                yield tables.product_of_entry(entry, found)


def export_meta_csv(engine: Engine, out: IO[str], *, locale: str = "") -> int:
    """Write the current catalog to ``out`` as a Meta catalog CSV; returns the rows written.

    ``locale`` picks the title and description language (the feed's own texts by default).
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = 0
    for product in _products(engine):
        title = pick_text(product.title, locale)
        description = pick_text(product.description, locale) or title
        labels = {} if product.standalone else product.variant_labels(locale)
        for variant in product.variants:
            sale = variant.sale_price is not None
            window = (
                f"{_moment(variant.sale_start)}/{_moment(variant.sale_end)}"
                if sale and (variant.sale_start or variant.sale_end)
                else ""
            )
            label = labels.get(variant.id, "")
            main = variant.image or product.image or ""
            images = [u for u in dict.fromkeys((product.image, *product.images)) if u and u != main]
            writer.writerow(
                (
                    variant.id,
                    "" if product.standalone else product.id,
                    f"{title} – {label}" if label else title,
                    description,
                    _AVAILABILITY[variant.availability],
                    variant.attributes.get("condition", "new"),
                    _money(variant.price, product.currency),
                    _money(variant.sale_price, product.currency) if sale else "",  # type: ignore[arg-type]
                    window,
                    variant.link or product.link or "",
                    main,
                    ",".join(images),
                    product.brand,
                    " > ".join(product.categories),
                    variant.attributes.get("color", ""),
                    variant.attributes.get("size", ""),
                    variant.attributes.get("gtin", ""),
                    "" if variant.quantity is None else max(variant.quantity, 0),
                )
            )
            rows += 1
    return rows


__all__ = ["COLUMNS", "export_meta_csv"]
