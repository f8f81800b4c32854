"""JSON Lines, shopchat's own feed format: one object a line, with :class:`FeedItem`'s field names.

This is the only JSON Lines catalog reader (the example shop's ``catalog.jsonl`` too).

``title`` and ``description`` may be a string or texts by locale, ``{"en": "...", "pl": "..."}``:
the first entry is the default text and every entry also lands in ``title_i18n`` /
``description_i18n``. ``price`` and ``sale_price`` are whole minor units (``18999``) with
``currency``, or text like ``"189.99 PLN"``; a JSON float is refused (it cannot hold money
exactly). ``sale_start`` / ``sale_end`` / ``availability_date`` are ISO 8601. ``categories`` is a
list or ``"A > B"``. ``url`` and ``category`` are read as ``link`` and ``product_type``;
``age_min`` / ``age_max`` are the years the product suits; ``gender`` ``any`` is no gender.

A line may be a whole product with its ``variants``: a list of objects with their own ``id``,
``title`` (the variant's name, by locale: "Pink" / "Różowy"), and optionally ``price``,
``availability``, ``quantity``, ``attributes``, ``options`` and ``image``; each becomes an item
of the product's group and takes the product's fields for the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from catalog.feeds.offers import OfferBuilder
from catalog.feeds.values import currency_exponent, split_path
from catalog.records import FeedItem
from shoptext import json_lines

_TEXT_FIELDS = {
    "id": "id",
    "group_id": "item_group_id",
    "availability": "availability",
    "description_html": "rich_text_description",
    "link": "link",
    "url": "link",
    "image": "image_link",
    "brand": "brand",
    "product_type": "product_type",
    "category": "product_type",
    "age_group": "age_group",
    "gender": "gender",
    "status": "status",
    "availability_date": "availability_date",
}
_HANDLED = frozenset(
    {
        *_TEXT_FIELDS,
        "title",
        "description",
        "price",
        "sale_price",
        "currency",
        "sale_start",
        "sale_end",
        "additional_images",
        "categories",
        "attributes",
        "tags",
        "quantity",
        "title_i18n",
        "description_i18n",
        "line",
        "age_min",
        "age_max",
        "variants",
        "options",
        "label",
    }
)
_VARIANT_FIELDS = frozenset(
    {
        "id",
        "title",
        "price",
        "sale_price",
        "availability",
        "quantity",
        "attributes",
        "options",
        "image",
        "link",
        "url",
        "sale_start",
        "sale_end",
        "status",
    }
)


def read_jsonl(path: Path, builder: OfferBuilder, counter: list[int]) -> Iterator[FeedItem]:
    unknown: dict[str, int] = {}  # field -> the first line it is on
    count = 0
    with path.open("rb") as lines:
        for line in json_lines(lines):
            count += 1
            counter[0] = count
            number, obj = line.number, line.value
            if line.problem is not None:
                where = f" at column {line.column}" if line.column else ""
                builder.error(number, None, line.problem + where)
                continue
            for key in obj:
                if key not in _HANDLED:
                    unknown.setdefault(key, number)
            variants = obj.get("variants")
            if variants is None or variants == []:
                item = _item(obj, number, builder)
                if item is not None:
                    yield item
                continue
            yield from _variants(obj, variants, number, builder, unknown)
    if unknown:
        # On the line of the first of them, where an editor can jump (like XML's elements).
        first = min(unknown.values())
        builder.warn(first, None, "fields not imported: " + ", ".join(sorted(unknown)))


def _variants(
    obj: dict[str, Any],
    variants: Any,
    number: int,
    builder: OfferBuilder,
    unknown: dict[str, int],
) -> Iterator[FeedItem]:
    """The items of a product line with ``variants``: each variant over the product's fields."""
    shown_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
        builder.error(number, shown_id, "variants must be a list of objects")
        return
    ids = [v.get("id") for v in variants]
    repeated = next((i for i in ids if ids.count(i) > 1), None)
    if repeated is not None:
        builder.error(number, shown_id, f"variant id {repeated!r} appears twice")
        return
    base = {k: v for k, v in obj.items() if k != "variants"}
    in_stock = base.get("availability") in (None, "in_stock", "in stock")
    for variant in variants:
        for key in variant:
            if key not in _VARIANT_FIELDS:
                unknown.setdefault(f"variants.{key}", number)
        merged = {**base, "group_id": obj.get("id"), **variant}
        merged["title"], merged["description"] = base.get("title"), base.get("description")
        if not in_stock:  # a product out of stock has no variant in stock
            merged["availability"] = base.get("availability")
        name = variant.get("title")
        label = name if isinstance(name, dict) else ({"": name} if isinstance(name, str) else {})
        attributes = base.get("attributes")
        if isinstance(attributes, dict) and isinstance(variant.get("attributes"), dict):
            merged["attributes"] = {**attributes, **variant["attributes"]}
        item = _item(merged, number, builder)
        if item is not None:
            item.label = {str(k): str(v) for k, v in label.items() if v}
            yield item


def _item(obj: dict[str, Any], number: int, builder: OfferBuilder) -> FeedItem | None:
    shown_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    row: dict[str, str] = {}
    for key, name in _TEXT_FIELDS.items():
        value = obj.get(key)
        if value is not None and name not in row:
            row[name] = str(value)
    titles = _localized(obj.get("title"), row, "title")
    descriptions = _localized(obj.get("description"), row, "description")
    for key, texts in (("title_i18n", titles), ("description_i18n", descriptions)):
        if isinstance(obj.get(key), dict):
            texts.update({str(k): str(v) for k, v in obj[key].items() if v})
    currency = obj.get("currency") if isinstance(obj.get("currency"), str) else None
    for key in ("price", "sale_price"):
        value = obj.get(key)
        if value is None:
            continue
        if isinstance(value, bool | float):
            builder.error(
                number,
                shown_id,
                f"{key} {value!r} must be whole minor units (14999 for 149.99) or text "
                "like '149.99 PLN'",
            )
            return None
        if isinstance(value, int):
            code = currency or builder.currency
            if code is None:
                builder.error(number, shown_id, f"{key} has no currency; pass --currency")
                return None
            value = f"{Decimal(value).scaleb(-currency_exponent(code))} {code}"
        elif currency and not any(c.isalpha() for c in str(value)):
            value = f"{value} {currency}"
        row[key] = str(value)
    start, end = obj.get("sale_start"), obj.get("sale_end")
    if start or end:
        row["sale_price_effective_date"] = f"{start or ''}/{end or ''}"
    if obj.get("quantity") is not None:
        row["quantity"] = str(obj["quantity"])
    if row.get("gender", "").strip().lower() in ("any", "all"):
        del row["gender"]
    images = obj.get("additional_images")
    options = obj.get("options")
    item = builder.build(
        row,
        number,
        images=[str(u) for u in images] if isinstance(images, list) else None,
        title_i18n=titles or None,
        description_i18n=descriptions or None,
        options={str(k): str(v) for k, v in options.items()} if isinstance(options, dict) else None,
    )
    if item is None:
        return None
    attributes = obj.get("attributes")
    if isinstance(attributes, dict):
        item.attributes = {
            **item.attributes,
            **{str(k): str(v) for k, v in attributes.items() if v is not None},
        }
    categories = obj.get("categories")
    if isinstance(categories, list):
        item.categories = tuple(str(c).strip() for c in categories if str(c).strip())
    elif isinstance(categories, str):
        item.categories = split_path(categories)
    tags = obj.get("tags")
    if isinstance(tags, list):
        item.tags = tuple(str(t) for t in tags) + item.tags
    ages = _ages(obj, number, builder, item.id)
    if ages:
        item.attributes = {**item.attributes, "_age": ages}
    label = obj.get("label")
    if isinstance(label, dict):
        item.label = {str(k): str(v) for k, v in label.items() if v}
    return item


def _ages(obj: dict[str, Any], number: int, builder: OfferBuilder, id: str) -> str | None:
    """``age_min`` / ``age_max`` as the store's ``_age`` range ("5-10")."""
    low, high = obj.get("age_min"), obj.get("age_max")
    if low is None and high is None:
        return None
    low = 0 if low is None else low
    high = 120 if high is None else high
    if not (isinstance(low, int) and isinstance(high, int)) or isinstance(low, bool):
        builder.warn(number, id, "age_min and age_max must be whole years; ignored")
        return None
    if not 0 <= low <= high <= 120:
        builder.warn(number, id, f"age_min {low} / age_max {high} is not a range of years; ignored")
        return None
    return f"{low}-{high}"


def _localized(value: Any, row: dict[str, str], name: str) -> dict[str, str]:
    if isinstance(value, dict):
        texts = {str(k): str(v) for k, v in value.items() if isinstance(v, str) and v.strip()}
        if texts:
            row[name] = next(iter(texts.values()))
        return texts
    if isinstance(value, str):
        row[name] = value
    return {}


__all__ = ["read_jsonl"]
