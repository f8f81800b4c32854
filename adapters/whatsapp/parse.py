"""WhatsApp webhook body -> Inbound events, in the order Meta sent them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from flows import (
    CatalogOrderInput,
    ChoiceInput,
    ContactInput,
    Event,
    ImageInput,
    LocationInput,
    MediaInput,
    OrderedItem,
    TextInput,
)
from shoptext import parse_ascii_int

from ..base import BadPayload, Inbound, MessageInbound, StatusInbound, UnknownInbound
from ..meta import load_object, validation_summary
from .payload import Message, Notification, Status, Value

log = logging.getLogger("shopchat.adapters.whatsapp")

CHANNEL = "whatsapp"
#: error codes of a failed status meaning "outside the 24-hour window" / "cannot be reached".
WINDOW_CLOSED = frozenset({131047})
UNREACHABLE = frozenset({131026, 131051})


def parse_body(body: bytes, phone_number_id: str | None) -> list[Inbound]:
    """Every message and status in ``body`` for ``phone_number_id`` (None: for any number)."""
    data = load_object(body, "whatsapp_business_account")
    try:
        notification = Notification.model_validate(data)
        events: list[Inbound] = []
        for entry in notification.entry:
            for change in entry.changes:
                if change.field != "messages":
                    log.debug("ignoring a %r change", change.field)
                    continue
                value = Value.model_validate(change.value)
                number = value.metadata.phone_number_id
                if phone_number_id is not None and number != phone_number_id:
                    log.warning(
                        "dropping %d event(s) for phone_number_id %s: this channel serves %s",
                        len(value.messages) + len(value.statuses),
                        number,
                        phone_number_id,
                    )
                    continue
                events.extend(_value_events(value))
    except ValidationError as exc:
        raise BadPayload(f"not a WhatsApp notification: {validation_summary(exc)}") from None
    return events


def _value_events(value: Value) -> list[Inbound]:
    names = {c.wa_id: c.profile.name for c in value.contacts if c.profile and c.profile.name}
    number = value.metadata.phone_number_id
    events = [_message(m, names.get(m.sender), number) for m in value.messages]
    events.extend(_status(s, number) for s in value.statuses)
    return events


def _time(raw: str | int | None) -> datetime | None:
    """Meta's timestamps: strings of Unix seconds."""
    if raw is None:
        return None
    if isinstance(raw, str):
        seconds = parse_ascii_int(raw.strip())
        if seconds is None:  # "²" passes str.isdigit and then fails int()
            raise BadPayload(f"timestamp {raw[:20]!r} is not Unix seconds")
        raw = seconds
    try:
        return datetime.fromtimestamp(raw, UTC)
    except (OverflowError, OSError, ValueError):
        raise BadPayload(f"timestamp {raw} is out of range") from None


def _message(m: Message, name: str | None, number: str) -> Inbound:
    meta: dict[str, Any] = {"phone_number_id": number, "type": m.type}
    reply_to = m.context.id if m.context and m.context.id else None
    event = _event(m, meta)
    user: dict[str, Any] = {"id": m.sender}
    if name:
        user["name"] = name
        # The profile name is what the shopper chose to show; its first word greets them.
        user["first_name"] = name.split()[0]
    envelope: dict[str, Any] = {
        "channel": CHANNEL,
        "event_id": m.id,
        "conversation_id": f"{CHANNEL}:{m.sender}",
        "recipient": m.sender,
        "user": user,
        "sent_at": _time(m.timestamp),
    }
    if event is None:
        if reply_to is not None:
            meta["reply_to"] = reply_to
        return UnknownInbound(meta=meta, **envelope)
    return MessageInbound(event=event, reply_to=reply_to, meta=meta, **envelope)


# Message types the shop cannot read, as the engine's MediaInput kinds: answered with what
# the shop can do. ("system" notices and unknown future types stay unanswered.)
_MEDIA = {
    "audio": "audio",
    "voice": "audio",
    "video": "video",
    "sticker": "sticker",
    "document": "file",
    "unsupported": "other",
}


def _event(m: Message, meta: dict[str, Any]) -> Event | None:
    """The engine input of message ``m``; None (kind "unknown") for what we don't handle."""
    if m.type in _MEDIA:
        return MediaInput(media=_MEDIA[m.type])  # type: ignore[arg-type]
    if m.type == "reaction":
        emoji = (m.reaction or {}).get("emoji")
        return MediaInput(media="reaction") if emoji else None
    if m.type == "text" and m.text is not None:
        return TextInput(text=m.text.body)
    if m.type == "interactive" and m.interactive is not None:
        reply = m.interactive.button_reply or m.interactive.list_reply
        if reply is not None:
            if reply.description:
                meta["description"] = reply.description
            return ChoiceInput(payload=reply.id, label=reply.title or None)
        meta["interactive_type"] = m.interactive.type
        return None
    if m.type == "button" and m.button is not None:
        # A template's quick-reply button: the payload the template defined, else its text.
        return ChoiceInput(payload=m.button.payload or m.button.text, label=m.button.text or None)
    if m.type == "location" and m.location is not None:
        loc = m.location
        return LocationInput(
            latitude=loc.latitude, longitude=loc.longitude, name=loc.name, address=loc.address
        )
    if m.type == "image" and m.image is not None:
        # Cloud API media come as an id to download with the token, never as a public URL.
        if m.image.id:
            meta["media_id"] = m.image.id
        if m.image.mime_type:
            meta["mime_type"] = m.image.mime_type
        return ImageInput(url=None, caption=m.image.caption or None)
    if m.type == "contacts" and m.contacts:
        return _contact(m, meta)
    if m.type == "order" and m.order is not None:
        # A cart sent from the business's WhatsApp catalog: the shop re-prices it and checks
        # it out (the engine's CatalogOrderInput, see checkout's cart.from_catalog_order).
        order = m.order
        meta["catalog_id"] = order.catalog_id
        return CatalogOrderInput(
            items=tuple(
                OrderedItem(
                    retailer_id=item.product_retailer_id,
                    quantity=item.quantity,
                    price=item.item_price
                    if item.item_price is not None and item.item_price.is_finite()
                    else None,
                    currency=item.currency.strip().upper() or None,
                )
                for item in order.product_items
            ),
            text=order.text or None,
            catalog_id=order.catalog_id,
        )
    if m.errors:
        meta["errors"] = [e.summary() for e in m.errors]
    return None


def _contact(m: Message, meta: dict[str, Any]) -> Event | None:
    assert m.contacts
    card = m.contacts[0]
    phone = next((p.phone or p.wa_id for p in card.phones if p.phone or p.wa_id), None)
    if phone is None:
        return None
    name = card.name.formatted_name or card.name.first_name if card.name else None
    if len(m.contacts) > 1:
        meta["contacts"] = len(m.contacts)
    return ContactInput(phone=phone, name=name)


def _status(s: Status, number: str) -> Inbound:
    codes = {e.code for e in s.errors}
    meta: dict[str, Any] = {
        "phone_number_id": number,
        "recipient_id": s.recipient_id,
        "errors": [e.summary() for e in s.errors],
    }
    return StatusInbound(
        channel=CHANNEL,
        # sent, delivered and read of one message are distinct events, not duplicates
        event_id=f"{s.id}:{s.status}",
        conversation_id=f"{CHANNEL}:{s.recipient_id}" if s.recipient_id else "",
        recipient=s.recipient_id,
        sent_at=_time(s.timestamp),
        status=s.status,
        message_id=s.id,
        window_closed=bool(codes & WINDOW_CLOSED),
        unreachable=bool(codes & UNREACHABLE),
        meta=meta,
    )
