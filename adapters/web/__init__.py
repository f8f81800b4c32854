"""The web chat channel: a page on the shop's site talking to the engine over a WebSocket.

The browser sends JSON frames::

    {"id": "<uuid>", "type": "text", "text": "hi"}
    {"id": "<uuid>", "type": "choice", "payload": "gift", "label": "Find a gift"}
    {"id": "<uuid>", "type": "start"}
    {"id": "<uuid>", "type": "media", "media": "audio"}   # or image, file, video, sticker...

(a ``media`` frame says the shopper sent something the page does not upload: a recorded
voice note, a dropped file or picture, with an optional ``caption``; the shop answers it in
the shopper's language with what it can do, or reads an image's caption as text)

and receives one frame per reply: ``{"type": "text", "text", "choices": [{label, payload}]}``,
``{"type": "products", "cards": [...]}``, ``{"type": "image", "url", "caption"}``, each with
the conversation's ``locale``. The frame id is the dedupe key: a browser that resends after a
reconnect is answered once. The socket itself (its secret, its origin, frames that are not
text) is bot/webchat.py's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import orjson

from flows import (
    ChoiceInput,
    ImageInput,
    ImageReply,
    MediaInput,
    ProductCards,
    Reply,
    StartInput,
    TextInput,
    TextReply,
)

from ..base import BadPayload, Inbound, MessageInbound, OutboundCall, RenderContext

_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # ASCII only, whole string (fullmatch)
MAX_TEXT = 4000


class WebChannel:
    name = "web"

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """The socket itself is the session; frames are checked by ``parse_frame``."""

    def parse(self, body: bytes) -> list[Inbound]:
        raise BadPayload("the web channel receives frames over its WebSocket")

    def parse_frame(
        self, ref: str, frame: str | bytes, *, locale: str | None = None
    ) -> MessageInbound:
        """One browser frame of the chat ``web:<ref>``; BadPayload if it is not one.

        ``ref`` is the conversation's public reference, never the browser's secret
        (bot/webchat.py): it is what agents, logs and the outbox see."""
        try:
            data = orjson.loads(frame)
        except orjson.JSONDecodeError as exc:
            raise BadPayload(f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise BadPayload("a frame is a JSON object")
        frame_id = data.get("id")
        if not isinstance(frame_id, str) or not _ID.fullmatch(frame_id):
            raise BadPayload("a frame needs an 'id' of 8-64 letters, digits, '-' or '_'")
        kind = data.get("type")
        event: Any
        if kind == "text":
            text = data.get("text")
            if not isinstance(text, str) or not text.strip():
                raise BadPayload("a text frame needs a non-empty 'text'")
            event = TextInput(text=text[:MAX_TEXT])
        elif kind == "choice":
            payload = data.get("payload")
            label = data.get("label")
            if not isinstance(payload, str) or not payload:
                raise BadPayload("a choice frame needs a 'payload'")
            event = ChoiceInput(
                payload=payload[:1000], label=label if isinstance(label, str) else None
            )
        elif kind == "start":
            payload = data.get("payload")
            event = StartInput(payload=payload if isinstance(payload, str) else None)
        elif kind == "media":
            event = _media(data)
        else:
            raise BadPayload(f"unknown frame type {kind!r}")
        return MessageInbound(
            channel=self.name,
            event_id=f"{ref}:{frame_id}",
            conversation_id=f"web:{ref}",
            recipient=ref,
            event=event,
            locale=locale,
            sent_at=datetime.now(UTC),
        )

    def render(
        self, recipient: str, replies: list[Reply], ctx: RenderContext
    ) -> list[OutboundCall]:
        # The locale rides on every frame: the page follows the shopper's language (its
        # controls, ``lang`` and ``dir``) when she switches mid-conversation.
        return [
            OutboundCall("reply", {**frame(reply), "locale": ctx.locale}, f"web:{recipient}")
            for reply in replies
        ]


_MEDIA = frozenset({"audio", "sticker", "file", "video", "location", "contact", "reaction"})


def _media(data: dict[str, Any]) -> ImageInput | MediaInput:
    media = data.get("media")
    caption = data.get("caption")
    if media == "image":
        text = caption[:MAX_TEXT] if isinstance(caption, str) and caption.strip() else None
        return ImageInput(caption=text)
    return MediaInput(media=media if media in _MEDIA else "other")  # type: ignore[arg-type]


def frame(reply: Reply) -> dict[str, Any]:
    """The JSON frame for one reply."""
    if isinstance(reply, TextReply):
        return {"type": "text", "text": reply.text, "choices": [asdict(c) for c in reply.choices]}
    if isinstance(reply, ProductCards):
        cards = []
        for card in reply.cards:
            data = asdict(card)
            cards.append(data)
        return {"type": "products", "cards": cards}
    if isinstance(reply, ImageReply):
        return {"type": "image", "url": reply.url, "caption": reply.caption}
    raise TypeError(f"cannot render {type(reply).__name__}")


__all__ = ["WebChannel", "frame"]
