"""A conversation's session state: everything the engine remembers between turns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

Waiting = Literal["ask", "action"]
Overlay = Literal["resume", "language", "confirm", "clarify"]


@dataclass
class Frame:
    """A flow in progress: which flow, which step, and the flow version it started on."""

    flow: str
    step: int
    step_id: str
    version: str
    attempts: int = 0


@dataclass
class SessionState:
    conversation_id: str
    locale: str
    channel: str = ""
    user: dict[str, Any] = field(default_factory=dict)
    slots: dict[str, Any] = field(default_factory=dict)
    stack: list[Frame] = field(default_factory=list)
    waiting: Waiting | None = None
    overlay: Overlay | None = None
    offered: list[list[str]] = field(default_factory=list)  # [label, payload] pairs
    last_active: float = 0.0  # Unix seconds, UTC
    handoff: bool = False
    # Messages in a row the bot did not understand: the fallback ran or an answer was refused.
    fallbacks: int = 0
    # Values heard in the shopper's sentences that no question has used yet, by kind
    # (age, money, recipient, ...): the flow's questions take them instead of asking.
    heard: dict[str, Any] = field(default_factory=dict)
    # A value taken from a sentence, waiting for the shopper to confirm it.
    pending: Any = None
    # The shopper chose a language herself: detection no longer switches it.
    locale_pinned: bool = False
    # What the shop knows about the customer (``remember:`` facts, kept by the customers
    # package across sessions and channels); templates read it as ``customer``.
    customer: dict[str, Any] = field(default_factory=dict)

    @property
    def frame(self) -> Frame | None:
        return self.stack[-1] if self.stack else None

    def to_json(self) -> str:
        return orjson.dumps(self).decode()  # orjson serialises dataclasses natively

    @classmethod
    def from_json(cls, data: str | bytes) -> SessionState:
        raw = orjson.loads(data)
        raw["stack"] = [Frame(**f) for f in raw.get("stack", [])]
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in raw.items() if k in known})


__all__ = ["Frame", "SessionState"]
