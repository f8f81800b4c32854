"""Shopify product CSV: rows sharing a ``Handle`` are one product, each variant row one offer.

Product fields (title, body, vendor, type, tags, status) are on the product's first row only.
A row with just ``Handle`` + ``Image Src`` is another product image, not a variant. A product
without options (``Option1 Name=Title``, ``Option1 Value=Default Title``) is one offer whose id is
its SKU or, without one, its handle; variants without a SKU get ``handle-value1-value2``.

Both the classic export columns (``Handle``, ``Variant SKU``, ``Variant Inventory Qty``,
``Variant Compare At Price``) and the newer ones (``URL handle``, ``SKU``, ``Inventory quantity``,
``Compare-at price``) are read. Shopify prices carry no currency: pass the shop's.

Mapping: compare-at above the price makes the compare-at the regular ``price`` and the variant
price the ``sale_price``; ``Variant Inventory Policy`` ``continue`` with nothing in stock is
``backorder``; ``Status`` draft or archived, or ``Published`` false, is ``draft``; options land in
``attributes`` under their lower-cased names (``{"size": "M", "color": "Red"}``) and the title
stays the product's title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from catalog.feeds.delimited import header_names, read_rows
from catalog.feeds.errors import FeedError
from catalog.feeds.offers import OfferBuilder
from catalog.feeds.values import parse_money
from catalog.records import FeedItem, Status

_ALIASES = {
    "handle": "handle",
    "url handle": "handle",
    "title": "title",
    "body (html)": "body",
    "description": "body",
    "vendor": "vendor",
    "product category": "category",
    "type": "type",
    "tags": "tags",
    "published": "published",
    "published on online store": "published",
    "status": "status",
    "variant sku": "sku",
    "sku": "sku",
    "variant inventory qty": "qty",
    "inventory quantity": "qty",
    "variant inventory policy": "policy",
    "continue selling when out of stock": "policy",
    "variant price": "price",
    "price": "price",
    "variant compare at price": "compare",
    "compare-at price": "compare",
    "variant barcode": "barcode",
    "barcode": "barcode",
    "image src": "image",
    "product image url": "image",
    "image position": "image_position",
    "variant image": "variant_image",
    "variant image url": "variant_image",
    "google shopping / gender": "gender",
    "google shopping / age group": "age_group",
    "google shopping / condition": "condition",
    "google shopping / mpn": "mpn",
}
for _n in (1, 2, 3):
    _ALIASES[f"option{_n} name"] = f"option{_n}_name"
    _ALIASES[f"option{_n} value"] = f"option{_n}_value"
_VARIANT_KEYS = ("option1_value", "option2_value", "option3_value", "sku", "price")
_SLUG = re.compile(r"[^0-9a-z]+")

Row = dict[str, str]


def read_shopify_csv(path: Path, builder: OfferBuilder, counter: list[int]) -> Iterator[FeedItem]:
    rows = read_rows(path, ",", builder)
    first = next(rows, None)
    if first is None:
        return
    if first[1] is None:
        raise FeedError(builder.file, "the header row cannot be read; save the file as UTF-8", 1)
    head_cells = first[1]
    header = header_names(head_cells)
    fields = [_ALIASES.get(name) for name in header]
    if "handle" not in fields:
        raise FeedError(builder.file, "no Handle column; is this a Shopify product export?", 1)
    unknown = [head_cells[i].strip() for i, f in enumerate(fields) if f is None and header[i]]
    if unknown:
        builder.warn(first[0], None, "columns not imported: " + ", ".join(unknown))
    named = [(i, f) for i, f in enumerate(fields) if f is not None]
    product: list[tuple[int, Row]] = []
    count = 0
    for line, cells in rows:
        count += 1
        counter[0] = count
        if cells is None:
            continue
        row = {f: cells[i].strip() for i, f in named if i < len(cells) and cells[i].strip()}
        handle = row.get("handle")
        if not handle:
            builder.error(line, None, "row has no Handle; skipped")
            continue
        if product and product[0][1]["handle"] != handle:
            yield from _offers(product, builder)
            product = []
        product.append((line, row))
    if product:
        yield from _offers(product, builder)


def _offers(rows: list[tuple[int, Row]], builder: OfferBuilder) -> Iterator[FeedItem]:
    head = rows[0][1]
    handle = head["handle"]
    images: list[tuple[int, str]] = []
    variants: list[tuple[int, Row]] = []
    for index, (line, row) in enumerate(rows):
        if image := row.get("image"):
            position = row.get("image_position", "")
            images.append((int(position) if position.isdigit() else 1000 + index, image))
        if index == 0 or any(key in row for key in _VARIANT_KEYS):
            variants.append((line, row))
    ordered = [url for _, url in sorted(images)]
    tags = tuple(t for t in (" ".join(t.split()) for t in head.get("tags", "").split(",")) if t)
    draft = head.get("status", "").lower() in ("draft", "archived") or head.get(
        "published", ""
    ).lower() in ("false", "no", "0")
    single = len(variants) == 1
    for line, row in variants:
        values = [
            row[key]
            for key in ("option1_value", "option2_value", "option3_value")
            if key in row and row[key] != "Default Title"
        ]
        sku = row.get("sku", "")
        if sku:
            offer_id = sku
        elif single or not values:
            offer_id = handle
        else:
            offer_id = handle + "-" + "-".join(_SLUG.sub("-", v.lower()).strip("-") for v in values)
        fields: Row = {"id": offer_id, "item_group_id": handle}
        for ours, theirs in (
            ("title", "title"),
            ("body", "description"),
            ("vendor", "brand"),
            ("type", "product_type"),
            ("category", "google_product_category"),
            ("gender", "gender"),
            ("age_group", "age_group"),
            ("condition", "condition"),
            ("mpn", "mpn"),
        ):
            if ours in head:
                fields[theirs] = head[ours]
        if barcode := row.get("barcode"):
            fields["gtin"] = barcode.lstrip("'")
        price, compare = row.get("price", ""), row.get("compare", "")
        fields["price"] = price
        if compare and price and _greater(compare, price):
            fields["price"], fields["sale_price"] = compare, price
        qty = row.get("qty", "")
        if qty.lstrip("-").isdigit():
            fields["quantity"] = qty
            keep_selling = row.get("policy", "").lower() in ("continue", "true", "yes")
            if int(qty) > 0:
                fields["availability"] = "in_stock"
            else:
                fields["availability"] = "backorder" if keep_selling else "out_of_stock"
        options = {}
        for n in (1, 2, 3):
            name = head.get(f"option{n}_name", "")
            value = row.get(f"option{n}_value", "")
            if name and value and not (name == "Title" and value == "Default Title"):
                options[" ".join(name.lower().split())] = " ".join(value.split())
        item = builder.build(fields, line, options=options)
        if item is None:
            continue
        own = row.get("variant_image")
        gallery = [url for url in ordered if url != own]
        if own:
            item.image, item.additional_images = own, tuple(gallery)
        elif gallery:
            item.image, item.additional_images = gallery[0], tuple(gallery[1:])
        if tags:
            item.tags = tags + item.tags
        if draft:
            item.status = Status.DRAFT
        yield item


def _greater(compare: str, price: str) -> bool:
    try:
        return parse_money(compare, "XXX")[0] > parse_money(price, "XXX")[0]
    except ValueError:
        return False


__all__ = ["read_shopify_csv"]
