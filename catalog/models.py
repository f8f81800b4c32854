"""Products and their variants, as read from a feed row. Money is integer minor units."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from catalog.l10n import pick_text

Availability = Literal["in_stock", "out_of_stock", "preorder"]
Gender = Literal["any", "female", "male"]

_LOCALE_TAG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

ProductId = Annotated[str, Field(min_length=1, max_length=100, pattern=_ID.pattern)]
MinorUnits = Annotated[int, Field(ge=0)]


def _check_localized(value: Any) -> Any:
    if isinstance(value, str):
        raise ValueError('expected texts per locale, e.g. {"en": "Teddy bear", "pl": "Miś"}')
    if isinstance(value, dict):
        if not value:
            raise ValueError("needs a text for at least one locale")
        for tag, text in value.items():
            if not isinstance(tag, str) or not _LOCALE_TAG.match(tag):
                raise ValueError(f"{tag!r} is not a locale tag like 'en' or 'pl-PL'")
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"the {tag!r} text is empty")
    return value


def _check_money(value: Any) -> Any:
    # JSON 149.99 is a float; integer minor units avoid rounding, so say what to write instead.
    if isinstance(value, float | bool | str):
        raise ValueError(
            f"must be a whole number of minor units (grosz, cents), e.g. 14999 for 149.99; "
            f"got {value!r}"
        )
    return value


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class Variant(_Row):
    """A buyable version of a product: a size, a colour. ``price`` None means the product's."""

    id: ProductId
    title: dict[str, str]
    price: MinorUnits | None = None
    availability: Availability = "in_stock"
    attributes: dict[str, str] = Field(default_factory=dict)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> Any:
        return _check_localized(value)

    @field_validator("price", mode="before")
    @classmethod
    def _price(cls, value: Any) -> Any:
        return _check_money(value)

    @property
    def in_stock(self) -> bool:
        return self.availability == "in_stock"

    def title_for(self, locale: str) -> str:
        return pick_text(self.title, locale)


class Product(_Row):
    """One catalog product. Texts are per locale; ``price`` is the from-price in minor units."""

    id: ProductId
    title: dict[str, str]
    description: dict[str, str] = Field(default_factory=dict)
    brand: str = ""
    category: Annotated[str, Field(min_length=1)]
    tags: tuple[str, ...] = ()
    price: MinorUnits
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    age_min: Annotated[int, Field(ge=0, le=120)] = 0
    age_max: Annotated[int, Field(ge=0, le=120)] = 99
    gender: Gender = "any"
    availability: Availability = "in_stock"
    image: str | None = None
    url: str | None = None
    variants: tuple[Variant, ...] = ()

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> Any:
        return _check_localized(value)

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> Any:
        return value if value == {} else _check_localized(value)

    @field_validator("price", mode="before")
    @classmethod
    def _price(cls, value: Any) -> Any:
        return _check_money(value)

    @field_validator("tags", mode="after")
    @classmethod
    def _tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.strip().lower() for t in value if t.strip()))

    @field_validator("image", "url", mode="after")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Product:
        if self.age_min > self.age_max:
            raise ValueError(f"age_min {self.age_min} is above age_max {self.age_max}")
        seen: set[str] = set()
        for variant in self.variants:
            if variant.id in seen:
                raise ValueError(f"variant id {variant.id!r} appears twice")
            seen.add(variant.id)
        return self

    @property
    def in_stock(self) -> bool:
        """Buyable now: the product is in stock and, if it has variants, at least one is."""
        if self.availability != "in_stock":
            return False
        return not self.variants or any(v.in_stock for v in self.variants)

    def title_for(self, locale: str) -> str:
        return pick_text(self.title, locale)

    def description_for(self, locale: str) -> str:
        return pick_text(self.description, locale)

    def variant_price(self, variant: Variant) -> int:
        return self.price if variant.price is None else variant.price

    def suits_age(self, age: int) -> bool:
        return self.age_min <= age <= self.age_max


__all__ = ["Availability", "Gender", "Product", "Variant"]
