"""Replies -> LINE message objects, within LINE's limits.

Text is cut at 5,000 characters. Choices are quick-reply postback buttons (at most 13, labels
at most 20 characters, data at most 300); like Messenger, labels too long for a button are
listed numbered in the text and the buttons carry the numbers, and more than 13 choices
become a numbered list to answer by typing. Products are Flex carousels of at most 12
bubbles: picture, title, price, description, a "Choose" postback and a link button.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flows import Choice, ImageReply, ProductCard, ProductCards, Reply, TextReply

from ..meta import numbered, split_text, truncate

TEXT_LIMIT = 5000
MAX_QUICK_REPLIES = 13
LABEL_LIMIT = 20
DATA_LIMIT = 300
DISPLAY_TEXT_LIMIT = 300
MAX_BUBBLES = 12
ALT_TEXT_LIMIT = 1500
URL_LIMIT = 2000  # image URLs; an action's uri may have 1000
URI_LIMIT = 1000
MESSAGES_PER_CALL = 5

Message = dict[str, Any]


def render_reply(reply: Reply, link_label: str) -> list[Message]:
    """``link_label``: the words on a card's link button in the shopper's language."""
    if isinstance(reply, TextReply):
        return text_messages(reply.text, reply.choices)
    if isinstance(reply, ImageReply):
        return image_messages(reply.url, reply.caption)
    if isinstance(reply, ProductCards):
        return carousels(reply.cards, link_label)
    raise TypeError(f"cannot render {type(reply).__name__} on LINE")


def _postback(label: str, data: str, display: str) -> Message:
    return {
        "type": "postback",
        "label": label,
        "data": data,
        "displayText": truncate(display, DISPLAY_TEXT_LIMIT),
    }


def text_messages(text: str, choices: Sequence[Choice] = ()) -> list[Message]:
    """``text`` in pieces of 5,000, the choices as quick replies on the last piece."""
    if not choices:
        return [{"type": "text", "text": p} for p in split_text(text, TEXT_LIMIT)]
    labels = [c.label for c in choices]
    tappable = len(choices) <= MAX_QUICK_REPLIES and all(
        0 < len(c.payload) <= DATA_LIMIT for c in choices
    )
    short = all(0 < len(label.strip()) <= LABEL_LIMIT for label in labels)
    if tappable and short and text.strip():
        titles = labels
        pieces = split_text(text, TEXT_LIMIT)
    else:
        titles = [str(n) for n in range(1, len(choices) + 1)]
        pieces = split_text(numbered(text, labels), TEXT_LIMIT)
    messages: list[Message] = [{"type": "text", "text": p} for p in pieces]
    if tappable and messages:
        messages[-1]["quickReply"] = {
            "items": [
                {"type": "action", "action": _postback(title, c.payload, c.label)}
                for title, c in zip(titles, choices, strict=True)
            ]
        }
    return messages


def _https(url: str | None, limit: int = URL_LIMIT) -> bool:
    # LINE fetches pictures itself and only over HTTPS.
    return url is not None and url.startswith("https://") and len(url) <= limit


def image_messages(url: str, caption: str = "") -> list[Message]:
    """The picture (LINE images carry no caption), then its caption; a picture LINE cannot
    fetch (not https) is sent as its link."""
    if not _https(url):
        return text_messages("\n".join(part for part in (caption, url) if part))
    image = {"type": "image", "originalContentUrl": url, "previewImageUrl": url}
    return [image, *text_messages(caption)] if caption.strip() else [image]


def carousels(cards: Sequence[ProductCard], link_label: str) -> list[Message]:
    """Flex carousels of up to 12 bubbles each."""
    out: list[Message] = []
    for i in range(0, len(cards), MAX_BUBBLES):
        chunk = cards[i : i + MAX_BUBBLES]
        alt = "\n".join(
            " · ".join(part for part in (c.title or c.id, c.price) if part) for c in chunk
        )
        out.append(
            {
                "type": "flex",
                "altText": truncate(alt, ALT_TEXT_LIMIT),
                "contents": {
                    "type": "carousel",
                    "contents": [_bubble(c, link_label) for c in chunk],
                },
            }
        )
    return out


def _bubble(card: ProductCard, view: str) -> Message:
    body: list[Message] = [
        {"type": "text", "text": card.title or card.id, "weight": "bold", "wrap": True}
    ]
    if card.price:
        body.append({"type": "text", "text": card.price, "size": "md", "color": "#111111"})
    if card.subtitle:
        body.append(
            {"type": "text", "text": card.subtitle, "size": "sm", "color": "#888888", "wrap": True}
        )
    bubble: Message = {
        "type": "bubble",
        "size": "kilo",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }
    if _https(card.image_url):
        bubble["hero"] = {
            "type": "image",
            "url": card.image_url,
            "size": "full",
            "aspectRatio": "1:1",
            "aspectMode": "cover",
        }
    buttons: list[Message] = []
    if card.button is not None and 0 < len(card.button.payload) <= DATA_LIMIT:
        action = _postback(
            truncate(card.button.label, LABEL_LIMIT), card.button.payload, card.title or card.id
        )
        buttons.append({"type": "button", "style": "primary", "action": action})
    if card.url and card.url.startswith(("https://", "http://")) and len(card.url) <= URI_LIMIT:
        buttons.append(
            {
                "type": "button",
                "style": "link",
                "action": {"type": "uri", "label": truncate(view, LABEL_LIMIT), "uri": card.url},
            }
        )
    if buttons:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": buttons,
        }
    return bubble
