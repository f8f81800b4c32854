"""Replies -> Messenger Send API ``message`` objects, within Messenger's limits.

Choices are quick replies (up to 13, titles up to 20 characters). A label too long for a
quick reply is not cut: the text lists the choices numbered and the quick replies carry the
numbers ('1', '2', ...), so the shopper reads whole labels and taps, or types, a number. (A
button template would not help: its buttons share the 20-character title limit.) More than
13 choices become a plain numbered text. Products are generic-template carousels of up to 10.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flows import Choice, ImageReply, ProductCard, ProductCards, Reply, TextReply

from ..meta import numbered, split_text, truncate

TEXT_LIMIT = 2000
MAX_QUICK_REPLIES = 13
QUICK_REPLY_TITLE = 20
PAYLOAD_LIMIT = 1000
MAX_ELEMENTS = 10
ELEMENT_TITLE = 80
ELEMENT_SUBTITLE = 80
BUTTON_TITLE = 20

Message = dict[str, Any]


def render_reply(reply: Reply, link_label: str, *, limit: int = TEXT_LIMIT) -> list[Message]:
    """``limit``: the longest text (Instagram, which shares this rendering, has 1,000)."""
    if isinstance(reply, TextReply):
        return text_messages(reply.text, reply.choices, limit=limit)
    if isinstance(reply, ImageReply):
        return image_messages(reply.url, reply.caption, limit=limit)
    if isinstance(reply, ProductCards):
        return carousels(reply.cards, link_label)
    raise TypeError(f"cannot render {type(reply).__name__} on Messenger")


def text_messages(
    text: str, choices: Sequence[Choice] = (), *, limit: int = TEXT_LIMIT
) -> list[Message]:
    """``text`` in pieces of 2000, the choices as quick replies on the last piece."""
    if not choices:
        return [{"text": piece} for piece in split_text(text, limit)]
    labels = [c.label for c in choices]
    tappable = len(choices) <= MAX_QUICK_REPLIES and all(
        0 < len(c.payload) <= PAYLOAD_LIMIT for c in choices
    )
    short = all(0 < len(label.strip()) <= QUICK_REPLY_TITLE for label in labels)
    if tappable and short and text.strip():
        titles = labels
        pieces = split_text(text, limit)
    else:
        titles = [str(n) for n in range(1, len(choices) + 1)]
        pieces = split_text(numbered(text, labels), limit)
    messages: list[Message] = [{"text": piece} for piece in pieces]
    if tappable and messages:
        messages[-1]["quick_replies"] = [
            {"content_type": "text", "title": title, "payload": c.payload}
            for title, c in zip(titles, choices, strict=True)
        ]
    return messages


def image_messages(url: str, caption: str = "", *, limit: int = TEXT_LIMIT) -> list[Message]:
    """The picture, then its caption as text: Messenger images carry no caption."""
    image: Message = {"attachment": {"type": "image", "payload": {"url": url, "is_reusable": True}}}
    return [image, *text_messages(caption, limit=limit)]


def carousels(cards: Sequence[ProductCard], link_label: str) -> list[Message]:
    """Generic templates of up to 10 cards each."""
    return [
        {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "generic",
                    "image_aspect_ratio": "square",
                    "elements": [_element(c, link_label) for c in cards[i : i + MAX_ELEMENTS]],
                },
            }
        }
        for i in range(0, len(cards), MAX_ELEMENTS)
    ]


def _element(card: ProductCard, link_label: str) -> Message:
    element: Message = {"title": truncate(card.title or card.id, ELEMENT_TITLE)}
    details = " · ".join(part for part in (card.price, card.subtitle) if part)
    if details:
        element["subtitle"] = truncate(details, ELEMENT_SUBTITLE)
    if card.image_url:
        element["image_url"] = card.image_url
    if card.url:
        element["default_action"] = {"type": "web_url", "url": card.url}
    buttons: list[Message] = []
    if card.button is not None and 0 < len(card.button.payload) <= PAYLOAD_LIMIT:
        buttons.append(
            {
                "type": "postback",
                "title": truncate(card.button.label, BUTTON_TITLE),
                "payload": card.button.payload,
            }
        )
    if card.url:
        buttons.append(
            {"type": "web_url", "url": card.url, "title": truncate(link_label, BUTTON_TITLE)}
        )
    if buttons:
        element["buttons"] = buttons
    return element
