"""Shopify product CSV: rows sharing a ``Handle`` are one product, each variant row one offer.

Product fields (title, body, vendor, type, tags, status) are on the product's first row only.
A row with just ``Handle`` + ``Image Src`` is another product image, not a variant. A product
without options (``Option1 Name=Title``, ``Option1 Value=Default Title``) is one offer whose id is
its SKU or, without one, its handle; variants without a SKU get ``handle-value1-value2``.

Both the classic export columns (``Handle``, ``Variant SKU``, ``Variant Inventory Qty``,
``Variant Compare At Price``) and the newer ones (``URL handle``, ``SKU``, ``Inventory quantity``,
``Compare-at price``) are read. Shopify prices carry no currency: pass the shop's.

Mapping: compare-at above the price makes the compare-at the regular ``price`` and the variant
price the ``sale_price``; ``Status`` draft or archived, or ``Published`` false, is ``draft``.

Stock, as Shopify sells it: a variant whose ``Variant Inventory Tracker`` is blank is not
tracked (Shopify sells it whatever the quantity says: in stock, no count); a tracked one
(``shopify`` or a fulfilment service's name; without a tracker column, any quantity given)
is in stock while its quantity is above 0, and below that ``backorder`` when its ``Variant
Inventory Policy`` is ``continue`` (orders still taken), else out of stock. Gift cards
(``Gift Card`` TRUE) are never tracked.

Options, in the shop's language (``Taille``, ``Cor``, ``Cabo``), stay in ``FeedItem.options``
in order, which names the variant (``Taille: M / Couleur: Vert``); known names also land in
``attributes`` as Google's ``size``/``color``/``material``/``pattern``. A product repeated
further down the file (its rows again, unchanged) is reported once as a warning; a handle that
comes back with other rows is rejected (Shopify lists a product's rows together).
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
    "variant inventory tracker": "tracker",
    "inventory tracker": "tracker",
    "gift card": "gift_card",
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
    "google shopping / google product category": "google_category",
}
for _n in range(5):
    _ALIASES[f"google shopping / custom label {_n}"] = f"custom_label_{_n}"
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
    tracked_column = "tracker" in fields
    seen: dict[str, tuple[int, int]] = {}  # handle -> (first line, hash of its rows)
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
            yield from _product(product, builder, seen, tracked_column)
            product = []
        if not product and len(row) == 1:
            # A first column and nothing else, not after its product: a note such as the one
            # ending Shopify's own template ("Note: Red column is required").
            builder.warn(line, None, f"only {handle!r} in the first column; not a product row")
            continue
        product.append((line, row))
    if product:
        yield from _product(product, builder, seen, tracked_column)


def _product(
    rows: list[tuple[int, Row]],
    builder: OfferBuilder,
    seen: dict[str, tuple[int, int]],
    tracked_column: bool,
) -> Iterator[FeedItem]:
    """The offers of one product's rows, unless its handle came before."""
    handle = rows[0][1]["handle"]
    fingerprint = hash(tuple(tuple(sorted(row.items())) for _, row in rows))
    first = seen.get(handle)
    if first is None:
        seen[handle] = (rows[0][0], fingerprint)
        yield from _offers(rows, builder, tracked_column)
        return
    if first[1] == fingerprint:
        builder.warn(
            rows[0][0],
            handle,
            f"product {handle!r} is listed again, unchanged (first on line {first[0]}); "
            "the repeat was ignored",
        )
        return
    for line, _ in rows:
        builder.error(
            line,
            handle,
            f"handle {handle!r} comes back after other products (first on line {first[0]}); "
            "Shopify lists a product's rows together: merge them",
        )


def _offers(
    rows: list[tuple[int, Row]], builder: OfferBuilder, tracked_column: bool
) -> Iterator[FeedItem]:
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
    gift_card = head.get("gift_card", "").lower() in _TRUE
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
            ("google_category", "google_product_category"),
            *((f"custom_label_{n}", f"custom_label_{n}") for n in range(5)),
        ):
            if ours in head:
                fields[theirs] = head[ours]
        if barcode := row.get("barcode"):
            fields["gtin"] = barcode.lstrip("'")
        price, compare = row.get("price", ""), row.get("compare", "")
        fields["price"] = price
        if compare and price and _greater(compare, price):
            fields["price"], fields["sale_price"] = compare, price
        _stock(fields, row, tracked_column, gift_card)
        options = {}
        for n in (1, 2, 3):
            name = " ".join(head.get(f"option{n}_name", "").split())
            value = " ".join(row.get(f"option{n}_value", "").split())
            if name and value and not (name == "Title" and value == "Default Title"):
                options[name] = value
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
        if gift_card:
            item.attributes["gift_card"] = "true"
        yield item


_TRUE = frozenset({"true", "yes", "1", "continue"})


def _stock(fields: Row, row: Row, tracked_column: bool, gift_card: bool) -> None:
    """Availability and quantity as Shopify sells the variant (see the module docstring)."""
    qty = row.get("qty", "")
    counted = qty.lstrip("-").isdigit()
    tracked = not gift_card and (bool(row.get("tracker")) if tracked_column else counted)
    if not tracked:
        fields["availability"] = "in_stock"
        return
    if not counted:
        return  # tracked without a count: the feed's availability, if any, stands
    fields["quantity"] = qty
    if int(qty) > 0:
        fields["availability"] = "in_stock"
    elif row.get("policy", "").lower() in _TRUE:
        fields["availability"] = "backorder"
    else:
        fields["availability"] = "out_of_stock"


def _greater(compare: str, price: str) -> bool:
    try:
        return parse_money(compare, "XXX")[0] > parse_money(price, "XXX")[0]
    except ValueError:
        return False


__all__ = ["read_shopify_csv"]
