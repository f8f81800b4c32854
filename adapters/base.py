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
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from flows import Event, Reply

InboundKind = Literal[
    "message",  # something the shopper said or pressed: run it through the engine
    "status",  # delivery / read / sent / failed receipts: record, never answer
    "echo",  # the page's own message coming back (Messenger is_echo): never answer
    "pre_checkout",  # Telegram pre_checkout_query: must be answered within 10 s
    "payment",  # Telegram successful_payment
    "comment",  # a public comment under a post (Page feed, Instagram): maybe a private reply
    "unknown",  # a shape we don't handle: acknowledge and log
]


class Inbound(BaseModel):
    """One platform event, normalised. JSON-serialisable: it is what the inbox stores."""

    model_config = ConfigDict(frozen=True)

    channel: str  # "telegram" | "whatsapp" | "messenger" | "web"
    event_id: str  # the platform's id, unique per channel: update_id, wamid, mid, status id
    kind: InboundKind
    conversation_id: str = ""  # f"{channel}:{address}", empty for events with no conversation
    recipient: str = ""  # where replies go: Telegram chat_id, WhatsApp wa_id, Messenger PSID
    event: Event | None = None  # what the engine runs, for kind == "message"
    user: dict[str, Any] = Field(default_factory=dict)  # id, name, first_name
    locale: str | None = None  # the platform's language hint (Telegram language_code)
    sent_at: datetime | None = None  # the platform's timestamp, aware UTC
    meta: dict[str, Any] = Field(default_factory=dict)  # callback_query_id, status details...


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
    "Inbound",
    "InboundKind",
    "OutboundCall",
    "PayloadMap",
    "RenderContext",
    "SendResult",
    "WebhookRejected",
]
