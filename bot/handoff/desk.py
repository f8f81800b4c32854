"""The hand-off desk: the service the agent console is built on (``app.state.handoff``).

Agents are named by a string (the console's account id). A ``display_name(agent)`` callable,
given by the console (it owns accounts), turns that into the name that signs replies; without
one, or when it returns None, the agent string itself is shown.

Ticket lifecycle::

    waiting --claim/auto-assign--> assigned --resolve--> resolved --shopper writes within
       ^                              |                             reopen_within--> waiting
       +----reassign (no answer)------+--return_to_bot--> returned   (the same ticket, reopened+1)

Every method raises from the :mod:`bot.handoff.errors` tree; nothing else for an agent's
mistake. An agent acting on a ticket another agent holds gets :class:`NotYourTicket`; a
waiting ticket that nobody holds may be resolved or returned to the bot by any agent.
Notes may be added by any agent (they are internal).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection

from bot.service import ChatService, Pushed, UnknownConversation
from bot.storage import StaleSessionError, StoredSession
from flows import (
    ActionRegistry,
    Project,
    Reply,
    SessionState,
    StartInput,
    TextReply,
    arun_turn,
    end_handoff,
)
from flows.engine import Engine

from .. import turnwork
from ..logsafe import conversation_ref
from ..turnwork import TurnWork
from . import queue
from .config import HandoffConfig
from .errors import (
    ChannelOff,
    HandoffError,
    NotYourTicket,
    TicketClosed,
    TicketTaken,
    UnknownFlow,
    UnknownTicket,
    WindowClosed,
)
from .events import DeskEvents
from .hook import HandoffHook
from .metrics import collect
from .models import (
    CLOSED_STATES,
    CustomerProfile,
    DeskEvent,
    DeskMetrics,
    TicketSummary,
    TicketView,
)
from .notify import Notifier

log = logging.getLogger("shopchat.handoff")
T = TypeVar("T")


class ContextProvider(Protocol):
    """What else the shop knows about a shopper (orders, cart); checkout implements it.

    ``context`` may be a plain or an async method; what it returns is shown to the agent.
    """

    def context(self, conversation_id: str) -> dict[str, Any]: ...


@dataclass
class _Failed:
    error: HandoffError


class _Stale:
    """The session moved on between a job's load and its commit: nothing was written."""


_STALE = _Stale()
_RETURN_ATTEMPTS = 5


class HandoffDesk:
    def __init__(
        self,
        service: ChatService,
        hook: HandoffHook,
        notifier: Notifier,
        *,
        engine: Engine,
        actions: ActionRegistry,
        context: ContextProvider | None = None,
        display_name: Callable[[str], str | None] | None = None,
    ) -> None:
        self.service = service
        self.hook = hook
        self.notifier = notifier
        self.engine = engine
        self.actions = actions
        self.context_provider = context
        self.display_name = display_name
        self.events: DeskEvents = hook.events
        self.counters = hook.counters
        self.counters.update({"reassigned": 0, "auto_assigned": 0, "agent_replies": 0})
        self._deliveries: set[asyncio.Task[None]] = set()
        hook.nudge = self._nudge

    @property
    def config(self) -> HandoffConfig:
        return self.hook.config

    @property
    def project(self) -> Project:
        return self.hook.project

    def now(self) -> datetime:
        return self.service.clock()

    async def _run(self, job: Callable[[Connection], T | _Failed]) -> T:
        # Errors come back as values: raising inside the job would roll back the whole
        # group-committed batch it shares with other conversations' turns.
        result = await self.service.db.run(job)
        if isinstance(result, _Failed):
            raise result.error
        return result

    # -- reading ----------------------------------------------------------------------------
    async def tickets(
        self, *, state: str | None = None, agent: str | None = None
    ) -> list[TicketSummary]:
        """The queue, most urgent first (open before closed, priority, then oldest)."""
        return await self._run(lambda conn: queue.find(conn, state=state, agent=agent))

    async def ticket(self, ticket_id: int) -> TicketView:
        def job(conn: Connection) -> Any:
            t = queue.get(conn, ticket_id)
            if t is None:
                return _Failed(UnknownTicket(ticket_id))
            transcript = queue.transcript(conn, t.conversation_id)
            notes = queue.notes_of(conn, ticket_id)
            past = [p for p in queue.find(conn, conversation_id=t.conversation_id) if p.id != t.id]
            stored = self.service.conversations.store.load_in(conn, t.conversation_id)
            state = SessionState.from_json(stored.data) if stored else None
            return t, transcript, notes, past, state

        t, transcript, notes, past, state = await self._run(job)
        context: dict[str, Any] = {}
        if self.context_provider is not None:
            try:
                got = self.context_provider.context(t.conversation_id)
                context = dict(await got if inspect.isawaitable(got) else got)
            except Exception as exc:  # the shop's provider failing must not hide the ticket
                log.warning("context for %s failed: %s", conversation_ref(t.conversation_id), exc)
                context = {"error": f"{type(exc).__name__}: {exc}"}
        frame = state.frame if state else None
        profile = CustomerProfile(
            name=t.customer_name or (state.user.get("name") if state else None),
            locale=(state.locale if state else None) or t.locale,  # the language now
            channel=t.channel,
            conversation_id=t.conversation_id,
            past_tickets=past,
            context=context,
        )
        return TicketView(
            ticket=t,
            transcript=transcript,
            notes=notes,
            profile=profile,
            flow=t.flow or (frame.flow if frame else None),
            step=t.step or (frame.step_id if frame else None),
            slots=dict(state.slots) if state else {},
        )

    # -- acting -----------------------------------------------------------------------------
    def _held(
        self, conn: Connection, ticket_id: int, agent: str, *, anyone_if_waiting: bool = False
    ) -> TicketSummary | _Failed:
        t = queue.get(conn, ticket_id)
        if t is None:
            return _Failed(UnknownTicket(ticket_id))
        if t.state in CLOSED_STATES:
            return _Failed(TicketClosed(ticket_id, t.state))
        if t.agent != agent and not (anyone_if_waiting and t.state == "waiting"):
            return _Failed(NotYourTicket(ticket_id, agent, t.agent))
        return t

    def _close(
        self, conn: Connection, ticket_id: int, agent: str, state: str, now: datetime
    ) -> TicketSummary | _Failed:
        """Close a ticket its holder (or anyone, while it waits) may close: resolved or
        returned to the bot. Returns the ticket as it was."""
        t = self._held(conn, ticket_id, agent, anyone_if_waiting=True)
        if isinstance(t, _Failed):
            return t
        queue.transition(
            conn,
            ticket_id,
            when_state=[t.state],
            when_agent=t.agent,
            state=state,
            agent=t.agent or agent,
            resolved_at=now,
            updated_at=now,
        )
        return t

    async def claim(self, ticket_id: int, agent: str) -> TicketSummary:
        """Take a waiting ticket. Exactly one of two agents claiming together wins; the other
        gets :class:`TicketTaken`. Claiming one's own ticket again is a no-op."""

        def job(conn: Connection) -> TicketSummary | _Failed:
            now = self.now()
            t = queue.get(conn, ticket_id)
            if t is None:
                return _Failed(UnknownTicket(ticket_id))
            if t.state in CLOSED_STATES:
                return _Failed(TicketClosed(ticket_id, t.state))
            if t.state == "assigned" and t.agent == agent:
                return t
            if not queue.transition(
                conn,
                ticket_id,
                when_state=["waiting"],
                state="assigned",
                agent=agent,
                assigned_at=now,
                updated_at=now,
            ):
                latest = queue.get(conn, ticket_id)
                return _Failed(TicketTaken(ticket_id, latest.agent if latest else None))
            return self._changed(conn, ticket_id)

        return await self._run(job)

    async def reply(self, ticket_id: int, agent: str, text: str) -> None:
        """Send ``text`` to the shopper through their channel as ``agent`` (signed when a
        signature is configured), with Messenger's HUMAN_AGENT tag allowed (7 days); on
        WhatsApp after 24 hours the configured template goes instead. :class:`WindowClosed`
        when the channel allows nothing: then nothing is sent or recorded."""
        text = text.strip()
        if not text:
            raise HandoffError("an empty reply cannot be sent")
        signed = text
        if self.config.signature:
            shown = (self.display_name(agent) if self.display_name else None) or agent
            signed = f"{text}\n\n{self.config.signature.format(name=shown)}"

        def job(conn: Connection) -> Pushed | _Failed:
            # One transaction: the message is queued with the transcript line and the
            # ticket's response times, so neither can exist without the other.
            t = self._held(conn, ticket_id, agent)
            if isinstance(t, _Failed):
                return t
            try:
                pushed = self.service.queue_push(
                    conn, t.conversation_id, [TextReply(signed)], human_agent=True
                )
            except UnknownConversation:
                if t.reason == "angry_comment":
                    # A commenter can be messaged only once they answer the private reply.
                    return _Failed(WindowClosed(ticket_id, t.channel))
                return _Failed(ChannelOff(ticket_id, t.channel))
            if not pushed.entries:
                return _Failed(WindowClosed(ticket_id, t.channel))
            now = self.now()
            values: dict[str, Any] = {"last_agent_reply_at": now, "updated_at": now}
            if t.first_response_at is None:
                values["first_response_at"] = now
            queue.transition(conn, ticket_id, when_state=["assigned"], when_agent=agent, **values)
            line = queue.record(
                conn,
                conversation_id=t.conversation_id,
                direction="agent",
                text=signed,
                at=now,
                ticket_id=t.id,
                author=agent,
            )
            self.events.publish(DeskEvent("message", t.id, t.conversation_id, t.state, agent, line))
            return pushed

        await self.service.deliver(await self._run(job))
        self.counters["agent_replies"] += 1

    async def note(self, ticket_id: int, agent: str, text: str) -> None:
        """An internal note on the ticket (never sent to the shopper); any agent may add one."""

        def job(conn: Connection) -> None | _Failed:
            t = queue.get(conn, ticket_id)
            if t is None:
                return _Failed(UnknownTicket(ticket_id))
            queue.add_note(conn, ticket_id, agent, text, self.now())
            self.events.publish(
                DeskEvent("ticket_changed", t.id, t.conversation_id, t.state, t.agent)
            )
            return None

        await self._run(job)

    async def transfer(self, ticket_id: int, agent: str, to_agent: str) -> None:
        """Hand a ticket one holds to another agent (the reassignment timer starts again)."""

        def job(conn: Connection) -> TicketSummary | _Failed:
            now = self.now()
            t = self._held(conn, ticket_id, agent)
            if isinstance(t, _Failed):
                return t
            if not queue.transition(
                conn,
                ticket_id,
                when_state=["assigned"],
                when_agent=agent,
                agent=to_agent,
                assigned_at=now,
                updated_at=now,
            ):
                return _Failed(NotYourTicket(ticket_id, agent, None))
            return self._changed(conn, ticket_id)

        await self._run(job)

    async def resolve(self, ticket_id: int, agent: str) -> None:
        """Close the ticket; the bot answers the conversation again, unless the shopper writes
        within ``reopen_within``, which re-opens it."""

        def job(conn: Connection) -> TicketSummary | _Failed:
            now = self.now()
            t = self._close(conn, ticket_id, agent, "resolved", now)
            if isinstance(t, _Failed):
                return t
            self._clear_handoff(conn, t.conversation_id)
            return self._changed(conn, ticket_id)

        await self._run(job)

    async def return_to_bot(self, ticket_id: int, agent: str, flow: str | None = None) -> None:
        """Give the conversation back to the bot, optionally starting ``flow`` at once (its
        first replies are pushed to the shopper). :class:`UnknownFlow` for a bad name.

        Like a shopper's turn: load (a short job), think (the flow and its actions, which
        may do slow I/O, with no transaction open), commit (a second short job, guarded by
        the session's version: a turn of the shopper's committed meanwhile means think again).
        Thinking again runs the flow's opening actions again: unlike a shopper's turn
        (bot/turnwork.py) there is no inbox event to record their writes under.
        """
        if flow is not None and flow not in self.project.flows:
            raise UnknownFlow(flow, list(self.project.flows))
        for _attempt in range(_RETURN_ATTEMPTS):
            t, stored = await self._run(partial(self._load_return, ticket_id, agent))
            state, version = self.service.conversations.resume(stored, t.conversation_id)
            end_handoff(state, bot_resumes=True)
            now = self.now()
            replies: list[Reply] = [TextReply(self.hook.system("handoff_returned", state.locale))]
            if flow is not None:
                # Its actions' jobs are applied once however often this is thought again
                # (bot/turnwork.py), under the ticket's id (negative: no inbox id is).
                run = partial(self.service.db.run, key=t.conversation_id)
                work = TurnWork(run, asyncio.get_running_loop(), -ticket_id)
                more, _effects = await arun_turn(
                    self.engine, self.actions, state, StartInput(flow=flow), now, db=work
                )
                replies += more
            commit = partial(self._commit_return, ticket_id, agent, flow, state, version, replies)
            try:
                done = await self._run(commit)
            except StaleSessionError:  # another process's turn won the race in the write
                continue
            if isinstance(done, _Stale):  # the shopper's turn committed meanwhile
                continue
            if done is not None:
                await self.service.deliver(done)
            return
        raise HandoffError(f"ticket {ticket_id}: the conversation kept changing; try again")

    def _load_return(
        self, ticket_id: int, agent: str, conn: Connection
    ) -> tuple[TicketSummary, StoredSession | None] | _Failed:
        t = self._held(conn, ticket_id, agent, anyone_if_waiting=True)
        if isinstance(t, _Failed):
            return t
        return t, self.service.conversations.store.load_in(conn, t.conversation_id)

    def _commit_return(
        self,
        ticket_id: int,
        agent: str,
        flow: str | None,
        state: SessionState,
        version: int | None,
        replies: list[Reply],
        conn: Connection,
    ) -> Pushed | None | _Stale | _Failed:
        store = self.service.conversations.store
        stored = store.load_in(conn, state.conversation_id)
        if (stored.version if stored is not None else None) != version:
            return _STALE
        now = self.now()
        t = self._close(conn, ticket_id, agent, "returned", now)
        if isinstance(t, _Failed):
            return t
        store.write_in(conn, t.conversation_id, state.to_json(), version)
        if flow is not None:
            turnwork.forget(conn, -ticket_id)
        self.hook._keep_replies(conn, t.conversation_id, replies, t.id, now, flow)
        pushed = None
        if replies:
            try:
                pushed = self.service.queue_push(conn, t.conversation_id, replies)
            except UnknownConversation:
                log.info("%s: conversation unknown; the bot's reply is not sent", ticket_id)
        self._changed(conn, ticket_id)
        return pushed

    def _clear_handoff(self, conn: Connection, conversation_id: str) -> None:
        store = self.service.conversations.store
        stored = store.load_in(conn, conversation_id)
        if stored is None:
            return
        state = SessionState.from_json(stored.data)
        if state.handoff:
            end_handoff(state, bot_resumes=False)
            store.write_in(conn, conversation_id, state.to_json(), stored.version)

    def _changed(self, conn: Connection, ticket_id: int) -> TicketSummary:
        t = queue.get(conn, ticket_id)
        assert t is not None
        self.events.publish(DeskEvent("ticket_changed", t.id, t.conversation_id, t.state, t.agent))
        return t

    # -- agents -----------------------------------------------------------------------------
    async def set_online(self, agent: str, online: bool) -> None:
        """Presence, set by the console: call it again within ``presence_ttl`` (a heartbeat)
        to stay online. Going online may give the agent waiting tickets."""
        await self._run(lambda conn: queue.set_presence(conn, agent, online, self.now()))
        if online and self.config.auto_assign:
            await self._run(lambda conn: self._auto_assign(conn, self.now()))

    def subscribe(self) -> AsyncIterator[DeskEvent]:
        """Live updates (ticket created/changed, new message) for server-sent events: from
        this call on; read with ``async for``, end with ``close()`` or ``async with``."""
        return self.events.subscribe()

    async def metrics(self) -> DeskMetrics:
        return await self._run(lambda conn: collect(conn, self.now(), self.config, self.counters))

    # -- the sweeper ------------------------------------------------------------------------
    async def sweep(self) -> None:
        """One round of housekeeping: reassign silent agents' tickets, auto-assign waiting
        ones, make first-response warnings due, deliver notifications."""
        now = self.now()
        await self._run(lambda conn: self._sweep(conn, now))
        await self.notifier.deliver(self.service.db.run, now)

    def _sweep(self, conn: Connection, now: datetime) -> None:
        cfg = self.config
        if cfg.reassign_after is not None:
            for t in queue.unanswered_assigned(conn, now - cfg.reassign_after):
                # Only to someone who can answer: with nobody else online, taking the ticket
                # away would only make its agent claim it again.
                other = queue.least_busy(conn, now, cfg.presence_ttl, exclude=t.agent)
                if other is not None and queue.transition(
                    conn,
                    t.id,
                    when_state=["assigned"],
                    when_agent=t.agent,
                    agent=other,
                    assigned_at=now,
                    updated_at=now,
                ):
                    self.counters["reassigned"] += 1
                    log.info("ticket #%s: %s did not answer; now %s", t.id, t.agent, other)
                    self._changed(conn, t.id)
        if cfg.auto_assign:
            self._auto_assign(conn, now)
        for t in queue.unanswered(conn):
            # A ticket opened while the team is away is due after the next opening.
            start = cfg.hours.next_opening(t.waiting_since) or t.waiting_since
            due = start + cfg.first_response_target
            if now >= due - cfg.warn_before:
                self.notifier.enqueue(conn, t, "first_response_due", now, due_at=due)
        return None

    def _auto_assign(self, conn: Connection, now: datetime) -> None:
        for t in queue.find(conn, state="waiting"):
            agent = queue.least_busy(
                conn, now, self.config.presence_ttl, cap=self.config.max_per_agent
            )
            if agent is None:
                return
            if queue.transition(
                conn,
                t.id,
                when_state=["waiting"],
                state="assigned",
                agent=agent,
                assigned_at=now,
                updated_at=now,
            ):
                self.counters["auto_assigned"] += 1
                self._changed(conn, t.id)

    def _nudge(self) -> None:
        loop = self.events._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._deliver_soon)

    def _deliver_soon(self) -> None:
        # Queued behind the turn that opened the ticket on the one database thread, so the
        # notification rows are committed by the time delivery reads them.
        task = asyncio.create_task(self._deliver_now())
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver_now(self) -> None:
        try:
            await self.notifier.deliver(self.service.db.run, self.now())
        except Exception as exc:  # the sweeper retries
            log.warning("delivering hand-off notifications failed: %s", exc)

    async def close(self) -> None:
        """Stop deliveries in flight (before the chat service closes its database thread)."""
        for task in list(self._deliveries):
            task.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)

    async def run_sweeper(self) -> None:
        """Sweep forever, every ``sweep_interval`` (the lifespan runs this as a task)."""
        interval = self.config.sweep_interval.total_seconds()
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception as exc:  # a bad round must not end the loop
                log.warning("hand-off sweep failed: %s", exc)

    async def start(self) -> None:
        """On start: desk events go to this loop's subscribers."""
        self.events.bind(asyncio.get_running_loop())


__all__ = ["ContextProvider", "HandoffDesk"]
