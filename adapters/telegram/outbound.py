"""Engine replies -> Telegram Bot API calls, within Telegram's limits.

Text goes out as HTML (``parse_mode: "HTML"``) with everything the shop wrote escaped, so a
merchant's ``<b>`` shows literally and only the adapter's own markup (a card's bold title) is
markup. Limits are measured on the visible text, before escaping, as Telegram measures them.
"""

from __future__ import annotations

import html
import re
from typing import Any, assert_never

from adapters.base import OutboundCall, PayloadMap
from flows import Choice, ImageReply, ProductCard, ProductCards, Reply, TextReply

from .errors import CALLBACK_DATA_LIMIT, CallbackDataTooLong
from .inbound import CHANNEL, UPDATE_TYPES
from .text import CAPTION_LIMIT, ELLIPSIS, MESSAGE_LIMIT, split_text, truncate, utf16_len

# Telegram refuses an empty message; a prompt with buttons but no words still needs one.
PLACEHOLDER_TEXT = ELLIPSIS
URL_BUTTON_PREFIX = "🔗 "  # a URL button's text is the product title: no translation needed
URL_BUTTON_TITLE_LIMIT = 40

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def escape(text: str) -> str:
    """Shop text made safe for ``parse_mode: "HTML"``."""
    return html.escape(text, quote=False)


def is_valid_secret_token(secret: str) -> bool:
    """Whether Telegram accepts ``secret`` as a webhook secret_token."""
    return _SECRET_TOKEN.fullmatch(secret) is not None


def _chat_id(recipient: str) -> int | str:
    """Telegram chat ids are integers; ``@channelname`` stays a string."""
    try:
        return int(recipient)
    except ValueError:
        return recipient


def _call(method: str, payload: dict[str, Any], recipient: str = "") -> OutboundCall:
    conversation_id = f"{CHANNEL}:{recipient}" if recipient else ""
    return OutboundCall(method=method, payload=payload, conversation_id=conversation_id)


def callback_data(choice: Choice, payloads: PayloadMap | None) -> str:
    """``choice.payload`` if it fits in 1-64 bytes, else a token from the payload map."""
    size = len(choice.payload.encode("utf-8"))
    if 1 <= size <= CALLBACK_DATA_LIMIT:
        return choice.payload
    if payloads is None:
        raise CallbackDataTooLong(
            choice.label,
            choice.payload,
            "Give the renderer a PayloadMap (RenderContext.payloads) to keep long payloads "
            "server-side, or shorten the payload in the flow.",
        )
    token = payloads.shorten(choice.payload)
    token_size = len(token.encode("utf-8"))
    if not 1 <= token_size <= CALLBACK_DATA_LIMIT:
        raise CallbackDataTooLong(
            choice.label,
            choice.payload,
            f"The PayloadMap returned a token of {token_size} bytes; it must return 1-"
            f"{CALLBACK_DATA_LIMIT}.",
        )
    return token


def _keyboard(rows: list[list[dict[str, str]]]) -> dict[str, Any]:
    return {"inline_keyboard": rows}


def _choice_row(choice: Choice, payloads: PayloadMap | None) -> list[dict[str, str]]:
    return [{"text": choice.label, "callback_data": callback_data(choice, payloads)}]


def send_message(recipient: str, html_text: str, markup: dict[str, Any] | None) -> OutboundCall:
    """sendMessage of already-escaped HTML, with an optional inline keyboard."""
    payload: dict[str, Any] = {
        "chat_id": _chat_id(recipient),
        "text": html_text,
        "parse_mode": "HTML",
    }
    if markup is not None:
        payload["reply_markup"] = markup
    return _call("sendMessage", payload, recipient)


def send_photo(
    recipient: str, photo: str, html_caption: str, markup: dict[str, Any] | None
) -> OutboundCall:
    """sendPhoto by URL; an empty caption is left out."""
    payload: dict[str, Any] = {"chat_id": _chat_id(recipient), "photo": photo}
    if html_caption:
        payload["caption"] = html_caption
        payload["parse_mode"] = "HTML"
    if markup is not None:
        payload["reply_markup"] = markup
    return _call("sendPhoto", payload, recipient)


def render_text(
    recipient: str, reply: TextReply, payloads: PayloadMap | None
) -> list[OutboundCall]:
    """One sendMessage per 4096-unit chunk; the choices ride on the last one."""
    markup = None
    if reply.choices:
        markup = _keyboard([_choice_row(choice, payloads) for choice in reply.choices])
    chunks = split_text(reply.text, MESSAGE_LIMIT)
    if not chunks:
        if markup is None:
            return []  # nothing to say
        chunks = [PLACEHOLDER_TEXT]
    last = len(chunks) - 1
    return [
        send_message(recipient, escape(chunk), markup if index == last else None)
        for index, chunk in enumerate(chunks)
    ]


def render_image(recipient: str, reply: ImageReply) -> list[OutboundCall]:
    """A photo; a caption too long for one goes in text messages after it, not cut off."""
    caption = reply.caption.strip()
    if utf16_len(caption) <= CAPTION_LIMIT:
        return [send_photo(recipient, reply.url, escape(caption), None)]
    photo = send_photo(recipient, reply.url, "", None)
    return [photo, *render_text(recipient, TextReply(text=caption), None)]


def card_text(card: ProductCard, limit: int) -> str:
    """Bold title, price and subtitle on their own lines, cut to ``limit`` visible units.

    The subtitle gives way first, then the title; the price is never cut.
    """
    title, price, subtitle = card.title.strip(), card.price.strip(), card.subtitle.strip()

    def over() -> int:
        return utf16_len("\n".join(part for part in (title, price, subtitle) if part)) - limit

    if over() > 0:
        subtitle = truncate(subtitle, utf16_len(subtitle) - over())
    if over() > 0:
        title = truncate(title, utf16_len(title) - over())
    lines = [f"<b>{escape(title)}</b>" if title else "", escape(price), escape(subtitle)]
    return "\n".join(line for line in lines if line)


def _card_markup(card: ProductCard, payloads: PayloadMap | None) -> dict[str, Any] | None:
    rows: list[list[dict[str, str]]] = []
    if card.button is not None:
        rows.append(_choice_row(card.button, payloads))
    if card.url:
        label = truncate(card.title.strip(), URL_BUTTON_TITLE_LIMIT) or card.url
        rows.append([{"text": URL_BUTTON_PREFIX + label, "url": card.url}])
    return _keyboard(rows) if rows else None


def render_cards(
    recipient: str, reply: ProductCards, payloads: PayloadMap | None
) -> list[OutboundCall]:
    """One photo per card with its caption and buttons; a card without a picture as text."""
    calls = []
    for card in reply.cards:
        markup = _card_markup(card, payloads)
        if card.image_url:
            caption = card_text(card, CAPTION_LIMIT)
            calls.append(send_photo(recipient, card.image_url, caption, markup))
        else:
            text = card_text(card, MESSAGE_LIMIT) or escape(PLACEHOLDER_TEXT)
            calls.append(send_message(recipient, text, markup))
    return calls


def render(recipient: str, replies: list[Reply], payloads: PayloadMap | None) -> list[OutboundCall]:
    """The calls that show ``replies`` in chat ``recipient``, in order."""
    calls: list[OutboundCall] = []
    for reply in replies:
        if isinstance(reply, TextReply):
            calls.extend(render_text(recipient, reply, payloads))
        elif isinstance(reply, ImageReply):
            calls.extend(render_image(recipient, reply))
        elif isinstance(reply, ProductCards):
            calls.extend(render_cards(recipient, reply, payloads))
        else:
            assert_never(reply)
    return calls


def typing(recipient: str) -> OutboundCall:
    """sendChatAction "typing"."""
    return _call("sendChatAction", {"chat_id": _chat_id(recipient), "action": "typing"}, recipient)


def answer_callback(callback_query_id: str, text: str | None = None) -> OutboundCall:
    """answerCallbackQuery, optionally with a toast ``text``."""
    payload: dict[str, Any] = {"callback_query_id": callback_query_id}
    if text:
        payload["text"] = text
    return _call("answerCallbackQuery", payload)


def answer_pre_checkout(query_id: str, ok: bool, error_message: str | None = None) -> OutboundCall:
    """answerPreCheckoutQuery; refusing (``ok=False``) needs an error_message for the buyer."""
    payload: dict[str, Any] = {"pre_checkout_query_id": query_id, "ok": ok}
    if not ok:
        if not error_message:
            raise ValueError("answerPreCheckoutQuery with ok=False needs an error_message")
        payload["error_message"] = error_message
    return _call("answerPreCheckoutQuery", payload)


def set_webhook(
    url: str,
    secret_token: str,
    allowed_updates: list[str] | None = None,
    drop_pending_updates: bool = False,
) -> OutboundCall:
    """setWebhook; ``allowed_updates=None`` asks for exactly the update types the adapter reads.

    Telegram's own default for an omitted list is "keep the previous setting", which can leave a
    bot deaf to button presses after an older deployment narrowed it.
    """
    if not is_valid_secret_token(secret_token):
        raise ValueError("a Telegram webhook secret_token is 1-256 characters of A-Z a-z 0-9 _ -")
    payload: dict[str, Any] = {
        "url": url,
        "secret_token": secret_token,
        "allowed_updates": list(UPDATE_TYPES if allowed_updates is None else allowed_updates),
    }
    if drop_pending_updates:
        payload["drop_pending_updates"] = True
    return _call("setWebhook", payload)


__all__ = [
    "answer_callback",
    "answer_pre_checkout",
    "callback_data",
    "card_text",
    "escape",
    "is_valid_secret_token",
    "render",
    "set_webhook",
    "typing",
]
