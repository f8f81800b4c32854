"""The contract every channel adapter implements: webhook bytes in, platform API calls out.

    raw webhook bytes --verify()--> trusted bytes --parse()--> [Inbound, ...]
    engine replies --render()--> [OutboundCall, ...] --Sender.send()--> platform API

Nothing past ``parse`` sees platform JSON; no adapter sees flow state. Errors::

    AdapterError
     +-- WebhookRejected     verification failed: answer ``status`` (401/403), store nothing
     +-- BadPayload          verified but unusable (not JSON, wrong shape): answer 400
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from flows import Event, Reply

InboundKind = Literal[
    "message",  # something the shopper said or pressed: run it through the engine
    "status",  # delivery / read / sent / failed receipts, blocks: record, never answer
    "echo",  # the page's own message coming back (Messenger is_echo): never answer
    "pre_checkout",  # Telegram pre_checkout_query: must be answered within 10 s
    "payment",  # Telegram successful_payment
    "comment",  # a public comment under a post (Page feed, Instagram): maybe a private reply
    "unknown",  # a shape we don't handle: acknowledge and log
]


class InboundEnvelope(BaseModel):
    """What every platform event carries, whatever its kind. JSON: it is what the inbox stores.

    ``meta`` keeps platform extras for logs and the curious (Telegram's update_type, WhatsApp's
    phone_number_id, Messenger's watermark...); nothing decides behaviour on it. Whatever a kind
    needs is a typed field of its model below.
    """

    model_config = ConfigDict(frozen=True)

    # Rows the inbox stored before the kinds had their own fields kept this data in ``meta``:
    # field name -> the meta key it was under. Read once, when such a row is loaded.
    _legacy_meta: ClassVar[dict[str, str]] = {"order_key": "update_id"}

    channel: str  # "telegram" | "whatsapp" | "messenger" | "web"
    event_id: str  # the platform's id, unique per channel: update_id, wamid, mid, status id
    conversation_id: str = ""  # f"{channel}:{address}", empty for events with no conversation
    recipient: str = ""  # where replies go: Telegram chat_id, WhatsApp wa_id, Messenger PSID
    user: dict[str, Any] = Field(default_factory=dict)  # id, name, first_name
    locale: str | None = None  # the platform's language hint (Telegram language_code)
    sent_at: datetime | None = None  # the platform's timestamp, aware UTC
    # The platform's own order of its events (Telegram's update_id); None where it has none.
    order_key: int | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _lift_legacy_meta(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        meta = data.get("meta")
        # Every event built now: no legacy key in its meta (checked in C, not a loop here).
        if not meta or not isinstance(meta, dict) or _legacy_keys(cls).isdisjoint(meta):
            return data
        moves = {f: k for f, k in cls._legacy_meta.items() if f not in data and k in meta}
        if not moves:
            return data
        meta = dict(data["meta"])
        lifted = {field: meta.pop(key) for field, key in moves.items()}
        return {**data, **lifted, "meta": meta}


@cache
def _legacy_keys(cls: type[InboundEnvelope]) -> frozenset[str]:
    """The meta keys ``cls`` lifts into fields (its ``_legacy_meta`` values)."""
    return frozenset(cls._legacy_meta.values())


class MessageInbound(InboundEnvelope):
    """Something the shopper said or pressed: the engine runs ``event``."""

    _legacy_meta: ClassVar[dict[str, str]] = {
        **InboundEnvelope._legacy_meta,
        "callback_query_id": "callback_query_id",
        "reply_to": "reply_to",
    }

    kind: Literal["message"] = "message"
    event: Event
    callback_query_id: str | None = None  # Telegram: a pressed button spins until answered
    reply_to: str | None = None  # the platform id of the message the shopper replied to
    # LINE's replyToken, Wire's event token: answers this event, until reply_token_expires.
    reply_token: str | None = None
    reply_token_expires: datetime | None = None
    # A credential to keep for the whole conversation (Wire's bot_request token).
    conversation_token: str | None = None
    # Wire: the poll and button offset a press answers (Roman shows it confirmed).
    poll_id: str | None = None
    poll_offset: int | None = None


class StatusInbound(InboundEnvelope):
    """A receipt (sent, delivered, read, failed), or news of whether the shopper can be reached."""

    _legacy_meta: ClassVar[dict[str, str]] = {
        **InboundEnvelope._legacy_meta,
        "status": "status",
        "message_id": "message_id",
        "blocked": "blocked",
        "unreachable": "unreachable",
        "window_closed": "window_closed",
    }

    kind: Literal["status"] = "status"
    status: str | None = None  # "sent" | "delivered" | "read" | "failed"; None for a block
    message_id: str | None = None  # the message the receipt is about, where the platform says
    blocked: bool | None = None  # Telegram: the shopper blocked (True) or unblocked (False) us
    unreachable: bool = False  # WhatsApp: a failed send says the number cannot get messages
    window_closed: bool = False  # WhatsApp: a failed send fell outside the 24-hour window

    @property
    def reachable(self) -> bool | None:
        """Whether the shopper can get messages, if this event says; None if it does not."""
        if self.blocked is not None:
            return not self.blocked
        return False if self.unreachable else None


class EchoInbound(InboundEnvelope):
    """The page's own message coming back (sent by us, another app or a person in the inbox)."""

    _legacy_meta: ClassVar[dict[str, str]] = {
        **InboundEnvelope._legacy_meta,
        "text": "text",
        "app_id": "app_id",
        "metadata": "metadata",
    }

    kind: Literal["echo"] = "echo"
    text: str | None = None
    app_id: int | str | None = None  # the app that sent it; the Page inbox has its own
    metadata: str | None = None  # what the sender attached to the send


class PreCheckoutInbound(InboundEnvelope):
    """Telegram asks whether it may charge for an invoice: answer within 10 seconds."""

    _legacy_meta: ClassVar[dict[str, str]] = {
        **InboundEnvelope._legacy_meta,
        "query_id": "pre_checkout_query_id",
        "currency": "currency",
        "total_amount": "total_amount",
        "invoice_payload": "invoice_payload",
        "shipping_option_id": "shipping_option_id",
        "order_info": "order_info",
    }

    kind: Literal["pre_checkout"] = "pre_checkout"
    query_id: str
    currency: str
    total_amount: int  # minor units of ``currency``
    invoice_payload: str
    shipping_option_id: str | None = None
    order_info: dict[str, Any] | None = None  # name, phone_number, email, shipping_address


class PaymentInbound(InboundEnvelope):
    """Telegram says an invoice was paid (successful_payment)."""

    _legacy_meta: ClassVar[dict[str, str]] = {
        **InboundEnvelope._legacy_meta,
        "charge_id": "telegram_payment_charge_id",
        "provider_charge_id": "provider_payment_charge_id",
        "currency": "currency",
        "total_amount": "total_amount",
        "invoice_payload": "invoice_payload",
        "shipping_option_id": "shipping_option_id",
        "order_info": "order_info",
    }

    kind: Literal["payment"] = "payment"
    charge_id: str  # Telegram's telegram_payment_charge_id: the payment's idempotency key
    provider_charge_id: str = ""  # the payment provider's (Stripe's) id of the charge
    currency: str
    total_amount: int  # minor units of ``currency``
    invoice_payload: str
    shipping_option_id: str | None = None
    order_info: dict[str, Any] | None = None  # name, phone_number, email, shipping_address


class CommentInbound(InboundEnvelope):
    """A public comment under one of the shop's posts (a Facebook Page feed comment, an
    Instagram comment), in the commenter's conversation: answered at most once, in public
    and with one private reply (bot/comments.py). The account's own comments are echoes."""

    kind: Literal["comment"] = "comment"
    comment_id: str  # the Graph API id the public and private replies address
    text: str = ""
    link: str | None = None  # where the comment can be seen (the post's permalink)
    post_id: str | None = None  # Facebook: the post; Instagram: the media
    parent_id: str | None = None  # the comment this one answers, if it is a reply


class UnknownInbound(InboundEnvelope):
    """A shape we don't handle (an edit, a sticker, a reaction): acknowledged, logged, unanswered.

    ``meta`` says what it was.
    """

    kind: Literal["unknown"] = "unknown"


Inbound = Annotated[
    MessageInbound
    | StatusInbound
    | EchoInbound
    | PreCheckoutInbound
    | PaymentInbound
    | CommentInbound
    | UnknownInbound,
    Field(discriminator="kind"),
]
"""One platform event, normalised: a union tagged by ``kind``."""

_INBOUND: TypeAdapter[Inbound] = TypeAdapter(Inbound)


def inbound_from_json(data: str | bytes) -> Inbound:
    """The event stored as ``event.model_dump_json()``, of whichever kind it is."""
    return _INBOUND.validate_json(data)


@dataclass(frozen=True)
class OutboundCall:
    """One platform API request, as data so it can wait in the outbox and be retried.

    ``method`` is the Telegram Bot API method (``sendMessage``) or, for Meta, ``messages``.
    """

    method: str
    payload: dict[str, Any]
    conversation_id: str = ""


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status: int = 200
    retry_after: float | None = None  # seconds the platform asked us to wait
    permanent: bool = False  # a 4xx that will fail again: do not retry
    unreachable: bool = False  # the shopper blocked the bot / is unavailable
    error: str = ""
    response: dict[str, Any] = field(default_factory=dict)


@dataclass
class RenderContext:
    """What rendering needs to know about the conversation, supplied by the runtime."""

    now: datetime
    locale: str = "en"
    last_inbound_at: datetime | None = None  # for WhatsApp / Messenger 24-hour windows
    human_agent: bool = False  # an agent's reply (Messenger HUMAN_AGENT tag, 7 days)
    payloads: PayloadMap | None = None  # Telegram: long callback payloads kept server-side
    reply_to: Inbound | None = None  # the inbound event being answered, if any


class PayloadMap(Protocol):
    """Keeps button payloads too long for a platform (Telegram's 64-byte callback_data)."""

    def shorten(self, payload: str) -> str: ...

    def expand(self, token: str) -> str | None: ...


class AdapterError(Exception):
    """Base of the adapter errors."""


class WebhookRejected(AdapterError):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class BadPayload(AdapterError):
    """A verified body that cannot be understood; the webhook answers 400."""


class Channel(Protocol):
    """A messaging platform."""

    name: str

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise WebhookRejected unless the request provably comes from the platform."""

    def parse(self, body: bytes) -> list[Inbound]:
        """Every event in the (verified) body, in order; BadPayload if it isn't usable."""
        ...

    def render(
        self, recipient: str, replies: list[Reply], ctx: RenderContext
    ) -> list[OutboundCall]:
        """The API calls that show ``replies`` within the platform's limits."""
        ...


__all__ = [
    "AdapterError",
    "BadPayload",
    "Channel",
    "CommentInbound",
    "EchoInbound",
    "Inbound",
    "InboundEnvelope",
    "InboundKind",
    "MessageInbound",
    "OutboundCall",
    "PayloadMap",
    "PaymentInbound",
    "PreCheckoutInbound",
    "RenderContext",
    "SendResult",
    "StatusInbound",
    "UnknownInbound",
    "WebhookRejected",
    "inbound_from_json",
]
