"""The WhatsApp Cloud API webhook body, as far as shopchat reads it.

Every model ignores fields it does not name: Meta adds fields over time and they must not turn
a good webhook into a 400.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Metadata(_Model):
    display_phone_number: str = ""
    phone_number_id: str


class Profile(_Model):
    name: str | None = None


class Sender(_Model):
    """``value.contacts[]``: who wrote, with the name on their profile."""

    wa_id: str
    profile: Profile | None = None


class ErrorInfo(_Model):
    code: int | None = None
    title: str | None = None
    message: str | None = None
    error_data: dict[str, object] | None = None

    def summary(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "title": self.title}
        if self.message:
            out["message"] = self.message
        details = (self.error_data or {}).get("details")
        if isinstance(details, str):
            out["details"] = details
        return out


class Text(_Model):
    body: str


class Reply(_Model):
    id: str
    title: str = ""
    description: str | None = None


class Interactive(_Model):
    type: str
    button_reply: Reply | None = None
    list_reply: Reply | None = None


class Button(_Model):
    payload: str | None = None
    text: str = ""


class Location(_Model):
    model_config = ConfigDict(allow_inf_nan=False)

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    name: str | None = None
    address: str | None = None


class Media(_Model):
    id: str | None = None
    mime_type: str | None = None
    caption: str | None = None


class CardName(_Model):
    formatted_name: str | None = None
    first_name: str | None = None


class CardPhone(_Model):
    phone: str | None = None
    wa_id: str | None = None


class ContactCard(_Model):
    name: CardName | None = None
    phones: list[CardPhone] = []


class OrderItem(_Model):
    # Only the id is needed: the shop re-prices every item, so a missing or odd price must not
    # make Meta's whole batch a 400 (it would retry it for days).
    product_retailer_id: str
    quantity: int = 1
    item_price: Annotated[Decimal, Field(allow_inf_nan=True)] | None = None  # NaN: unpriced
    currency: str = ""


class Order(_Model):
    catalog_id: str | None = None
    text: str | None = None
    product_items: list[OrderItem] = []


class Context(_Model):
    id: str | None = None


class Message(_Model):
    id: str
    sender: str = Field(alias="from")
    timestamp: str | int | None = None
    type: str
    context: Context | None = None
    text: Text | None = None
    interactive: Interactive | None = None
    button: Button | None = None
    location: Location | None = None
    image: Media | None = None
    contacts: list[ContactCard] | None = None
    order: Order | None = None
    errors: list[ErrorInfo] = []
    # {message_id, emoji}: emoji is empty when the shopper took the reaction back.
    reaction: dict[str, Any] | None = None


class Status(_Model):
    id: str
    status: str
    timestamp: str | int | None = None
    recipient_id: str = ""
    errors: list[ErrorInfo] = []


class Value(_Model):
    """``entry[].changes[].value`` of a ``messages`` change."""

    metadata: Metadata
    contacts: list[Sender] = []
    messages: list[Message] = []
    statuses: list[Status] = []


class Change(_Model):
    field: str
    value: dict[str, object] = {}


class Entry(_Model):
    id: str = ""
    changes: list[Change] = []


class Notification(_Model):
    object: str
    entry: list[Entry]
