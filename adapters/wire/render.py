"""Replies -> Roman outgoing messages.

Texts are ``{"type": "text", "text": {"data": ...}}`` (Roman takes up to 64,000 characters;
longer ones are split). Choices are a poll: the text with one button per choice; Roman sends
back the button's offset, so the payloads are kept under the poll's id (see ``PollBook``).
More than 10 choices, or labels over 64 characters, become a numbered list instead (the
shopper types the number). A product is its picture as an image attachment (the sender
fetches and encodes it: Roman takes image bytes, not links) and a caption with the title,
price, description and link; a poll after the pictures picks one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flows import Choice, ImageReply, ProductCard, ProductCards, Reply, TextReply

from ..meta import numbered, split_text, truncate

TEXT_LIMIT = 64_000
MAX_BUTTONS = 10
BUTTON_LIMIT = 64

Message = dict[str, Any]


def text(data: str) -> Message:
    return {"type": "text", "text": {"data": data}}


def render_reply(reply: Reply, pick_text: str) -> list[Message]:
    """Roman messages; a poll is ``{"type": "poll", ..., "choices": [payloads]}`` (the channel
    turns ``choices`` into a poll id). ``pick_text``: the question above product buttons."""
    if isinstance(reply, TextReply):
        return text_messages(reply.text, reply.choices)
    if isinstance(reply, ImageReply):
        return [_image(reply.url), *text_messages(reply.caption)]
    if isinstance(reply, ProductCards):
        return product_messages(reply.cards, pick_text)
    raise TypeError(f"cannot render {type(reply).__name__} on Wire")


def text_messages(body: str, choices: Sequence[Choice] = ()) -> list[Message]:
    labels = [c.label for c in choices]
    pollable = (
        0 < len(choices) <= MAX_BUTTONS
        and all(0 < len(label.strip()) <= BUTTON_LIMIT for label in labels)
        and bool(body.strip())
    )
    if choices and not pollable:
        body = numbered(body, labels)
    pieces = split_text(body, TEXT_LIMIT)
    messages = [text(p) for p in pieces]
    if pollable and messages:
        last = messages.pop()
        messages.append(_poll(last["text"]["data"], choices))
    return messages


def _poll(body: str, choices: Sequence[Choice]) -> Message:
    return {
        "type": "poll",
        "text": {"data": body},
        "poll": {"type": "create", "buttons": [c.label.strip() for c in choices]},
        "choices": [c.payload for c in choices],
    }


def _image(url: str) -> Message:
    # The sender replaces "url" with the picture's bytes ("data"), size and type.
    return {"type": "attachment", "attachment": {"url": url}}


def product_messages(cards: Sequence[ProductCard], pick_text: str) -> list[Message]:
    out: list[Message] = []
    pickable: list[Choice] = []
    for n, card in enumerate(cards, 1):
        if card.image_url:
            out.append(_image(card.image_url))
        title = card.title or card.id
        lines = [f"{n}. {title}" if len(cards) > 1 else title]
        lines += [part for part in (card.price, card.subtitle, card.url) if part]
        out.append(text("\n".join(lines)))
        if card.button is not None:
            pickable.append(Choice(truncate(title, BUTTON_LIMIT), card.button.payload))
    if pickable:
        out += text_messages(pick_text, pickable)
    return out
