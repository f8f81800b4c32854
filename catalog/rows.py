"""One feed item as the catalog stores and indexes it: plain rows, cheap to send.

    prepared = prepare(item)     # no state: the feed parser process runs it for big feeds

:func:`prepare` does every per-item step of an import that needs no other item (the checks,
the variant's row and JSON, the index's numbers, the product's fields), so it can run in the
process that parses the feed while the importing process groups, stores and indexes (and makes
the product's JSON with :func:`product_data`, once per product). It imports nothing heavy (no
SQLAlchemy, numpy or Babel) to keep that process small.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from catalog.records import AGE_YEARS, AgeGroup, Availability, FeedItem, Gender, Status

MAX_ID = 255
NO_TIME = 2**63 - 1  # an open end of a sale window, in the index's int64 columns
AVAILABILITIES = list(Availability)
AGE_GROUPS = list(AgeGroup)
AVAILABILITY_CODES = {a: n for n, a in enumerate(AVAILABILITIES)}
AGE_GROUP_CODES = {g: n for n, g in enumerate(AGE_GROUPS)}
GENDER_CODES: dict[Gender | None, int] = {Gender.FEMALE: 1, Gender.MALE: 2}


def epoch(moment: datetime | None) -> int | None:
    """Seconds since the epoch, as the store and the index keep moments."""
    return None if moment is None else int(moment.timestamp())


def age_range(age_group: AgeGroup | None, attributes: dict[str, str]) -> tuple[int, int]:
    """Inclusive years a variant suits: an ``_age`` attribute ("5-10"), its age group, or all."""
    text = attributes.get("_age")
    if text:
        low, _, high = text.partition("-")
        try:
            return int(low), int(high or low)
        except ValueError:
            pass
    if age_group is not None:
        return AGE_YEARS[age_group]
    return 0, 120


def variant_values(
    *,
    price: int,
    sale_price: int | None,
    sale_start: int | None,
    sale_end: int | None,
    availability: Availability,
    quantity: int | None,
    ages: tuple[int, int],
    age_group: AgeGroup | None,
    gender: Gender | None,
) -> tuple[int, ...]:
    """What the index keeps of one active variant, as plain ints (cheap to send between
    processes); :meth:`IndexBuilder.add_variant` takes them."""
    return (
        price,
        -1 if sale_price is None else sale_price,
        -NO_TIME if sale_start is None else sale_start,
        NO_TIME if sale_end is None else sale_end,
        AVAILABILITY_CODES[availability],
        # Sold out by count: none left of stock the feed calls in stock (a backorder or a
        # preorder is taken without stock).
        int(availability is Availability.IN_STOCK and quantity is not None and quantity <= 0),
        ages[0],
        ages[1],
        -1 if age_group is None else AGE_GROUP_CODES[age_group],
        GENDER_CODES.get(gender, 0),
    )


def _check(item: FeedItem) -> str | None:
    if not item.id or not item.id.strip():
        return "no id"
    if len(item.id) > MAX_ID or len(item.group_id or "") > MAX_ID:
        return f"id longer than {MAX_ID} characters"
    if not item.title or not item.title.strip():
        return "no title"
    if not isinstance(item.price, int) or item.price < 0:
        return f"price must be a whole, non-negative number of minor units, got {item.price!r}"
    if item.sale_price is not None and item.sale_price < 0:
        return f"negative sale price {item.sale_price}"
    if not item.currency or len(item.currency) != 3 or not item.currency.isalpha():
        return f"currency must be an ISO 4217 code like PLN, got {item.currency!r}"
    return None


def localized(default: str, translations: dict[str, str], locale: str = "") -> dict[str, str]:
    """Texts by locale as stored: the untranslated text under the shop's ``locale`` (``""``
    when it is not known); empty ones are left out."""
    texts = {locale: default} if default else {}
    if translations:
        texts.update({k: v for k, v in translations.items() if v})
    return texts


def product_data(product: tuple[Any, ...], locale: str = "") -> str:
    """The stored JSON of a product from the product part of a :data:`Prepared` item; its
    untranslated texts are in ``locale``."""
    (
        title,
        _,
        _,
        title_i18n,
        description,
        description_i18n,
        description_html,
        categories,
        product_type,
        tags,
        image,
        images,
        link,
    ) = product
    data: dict[str, Any] = {"title": localized(title, title_i18n, locale)}
    # Empty values are left out (the store reads them back as empty).
    for key, value in (
        ("description", localized(description, description_i18n, locale)),
        ("description_html", description_html),
        ("categories", categories),
        ("product_type", product_type),
        ("tags", tags),
        ("image", image),
        ("images", images),
        ("link", link),
    ):
        if value:
            data[key] = value
    return orjson.dumps(data).decode()


# One feed item as the import stores and indexes it, worked out by :func:`prepare`: plain
# strings, ints and tuples, cheap to send from the feed parser's process.
#   0 id, 1 group id, 2 line, 3 why it is rejected (None: kept),
#   4 its variant row (columns after ``generation``), 5 its index values (None: a draft),
#   6 the product it starts when it comes first: (title, brand, currency, title by locale,
#     description, description by locale, description HTML, categories, product type,
#     tags, image, more images, link); :func:`product_data` makes its stored JSON,
#   7 its names, searchable as the product's titles ("pink" finds the pink bunny): its own
#     label by locale and its colour, material and pattern.
Prepared = tuple[
    str,
    str,
    int,
    str | None,
    tuple[Any, ...],
    tuple[int, ...] | None,
    tuple[Any, ...],
    tuple[str, ...],
]


_OPTION_NAMES = frozenset(("color", "material", "pattern"))
_VALUES: dict[Status | Availability, str] = {
    **{s: s.value for s in Status},
    **{a: a.value for a in Availability},
}


def prepare(item: FeedItem) -> Prepared:
    """What :func:`import_items` needs of ``item``; no state, so any process may run it."""
    if not item.group_id:
        item.group_id = item.id
    # An item that is its own group is (nearly always) a product of its own: its title, link
    # and picture are the product's, stored once (the store reads them back from the
    # product; in a group named after one of its items, that item shows the group's first).
    own_product = item.group_id == item.id
    reason = _check(item)
    if reason is not None:
        return (item.id or "", item.group_id or "", item.line, reason, (), None, (), ())
    attributes = item.attributes
    if "_age" not in attributes and item.tags:
        exact = _exact_ages(tuple(item.tags))  # (a caller may have given a list)
        if exact:
            attributes["_age"] = exact
    label = item.label or option_label(item.options)
    names: list[str] = list(item.label.values())
    if attributes and not _OPTION_NAMES.isdisjoint(attributes):
        names.extend(attributes[k] for k in ("color", "material", "pattern") if k in attributes)
    active = item.status is Status.ACTIVE
    sale_start, sale_end = epoch(item.sale_start), epoch(item.sale_end)
    currency = item.currency.upper()
    # Only what is there: empty values cost disk at a million rows and read back as defaults.
    fields: dict[str, Any] = {}
    if label:
        fields["label"] = label
    if attributes:
        fields["attributes"] = attributes
    if item.age_group is not None:
        fields["age_group"] = item.age_group
    if item.gender is not None:
        fields["gender"] = item.gender
    if not own_product:
        fields["image"] = item.image
        fields["link"] = item.link
        fields["title"] = item.title
    variant = orjson.dumps(fields).decode()
    row = (
        item.id,
        item.group_id,
        item.line,
        _VALUES[item.status],
        item.price,
        item.sale_price,
        sale_start,
        sale_end,
        currency,
        _VALUES[item.availability],
        item.quantity,
        variant,
    )
    values = (
        variant_values(
            price=item.price,
            sale_price=item.sale_price,
            sale_start=sale_start,
            sale_end=sale_end,
            availability=item.availability,
            quantity=item.quantity,
            ages=age_range(item.age_group, attributes),
            age_group=item.age_group,
            gender=item.gender,
        )
        if active
        else None
    )
    # The product's own fields, raw: the importer makes its JSON only for the first item of
    # each product, and the texts are sent once (the index needs them too).
    product = (
        item.title,
        item.brand,
        currency,
        item.title_i18n,
        item.description,
        item.description_i18n,
        item.description_html,
        item.categories,
        item.product_type,
        item.tags,
        item.image,
        item.additional_images,
        item.link,
    )
    return (item.id, item.group_id, item.line, None, row, values, product, tuple(names))


def option_label(options: dict[str, str]) -> dict[str, str]:
    """A variant's name from its options: ``Taille: M / Couleur: Vert``; a lone option named
    ``Title`` (Shopify's for a product with one list of variants) is just its value."""
    if not options:
        return {}
    if len(options) == 1 and "Title" in options:
        return {"": options["Title"]}
    return {"": " / ".join(f"{name}: {value}" for name, value in options.items())}


# Feeds have only coarse age groups (kids = 5-13); a shop can state exact years in a tag or
# custom label written "age 5-10", which the gift finder then matches exactly.
_AGES = re.compile(r"^\s*age\s+(\d{1,3})\s*-\s*(\d{1,3})\s*$", re.IGNORECASE)


@lru_cache(maxsize=4096)  # a shop has a few tag sets
def _exact_ages(tags: tuple[str, ...]) -> str | None:
    for tag in tags:
        found = _AGES.match(tag)
        if found and int(found.group(1)) <= int(found.group(2)):
            return f"{int(found.group(1))}-{int(found.group(2))}"
    return None


__all__ = [
    "MAX_ID",
    "NO_TIME",
    "Prepared",
    "age_range",
    "epoch",
    "localized",
    "option_label",
    "prepare",
    "product_data",
    "variant_values",
]
