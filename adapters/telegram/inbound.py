"""Telegram Update JSON -> :class:`~adapters.base.Inbound`.

Telegram posts one Update per request. A body that is not an Update (no JSON object with an
integer ``update_id``) is :class:`~adapters.base.BadPayload`. An Update whose inner shape we
cannot read becomes kind ``"unknown"`` instead: answering 400 would make Telegram retry it and
hold back the updates queued behind it, for an event we could never use anyway.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from adapters.base import (
    BadPayload,
    Inbound,
    MessageInbound,
    PayloadMap,
    PaymentInbound,
    PreCheckoutInbound,
    StatusInbound,
    UnknownInbound,
)
from flows import (
    ChoiceInput,
    ContactInput,
    Event,
    ImageInput,
    LocationInput,
    MediaInput,
    MediaKind,
    StartInput,
    TextInput,
)

from .shapes import CallbackQuery, Chat, ChatMemberUpdated, Message, PreCheckoutQuery, User

CHANNEL = "telegram"

# The update types this adapter reads, in the order it looks for them; pass them to setWebhook.
UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "pre_checkout_query",
    "my_chat_member",
    "message_reaction",
)

# "/start", "/start PAYLOAD" (a t.me/<bot>?start=PAYLOAD deep link), "/start@ShopBot" in groups
_START = re.compile(r"/start(?:@\w+)?(?:\s+(?P<payload>.*))?", re.IGNORECASE | re.DOTALL)

# What the shop cannot read, as the engine's MediaInput kinds: the shopper gets a short reply
# saying what the shop can do instead of silence.
_MEDIA: dict[str, MediaKind] = {
    "voice": "audio",
    "audio": "audio",
    "video_note": "video",
    "video": "video",
    "animation": "sticker",
    "sticker": "sticker",
    "dice": "sticker",
    "document": "file",
    "poll": "other",
    "game": "other",
    "story": "other",
}

# What a message we cannot answer carried, for the log ("sticker", "voice", ...)
_OTHER_CONTENT = (
    "animation",
    "audio",
    "document",
    "sticker",
    "video",
    "video_note",
    "voice",
    "dice",
    "poll",
    "game",
    "story",
    "invoice",
    "refunded_payment",
    "new_chat_members",
    "left_chat_member",
    "pinned_message",
)

# A bot removed from a group is "left"; a private chat that blocked the bot reads "kicked".
_GONE = frozenset({"kicked", "left"})


def parse_update(body: bytes, payloads: PayloadMap | None = None) -> list[Inbound]:
    """The one event in a webhook body; raises BadPayload if the body is not an Update."""
    update = _load(body)
    update_id: int = update["update_id"]
    update_type = next((key for key in UPDATE_TYPES if key in update), None)
    if update_type is None:
        other = next((key for key in update if key != "update_id"), None)
        return [_unknown(update_id, other, "update type not handled")]
    raw = update[update_type]
    try:
        if update_type == "callback_query":
            inbound = _callback(update_id, CallbackQuery.model_validate(raw), payloads)
        elif update_type == "pre_checkout_query":
            inbound = _pre_checkout(update_id, PreCheckoutQuery.model_validate(raw))
        elif update_type == "my_chat_member":
            inbound = _member(update_id, ChatMemberUpdated.model_validate(raw))
        elif update_type == "message_reaction":
            inbound = _reaction(update_id, raw)
        else:
            inbound = _message(update_id, update_type, Message.model_validate(raw), raw)
    except ValidationError as exc:
        return [_unknown(update_id, update_type, f"unreadable {update_type}: {_first_error(exc)}")]
    return [inbound]


def _load(body: bytes) -> dict[str, Any]:
    try:
        update = orjson.loads(body)
    except orjson.JSONDecodeError as exc:  # also bad UTF-8 and nesting past 1024 levels
        raise BadPayload(f"Telegram webhook body is not JSON: {exc}") from None
    if not isinstance(update, dict):
        raise BadPayload(f"Telegram webhook body is a JSON {type(update).__name__}, not an object")
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise BadPayload("Telegram webhook body has no integer update_id: not an Update")
    return update


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "value"
    return f"{where}: {error['msg']}"


def _meta(update_type: str | None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"update_type": update_type}
    meta.update({key: value for key, value in extra.items() if value is not None})
    return meta


def _unknown(update_id: int, update_type: str | None, reason: str) -> Inbound:
    return UnknownInbound(
        channel=CHANNEL,
        event_id=str(update_id),
        order_key=update_id,
        meta=_meta(update_type, reason=reason),
    )


def _user(user: User) -> dict[str, Any]:
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return {
        "id": user.id,
        "name": name,
        "first_name": user.first_name,
        "username": user.username,
    }


def _chat_as_user(chat: Chat) -> dict[str, Any]:
    """A channel or anonymous admin speaks as the chat itself."""
    name = chat.title or " ".join(part for part in (chat.first_name, chat.last_name) if part)
    return {"id": chat.id, "name": name, "first_name": name, "username": chat.username}


def _at(timestamp: int) -> datetime | None:
    """The aware UTC time of a Unix timestamp; None for 0 (an inaccessible message) or nonsense."""
    try:
        return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp > 0 else None
    except (OverflowError, OSError, ValueError):
        return None


def _conversation_id(chat_id: int) -> str:
    return f"{CHANNEL}:{chat_id}"


def _message(update_id: int, update_type: str, message: Message, raw: Any) -> Inbound:
    sender = message.from_
    if sender is not None:
        user = _user(sender)
    else:
        user = _chat_as_user(message.sender_chat or message.chat)
    envelope: dict[str, Any] = {
        "channel": CHANNEL,
        "event_id": str(update_id),
        "order_key": update_id,
        "user": user,
        "locale": sender.language_code if sender is not None else None,
        "sent_at": _at(message.date),
        "conversation_id": _conversation_id(message.chat.id),
        "recipient": str(message.chat.id),
    }
    meta = _meta(update_type, message_id=message.message_id, chat_type=message.chat.type)
    if update_type == "edited_channel_post":
        return UnknownInbound(meta=meta, **envelope)
    # An edited message is taken as a new message: a shopper who fixes a typo in "8 yaers"
    # means the corrected text as her answer now (docs/flows.md, "Messages the shop cannot
    # read"). Only a text edit counts; an edited caption or location says nothing new.
    paid = message.successful_payment
    if paid is not None:
        extras = paid.model_dump(
            include={"subscription_expiration_date", "is_recurring", "is_first_recurring"},
            exclude_none=True,
        )
        return PaymentInbound(
            charge_id=paid.telegram_payment_charge_id,
            provider_charge_id=paid.provider_payment_charge_id,
            currency=paid.currency,
            total_amount=paid.total_amount,
            invoice_payload=paid.invoice_payload,
            shipping_option_id=paid.shipping_option_id,
            order_info=paid.order_info,
            meta={**meta, **extras},
            **envelope,
        )
    if update_type == "edited_message" and message.text is None:
        return UnknownInbound(meta=meta, **envelope)
    event = _message_event(message)
    if event is None:
        content = next((key for key in _OTHER_CONTENT if key in raw), None)
        meta["content"] = content
        media = _MEDIA.get(content or "")
        if media is not None and message.chat.type == "private":
            return MessageInbound(event=MediaInput(media=media), meta=meta, **envelope)
        return UnknownInbound(meta=meta, **envelope)
    if message.contact is not None:
        meta["contact_user_id"] = message.contact.user_id
    elif message.photo:
        meta["file_id"] = max(message.photo, key=lambda size: size.width * size.height).file_id
    return MessageInbound(event=event, meta=meta, **envelope)


def _reaction(update_id: int, raw: Any) -> Inbound:
    """A reaction added to a message (``message_reaction``): answered, kindly; a removed one
    (an empty ``new_reaction``) is only acknowledged."""
    chat = raw.get("chat") if isinstance(raw, dict) else None
    user = raw.get("user") if isinstance(raw, dict) else None
    if not isinstance(chat, dict) or "id" not in chat:
        return _unknown(update_id, "message_reaction", "reaction without a chat")
    envelope: dict[str, Any] = {
        "channel": CHANNEL,
        "event_id": str(update_id),
        "order_key": update_id,
        "conversation_id": _conversation_id(chat["id"]),
        "recipient": str(chat["id"]),
        "user": _user(User.model_validate(user)) if isinstance(user, dict) else {},
        "sent_at": _at(raw.get("date", 0)) if isinstance(raw.get("date"), int) else None,
    }
    meta = _meta("message_reaction", message_id=raw.get("message_id"))
    if not raw.get("new_reaction") or chat.get("type", "private") != "private":
        return UnknownInbound(meta=meta, **envelope)
    return MessageInbound(event=MediaInput(media="reaction"), meta=meta, **envelope)


def _message_event(message: Message) -> Event | None:
    if message.text is not None:
        start = _START.fullmatch(message.text.strip())
        if start is not None:
            return StartInput(payload=(start.group("payload") or "").strip() or None)
        return TextInput(text=message.text)
    if message.photo:
        # Telegram gives a file_id, not a URL: the download URL embeds the bot token, so it is
        # left to whoever fetches the file (meta["file_id"], getFile).
        return ImageInput(caption=message.caption)
    if message.contact is not None:
        contact = message.contact
        name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
        return ContactInput(phone=contact.phone_number, name=name or None)
    if message.venue is not None:
        venue = message.venue
        return LocationInput(
            latitude=venue.location.latitude,
            longitude=venue.location.longitude,
            name=venue.title or None,
            address=venue.address or None,
        )
    if message.location is not None:
        return LocationInput(
            latitude=message.location.latitude, longitude=message.location.longitude
        )
    return None


def _button_label(message: Message | None, data: str) -> str | None:
    """The text of the pressed button, read back from the keyboard it sat on."""
    markup = message.reply_markup if message is not None else None
    rows = markup.get("inline_keyboard") if markup else None
    if not isinstance(rows, list):
        return None
    for row in rows:
        for button in row if isinstance(row, list) else ():
            if isinstance(button, dict) and button.get("callback_data") == data:
                text = button.get("text")
                return text if isinstance(text, str) else None
    return None


def _callback(update_id: int, query: CallbackQuery, payloads: PayloadMap | None) -> Inbound:
    message = query.message
    # Without a message (inline mode) the private chat with the presser is the only address.
    chat_id = message.chat.id if message is not None else query.from_.id
    meta = _meta("callback_query", message_id=message.message_id if message is not None else None)
    envelope: dict[str, Any] = {
        "channel": CHANNEL,
        "event_id": str(update_id),
        "order_key": update_id,
        "user": _user(query.from_),
        "locale": query.from_.language_code,
        "conversation_id": _conversation_id(chat_id),
        "recipient": str(chat_id),
    }
    if query.data is None:
        # The spinner still needs stopping: the query id stays with the event.
        return UnknownInbound(meta={**meta, "callback_query_id": query.id}, **envelope)
    payload = payloads.expand(query.data) if payloads is not None else None
    if payload is not None:
        meta["callback_data"] = query.data
    event = ChoiceInput(
        payload=payload if payload is not None else query.data,
        label=_button_label(message, query.data),
    )
    return MessageInbound(event=event, callback_query_id=query.id, meta=meta, **envelope)


def _pre_checkout(update_id: int, query: PreCheckoutQuery) -> Inbound:
    return PreCheckoutInbound(
        channel=CHANNEL,
        event_id=str(update_id),
        order_key=update_id,
        user=_user(query.from_),
        locale=query.from_.language_code,
        query_id=query.id,
        currency=query.currency,
        total_amount=query.total_amount,
        invoice_payload=query.invoice_payload,
        shipping_option_id=query.shipping_option_id,
        order_info=query.order_info,
        meta=_meta("pre_checkout_query"),
        # Pre-checkout comes from the buyer's private chat.
        conversation_id=_conversation_id(query.from_.id),
        recipient=str(query.from_.id),
    )


def _member(update_id: int, change: ChatMemberUpdated) -> Inbound:
    new, old = change.new_chat_member.status, change.old_chat_member.status
    return StatusInbound(
        channel=CHANNEL,
        event_id=str(update_id),
        order_key=update_id,
        user=_user(change.from_),
        locale=change.from_.language_code,
        sent_at=_at(change.date),
        blocked=new in _GONE,
        meta=_meta("my_chat_member", old_status=old, new_status=new, chat_type=change.chat.type),
        conversation_id=_conversation_id(change.chat.id),
        recipient=str(change.chat.id),
    )


__all__ = ["UPDATE_TYPES", "parse_update"]
