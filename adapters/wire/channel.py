"""The Wire channel (through Roman): authenticate, parse and render (``sender`` sends).

Roman authenticates every webhook with ``Authorization: Bearer <service authentication>``,
the secret it showed when the service was created; it is compared in constant time.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from flows import Reply

from ..base import Inbound, MessageInbound, OutboundCall, RenderContext, WebhookRejected
from .parse import CHANNEL, parse_body
from .render import render_reply

PICK_TEXTS = {
    "en": "Which one would you like?",
    "pl": "Który wybierasz?",
    "es": "¿Cuál te gusta?",
    "ru": "Какой выбираете?",
    "fa": "کدام را می‌خواهید؟",
}


class PollBook(Protocol):
    """Keeps what each poll's buttons mean: Roman sends back only the poll id and an offset."""

    def keep(self, key: str, payload: str) -> None: ...

    def recall(self, key: str) -> str | None: ...


def _poll_key(poll_id: str) -> str:
    return f"wire-poll:{poll_id}"


class WireChannel:
    name = CHANNEL

    def __init__(
        self,
        service_token: str,
        polls: PollBook,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not service_token:
            raise ValueError("WireChannel needs the service authentication token")
        self._expected = f"Bearer {service_token}".encode()
        self.polls = polls
        self.clock = clock

    def __repr__(self) -> str:
        return "WireChannel()"

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        given = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        if given is None:
            raise WebhookRejected(401, "missing Authorization")
        if not hmac.compare_digest(given.strip().encode(), self._expected):
            raise WebhookRejected(403, "Authorization does not match the service token")

    def parse(self, body: bytes) -> list[Inbound]:
        return parse_body(body, self._recall, self.clock)

    def _recall(self, poll_id: str) -> list[str] | None:
        raw = self.polls.recall(_poll_key(poll_id))
        if raw is None:
            return None
        try:
            payloads = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        return [str(p) for p in payloads] if isinstance(payloads, list) else None

    def render(
        self, recipient: str, replies: list[Reply], ctx: RenderContext
    ) -> list[OutboundCall]:
        if not recipient:
            return []
        pick = PICK_TEXTS.get(ctx.locale.split("-")[0], PICK_TEXTS["en"])
        envelope: dict[str, Any] = {"bot": recipient}
        inbound = ctx.reply_to
        if isinstance(inbound, MessageInbound) and inbound.recipient == recipient:
            envelope.update(_event_token(inbound))
        # The turn's own payload store when it can keep keyed payloads (its writes commit
        # with the turn), else the one this channel was given.
        book = ctx.payloads if callable(getattr(ctx.payloads, "keep", None)) else self.polls
        calls = []
        for reply in replies:
            for message in render_reply(reply, pick):
                if message["type"] == "poll":
                    message = self._with_poll_id(message, book)  # type: ignore[arg-type]
                calls.append(
                    OutboundCall(
                        message["type"], {**envelope, "message": message}, f"{CHANNEL}:{recipient}"
                    )
                )
        return calls

    def _with_poll_id(self, message: dict[str, Any], book: PollBook) -> dict[str, Any]:
        poll_id = str(uuid.uuid4())
        book.keep(_poll_key(poll_id), orjson.dumps(message["choices"]).decode())
        return {
            "type": "poll",
            "text": message["text"],
            "poll": {**message["poll"], "id": poll_id},
        }

    def confirm(self, inbound: Inbound) -> OutboundCall | None:
        """Roman's confirmation that a poll answer was recorded (the button shows it)."""
        if not isinstance(inbound, MessageInbound):
            return None
        user = inbound.user.get("id")
        if not inbound.poll_id or inbound.poll_offset is None or not user:
            return None
        poll = {
            "id": inbound.poll_id,
            "type": "confirmation",
            "offset": inbound.poll_offset,
            "userId": user,
        }
        payload: dict[str, Any] = {
            "bot": inbound.recipient,
            "message": {"type": "poll", "poll": poll},
            **_event_token(inbound),
        }
        return OutboundCall("poll", payload, inbound.conversation_id)


def _event_token(inbound: MessageInbound) -> dict[str, Any]:
    """The event's own token and until when it may be used (the sender checks the time)."""
    if not inbound.reply_token or inbound.reply_token_expires is None:
        return {}
    return {"token": inbound.reply_token, "token_until": inbound.reply_token_expires.timestamp()}
