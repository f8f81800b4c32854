"""What the bot says and does: channel-neutral replies and effects.

Replies are data. Each adapter renders them within its platform's limits; flow authors never
write per-channel branches. Effects are work the engine asks its driver to carry out (run an
action, hand the conversation to a person); the engine itself does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from shoplinks import web_url

# Plain frozen dataclasses, not pydantic models: the engine builds several per turn and never
# from untrusted input, so validation would only cost time (it was a third of a turn).


@dataclass(frozen=True, slots=True)
class Choice:
    """One offered option. Pressing it sends ``payload`` back as a ChoiceInput."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class TextReply:
    text: str
    choices: tuple[Choice, ...] = ()
    kind: Literal["text"] = "text"


@dataclass(frozen=True, slots=True)
class ImageReply:
    url: str
    caption: str = ""
    kind: Literal["image"] = "image"


@dataclass(frozen=True, slots=True)
class ProductCard:
    id: str
    title: str
    subtitle: str = ""
    price: str = ""
    image_url: str | None = None
    url: str | None = None
    button: Choice | None = None

    def __post_init__(self) -> None:
        # Whatever a feed or an action put here, only http(s) reaches a link or an image.
        object.__setattr__(self, "image_url", web_url(self.image_url))
        object.__setattr__(self, "url", web_url(self.url))


@dataclass(frozen=True, slots=True)
class ProductCards:
    """A carousel of products (Telegram: photo + caption each; Messenger: generic template)."""

    cards: tuple[ProductCard, ...]
    kind: Literal["products"] = "products"


Reply = TextReply | ImageReply | ProductCards


@dataclass(frozen=True, slots=True)
class ActionCall:
    """Run the registered action ``name`` with ``args``; feed the result back as ActionResult."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    kind: Literal["action"] = "action"


@dataclass(frozen=True, slots=True)
class Handoff:
    """Hand the conversation to a person."""

    reason: str
    flow: str | None = None
    step: str | None = None
    # Which of the turn's replies says the hand-off text (the hand-off desk replaces it with
    # its acknowledgement), and whether the flow wrote that text itself.
    reply: int | None = None
    custom_text: bool = False
    kind: Literal["handoff"] = "handoff"


@dataclass(frozen=True, slots=True)
class Remember:
    """Keep facts about the customer (a flow's ``remember:``), beyond this session."""

    facts: dict[str, Any]
    kind: Literal["remember"] = "remember"


Effect = ActionCall | Handoff | Remember

__all__ = [
    "ActionCall",
    "Choice",
    "Effect",
    "Handoff",
    "ImageReply",
    "ProductCard",
    "ProductCards",
    "Remember",
    "Reply",
    "TextReply",
]
