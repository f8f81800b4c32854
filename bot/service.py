"""The chat service: from an acknowledged webhook event to replies on the shopper's screen.

    receive(): verify -> parse -> commit to the inbox -> (the webhook answers 200) -> dispatch
    process(): per conversation, in the platform's order, each event in three steps:
               load   one short database job: the session and its version (or a hook
                      takes the event over: answered right there, or with a flow to
                      think first, like a comment's private reply: bot/turnhook.py)
               think  the engine and its actions on the event loop, plain actions in worker
                      threads, no transaction held: a slow Stripe, HTTP API or language
                      model delays its own shopper only
               commit a second short job: claim the event, save the session if it is still
                      at the version loaded, queue the replies; if another worker moved the
                      session on, roll back and think again on the newer one
    deliver(): send what a commit queued, in the conversation's sending lane (after its
               earlier replies; outside the dispatcher's slots, so a slow platform holds no
               turn up); each reply is recorded as sent as soon as its call returns
    flush():   send the conversation's queued calls in order; keep what fails for a retry

Everything acknowledged is processed once, even across a crash: an inbox entry is claimed
(pending -> done) in the same transaction as the session it produced and the replies it
queued, and a worker that finds it already claimed writes nothing. What actions write (a
cart line, an order) commits in jobs of their own during *think*, each recorded under the
event (bot/turnwork.py): a crash between one and the turn's commit runs the turn again on
restart, and the jobs already done return their recorded results instead of writing again.
All database work goes through
group-committing threads (bot/committer.py): one on SQLite, several on PostgreSQL, each
conversation's jobs always on the same one (bot/lanes.py).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection

from adapters.base import (
    Channel,
    Inbound,
    MessageInbound,
    OutboundCall,
    PreCheckoutInbound,
    RenderContext,
    SendResult,
    StatusInbound,
)
from flows import Event, SessionState, arun_turn
from flows.replies import Reply

from . import turnlease, turnwork
from .committer import Committer
from .contacts import Contacts, PayloadTokens, Seen
from .conversations import Conversations
from .dispatcher import Dispatcher
from .inbox import InboxEntry, Journal, OutboxEntry, SendOutcome, ticket_known
from .interpreter import Interpreter, context_for, interpreted
from .lanes import Lanes
from .later import Later
from .logsafe import conversation_ref
from .storage import StaleSessionError, StoredSession
from .turnhook import HookTurn, TurnHook, TurnHookBase
from .turnwork import TurnWork

log = logging.getLogger("shopchat.service")

T = TypeVar("T")
# A commit that finds the session changed by another worker is thought again, this often.
MAX_TURN_ATTEMPTS = 5
# A conversation whose next event another process is thinking a hook's flow for (its lease,
# bot/turnlease.py) is looked at again this often (seconds), until that event is answered.
LEASE_POLL = 0.5
# ... and one whose next event another process accepted (and so is thinking, or soon will):
# a shopper's turn is over in milliseconds, mostly, so at first after 50 ms; an event that
# has waited longer (a slow action, or its process died) is looked at less often, a tenth of
# its age, up to every 2 seconds: a thousand events of a dead process cost 500 loads a second
# until the grace runs out, not 20,000.
ACCEPTED_POLL = (0.05, 2.0)

# payment: a Telegram successful_payment, applied by the checkout hook; comment: a public
# comment, answered (once) by the comment hook (bot/comments.py).
ANSWERABLE = frozenset({"message", "pre_checkout", "payment", "comment"})


class Sender(Protocol):
    async def send(self, call: OutboundCall) -> SendResult: ...


@dataclass
class ChannelLink:
    """A channel as the service uses it: its adapter, its sender and its extras."""

    name: str
    adapter: Channel
    sender: Sender
    acknowledge: Callable[[MessageInbound], list[OutboundCall]] = lambda _i: []
    typing: Callable[[Inbound], OutboundCall | None] = lambda _i: None
    pre_checkout: Callable[[PreCheckoutInbound], OutboundCall | None] = lambda _i: None
    handshake: Callable[[Mapping[str, str]], str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Loaded:
    """What a turn's load job read: the session to think on and the version it had."""

    state: SessionState
    version: int | None
    now: datetime
    #: the contact as the load read it (None: not read, or there is none yet)
    contact: Seen | None = None


@dataclass(frozen=True)
class Elsewhere:
    """Another process is answering this event: it holds the lease on it (it is thinking the
    hook's flow that answers it, bot/turnlease.py), or it accepted the event less than the
    turn lease ago (``ChatService._load_first``). The conversation waits and is looked at
    again in ``wait`` seconds, so that its later events are answered after this one, and by
    one process."""

    wait: float


@dataclass(frozen=True)
class Done:
    """An event answered in its load job (a hook took it over, or no turn was needed)."""

    queued: list[OutboxEntry]


class _Unread:
    """A session not read yet (``None`` says there is none)."""


_UNREAD = _Unread()


class _Claimed(Exception):
    """The event was claimed by another worker first: the job that found out rolls back."""


@dataclass(frozen=True)
class Pushed:
    """Calls queued for one conversation (by a turn or :meth:`ChatService.queue_push`), to
    :meth:`ChatService.deliver` once their transaction has committed."""

    conversation_id: str
    entries: list[OutboxEntry]
    unreachable: frozenset[str] = frozenset()


class UnknownConversation(LookupError):
    """push() to a conversation the service has never heard from."""


class ChatService:
    def __init__(
        self,
        conversations: Conversations,
        journal: Journal,
        contacts: Contacts,
        links: dict[str, ChannelLink],
        *,
        tokens: PayloadTokens | None = None,
        clock: Callable[[], datetime] = utcnow,
        typing_delay: float = 1.0,
        max_concurrency: int = 64,
        hooks: Sequence[TurnHook] = (),
        interpreter: Interpreter | None = None,
        reorder_window: float = 0.0,
        database_threads: int = 1,
        turn_lease: timedelta = turnlease.LEASE,
    ) -> None:
        self.conversations = conversations
        self.journal = journal
        self.contacts = contacts
        self.links = links
        self.tokens = tokens
        self.clock = clock
        self.typing_delay = typing_delay
        self.hooks = list(hooks)
        self.interpreter = interpreter
        self.reorder_window = reorder_window
        # The journal names this process on the events it accepts, and the service on the
        # leases it takes: the same across its restarts (bot/instance.py), so that a restarted
        # process answers its own pending events at once. Another process's events are left to
        # it for ``turn_lease`` from their acceptance (then it is taken for dead: at least
        # once). A journal built without a name gets one for this process's life.
        if journal.instance is None:
            journal.instance = uuid.uuid4().hex
        self.instance: str = journal.instance
        self.turn_lease = turn_lease
        # Accepted events waiting out the reordering window before they are dispatched.
        self._held: dict[int, tuple[asyncio.TimerHandle, str, InboxEntry]] = {}
        self.db = Lanes(conversations.store, lanes=database_threads)
        # Conversations with replies that could not be sent yet: their next replies wait.
        self._backlog: set[str] = set()
        self._typing: set[asyncio.Task[SendResult]] = set()  # keeps typing sends alive
        # Sends done but not yet recorded in the outbox, and contacts found unreachable.
        self._outcomes: list[SendOutcome] = []
        self._gone: list[str] = []
        self._recording: set[asyncio.Future[None]] = set()  # sent-marks not committed yet
        self._marks: dict[Committer, _Marks] = {}  # per database thread
        # Per database thread, the events whose turn load waits for it (by inbox id).
        self._loads: dict[Committer, dict[int, InboxEntry]] = {}
        # Per conversation, its latest delivery: the next one starts when it is done.
        self._lanes: dict[str, asyncio.Task[None]] = {}
        self.dispatcher: Dispatcher[InboxEntry] = Dispatcher(
            self._process, max_concurrency=max_concurrency
        )

    # -- in ------------------------------------------------------------------------------
    async def receive(self, name: str, headers: Mapping[str, str], body: bytes) -> int:
        """Verify, parse and durably accept a webhook body; return how many events are new.

        Raises WebhookRejected or BadPayload (the route answers 401/403/400); storage errors
        propagate (the route answers 503 so that the platform retries).
        """
        link = self.links[name]
        link.adapter.verify(headers, body)
        events = link.adapter.parse(body)
        return await self.accept(events)

    async def accept(self, events: list[Inbound]) -> int:
        """Commit ``events`` to the inbox, then dispatch the new ones. Returns how many."""

        def job(conn: Connection) -> Later[list[InboxEntry]]:
            fresh = self.journal.accept_later(conn, events, answerable=ANSWERABLE)
            for event in events:
                # Telegram says when a user blocks (or unblocks) the bot; WhatsApp says in
                # a failed status that a number cannot receive messages.
                reachable = event.reachable if isinstance(event, StatusInbound) else None
                if reachable is not None and event.conversation_id:
                    self.contacts.set_unreachable(conn, event.conversation_id, not reachable)
            return fresh

        # Urgent: the platform waits for this commit (the webhook's 200), so it joins the
        # transaction under way instead of queueing behind turns (bot/committer.py).
        entries = await self.db.run_later(
            job, first=True, key=events[0].conversation_id if events else None
        )
        if self.reorder_window <= 0:
            for entry in entries:
                await self.dispatcher.submit(entry.inbound.conversation_id, entry)
            return len(entries)
        # True order: an event waits out a short window before its turn, so that an earlier
        # one of its conversation delivered a moment later (Telegram sends updates over
        # parallel connections) is still pending then, and _load_first answers it first.
        # The wait holds no dispatcher slot: it is a timer, not a task.
        loop = asyncio.get_running_loop()
        for entry in entries:
            cid = entry.inbound.conversation_id
            timer = loop.call_later(self.reorder_window, self._release, entry.id)
            self._held[entry.id] = (timer, cid, entry)
        return len(entries)

    def _release(self, entry_id: int) -> None:
        held = self._held.pop(entry_id, None)
        if held is not None:
            timer, cid, entry = held
            timer.cancel()
            try:
                self.dispatcher.put(cid, entry)
            except RuntimeError:  # shutting down: it stays pending, for the next start
                log.info("inbox %s is left for the next start", entry.id)

    def _hold(self, entry: InboxEntry, wait: float) -> None:
        """Dispatch ``entry`` again in ``wait`` seconds (its conversation waits for an event
        another process holds the lease on)."""
        held = self._held.pop(entry.id, None)
        if held is not None:
            held[0].cancel()
        timer = asyncio.get_running_loop().call_later(wait, self._release, entry.id)
        self._held[entry.id] = (timer, entry.inbound.conversation_id, entry)

    def _release_all(self) -> None:
        """Dispatch every held event now (drain, close)."""
        for entry_id in sorted(self._held):
            self._release(entry_id)

    # -- processing ----------------------------------------------------------------------
    async def _process(self, conversation_id: str, entry: InboxEntry) -> None:
        typing = _Typing(self, self.links.get(entry.inbound.channel), entry.inbound)
        # A timer, not a task: most turns finish long before the typing indicator is due.
        timer = asyncio.get_running_loop().call_later(self.typing_delay, typing.due)
        # Waiting for its load job: the first of a transaction reads for all of them.
        lane = self.db.lane(conversation_id)
        loads = self._loads.setdefault(lane, {})
        loads[entry.id] = entry
        try:
            try:
                first = await self._guarded(partial(self._load_first, entry, loads), entry)
            finally:
                loads.pop(entry.id, None)
            if first is None:
                return
            batch, loaded, later = first
            if not batch and loaded is None:
                log.info("inbox %s was processed by another worker", entry.id)
            if isinstance(loaded, Elsewhere):
                self._hold(entry, loaded.wait)
                return
            # Whether the bot answers is what the load job read from the database (a person
            # who owns the conversation, in any process, made a hook take the event over).
            typing.decided(isinstance(loaded, Loaded))
            for n, item in enumerate(batch):
                queued = await self._run(item, loaded if n == 0 else None)
                if isinstance(queued, Elsewhere):  # the rest waits for that event's answer
                    self._hold(entry, queued.wait)
                    break
                if queued:
                    # Sent in the conversation's sending lane, not in this dispatcher slot:
                    # a slow platform must not hold the slots other chats' turns need.
                    self._lane(Pushed(conversation_id, queued))
            else:
                if later is not None:  # ``entry`` comes after another process's event
                    self._hold(entry, later.wait)
        finally:
            timer.cancel()

    def _show_typing(self, link: ChannelLink | None, inbound: Inbound) -> None:
        if link is None or inbound.kind != "message":
            return
        call = link.typing(inbound)
        if call is not None:
            task = asyncio.create_task(link.sender.send(call))
            self._typing.add(task)
            task.add_done_callback(self._typing.discard)

    def _load_first(
        self, entry: InboxEntry, loads: dict[int, InboxEntry], conn: Connection
    ) -> tuple[list[InboxEntry], Loaded | Done | HookTurn | Elsewhere | None, Elsewhere | None]:
        """The conversation's pending events in the platform's order that this process may
        think, the first one loaded, and whether ``entry`` waits behind another process's.

        Telegram may deliver one chat's updates over parallel connections: ordering by
        update_id here restores the order the shopper wrote in. Nothing is claimed yet: each
        event is claimed by the job that commits what it produced, so another process may be
        thinking one of them: the one that accepted it, for ``turn_lease`` after it did. The
        batch stops before such an event (its actions, a payment call, must run once); the
        process that accepted it answers it and what follows, or this one, looking again,
        answers what follows once it is claimed. ``entry`` is looked at again if it is among
        the events left (the third value; the second when nothing is left to think).
        """
        loads.pop(entry.id, None)  # no longer waiting (dict.pop is atomic: two threads)
        reads = self.journal.turn_reads_among(conn, entry, loads)
        batch = sorted(reads.events, key=_platform_order)
        later: Elsewhere | None = None
        now = utcnow()
        for n, item in enumerate(batch):
            by, at = reads.accepted.get(item.id, (None, None))
            if by is None or by == self.instance or at is None:
                continue
            left = (at + self.turn_lease - now).total_seconds()
            if left <= 0:  # its process is taken for dead: anyone's (at least once)
                continue
            if any(e.id == entry.id for e in batch[n:]):
                age = (now - at).total_seconds()
                wait = min(max(ACCEPTED_POLL[0], age / 10), ACCEPTED_POLL[1], left)
                later = Elsewhere(wait + 0.01)
            log.info("inbox %s is being answered by the process that accepted it", item.id)
            batch = batch[:n]
            break
        if not batch:
            return batch, later, None
        # The hand-off hook asks for the newest ticket: the same statement read it.
        with ticket_known(conn, entry.inbound.conversation_id, reads.ticket):
            first = self._load(batch[0], self.clock(), conn, reads.session, reads.contact)
        return batch, first, later

    async def _run(
        self, item: InboxEntry, loaded: Loaded | Done | HookTurn | Elsewhere | None
    ) -> list[OutboxEntry] | Elsewhere:
        """One event through load, think and commit; thought again when its commit loses to
        another worker's (the session's version moved on)."""
        cid = item.inbound.conversation_id
        try:
            for _attempt in range(MAX_TURN_ATTEMPTS):
                if loaded is None:
                    loaded = await self._guarded(partial(self._load, item, self.clock()), item)
                if loaded is None:
                    return []
                if isinstance(loaded, Done):
                    return loaded.queued
                if isinstance(loaded, Elsewhere):
                    return loaded
                commit: Callable[[Connection], Later[list[OutboxEntry]]]
                try:
                    if isinstance(loaded, HookTurn):
                        replies, _effects, wrote = await self._think_flow(
                            item.id, cid, loaded.state, loaded.event, loaded.now
                        )
                        commit = partial(self._commit_hooked, item, loaded, replies, wrote)
                    else:
                        replies, effects, wrote = await self._think(item, loaded)
                        commit = partial(self._commit, item, loaded, replies, effects, wrote)
                except Exception as exc:  # a bug in an action or the engine: record, move on
                    await self._failed(item, exc)
                    return []
                try:
                    return await self.db.run_later(commit, key=cid)
                except _Claimed:
                    log.info("inbox %s was answered by another worker", item.id)
                    return []
                except StaleSessionError:
                    log.info("inbox %s: the session moved on meanwhile; thinking again", item.id)
                    loaded = None
                except Exception as exc:
                    await self._failed(item, exc)
                    return []
            log.error(
                "inbox %s: %d commits in a row lost to other workers changing %s; given up",
                item.id,
                MAX_TURN_ATTEMPTS,
                conversation_ref(cid),
            )
            await self._failed(item, RuntimeError(f"{MAX_TURN_ATTEMPTS} conflicting commits"))
            return []
        finally:
            for hook in self.hooks:
                hook.end_turn(cid)

    async def _guarded(self, job: Callable[[Connection], T], item: InboxEntry) -> T | None:
        """A load job; None when the event is someone else's or failed (recorded)."""
        try:
            return await self.db.run(job, key=item.inbound.conversation_id)
        except _Claimed:
            log.info("inbox %s was processed by another worker", item.id)
        except Exception as exc:  # a bug in a hook: record, move on
            await self._failed(item, exc)
        return None

    async def _failed(self, item: InboxEntry, exc: BaseException) -> None:
        log.error("inbox %s failed: %s: %s", item.id, type(exc).__name__, exc, exc_info=exc)
        message = f"{type(exc).__name__}: {exc}"

        def job(conn: Connection) -> None:
            self.journal.fail(conn, item.id, message)
            turnwork.forget(conn, item.id)
            turnlease.drop(conn, item.id)

        await self.db.run(job, key=item.inbound.conversation_id)

    # load: one short database job
    def _load(
        self,
        item: InboxEntry,
        now: datetime,
        conn: Connection,
        stored: StoredSession | None | _Unread = _UNREAD,
        contact: Seen | None = None,
    ) -> Loaded | Done | HookTurn | Elsewhere:
        """``stored``, ``contact``: the session and contact, when the caller read them
        already (the session None: it has none)."""
        inbound = item.inbound
        link = self.links.get(inbound.channel)
        if link is None:
            log.warning(
                "inbox %s: channel %s is not configured; left pending", item.id, inbound.channel
            )
            return Done([])
        for hook in self.hooks:
            calls = hook.take_over(conn, link, inbound, now)
            if isinstance(calls, HookTurn):  # thought, then committed, like a turn
                # by one process at a time: its flow's actions may call a payment API
                until = turnlease.take(conn, item.id, self.instance, utcnow(), self.turn_lease)
                if until is None:
                    return calls
                left = (until - utcnow()).total_seconds()
                log.info("inbox %s is being answered by another process", item.id)
                return Elsewhere(min(LEASE_POLL, max(left, 0.0)) + 0.01)
            if calls is not None:
                return Done(self._answered(conn, link, item, calls, now))
        if isinstance(inbound, MessageInbound):
            convos = self.conversations
            cid = inbound.conversation_id
            if isinstance(stored, _Unread):
                stored = convos.store.load_in(conn, cid)
            state, version = convos.resume(
                stored,
                cid,
                locale=inbound.locale,
                user=inbound.user,
                channel=link.name,
            )
            for hook in self.hooks:
                hook.prepare(conn, inbound, state, now)
            return Loaded(state, version, now, contact)
        calls = []
        if isinstance(inbound, PreCheckoutInbound):
            calls = [c for c in [link.pre_checkout(inbound)] if c is not None]
        return Done(self._answered(conn, link, item, calls, now))

    def _answered(
        self,
        conn: Connection,
        link: ChannelLink,
        item: InboxEntry,
        calls: list[OutboundCall],
        now: datetime,
    ) -> list[OutboxEntry]:
        """Claim an event answered without a turn (a hook took it over) and queue the answer."""
        if not self.journal.claim(conn, item):
            raise _Claimed(item.id)  # rolls back what the hook wrote: it was answered already
        inbound = item.inbound
        if isinstance(inbound, MessageInbound) and inbound.conversation_id:
            self.contacts.seen(conn, inbound, now)
        return self.journal.queue(conn, link.name, _owned(calls, inbound))

    # think: on the event loop, no transaction
    async def _think(self, item: InboxEntry, loaded: Loaded) -> tuple[list[Reply], list[Any], bool]:
        """The turn's replies and effects, and whether its actions wrote (bot/turnwork.py)."""
        inbound = item.inbound
        assert isinstance(inbound, MessageInbound)
        convos = self.conversations
        context = context_for(
            convos.engine.project,
            inbound.conversation_id,
            inbound.channel,
            inbound.locale,
            loaded.now,
            loaded.state,
        )
        event = await interpreted(self.interpreter, inbound.event, context)
        return await self._think_flow(
            item.id, inbound.conversation_id, loaded.state, event, loaded.now
        )

    async def _think_flow(
        self, inbox_id: int, cid: str, state: SessionState, event: Event, now: datetime
    ) -> tuple[list[Reply], list[Any], bool]:
        # Each job the actions run is applied once for this event, however often the turn
        # is thought (a crash before its commit, a commit lost to another worker).
        convos = self.conversations
        work = TurnWork(partial(self.db.run, key=cid), asyncio.get_running_loop(), inbox_id)
        replies, effects = await arun_turn(
            convos.engine,
            convos.actions,
            state,
            event,
            now,
            db=work,
            waiting=self.dispatcher.stepped_out,  # an action's wait holds no slot
        )
        return replies, effects, work.recorded

    # commit: the second short database job, guarded by the session's version
    def _commit(
        self,
        item: InboxEntry,
        loaded: Loaded,
        replies: list[Reply],
        effects: list[Any],
        wrote: bool,
        conn: Connection,
    ) -> Later[list[OutboxEntry]]:
        inbound = item.inbound
        assert isinstance(inbound, MessageInbound)
        link = self.links[inbound.channel]
        state, now = loaded.state, loaded.now
        # Collected with the transaction's other turns (bot/later.py): the claim, the session
        # and the replies are written by one statement each for all of them. A claim lost to
        # another worker, or a session it moved on, is raised once they ran; the transaction
        # rolls back and this turn then runs alone, so nothing of it is kept.
        claimed = self.journal.claim_later(conn, item)
        if wrote:  # the turn commits: what its actions wrote will not be replayed
            turnwork.forget(conn, item.id)
        for hook in self.hooks:
            replies = hook.reshape(conn, inbound, state, replies, effects, now)
        ctx = RenderContext(
            now=now,
            locale=state.locale,
            last_inbound_at=now,
            payloads=self.tokens,
            reply_to=inbound,
        )
        if self.tokens is not None:
            with self.tokens.using(conn):
                rendered = link.adapter.render(inbound.recipient, replies, ctx)
        else:
            rendered = link.adapter.render(inbound.recipient, replies, ctx)
        calls = _owned(link.acknowledge(inbound) + rendered, inbound)
        # StaleSessionError when another worker committed a turn of this conversation since
        # the load: this job rolls back (the claim too) and the turn is thought again.
        saved = self.conversations.store.write_later(
            conn, inbound.conversation_id, state.to_json(), loaded.version
        )
        if inbound.conversation_id:
            self.contacts.seen(conn, inbound, now, read=loaded.contact)
        for hook in self.hooks:
            more = hook.commit(conn, inbound, state, replies, effects, now)
            if more:
                calls = calls + _owned(list(more), inbound)
        queued = self.journal.queue_later(conn, link.name, calls)

        def committed() -> list[OutboxEntry]:
            if not claimed.get():
                raise _Claimed(item.id)  # answered by another worker: keep nothing of this
            saved.get()
            return queued.get()

        return Later(committed)

    def _commit_hooked(
        self,
        item: InboxEntry,
        turn: HookTurn,
        replies: list[Reply],
        wrote: bool,
        conn: Connection,
    ) -> Later[list[OutboxEntry]]:
        """The commit of a hook's flow: claim the event, then the hook writes its rows and
        the session (StaleSessionError: rolled back, thought again) and says what to send."""
        link = self.links[item.inbound.channel]
        turnlease.drop(conn, item.id)
        if not self.journal.claim(conn, item):
            log.info("inbox %s was answered by another worker", item.id)
            return Later.now([])  # the lease's drop commits
        if wrote:
            turnwork.forget(conn, item.id)
        calls = turn.finish(conn, replies)
        return self.journal.queue_later(conn, link.name, _owned(calls, item.inbound))

    # -- pushed messages -----------------------------------------------------------------
    async def push(
        self, conversation_id: str, replies: Sequence[Reply], *, human_agent: bool = False
    ) -> int:
        """Send ``replies`` to a conversation outside a turn: an agent's answer, an order update.

        Rendered for the shopper's channel with its messaging windows (``human_agent`` allows
        Messenger's HUMAN_AGENT tag for 7 days); queued in the outbox, so a failed send is
        retried like any reply and keeps its place in the conversation's order. Returns how
        many API calls were queued: 0 when the window is closed and nothing may be sent.
        Raises :class:`UnknownConversation` for a conversation never heard from.
        """
        pushed = await self.db.run(
            lambda conn: self.queue_push(conn, conversation_id, replies, human_agent=human_agent),
            key=conversation_id,
        )
        await self.deliver(pushed)
        return len(pushed.entries)

    def queue_push(
        self,
        conn: Connection,
        conversation_id: str,
        replies: Sequence[Reply],
        *,
        human_agent: bool = False,
    ) -> Pushed:
        """Like :meth:`push`, inside the caller's transaction: the message commits with the
        change it reports (a payment, a status), so a crash can't lose one without the
        other. Hand the result to :meth:`deliver` after the commit."""
        contact = self.contacts.get(conversation_id, conn)
        if contact is None:
            raise UnknownConversation(conversation_id)
        link = self.links.get(contact.channel)
        if link is None:
            raise UnknownConversation(f"{conversation_id} (channel {contact.channel} is off)")
        ctx = RenderContext(
            now=self.clock(),
            locale=contact.locale or "en",
            last_inbound_at=contact.last_inbound_at,
            human_agent=human_agent,
            payloads=self.tokens,
        )
        if self.tokens is not None:
            with self.tokens.using(conn):
                rendered = link.adapter.render(contact.recipient, list(replies), ctx)
        else:
            rendered = link.adapter.render(contact.recipient, list(replies), ctx)
        calls = [OutboundCall(c.method, c.payload, conversation_id) for c in rendered]
        unreachable = frozenset({conversation_id} if contact.unreachable else ())
        return Pushed(conversation_id, self.journal.queue(conn, link.name, calls), unreachable)

    async def deliver(self, pushed: Pushed) -> None:
        """Send queued calls, once their transaction has committed, after what the
        conversation's earlier turns and pushes queued; returns when they have been tried."""
        await asyncio.shield(self._lane(pushed))

    def _lane(self, pushed: Pushed) -> asyncio.Task[None]:
        """Queue a delivery behind the conversation's earlier ones (one lane per conversation
        with something to send, dropped when it empties)."""
        cid = pushed.conversation_id
        task = asyncio.create_task(self._deliver_after(self._lanes.get(cid), pushed))
        self._lanes[cid] = task
        task.add_done_callback(partial(self._lane_done, cid))
        return task

    def _lane_done(self, cid: str, task: asyncio.Task[None]) -> None:
        if self._lanes.get(cid) is task:
            del self._lanes[cid]
        if not task.cancelled() and task.exception() is not None:
            # Its calls stay queued in the outbox for the next flush.
            log.error("sending to %s failed", conversation_ref(cid), exc_info=task.exception())

    async def _deliver_after(self, previous: asyncio.Task[None] | None, pushed: Pushed) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # its failure is its own (logged by _lane_done)
        # The backlog may be another process's (serve --workers): the outbox says so too.
        waiting = any(entry.after_unsent for entry in pushed.entries)
        if waiting or pushed.conversation_id in self._backlog:
            await self.flush(pushed.conversation_id)
        else:
            await self._send(pushed.entries, set(pushed.unreachable))

    # -- out -----------------------------------------------------------------------------
    async def flush(self, conversation_id: str | None = None) -> None:
        """Send every queued call (of one conversation, or all) still unsent, in order."""

        outcomes, gone = self._take_outcomes()

        def load(conn: Connection) -> tuple[list[OutboxEntry], set[str]]:
            # Sends not recorded yet are recorded first, or they would look unsent.
            self._record(conn, outcomes=outcomes, gone=gone)
            entries = self.journal.unsent(conn, conversation_id)
            cids = {e.call.conversation_id for e in entries}
            return entries, self.contacts.unreachable_among(conn, cids)

        entries, unreachable = await self.db.run(load, key=conversation_id)
        if conversation_id is not None:
            self._backlog.discard(conversation_id)
        else:
            self._backlog.clear()
        await self._send(entries, unreachable)

    async def _send(self, entries: list[OutboxEntry], unreachable: set[str]) -> None:
        """Send calls in order per conversation; stop a conversation at a call that must wait."""
        if not entries:
            return
        by_conversation: dict[str, list[OutboxEntry]] = {}
        for entry in entries:
            by_conversation.setdefault(entry.call.conversation_id, []).append(entry)

        async def send_in_order(cid: str, queue: list[OutboxEntry]) -> None:
            for entry in queue:
                link = self.links.get(entry.channel)
                if link is None:
                    self._backlog.add(cid)
                    return
                if cid in unreachable:
                    self._recorded(cid, SendOutcome(entry.id, "unreachable", give_up=True))
                    continue
                result = await link.sender.send(entry.call)
                if result.ok:
                    self._recorded(cid, SendOutcome(entry.id))
                elif result.unreachable:
                    log.info(
                        "%s is unreachable (%s): not messaging them again",
                        conversation_ref(cid),
                        result.error,
                    )
                    unreachable.add(cid)
                    self._gone.append(cid)
                    self._recorded(
                        cid, SendOutcome(entry.id, result.error or "unreachable", give_up=True)
                    )
                elif result.permanent:
                    log.warning(
                        "%s %s refused for %s: %s",
                        entry.channel,
                        entry.call.method,
                        conversation_ref(cid),
                        result.error,
                    )
                    self._recorded(
                        cid, SendOutcome(entry.id, result.error or "refused", give_up=True)
                    )
                else:
                    # Keep it, and what follows it in this conversation, for the next flush.
                    self._recorded(cid, SendOutcome(entry.id, result.error or "not sent"))
                    self._backlog.add(cid)
                    return

        if len(by_conversation) == 1:  # a turn's replies: no task needed
            [(cid, queue)] = by_conversation.items()
            await send_in_order(cid, queue)
        else:
            await asyncio.gather(*(send_in_order(c, q) for c, q in by_conversation.items()))

    def _recorded(self, cid: str, outcome: SendOutcome) -> None:
        """Record a send in the outbox as soon as its HTTP call returned: in the urgent lane of
        the conversation's database thread (its next flush reads the outbox after that), so a
        crash sends again only what went out in the last few milliseconds (sending is at
        least once, with that window). Sends returning before the job runs join it."""
        lane = self.db.lane(cid)
        marks = self._marks.get(lane)
        if marks is None:
            marks = self._marks[lane] = _Marks(self, lane)
        marks.add(outcome)

    def _take_outcomes(self) -> tuple[list[SendOutcome], list[str]]:
        outcomes, gone = self._outcomes, self._gone
        self._outcomes, self._gone = [], []
        return outcomes, gone

    def _record(self, conn: Connection, *, outcomes: list[SendOutcome], gone: list[str]) -> None:
        self.journal.record_sends(conn, outcomes)
        for cid in gone:
            self.contacts.set_unreachable(conn, cid)

    async def recover(self) -> int:
        """After a (re)start: send what was queued, then process what was acknowledged."""
        await self.flush()
        pending = await self.db.run(lambda conn: self.journal.pending(conn))
        for entry in pending:
            await self.dispatcher.submit(entry.inbound.conversation_id, entry)
        if pending:
            log.warning("recovering %d acknowledged events after a restart", len(pending))
        return len(pending)

    async def drain(self) -> None:
        """Wait until everything accepted so far is processed, sent and recorded as sent
        (events still in the reordering window are dispatched at once)."""
        self._release_all()
        await self.dispatcher.drain()
        while self._lanes:
            await asyncio.gather(*self._lanes.values(), return_exceptions=True)
        if self._typing:
            await asyncio.gather(*self._typing, return_exceptions=True)
        while self._recording:
            await asyncio.gather(*self._recording, return_exceptions=True)

    async def close(self) -> None:
        self._release_all()
        await self.dispatcher.close()
        await self.drain()
        self.db.close()


class _Typing:
    """A typing indicator for one event: shown once it is due (the turn is taking a while)
    and the load job found that the bot answers (not a person)."""

    __slots__ = ("service", "link", "inbound", "is_due", "bot_answers")

    def __init__(self, service: ChatService, link: ChannelLink | None, inbound: Inbound) -> None:
        self.service, self.link, self.inbound = service, link, inbound
        self.is_due = False
        self.bot_answers: bool | None = None  # unknown until the load job returns

    def due(self) -> None:
        self.is_due = True
        if self.bot_answers:
            self.service._show_typing(self.link, self.inbound)

    def decided(self, bot_answers: bool) -> None:
        self.bot_answers = bot_answers
        if bot_answers and self.is_due:
            self.service._show_typing(self.link, self.inbound)


class _Marks:
    """Sent-marks waiting for one database thread: one urgent job records all that came in
    before it ran (one statement, not one per reply)."""

    def __init__(self, service: ChatService, lane: Committer) -> None:
        self.service = service
        self.lane = lane
        self.outcomes: deque[SendOutcome] = deque()  # appended on the loop, taken in the job
        self.queued = False  # a job is submitted and has not started taking yet

    def add(self, outcome: SendOutcome) -> None:
        self.outcomes.append(outcome)
        if self.queued:
            return
        self.queued = True
        service = self.service
        taken: list[SendOutcome] = []
        gone, service._gone = service._gone, []
        future = self.lane.submit_first(partial(self._record, taken, gone))
        service._recording.add(future)
        future.add_done_callback(partial(self._done, taken, gone))

    def _record(self, taken: list[SendOutcome], gone: list[str], conn: Connection) -> None:
        self.queued = False  # what comes in from now on needs a job of its own
        while self.outcomes:
            taken.append(self.outcomes.popleft())
        self.service._record(conn, outcomes=taken, gone=gone)

    def _done(
        self, taken: list[SendOutcome], gone: list[str], future: asyncio.Future[None]
    ) -> None:
        service = self.service
        service._recording.discard(future)
        exc = None if future.cancelled() else future.exception()
        if future.cancelled() or exc is not None:
            # Kept for the next flush; until then these replies look unsent, and a restart
            # would send them again (sending is at least once).
            log.warning("recording %d sent replies failed: %s", len(taken), exc)
            service._outcomes.extend(taken)
            service._gone.extend(gone)


def _owned(calls: list[OutboundCall], inbound: Inbound) -> list[OutboundCall]:
    """Calls tagged with the conversation they answer, so the outbox keeps their order."""
    return [
        c if c.conversation_id else OutboundCall(c.method, c.payload, inbound.conversation_id)
        for c in calls
    ]


def _platform_order(entry: InboxEntry) -> tuple[int, float, int]:
    """The order the shopper sent a conversation's events in: Telegram's update_id; else
    the platform's timestamp (WhatsApp, Messenger: to the second or millisecond); then
    arrival."""
    inbound = entry.inbound
    sent = inbound.sent_at.timestamp() if inbound.sent_at is not None else 0.0
    return (inbound.order_key or 0, sent, entry.id)


__all__ = [
    "ANSWERABLE",
    "ChannelLink",
    "ChatService",
    "Pushed",
    "Sender",
    "TurnHook",
    "TurnHookBase",
    "UnknownConversation",
]
