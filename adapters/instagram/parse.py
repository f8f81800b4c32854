"""An Instagram webhook body (``object: instagram``) -> Inbound events, in Meta's order.

``entry[].messaging[]`` are direct messages (the Messenger Platform shape with Instagram's
own parts: story replies, story mentions, ``read.mid``); ``entry[].changes[]`` with
``field: comments`` are public comments (adapters/meta_comments.py). The account's own
messages come back as echoes (``is_echo``) and are never answered.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from flows import ChoiceInput, Event, ImageInput, MediaInput, TextInput

from ..base import (
    BadPayload,
    EchoInbound,
    Inbound,
    MessageInbound,
    StatusInbound,
    UnknownInbound,
)
from ..meta import edit_inbound, load_object, reaction_inbound, validation_summary
from ..meta_comments import instagram_comment_change

log = logging.getLogger("shopchat.adapters.instagram")

CHANNEL = "instagram"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Party(_Model):
    id: str


class QuickReply(_Model):
    payload: str


class AttachmentPayload(_Model):
    url: str | None = None


class Attachment(_Model):
    type: str
    payload: AttachmentPayload | None = None


class Story(_Model):
    id: str | None = None
    url: str | None = None


class ReplyTo(_Model):
    mid: str | None = None
    story: Story | None = None


class Message(_Model):
    mid: str
    text: str | None = None
    quick_reply: QuickReply | None = None
    attachments: list[Attachment] = []
    reply_to: ReplyTo | None = None
    is_echo: bool = False
    is_deleted: bool = False
    is_unsupported: bool = False


class Postback(_Model):
    mid: str | None = None
    title: str | None = None
    payload: str | None = None


class Read(_Model):
    mid: str | None = None
    watermark: int | None = None


class Messaging(_Model):
    sender: Party
    recipient: Party
    timestamp: int | None = None
    message: Message | None = None
    postback: Postback | None = None
    read: Read | None = None
    reaction: dict[str, Any] | None = None
    message_edit: dict[str, Any] | None = None


class Entry(_Model):
    id: str
    time: int | None = None
    messaging: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []


class Notification(_Model):
    object: str
    entry: list[Entry]


def parse_body(body: bytes, account_id: str | None) -> list[Inbound]:
    data = load_object(body, "instagram")
    events: list[Inbound] = []
    try:
        notification = Notification.model_validate(data)
        for entry in notification.entry:
            if account_id is not None and entry.id != account_id:
                log.warning(
                    "dropping events for Instagram account %s (serving %s)", entry.id, account_id
                )
                continue
            for raw in entry.messaging:
                events.append(_event(Messaging.model_validate(raw), raw, entry.id))
            for change in entry.changes:
                events.append(_change(change, entry.id, entry.time))
    except ValidationError as exc:
        raise BadPayload(f"not an Instagram notification: {validation_summary(exc)}") from None
    return events


def _time(value: int | None) -> datetime | None:
    """Messaging timestamps are milliseconds; an entry's ``time`` may be seconds."""
    if value is None:
        return None
    try:
        if value < 10**11:
            return _EPOCH + timedelta(seconds=value)
        return _EPOCH + timedelta(milliseconds=value)
    except OverflowError:
        raise BadPayload(f"timestamp {value} is out of range") from None


def _change(change: dict[str, Any], account: str, time: int | None) -> Inbound:
    if change.get("field") == "comments":
        return instagram_comment_change(CHANNEL, account, change.get("value"), _time(time))
    digest = hashlib.sha256(orjson.dumps(change, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]
    meta = {"account_id": account, "field": str(change.get("field"))[:40]}
    return UnknownInbound(channel=CHANNEL, event_id=f"change:{digest}", meta=meta)


def _event(item: Messaging, raw: dict[str, Any], account: str) -> Inbound:
    if item.message is not None and item.message.is_echo:
        # The account's own message (ours, or a person's in the Instagram inbox).
        shopper = item.recipient.id
        return EchoInbound(
            channel=CHANNEL,
            event_id=item.message.mid,
            conversation_id=f"{CHANNEL}:{shopper}",
            recipient=shopper,
            sent_at=_time(item.timestamp),
            text=item.message.text,
            meta={"account_id": account},
        )
    igsid = item.sender.id
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "conversation_id": f"{CHANNEL}:{igsid}",
        "recipient": igsid,
        "user": {"id": igsid},
        "sent_at": _time(item.timestamp),
    }
    meta: dict[str, Any] = {"account_id": account}
    if item.message is not None:
        m = item.message
        reply_to = m.reply_to.mid if m.reply_to is not None and m.reply_to.mid else None
        event = _message_event(m, meta)
        if event is None:
            return UnknownInbound(event_id=m.mid, meta=meta, **common)
        return MessageInbound(event_id=m.mid, event=event, reply_to=reply_to, meta=meta, **common)
    if item.postback is not None:
        p = item.postback
        event_id = p.mid or f"postback:{igsid}:{item.timestamp}"
        if p.payload is None:
            return UnknownInbound(event_id=event_id, meta=meta, **common)
        choice = ChoiceInput(payload=p.payload, label=p.title or None)
        return MessageInbound(event_id=event_id, event=choice, meta=meta, **common)
    if item.read is not None:
        seen = item.read.mid or str(item.read.watermark or item.timestamp)
        return StatusInbound(
            event_id=f"read:{igsid}:{seen}",
            status="read",
            message_id=item.read.mid,
            meta=meta,
            **common,
        )
    if item.reaction is not None:
        return reaction_inbound(igsid, item.reaction, item.timestamp, meta, common)
    if item.message_edit is not None:
        return edit_inbound(item.message_edit, meta, common)
    # referrals, handovers...: acknowledged, not handled.
    meta["fields"] = sorted(k for k in raw if k not in ("sender", "recipient", "timestamp"))
    digest = hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]
    return UnknownInbound(event_id=f"unknown:{digest}", meta=meta, **common)


def _message_event(m: Message, meta: dict[str, Any]) -> Event | None:
    if m.is_deleted:
        meta["deleted"] = True  # the shopper unsent it: nothing to answer
        return None
    if m.is_unsupported:
        # A kind Instagram does not pass on to apps: answered with what the shop can do.
        meta["unsupported"] = True
        return MediaInput(media="other")
    if m.reply_to is not None and m.reply_to.story is not None:
        meta["story_reply"] = m.reply_to.story.url or m.reply_to.story.id
    if m.quick_reply is not None:
        return ChoiceInput(payload=m.quick_reply.payload, label=m.text or None)
    if m.text:
        return TextInput(text=m.text)
    if not m.attachments:
        return None
    first = m.attachments[0]
    url = first.payload.url if first.payload is not None else None
    meta["attachment_type"] = first.type
    if url:
        meta["attachment_url"] = url
    if first.type == "story_mention":
        # The shopper mentioned the account in their story: answer it like a picture.
        meta["story_mention"] = True
        return ImageInput(url=url)
    if first.type == "image":
        return ImageInput(url=url)
    # Voice notes and audio, videos, files, shared posts and reels: the shop cannot read
    # them, and says so with what it can do.
    media = {"audio": "audio", "video": "video", "file": "file"}.get(first.type, "other")
    return MediaInput(media=media)  # type: ignore[arg-type]
