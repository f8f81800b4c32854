"""An order as the shop's tracking and payment-help flows see it. Money is integer minor units."""

from __future__ import annotations

import hmac
import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

OrderStatus = Literal[
    "pending_payment", "paid", "packed", "shipped", "delivered", "cancelled", "refunded"
]
PaymentStatus = Literal["paid", "pending", "failed"]
PaymentMethod = Literal["card", "blik", "transfer", "cod", "telegram", "stripe"]

MinorUnits = Annotated[int, Field(ge=0)]

_SHIPPED: frozenset[str] = frozenset({"shipped", "delivered"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A number typed without its country code still matches when this many digits agree.
_NATIONAL_DIGITS = 9


def order_number_key(number: str) -> str:
    """Compare order numbers the way people type them: ``"#tg 10234"`` == ``"TG-10234"``."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", number).upper() if ch.isalnum())


def phone_digits(phone: str) -> str:
    """Just the digits (any script), without an international ``00`` prefix."""
    digits = "".join(str(unicodedata.digit(ch)) for ch in phone if ch.isdigit())
    return digits[2:] if digits.startswith("00") else digits


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _check_money(value: Any) -> Any:
    if isinstance(value, float | bool | str):
        raise ValueError(
            f"must be a whole number of minor units (grosz, cents), e.g. 14999 for 149.99; "
            f"got {value!r}"
        )
    return value


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OrderItem(_Row):
    """One order line; the title is kept as it was when the order was placed."""

    product_id: Annotated[str, Field(min_length=1)]
    variant_id: str | None = None
    title: dict[str, str] | str
    quantity: Annotated[int, Field(ge=1)]
    price: MinorUnits  # per unit

    @field_validator("price", mode="before")
    @classmethod
    def _price(cls, value: Any) -> Any:
        return _check_money(value)


class Order(_Row):
    """A placed order with its payment and delivery state. Email or phone, at least one."""

    number: Annotated[str, Field(min_length=1)]
    email: str = ""
    phone: str = ""
    name: str = ""
    address: str = ""
    status: OrderStatus
    payment_status: PaymentStatus
    payment_method: PaymentMethod
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    items: Annotated[tuple[OrderItem, ...], Field(min_length=1)]
    discount: MinorUnits = 0
    discount_code: str | None = None
    shipping: MinorUnits = 0
    shipping_option: str | None = None
    total: MinorUnits
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    created_at: datetime
    conversation_id: str | None = None
    locale: str = "en"
    payment_link: str | None = None
    flag: str | None = None

    @field_validator("total", "shipping", "discount", mode="before")
    @classmethod
    def _money(cls, value: Any) -> Any:
        return _check_money(value)

    @field_validator("email", mode="after")
    @classmethod
    def _email(cls, value: str) -> str:
        if not value.strip():
            return ""
        if not _EMAIL.match(value.strip()):
            raise ValueError(f"{value!r} is not an email address")
        return value.strip()

    @field_validator("phone", mode="after")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not value.strip():
            return ""
        if not 7 <= len(phone_digits(value)) <= 15:
            raise ValueError(f"{value!r} is not a phone number (7 to 15 digits)")
        return value

    @field_validator("created_at", mode="after")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2025-11-03T09:14:00Z")
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _consistent(self) -> Order:
        if not (self.email or self.phone):
            raise ValueError("an order needs an email or a phone number")
        if self.status in _SHIPPED and not (self.carrier and self.tracking_number):
            raise ValueError(f"a {self.status} order needs carrier and tracking_number")
        if self.total != self.subtotal - self.discount + self.shipping:
            less = f" - discount {self.discount}" if self.discount else ""
            raise ValueError(
                f"total {self.total} is not items {self.subtotal}{less} + shipping {self.shipping}"
            )
        return self

    @property
    def subtotal(self) -> int:
        return sum(item.price * item.quantity for item in self.items)

    @property
    def awaiting_payment(self) -> bool:
        """The shopper still has to pay online (not cash on delivery, not a closed order)."""
        return (
            self.status == "pending_payment"
            and self.payment_status in ("pending", "failed")
            and self.payment_method != "cod"
        )

    def has_contact(self, contact: str) -> bool:
        """The order's email (any case) or phone (digits, with or without country code)."""
        contact = contact.strip()
        if "@" in contact:
            if not self.email:
                return False
            return _same(contact.casefold(), self.email.casefold())
        given, known = phone_digits(contact), phone_digits(self.phone)
        if len(given) < 7 or not known:
            return False
        if len(given) == len(known):
            return _same(given, known)
        shorter, longer = sorted((given, known), key=len)
        return len(shorter) >= _NATIONAL_DIGITS and _same(longer[-len(shorter) :], shorter)


__all__ = [
    "Order",
    "OrderItem",
    "OrderStatus",
    "PaymentMethod",
    "PaymentStatus",
    "order_number_key",
    "phone_digits",
]
