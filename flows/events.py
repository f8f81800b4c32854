"""What a shopper can send: the channel-neutral input vocabulary of the engine.

Adapters turn platform JSON into these; the engine never sees platform payloads.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)


class TextInput(_Event):
    """The shopper typed something.

    ``meaning`` is an understanding of the text computed before the engine (the optional
    language model's, as :meth:`understanding.Understanding.to_dict`); without it the engine
    reads the text with the project's built-in understanding.
    """

    kind: Literal["text"] = "text"
    text: str
    meaning: dict[str, Any] | None = None


MediaKind = Literal[
    "audio", "sticker", "file", "video", "image", "location", "contact", "reaction", "other"
]


class MediaInput(_Event):
    """Something the shop cannot read: a voice note, a sticker, a document, a reaction...

    The engine answers it in the shopper's language with what the shop can do.
    """

    kind: Literal["media"] = "media"
    media: MediaKind = "other"


class ChoiceInput(_Event):
    """The shopper pressed a button, quick reply or list row carrying ``payload``."""

    kind: Literal["choice"] = "choice"
    payload: str
    label: str | None = None


class StartInput(_Event):
    """A conversation opened (``/start``, a deep link or referral), optionally with a payload."""

    kind: Literal["start"] = "start"
    payload: str | None = None
    # Set by the server only (an agent hands the conversation back into a flow); adapters
    # never fill it, so a shopper cannot start a flow that has no trigger.
    flow: str | None = None


class LocationInput(_Event):
    kind: Literal["location"] = "location"
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


class ContactInput(_Event):
    kind: Literal["contact"] = "contact"
    phone: str
    name: str | None = None


class ImageInput(_Event):
    kind: Literal["image"] = "image"
    url: str | None = None
    caption: str | None = None


class OrderedItem(BaseModel):
    """One line of a cart the shopper sent from a platform's catalog (WhatsApp ``product_items``).

    ``retailer_id`` is the catalog feed's ``id``: a product or a variant id. ``price`` and
    ``currency`` are what the platform showed the shopper (major units, ``Decimal``); the shop
    re-prices every line, so they are only compared, never charged.
    """

    model_config = ConfigDict(frozen=True)

    retailer_id: str
    quantity: int
    price: Decimal | None = None
    currency: str | None = None


class CatalogOrderInput(_Event):
    """The shopper sent a cart from the business's catalog (a WhatsApp ``order`` message).

    The engine starts the flow whose payload trigger is ``CATALOG_ORDER`` with the order in
    the slot ``catalog_order`` (``items``: ``retailer_id``, ``quantity``, ``price``,
    ``currency``; ``text``; ``catalog_id``); the checkout action ``cart.from_catalog_order``
    turns it into the shop's cart.
    """

    kind: Literal["catalog_order"] = "catalog_order"
    items: tuple[OrderedItem, ...] = ()
    text: str | None = None  # the note the shopper typed along with the cart
    catalog_id: str | None = None


class ActionResult(_Event):
    """The outcome of an :class:`~flows.replies.ActionCall` effect, fed back by the driver."""

    kind: Literal["action_result"] = "action_result"
    ok: bool = True
    value: Any = None
    error: str | None = None


class SetLocaleInput(_Event):
    """The channel told us the shopper's language changed (e.g. Telegram ``language_code``)."""

    kind: Literal["set_locale"] = "set_locale"
    locale: str


Event = Annotated[
    TextInput
    | ChoiceInput
    | StartInput
    | LocationInput
    | ContactInput
    | ImageInput
    | ActionResult
    | SetLocaleInput
    | MediaInput
    | CatalogOrderInput,
    Field(discriminator="kind"),
]

__all__ = [
    "ActionResult",
    "CatalogOrderInput",
    "ChoiceInput",
    "ContactInput",
    "Event",
    "ImageInput",
    "LocationInput",
    "MediaInput",
    "MediaKind",
    "OrderedItem",
    "SetLocaleInput",
    "StartInput",
    "TextInput",
]
