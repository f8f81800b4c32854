"""What a feed importer hands the catalog store: one :class:`FeedItem` per feed row or item.

A feed row is one buyable offer. Rows sharing a ``group_id`` (Google and Meta
``item_group_id``, Shopify ``Handle``) are variants of one product; a row without a group is a
product of its own whose ``group_id`` is its ``id``. Importers normalise every format into this
shape, so the store, search and recommendations never see a format's quirks.

Money is integer minor units of ``currency`` (parsed with :class:`decimal.Decimal`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Availability(enum.StrEnum):
    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"
    PREORDER = "preorder"
    BACKORDER = "backorder"  # none in stock, but orders are taken (Shopify "continue selling")
    DISCONTINUED = "discontinued"


# What a shopper can order: in stock, or taken now and shipped later.
ORDERABLE = frozenset({Availability.IN_STOCK, Availability.PREORDER, Availability.BACKORDER})


def sellable(availability: Availability, quantity: int | None) -> bool:
    """Whether a shopper can order it now: an orderable availability and, for stock that is
    counted as in stock, at least one left (a backorder or preorder needs none)."""
    if availability not in ORDERABLE:
        return False
    return availability is not Availability.IN_STOCK or quantity is None or quantity > 0


class AgeGroup(enum.StrEnum):
    """Google's age groups plus Meta's ``all ages`` and ``teen``; years in :data:`AGE_YEARS`."""

    NEWBORN = "newborn"
    INFANT = "infant"
    TODDLER = "toddler"
    KIDS = "kids"
    TEEN = "teen"
    ADULT = "adult"
    ALL_AGES = "all_ages"


# Inclusive age ranges in whole years (newborn and infant are under one year).
AGE_YEARS: dict[AgeGroup, tuple[int, int]] = {
    AgeGroup.NEWBORN: (0, 0),
    AgeGroup.INFANT: (0, 1),
    AgeGroup.TODDLER: (1, 5),
    AgeGroup.KIDS: (5, 13),
    AgeGroup.TEEN: (13, 17),
    AgeGroup.ADULT: (13, 120),
    AgeGroup.ALL_AGES: (0, 120),
}


class Gender(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNISEX = "unisex"


class Status(enum.StrEnum):
    ACTIVE = "active"
    DRAFT = "draft"


@dataclass(slots=True)
class FeedItem:
    """One offer from a feed, normalised. Texts are plain unless named ``*_html``."""

    id: str
    group_id: str
    title: str
    price: int
    currency: str
    availability: Availability = Availability.IN_STOCK
    description: str = ""  # plain text, what search indexes
    description_html: str = ""  # as the feed had it (sanitised later, at display)
    link: str | None = None
    image: str | None = None
    additional_images: tuple[str, ...] = ()
    sale_price: int | None = None
    sale_start: datetime | None = None  # aware datetimes; None = open-ended
    sale_end: datetime | None = None
    availability_date: datetime | None = None
    brand: str = ""
    # Most general first: ("Toys & Games", "Toys", "Building Toys"); product_type and
    # google_product_category both land here, split on ">".
    categories: tuple[str, ...] = ()
    product_type: str = ""
    age_group: AgeGroup | None = None
    gender: Gender | None = None
    # Variant-defining and other attributes: color, size, material, pattern, condition, gtin, mpn.
    attributes: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()  # Shopify tags and custom_label_0..4, as written
    status: Status = Status.ACTIVE
    quantity: int | None = None  # stock count when the feed has one
    # The variant's options as the feed names them, in order: {"Taille": "M", "Couleur": "Vert"}
    # (Shopify options, any language); they name the variant ("Taille: M / Couleur: Vert").
    options: dict[str, str] = field(default_factory=dict)
    # The variant's own name by locale, when the feed gives one (shopchat JSON Lines).
    label: dict[str, str] = field(default_factory=dict)
    # Translations of title / description by locale tag ("pl", "es"), when the feed carries them.
    title_i18n: dict[str, str] = field(default_factory=dict)
    description_i18n: dict[str, str] = field(default_factory=dict)
    line: int = 0  # the source line it starts on, in every format


@dataclass(slots=True, frozen=True)
class Problem:
    """A rejected row (``severity="error"``) or a fixed-up oddity (``"warning"``)."""

    line: int
    id: str | None
    reason: str
    severity: str = "error"
    file: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "id": self.id, "reason": self.reason}


@dataclass(slots=True, frozen=True)
class Offer:
    """What checkout needs to sell one product or variant now: the price in force at ``now``.

    ``Catalog.offer(product_id, variant_id, *, locale, now) -> Offer | None`` returns it (None
    for an unknown or draft product, or a variant not of that product); checkout re-asks at
    every cart step and again at payment time.
    """

    product_id: str
    variant_id: str | None
    title: str  # in the asked locale, variant options included ("T-shirt – M / red")
    price: int  # minor units in force now (the sale price inside its window)
    regular_price: int
    currency: str
    availability: Availability
    image: str | None = None
    quantity: int | None = None  # stock count when known

    @property
    def buyable(self) -> bool:
        return sellable(self.availability, self.quantity)


__all__ = [
    "AGE_YEARS",
    "AgeGroup",
    "Availability",
    "FeedItem",
    "Gender",
    "ORDERABLE",
    "Offer",
    "Problem",
    "Status",
    "sellable",
]
