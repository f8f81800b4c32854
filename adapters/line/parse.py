"""A LINE webhook body -> Inbound events, in the order LINE sent them.

Body: ``{"destination": "U…", "events": [...]}``; an empty ``events`` list is LINE's "verify"
ping and yields nothing. Every event carries ``webhookEventId`` (a ULID, the same on every
redelivery: the inbox's dedupe key) and ``deliveryContext.isRedelivery``. A redelivered
event's reply token is not trusted: its answer goes by push.

Conversations are per source: a user's one-to-one chat (``userId``), a group (``groupId``) or
a multi-person room (``roomId``). Events in ``standby`` mode (another channel owns the chat)
are recorded, never answered.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flows import (
    ChoiceInput,
    Event,
    ImageInput,
    LocationInput,
    MediaInput,
    StartInput,
    TextInput,
)

from ..base import BadPayload, Inbound, MessageInbound, StatusInbound, UnknownInbound
from ..meta import validation_summary

log = logging.getLogger("shopchat.adapters.line")

CHANNEL = "line"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Model(BaseModel):
    # LINE adds fields without notice: unknown ones are ignored, never a 400.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Source(_Model):
    type: str
    user_id: str | None = Field(None, alias="userId")
    group_id: str | None = Field(None, alias="groupId")
    room_id: str | None = Field(None, alias="roomId")


class DeliveryContext(_Model):
    is_redelivery: bool = Field(False, alias="isRedelivery")


class ContentProvider(_Model):
    type: str
    original_content_url: str | None = Field(None, alias="originalContentUrl")


class Message(_Model):
    model_config = ConfigDict(
        extra="ignore", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    id: str
    type: str
    text: str | None = None
    package_id: str | None = Field(None, alias="packageId")
    sticker_id: str | None = Field(None, alias="stickerId")
    keywords: list[str] = []
    content_provider: ContentProvider | None = Field(None, alias="contentProvider")
    title: str | None = None
    address: str | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    quoted_message_id: str | None = Field(None, alias="quotedMessageId")


class Postback(_Model):
    data: str
    params: dict[str, str] | None = None


class Follow(_Model):
    is_unblocked: bool = Field(False, alias="isUnblocked")


class LineEvent(_Model):
    type: str
    webhook_event_id: str = Field(alias="webhookEventId", min_length=1, max_length=128)
    timestamp: int
    mode: str = "active"
    source: Source | None = None
    reply_token: str | None = Field(None, alias="replyToken")
    delivery_context: DeliveryContext | None = Field(None, alias="deliveryContext")
    message: Message | None = None
    postback: Postback | None = None
    follow: Follow | None = None


class Callback(_Model):
    destination: str | None = None
    events: list[dict[str, Any]]


def parse_body(body: bytes) -> list[Inbound]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadPayload(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadPayload("the body is not a JSON object")
    try:
        callback = Callback.model_validate(data)
        return [_event(LineEvent.model_validate(raw), raw) for raw in callback.events]
    except ValidationError as exc:
        raise BadPayload(f"not a LINE webhook: {validation_summary(exc)}") from None


def _address(source: Source | None) -> str:
    if source is None:
        return ""
    if source.type == "group" and source.group_id:
        return source.group_id
    if source.type == "room" and source.room_id:
        return source.room_id
    return source.user_id or ""


def _time(ms: int) -> datetime:
    try:
        return _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        raise BadPayload(f"timestamp {ms} is out of range") from None


#: LINE asks for a reply token to be used within a minute of the webhook; past this margin
#: the answer goes by push instead.
REPLY_TOKEN_LIFETIME = timedelta(seconds=50)


def _event(e: LineEvent, raw: dict[str, Any]) -> Inbound:
    address = _address(e.source)
    meta: dict[str, Any] = {"event_type": e.type, "mode": e.mode}
    sent_at = _time(e.timestamp)
    reply: dict[str, Any] = {}
    if e.delivery_context is not None and e.delivery_context.is_redelivery:
        meta["redelivery"] = True  # its reply token is not trusted: the answer is pushed
    elif e.reply_token:
        reply = {
            "reply_token": e.reply_token,
            "reply_token_expires": sent_at + REPLY_TOKEN_LIFETIME,
        }
    if e.source is not None and e.source.type != "user":
        meta["source_type"] = e.source.type
    user: dict[str, Any] = {}
    if e.source is not None and e.source.user_id:
        user["id"] = e.source.user_id
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "event_id": e.webhook_event_id,
        "conversation_id": f"{CHANNEL}:{address}" if address else "",
        "recipient": address,
        "user": user,
        "sent_at": sent_at,
    }
    if e.type == "unfollow":
        # The shopper blocked the account: stop messaging them until they follow again.
        return StatusInbound(blocked=True, meta=meta, **common)
    event = _inbound_event(e, meta)
    # In standby mode another channel answers this chat (LINE's module mode).
    if event is None or not address or e.mode == "standby":
        meta["fields"] = sorted(k for k in raw if k not in ("source", "timestamp"))
        return UnknownInbound(meta=meta, **common)
    return MessageInbound(event=event, meta=meta, **reply, **common)


def _inbound_event(e: LineEvent, meta: dict[str, Any]) -> Event | None:
    if e.type == "follow":
        # Added as a friend (or unblocked): greet like a first message.
        if e.follow is not None and e.follow.is_unblocked:
            meta["unblocked"] = True
        return StartInput()
    if e.type == "postback" and e.postback is not None:
        if e.postback.params:
            meta["params"] = dict(e.postback.params)
        return ChoiceInput(payload=e.postback.data)
    if e.type != "message" or e.message is None:
        return None
    m = e.message
    meta.update(message_id=m.id, message_type=m.type)
    if m.quoted_message_id:
        meta["quoted_message_id"] = m.quoted_message_id  # the quoted message's id
    if m.type == "text" and m.text:
        return TextInput(text=m.text)
    if m.type == "sticker":
        # A sticker has no words unless it is a message sticker (its text is read like a
        # picture's caption); otherwise the shop says it cannot read stickers.
        meta.update(sticker_id=m.sticker_id, package_id=m.package_id)
        return ImageInput(caption=m.text) if m.text else MediaInput(media="sticker")
    if m.type == "image":
        provider = m.content_provider
        url = provider.original_content_url if provider and provider.type == "external" else None
        return ImageInput(url=url)
    if m.type == "location" and m.latitude is not None and m.longitude is not None:
        return LocationInput(
            latitude=m.latitude, longitude=m.longitude, name=m.title, address=m.address
        )
    # Voice messages, videos, files and kinds LINE adds later: the shop cannot read them,
    # and says so with what it can do.
    media = {"audio": "audio", "video": "video", "file": "file"}.get(m.type, "other")
    return MediaInput(media=media)  # type: ignore[arg-type]
