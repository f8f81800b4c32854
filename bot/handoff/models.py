"""What the desk hands the console: tickets, their transcript, live events, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

TicketState = Literal["waiting", "assigned", "resolved", "returned"]
OPEN_STATES: tuple[str, ...] = ("waiting", "assigned")
CLOSED_STATES: tuple[str, ...] = ("resolved", "returned")
Author = Literal["shopper", "bot", "agent"]


@dataclass(frozen=True)
class TicketSummary:
    """One line of the queue."""

    id: int
    conversation_id: str
    channel: str
    reason: str  # shopper_request | a flow step's reason (payment_help) | fallbacks | angry
    priority: int  # higher first: angry/complaint 2, payment 1, others 0
    state: TicketState
    agent: str | None
    customer_name: str | None
    locale: str | None
    flow: str | None  # where the shopper was when the hand-off happened
    step: str | None
    away: bool  # opened outside business hours (the bot carries on until someone claims it)
    reopened: int  # how many times the shopper wrote again after it was resolved
    created_at: datetime
    waiting_since: datetime
    assigned_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None  # resolved or returned to the bot
    last_message: str | None = None


@dataclass(frozen=True)
class TranscriptLine:
    """One message of the conversation: the shopper's, the bot's or an agent's."""

    id: int
    at: datetime
    author: Author  # who wrote it
    text: str
    agent: str | None = None  # which agent, for an agent's line
    ticket_id: int | None = None


@dataclass(frozen=True)
class Note:
    id: int
    agent: str
    text: str
    at: datetime


@dataclass(frozen=True)
class CustomerProfile:
    name: str | None
    locale: str | None
    channel: str
    conversation_id: str
    past_tickets: list[TicketSummary] = field(default_factory=list)
    # Orders, cart and the like from the ContextProvider (checkout implements it).
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name and self.name.strip() else ""

    @property
    def orders(self) -> list[Any]:
        return list(self.context.get("orders") or [])

    @property
    def cart(self) -> list[Any]:
        return list(self.context.get("cart") or [])


@dataclass(frozen=True)
class TicketView:
    """Everything an agent sees when they open a ticket."""

    ticket: TicketSummary
    transcript: list[TranscriptLine]  # the whole conversation, bot part included, oldest first
    notes: list[Note]
    profile: CustomerProfile
    flow: str | None
    step: str | None
    slots: dict[str, Any] = field(default_factory=dict)  # what the bot had collected


DeskEventKind = Literal["ticket_created", "ticket_changed", "message"]


@dataclass(frozen=True)
class DeskEvent:
    """A live update for the console (server-sent events)."""

    kind: DeskEventKind
    ticket_id: int
    conversation_id: str
    state: TicketState | None = None
    agent: str | None = None
    message: TranscriptLine | None = None


@dataclass(frozen=True)
class DeskMetrics:
    """Figures over the stored tickets; times in seconds (None: nothing to measure yet)."""

    tickets: dict[str, int]  # by state
    waiting_now: int
    agents_online: int
    first_response_seconds: float | None  # mean, first response - created
    waiting_seconds: float | None  # mean, assigned - waiting since
    resolution_seconds: float | None  # mean, resolved - created
    response_rate: float | None  # share of closed tickets an agent answered
    handoff_rate_by_flow: dict[str, float]  # hand-offs / conversations that ran the flow
    handoffs_by_reason: dict[str, int]
    notifications_pending: int
    counters: dict[str, int] = field(default_factory=dict)  # runtime counters since start


__all__ = [
    "CLOSED_STATES",
    "OPEN_STATES",
    "CustomerProfile",
    "DeskEvent",
    "DeskEventKind",
    "DeskMetrics",
    "Author",
    "Note",
    "TicketState",
    "TicketSummary",
    "TicketView",
    "TranscriptLine",
]
