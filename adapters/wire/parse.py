"""A Roman webhook body (one event) -> Inbound events.

Roman posts one JSON event per request. Every event names the bot instance (``botId``), which
Wire creates per conversation the bot is added to: the conversation is ``wire:<botId>``. Events
with a ``token`` may be answered with it for about 20 seconds; ``conversation.bot_request``'s
token is long-lived and is kept for the conversation (``conversation_token``).

    conversation.bot_request   the bot was added: keep its long-lived token, greet
    conversation.init          the conversation is ready (recorded; the greeting went already)
    conversation.new_text      a message: {"text": {"data": ...}} (older Roman: a plain string)
    conversation.image.preview / file.preview / audio.preview   an attachment on its way
    conversation.poll.action   a button of one of our polls: {"poll": {"id", "offset"}}
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flows import ChoiceInput, Event, ImageInput, MediaInput, StartInput, TextInput

from ..base import BadPayload, Inbound, MessageInbound, StatusInbound, UnknownInbound
from ..meta import validation_summary

log = logging.getLogger("shopchat.adapters.wire")

CHANNEL = "wire"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Text(_Model):
    data: str = ""


class Poll(_Model):
    id: str
    offset: int | None = Field(None, ge=0, le=1000)


class Attachment(_Model):
    mime_type: str | None = Field(None, alias="mimeType")
    name: str | None = None
    size: int | None = None


class RomanEvent(_Model):
    type: str = Field(min_length=1, max_length=64)
    bot_id: str = Field(alias="botId", min_length=1, max_length=64)
    user_id: str | None = Field(None, alias="userId")
    conversation_id: str | None = Field(None, alias="conversationId")
    conversation: str | None = None
    message_id: str | None = Field(None, alias="messageId")
    ref_message_id: str | None = Field(None, alias="refMessageId")
    handle: str | None = None
    locale: str | None = None
    token: str | None = None
    text: Text | str | None = None
    poll: Poll | None = None
    attachment: Attachment | None = None


PollLookup = Callable[[str], list[str] | None]


def parse_body(body: bytes, polls: PollLookup, now: Callable[[], datetime]) -> list[Inbound]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadPayload(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadPayload("the body is not a JSON object")
    try:
        e = RomanEvent.model_validate(data)
    except ValidationError as exc:
        raise BadPayload(f"not a Roman event: {validation_summary(exc)}") from None
    return [_event(e, data, polls, now())]


def _event_id(e: RomanEvent, raw: dict[str, Any]) -> str:
    if e.message_id:
        return f"{e.type}:{e.message_id}"
    if e.type in ("conversation.bot_request", "conversation.init"):
        return f"{e.type}:{e.bot_id}"  # once per bot instance
    digest = hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]
    return f"{e.type}:{digest}"


#: an event's token lasts about 20 seconds; past this margin the conversation's long-lived
#: token is used.
EVENT_TOKEN_LIFETIME = timedelta(seconds=15)


def _event(e: RomanEvent, raw: dict[str, Any], polls: PollLookup, now: datetime) -> Inbound:
    meta: dict[str, Any] = {"event_type": e.type, "bot_id": e.bot_id}
    tokens: dict[str, Any] = {}
    if e.token:
        # Kept with the event (the inbox is the one durable place it passes through), so a
        # reply rendered from it can use it while it lasts.
        tokens = {"reply_token": e.token, "reply_token_expires": now + EVENT_TOKEN_LIFETIME}
        if e.type == "conversation.bot_request":
            tokens["conversation_token"] = e.token
    if e.conversation_id:
        meta["wire_conversation"] = e.conversation_id
    if e.conversation:
        meta["conversation_name"] = e.conversation
    if e.ref_message_id:
        meta["reply_to"] = e.ref_message_id
    user: dict[str, Any] = {}
    if e.user_id:
        user["id"] = e.user_id
    if e.handle:
        user["name"] = e.handle
    envelope: dict[str, Any] = {
        "channel": CHANNEL,
        "event_id": _event_id(e, raw),
        "conversation_id": f"{CHANNEL}:{e.bot_id}",
        "recipient": e.bot_id,
        "user": user,
        "locale": (e.locale or "").replace("_", "-") or None,
        "sent_at": now.astimezone(UTC),
        "meta": meta,
    }
    if e.type == "conversation.init":
        return StatusInbound(status="ready", **envelope)  # bot_request was greeted already
    event = _inbound_event(e, meta, polls)
    if event is None:
        return UnknownInbound(**envelope)
    poll: dict[str, Any] = {}
    if isinstance(event, ChoiceInput) and e.poll is not None:
        poll = {"poll_id": e.poll.id, "poll_offset": e.poll.offset}
    return MessageInbound(event=event, **tokens, **poll, **envelope)


def _inbound_event(e: RomanEvent, meta: dict[str, Any], polls: PollLookup) -> Event | None:
    t = e.type
    if t == "conversation.bot_request":
        return StartInput()
    if t == "conversation.new_text":
        text = e.text.data if isinstance(e.text, Text) else (e.text or "")
        return TextInput(text=text) if text.strip() else None
    if t.endswith(".preview") and e.attachment is not None:
        meta.update(attachment_type=t.split(".")[1], mime_type=e.attachment.mime_type)
        if e.attachment.name:
            meta["attachment_name"] = e.attachment.name
        if t == "conversation.image.preview":
            return ImageInput()
        # A voice message, a video or a file: the shop cannot read it, and says so.
        kind = t.split(".")[1]
        return MediaInput(media=kind if kind in ("audio", "video") else "file")  # type: ignore[arg-type]
    if t == "conversation.poll.action" and e.poll is not None and e.poll.offset is not None:
        payloads = polls(e.poll.id)
        if payloads is None or e.poll.offset >= len(payloads):
            log.info("poll %s is not one of ours (or too old): ignored", e.poll.id)
            return None
        return ChoiceInput(payload=payloads[e.poll.offset])
    return None
