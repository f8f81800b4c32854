"""Messenger webhook body -> Inbound events, in the order Meta sent them."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError

from flows import (
    ChoiceInput,
    Event,
    ImageInput,
    LocationInput,
    MediaInput,
    StartInput,
    TextInput,
)

from ..base import (
    BadPayload,
    EchoInbound,
    Inbound,
    MessageInbound,
    StatusInbound,
    UnknownInbound,
)
from ..meta import edit_inbound, load_object, reaction_inbound, validation_summary
from ..meta_comments import page_feed_change
from .payload import Message, Messaging, Notification, Postback, Referral

log = logging.getLogger("shopchat.adapters.messenger")

CHANNEL = "messenger"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_body(body: bytes, page_id: str | None) -> list[Inbound]:
    """Every ``messaging`` event in ``body`` for ``page_id`` (None: for any page)."""
    data = load_object(body, "page")
    try:
        notification = Notification.model_validate(data)
        events: list[Inbound] = []
        for entry in notification.entry:
            if page_id is not None and entry.id != page_id:
                log.warning(
                    "dropping %d event(s) for page %s: this channel serves page %s",
                    len(entry.messaging),
                    entry.id,
                    page_id,
                )
                continue
            for raw in entry.messaging:
                events.append(_event(Messaging.model_validate(raw), raw, entry.id))
            for change in entry.changes:
                events.append(_change(change, entry.id, entry.time))
    except ValidationError as exc:
        raise BadPayload(f"not a Messenger notification: {validation_summary(exc)}") from None
    return events


def _change(change: dict[str, Any], page: str, time: int | None) -> Inbound:
    """A Page subscription change: ``feed`` comments matter, the rest is acknowledged."""
    if change.get("field") == "feed":
        return page_feed_change(CHANNEL, page, change.get("value"), _time(time))
    digest = hashlib.sha256(orjson.dumps(change, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]
    return UnknownInbound(
        channel=CHANNEL,
        event_id=f"change:{digest}",
        meta={"page_id": page, "field": str(change.get("field"))[:40]},
    )


def _time(ms: int | None) -> datetime | None:
    """Messenger timestamps are Unix milliseconds."""
    if ms is None:
        return None
    try:
        return _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        raise BadPayload(f"timestamp {ms} is out of range") from None


def _event(item: Messaging, raw: dict[str, Any], page: str) -> Inbound:
    psid = item.sender.id
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "conversation_id": f"{CHANNEL}:{psid}",
        "recipient": psid,
        "user": {"id": psid},
        "sent_at": _time(item.timestamp),
    }
    meta: dict[str, Any] = {"page_id": page}
    if item.message is not None and item.message.is_echo:
        return _echo(item.message, item.recipient.id, page, item.timestamp)
    if item.message is not None:
        m = item.message
        reply_to = m.reply_to.mid if m.reply_to and m.reply_to.mid else None
        event = _message_event(m, meta)
        if event is None:
            if reply_to is not None:
                meta["reply_to"] = reply_to
            return UnknownInbound(event_id=m.mid, meta=meta, **common)
        return MessageInbound(event_id=m.mid, event=event, reply_to=reply_to, meta=meta, **common)
    if item.postback is not None:
        event_id = item.postback.mid or f"postback:{psid}:{item.timestamp}"
        event = _postback_event(item.postback, meta)
        if event is None:
            return UnknownInbound(event_id=event_id, meta=meta, **common)
        return MessageInbound(event_id=event_id, event=event, meta=meta, **common)
    if item.referral is not None:
        # A shopper already talking to the page followed an m.me link or ad again.
        referral = item.referral
        meta.update(_referral_meta(referral))
        event_id = f"referral:{psid}:{item.timestamp}"
        return MessageInbound(
            event_id=event_id, event=StartInput(payload=referral.ref), meta=meta, **common
        )
    if item.reaction is not None:
        return reaction_inbound(psid, item.reaction, item.timestamp, meta, common)
    if item.message_edit is not None:
        return edit_inbound(item.message_edit, meta, common)
    if item.delivery is not None:
        d = item.delivery
        meta.update(watermark=d.watermark, mids=list(d.mids))
        event_id = f"delivery:{psid}:{d.watermark}"
        return StatusInbound(event_id=event_id, status="delivered", meta=meta, **common)
    if item.read is not None:
        meta.update(watermark=item.read.watermark)
        event_id = f"read:{psid}:{item.read.watermark}"
        return StatusInbound(event_id=event_id, status="read", meta=meta, **common)
    # optins, reactions, account linking, policy enforcement...: acknowledged, not handled.
    fields = sorted(k for k in raw if k not in ("sender", "recipient", "timestamp"))
    meta["fields"] = fields
    digest = hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]
    return UnknownInbound(event_id=f"unknown:{digest}", meta=meta, **common)


def _echo(m: Message, psid: str, page: str, timestamp: int | None) -> Inbound:
    """The page's own message (sent by us, another app or a person in the Page inbox)."""
    return EchoInbound(
        channel=CHANNEL,
        event_id=m.mid,
        conversation_id=f"{CHANNEL}:{psid}",
        recipient=psid,
        sent_at=_time(timestamp),
        text=m.text,
        app_id=m.app_id,
        metadata=m.metadata,
        meta={"page_id": page},
    )


def _message_event(m: Message, meta: dict[str, Any]) -> Event | None:
    if m.quick_reply is not None:
        return ChoiceInput(payload=m.quick_reply.payload, label=m.text or None)
    if m.text:
        return TextInput(text=m.text)
    if not m.attachments:
        return None
    if len(m.attachments) > 1:
        meta["attachments"] = len(m.attachments)
    first = m.attachments[0]
    meta["attachment_type"] = first.type
    payload = first.payload
    if first.type == "image" and payload is not None:
        if payload.sticker_id is not None:
            meta["sticker_id"] = payload.sticker_id
            return MediaInput(media="sticker")
        return ImageInput(url=payload.url)
    if first.type == "location" and payload is not None and payload.coordinates is not None:
        c = payload.coordinates
        return LocationInput(latitude=c.lat, longitude=c.long, name=first.title)
    # Voice notes and audio, videos, files, shared posts: answered with what the shop can do.
    media = {"audio": "audio", "video": "video", "file": "file"}.get(first.type, "other")
    return MediaInput(media=media)  # type: ignore[arg-type]


def _postback_event(p: Postback, meta: dict[str, Any]) -> Event | None:
    if p.referral is not None:
        # "Get Started" pressed after following an m.me?ref= link: the ref starts the talk.
        meta.update(_referral_meta(p.referral))
        if p.payload:
            meta["postback_payload"] = p.payload
        return StartInput(payload=p.referral.ref)
    if p.payload is None:
        return None
    return ChoiceInput(payload=p.payload, label=p.title or None)


def _referral_meta(referral: Referral) -> dict[str, Any]:
    return {
        key: value
        for key, value in (("referral_source", referral.source), ("referral_type", referral.type))
        if value
    }
