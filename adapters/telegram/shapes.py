"""The part of Telegram's Update JSON the adapter reads, as strict pydantic models.

Only the fields we use are declared; everything else is ignored, because Telegram adds fields
with every Bot API release. Strict mode keeps ``"7"`` from passing as an id.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class User(_Shape):
    id: int
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


class Chat(_Shape):
    id: int
    type: str = "private"
    title: str | None = None  # groups and channels
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class Contact(_Shape):
    phone_number: str
    first_name: str = ""
    last_name: str | None = None
    user_id: int | None = None


class Location(_Shape):
    latitude: float
    longitude: float


class Venue(_Shape):
    location: Location
    title: str = ""
    address: str = ""


class PhotoSize(_Shape):
    file_id: str
    file_unique_id: str = ""
    width: int = 0
    height: int = 0


class SuccessfulPayment(_Shape):
    currency: str
    total_amount: int  # minor units of ``currency``
    invoice_payload: str
    telegram_payment_charge_id: str
    provider_payment_charge_id: str = ""
    shipping_option_id: str | None = None
    order_info: dict[str, Any] | None = None
    subscription_expiration_date: int | None = None
    is_recurring: bool | None = None
    is_first_recurring: bool | None = None


class Message(_Shape):
    """A Message, or the InaccessibleMessage (``date`` 0) a callback may carry."""

    message_id: int
    from_: User | None = Field(default=None, alias="from")
    sender_chat: Chat | None = None  # channel posts and anonymous group admins have no ``from``
    date: int
    chat: Chat
    text: str | None = None
    caption: str | None = None
    contact: Contact | None = None
    location: Location | None = None
    venue: Venue | None = None
    photo: list[PhotoSize] | None = None
    successful_payment: SuccessfulPayment | None = None
    reply_markup: dict[str, Any] | None = None


class CallbackQuery(_Shape):
    id: str
    from_: User = Field(alias="from")
    message: Message | None = None  # absent for buttons under inline-mode messages
    data: str | None = None  # absent for game buttons


class PreCheckoutQuery(_Shape):
    id: str
    from_: User = Field(alias="from")
    currency: str
    total_amount: int
    invoice_payload: str
    shipping_option_id: str | None = None
    order_info: dict[str, Any] | None = None


class ChatMember(_Shape):
    status: str  # creator | administrator | member | restricted | left | kicked


class ChatMemberUpdated(_Shape):
    chat: Chat
    from_: User = Field(alias="from")
    date: int
    old_chat_member: ChatMember
    new_chat_member: ChatMember


__all__ = [
    "CallbackQuery",
    "Chat",
    "ChatMember",
    "ChatMemberUpdated",
    "Contact",
    "Location",
    "Message",
    "PhotoSize",
    "PreCheckoutQuery",
    "SuccessfulPayment",
    "User",
    "Venue",
]
