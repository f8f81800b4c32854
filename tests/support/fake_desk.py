"""An in-memory hand-off desk with the HandoffDesk interface, for console tests.

It keeps the real desk's rules that the console shows to agents (one holder per ticket, only
the holder replies, closed tickets refuse), and sends replies through ChatService.push when
given a service, so a shopper on the web chat really receives them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from flows.replies import TextReply


class HandoffError(Exception):
    pass


class TicketTaken(HandoffError):
    def __init__(self, ticket_id: int, holder: str) -> None:
        self.holder = holder
        super().__init__(f"ticket {ticket_id} is already claimed by {holder}")


class NotYourTicket(HandoffError):
    def __init__(self, ticket_id: int, holder: str | None) -> None:
        self.holder = holder
        super().__init__(f"ticket {ticket_id} is not yours")


class UnknownTicket(HandoffError):
    pass


class UnknownFlow(HandoffError):
    pass


class TicketClosed(HandoffError):
    pass


@dataclass(frozen=True)
class TicketSummary:
    id: int
    conversation_id: str
    state: str
    reason: str
    channel: str
    customer_name: str
    priority: int = 0
    agent: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_message: str = ""


@dataclass(frozen=True)
class TranscriptEntry:
    author: str
    text: str
    at: datetime
    agent: str | None = None


@dataclass(frozen=True)
class TicketView:
    ticket: TicketSummary
    transcript: list[TranscriptEntry]
    notes: list[TranscriptEntry]
    profile: dict[str, Any]
    flow: str | None = None
    step: str | None = None


@dataclass(frozen=True)
class DeskEvent:
    kind: str
    ticket_id: int


@dataclass(frozen=True)
class DeskMetrics:
    waiting: int
    assigned: int
    resolved_today: int
    median_wait_seconds: float | None
    agents_online: list[str]


class FakeDesk:
    def __init__(self, service: Any = None, flows: set[str] | None = None) -> None:
        self.service = service
        self.flows = flows
        self._tickets: dict[int, TicketSummary] = {}
        self._lines: dict[int, list[TranscriptEntry]] = {}
        self._notes: dict[int, list[TranscriptEntry]] = {}
        self._queues: list[asyncio.Queue[DeskEvent]] = []
        self.online: dict[str, bool] = {}
        self.returned: list[tuple[int, str | None]] = []

    # -- test helpers -------------------------------------------------------------------
    def open(
        self,
        conversation_id: str = "web:abc",
        *,
        reason: str = "asked_for_person",
        name: str = "Ana Lopez",
        text: str = "I want to talk to a person",
        priority: int = 0,
    ) -> int:
        ticket_id = len(self._tickets) + 1
        self._tickets[ticket_id] = TicketSummary(
            ticket_id,
            conversation_id,
            "waiting",
            reason,
            conversation_id.split(":")[0],
            name,
            priority,
            last_message=text,
        )
        now = datetime.now(UTC)
        self._lines[ticket_id] = [
            TranscriptEntry("shopper", text, now),
            TranscriptEntry("bot", "A person will answer soon.", now),
        ]
        self._notes[ticket_id] = []
        self._emit("opened", ticket_id)
        return ticket_id

    def shopper_says(self, ticket_id: int, text: str) -> None:
        self._lines[ticket_id].append(TranscriptEntry("shopper", text, datetime.now(UTC)))
        self._emit("message", ticket_id)

    def _emit(self, kind: str, ticket_id: int) -> None:
        for queue in self._queues:
            queue.put_nowait(DeskEvent(kind, ticket_id))

    def _get(self, ticket_id: int) -> TicketSummary:
        if ticket_id not in self._tickets:
            raise UnknownTicket(f"no ticket {ticket_id}")
        return self._tickets[ticket_id]

    def _held(self, ticket_id: int, agent: str) -> TicketSummary:
        t = self._get(ticket_id)
        if t.state in ("resolved", "returned"):
            raise TicketClosed(f"ticket {ticket_id} is {t.state}")
        if t.agent != agent:
            raise NotYourTicket(ticket_id, t.agent)
        return t

    # -- the interface ------------------------------------------------------------------
    async def tickets(
        self, *, state: str | None = None, agent: str | None = None
    ) -> list[TicketSummary]:
        return [
            t
            for t in self._tickets.values()
            if (state is None or t.state == state) and (agent is None or t.agent == agent)
        ]

    async def ticket(self, ticket_id: int) -> TicketView:
        t = self._get(ticket_id)
        past = [
            o
            for o in self._tickets.values()
            if o.conversation_id == t.conversation_id and o.id != t.id
        ]
        profile = {
            "name": t.customer_name,
            "locale": "en",
            "channel": t.channel,
            "past_tickets": past,
            "orders": [{"number": "A-1001", "status": "shipped"}],
        }
        return TicketView(
            t,
            list(self._lines[ticket_id]),
            list(self._notes[ticket_id]),
            profile,
            "main_menu",
            "topic",
        )

    async def claim(self, ticket_id: int, agent: str) -> TicketSummary:
        t = self._get(ticket_id)
        if t.state in ("resolved", "returned"):
            raise TicketClosed(f"ticket {ticket_id} is {t.state}")
        if t.agent is not None and t.agent != agent:
            raise TicketTaken(ticket_id, t.agent)
        self._tickets[ticket_id] = t = replace(t, state="assigned", agent=agent)
        self._emit("claimed", ticket_id)
        return t

    async def reply(self, ticket_id: int, agent: str, text: str) -> None:
        t = self._held(ticket_id, agent)
        self._lines[ticket_id].append(TranscriptEntry("agent", text, datetime.now(UTC), agent))
        if self.service is not None:
            await self.service.push(t.conversation_id, [TextReply(text)], human_agent=True)
        self._emit("message", ticket_id)

    async def note(self, ticket_id: int, agent: str, text: str) -> None:
        self._get(ticket_id)
        self._notes[ticket_id].append(TranscriptEntry("note", text, datetime.now(UTC), agent))
        self._emit("note", ticket_id)

    async def transfer(self, ticket_id: int, agent: str, to_agent: str) -> None:
        t = self._held(ticket_id, agent)
        self._tickets[ticket_id] = replace(t, agent=to_agent)
        self._emit("transferred", ticket_id)

    async def resolve(self, ticket_id: int, agent: str) -> None:
        t = self._held(ticket_id, agent)
        self._tickets[ticket_id] = replace(t, state="resolved")
        self._emit("resolved", ticket_id)

    async def return_to_bot(self, ticket_id: int, agent: str, flow: str | None = None) -> None:
        t = self._held(ticket_id, agent)
        if flow is not None and self.flows is not None and flow not in self.flows:
            raise UnknownFlow(f"there is no flow named {flow!r}")
        self._tickets[ticket_id] = replace(t, state="returned")
        self.returned.append((ticket_id, flow))
        self._emit("returned", ticket_id)

    async def set_online(self, agent: str, online: bool) -> None:
        self.online[agent] = online

    async def subscribe(self) -> AsyncIterator[DeskEvent]:
        queue: asyncio.Queue[DeskEvent] = asyncio.Queue()
        self._queues.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.remove(queue)

    async def metrics(self) -> DeskMetrics:
        states = [t.state for t in self._tickets.values()]
        return DeskMetrics(
            states.count("waiting"),
            states.count("assigned"),
            states.count("resolved"),
            42.0,
            [a for a, on in self.online.items() if on],
        )
