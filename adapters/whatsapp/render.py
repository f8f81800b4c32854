"""Replies -> WhatsApp Cloud API message bodies, within WhatsApp's limits.

Choices degrade step by step: up to 3 short labels are reply buttons; up to 10 are a list
(long labels cut with '…', the whole label kept as the row's description); beyond that, or
with a body over 1024 characters, a numbered text the shopper answers by typing the number
(the engine accepts numbers for every offered choice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flows import ImageReply, ProductCard, ProductCards, Reply, TextReply

from ..meta import numbered, split_text, truncate

TEXT_LIMIT = 4096
BODY_LIMIT = 1024
CAPTION_LIMIT = 1024
MAX_BUTTONS = 3
BUTTON_TITLE = 20
BUTTON_ID = 256
MAX_ROWS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
ROW_ID = 200
LIST_BUTTON = 20

Payload = dict[str, Any]


@dataclass(frozen=True)
class Option:
    """One choice as WhatsApp shows it: a button, or a list row with an optional description."""

    payload: str
    label: str
    description: str = ""


def message(to: str, kind: str, content: Payload) -> Payload:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
        kind: content,
    }


def template(to: str, name: str, language: str) -> Payload:
    return message(to, "template", {"name": name, "language": {"code": language}})


def render_reply(to: str, reply: Reply, list_button: str) -> list[Payload]:
    if isinstance(reply, TextReply):
        options = [Option(c.payload, c.label) for c in reply.choices]
        return choose(to, reply.text, options, list_button) if options else texts(to, reply.text)
    if isinstance(reply, ImageReply):
        return [image(to, reply.url, reply.caption)]
    if isinstance(reply, ProductCards):
        return products(to, reply.cards, list_button)
    raise TypeError(f"cannot render {type(reply).__name__} on WhatsApp")


def texts(to: str, text: str) -> list[Payload]:
    return [
        message(to, "text", {"body": piece, "preview_url": False})
        for piece in split_text(text, TEXT_LIMIT)
    ]


def image(to: str, url: str, caption: str = "") -> Payload:
    content: Payload = {"link": url}
    if caption.strip():
        content["caption"] = truncate(caption.strip(), CAPTION_LIMIT)
    return message(to, "image", content)


def choose(to: str, text: str, options: Sequence[Option], list_button: str) -> list[Payload]:
    """``text`` offering ``options``: buttons, else a list, else numbered text."""
    body = text.strip()
    if _fits_buttons(body, options):
        buttons = [{"type": "reply", "reply": {"id": o.payload, "title": o.label}} for o in options]
        return [
            message(
                to,
                "interactive",
                {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}},
            )
        ]
    if _fits_list(body, options):
        button = truncate(list_button.strip(), LIST_BUTTON)
        return [
            message(
                to,
                "interactive",
                {
                    "type": "list",
                    "body": {"text": body},
                    "action": {
                        "button": button,
                        "sections": [
                            {
                                "title": truncate(button, ROW_TITLE),
                                "rows": [_row(o) for o in options],
                            }
                        ],
                    },
                },
            )
        ]
    return texts(to, numbered(text, (o.label for o in options)))


def _distinct(options: Sequence[Option]) -> bool:
    payloads = [o.payload for o in options]
    return len(set(payloads)) == len(payloads)


def _fits_buttons(body: str, options: Sequence[Option]) -> bool:
    labels = [o.label for o in options]
    return (
        0 < len(body) <= BODY_LIMIT
        and 0 < len(options) <= MAX_BUTTONS
        and all(0 < len(o.label.strip()) <= BUTTON_TITLE for o in options)
        and all(0 < len(o.payload) <= BUTTON_ID for o in options)
        and len(set(labels)) == len(labels)  # WhatsApp rejects repeated button titles
        and _distinct(options)
    )


def _fits_list(body: str, options: Sequence[Option]) -> bool:
    return (
        0 < len(body) <= BODY_LIMIT
        and 0 < len(options) <= MAX_ROWS
        and all(o.label.strip() for o in options)
        and all(0 < len(o.payload) <= ROW_ID for o in options)
        and _distinct(options)
    )


def _row(o: Option) -> Payload:
    row: Payload = {"id": o.payload, "title": truncate(o.label, ROW_TITLE)}
    description = o.description or (o.label if len(o.label) > ROW_TITLE else "")
    if description:
        row["description"] = truncate(description, ROW_DESCRIPTION)
    return row


def _details(card: ProductCard) -> str:
    return " · ".join(part for part in (card.price, card.subtitle) if part)


def _row_details(card: ProductCard) -> str:
    """A list row's description: when the title is cut, the whole title comes first, so
    two gifts whose names begin alike ("Bloques de construcción…") stay tell-apart-able."""
    title = card.title or card.id
    if len(title) > ROW_TITLE:
        return " · ".join(part for part in (title, card.price) if part)
    return _details(card)


def products(to: str, cards: Sequence[ProductCard], list_button: str) -> list[Payload]:
    """Each card with an image as an image message, then one message to choose among them."""
    if not cards:
        return []
    if not any(c.image_url for c in cards):
        return texts(to, "\n\n".join(_card_text(n, c) for n, c in enumerate(cards, 1)))
    choosable = [c for c in cards if c.button is not None]
    options = [
        Option(c.button.payload, c.title or c.id, _row_details(c)) for c in choosable if c.button
    ]
    prompt = next((c.button.label for c in choosable if c.button and c.button.label), "")
    prompt = prompt or list_button
    typed = bool(options) and not (_fits_buttons(prompt, options) or _fits_list(prompt, options))
    out = []
    for n, card in enumerate(cards, 1):
        if card.image_url:
            lines = [card.title, card.price, card.subtitle, card.url or ""]
            if typed:  # the shopper will type a number: show it on the picture
                lines[0] = f"{n}. {card.title}"
            out.append(image(to, card.image_url, "\n".join(line for line in lines if line)))
    if options:
        out.extend(choose(to, prompt, options, truncate(prompt, LIST_BUTTON)))
    return out


def _card_text(n: int, card: ProductCard) -> str:
    head = f"{n}. {card.title}" + (f" — {card.price}" if card.price else "")
    return "\n".join(line for line in (head, card.subtitle, card.url or "") if line)
