"""What the bot says and does: channel-neutral replies and effects.

Replies are data. Each adapter renders them within its platform's limits; flow authors never
write per-channel branches. Effects are work the engine asks its driver to carry out (run an
action, hand the conversation to a person); the engine itself does no I/O.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Choice(_Model):
    """One offered option. Pressing it sends ``payload`` back as a ChoiceInput."""

    label: str
    payload: str


class TextReply(_Model):
    kind: Literal["text"] = "text"
    text: str
    choices: tuple[Choice, ...] = ()


class ImageReply(_Model):
    kind: Literal["image"] = "image"
    url: str
    caption: str = ""


class ProductCard(_Model):
    id: str
    title: str
    subtitle: str = ""
    price: str = ""
    image_url: str | None = None
    url: str | None = None
    button: Choice | None = None


class ProductCards(_Model):
    """A carousel of products (Telegram: photo + caption each; Messenger: generic template)."""

    kind: Literal["products"] = "products"
    cards: tuple[ProductCard, ...]


Reply = TextReply | ImageReply | ProductCards


class ActionCall(_Model):
    """Run the registered action ``name`` with ``args``; feed the result back as ActionResult."""

    kind: Literal["action"] = "action"
    name: str
    args: dict[str, Any]


class Handoff(_Model):
    """Hand the conversation to a person."""

    kind: Literal["handoff"] = "handoff"
    reason: str
    flow: str | None = None
    step: str | None = None


Effect = ActionCall | Handoff

__all__ = [
    "ActionCall",
    "Choice",
    "Effect",
    "Handoff",
    "ImageReply",
    "ProductCard",
    "ProductCards",
    "Reply",
    "TextReply",
]
