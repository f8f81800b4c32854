"""Products and variants as the store gives them back: texts per locale, prices in minor units.

A product is a group of feed items (``group_id``); each item is a :class:`Variant`. A feed
item without a group is a product with one variant of the same id, shown without variants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from catalog.l10n import pick_text
from catalog.records import AgeGroup, Availability, Gender, sellable
from catalog.rows import age_range

# Attributes that name a variant, in the order a label shows them ("M / red").
OPTION_KEYS = ("size", "color", "material", "pattern")
# Attribute keys starting with this are the store's own (the JSONL importer's labels and
# age ranges); they are never shown as attributes.
INTERNAL = "_"


@dataclass(frozen=True, slots=True)
class Variant:
    """One buyable offer of a product; ``price`` is the regular price in minor units."""

    id: str
    price: int
    availability: Availability
    label: dict[str, str] = field(default_factory=dict)  # "Pink" / "Różowy"; may be empty
    sale_price: int | None = None
    sale_start: datetime | None = None
    sale_end: datetime | None = None
    quantity: int | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    age_group: AgeGroup | None = None
    gender: Gender | None = None
    image: str | None = None
    link: str | None = None
    title: str = ""  # the feed item's own title (variants of a Google group may differ by it)

    def on_sale(self, now: datetime) -> bool:
        """Whether the sale price is in force at ``now`` (its window includes ``now``)."""
        if self.sale_price is None:
            return False
        if self.sale_start is not None and now < self.sale_start:
            return False
        return self.sale_end is None or now < self.sale_end

    def price_at(self, now: datetime) -> int:
        """The price in force at ``now``: the sale price inside its window, else the regular."""
        return self.sale_price if self.on_sale(now) and self.sale_price is not None else self.price

    @property
    def in_stock(self) -> bool:
        return sellable(self.availability, self.quantity)

    @property
    def ages(self) -> tuple[int, int]:
        return age_range(self.age_group, self.attributes)

    @property
    def shown_attributes(self) -> dict[str, str]:
        return {k: v for k, v in self.attributes.items() if not k.startswith(INTERNAL)}

    def label_for(self, locale: str) -> str:
        """The variant's own name in ``locale`` ("Taille: M / Couleur: Vert", "Pink"), else its
        size, colour, material and pattern joined ("M / red"), else ""; see
        :meth:`Product.variant_labels` for names that tell a product's variants apart."""
        if self.label:
            return pick_text(self.label, locale)
        return " / ".join(self.attributes[k] for k in OPTION_KEYS if self.attributes.get(k))


@dataclass(frozen=True, slots=True)
class Product:
    """A product with its texts by locale (key ``""`` holds the feed's own text)."""

    id: str
    title: dict[str, str]
    currency: str
    variants: tuple[Variant, ...]
    description: dict[str, str] = field(default_factory=dict)
    description_html: str = ""
    brand: str = ""
    categories: tuple[str, ...] = ()
    product_type: str = ""
    tags: tuple[str, ...] = ()
    image: str | None = None
    images: tuple[str, ...] = ()
    link: str | None = None
    rating: float | None = None  # average stars (1.0-5.0) of its reviews, None without any
    reviews: int = 0  # how many reviews

    @property
    def category(self) -> str:
        """The most specific category ("Building Toys"), or "" without one."""
        return self.categories[-1] if self.categories else ""

    @property
    def standalone(self) -> bool:
        """A single item without a group: shown as a product without variants."""
        return len(self.variants) == 1 and self.variants[0].id == self.id

    @property
    def in_stock(self) -> bool:
        return any(v.in_stock for v in self.variants)

    def title_for(self, locale: str) -> str:
        return pick_text(self.title, locale)

    def description_for(self, locale: str) -> str:
        return pick_text(self.description, locale)

    def variant_labels(self, locale: str) -> dict[str, str]:
        """A name per variant id that tells the variants apart.

        Each variant's own label when it has a unique one; variants without one, or sharing
        it, are told apart by what differs in their titles (a Google group of items named
        "Tricou Roșu" and "Tricou Albastru" gives "Roșu" and "Albastru").
        """
        labels = {v.id: v.label_for(locale) for v in self.variants}
        counts: dict[str, int] = {}
        for label in labels.values():
            counts[label] = counts.get(label, 0) + 1
        unclear = [v for v in self.variants if not labels[v.id] or counts[labels[v.id]] > 1]
        if not unclear or len(self.variants) < 2:
            return labels
        names = distinguishing_titles([v.title for v in self.variants])
        for variant in unclear:
            name = names.get(variant.title, "")
            if name and name != labels[variant.id]:
                labels[variant.id] = (
                    f"{labels[variant.id]} / {name}" if labels[variant.id] else name
                )
        return labels

    def variant_label(self, variant: Variant, locale: str) -> str:
        return self.variant_labels(locale).get(variant.id, "")

    def variant(self, variant_id: str | None) -> Variant | None:
        if variant_id is None:
            return self.variants[0] if self.standalone else None
        return next((v for v in self.variants if v.id == variant_id), None)


_EDGE = " -–—,;:/|()[]"


def distinguishing_titles(titles: list[str]) -> dict[str, str]:
    """What tells each title apart from the others: the words left when the words all the
    titles start and end with are taken off ("Tricou Roșu M" / "Tricou Albastru M" -> "Roșu" /
    "Albastru"); a title that would be left with nothing is kept whole. Titles that are all
    the same give {}."""
    distinct = list(dict.fromkeys(t for t in titles if t))
    if len(distinct) < 2:
        return {}
    words = [t.split() for t in distinct]
    shortest = min(len(w) for w in words)
    start = 0
    while start < shortest and all(w[start] == words[0][start] for w in words):
        start += 1
    end = 0
    while end < shortest - start and all(w[-1 - end] == words[0][-1 - end] for w in words):
        end += 1
    names = {}
    for title, parts in zip(distinct, words, strict=True):
        name = " ".join(parts[start : len(parts) - end]).strip(_EDGE)
        names[title] = name or title
    return names


__all__ = ["Product", "Variant", "age_range", "distinguishing_titles"]
