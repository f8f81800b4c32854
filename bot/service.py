"""The chat service: from an acknowledged webhook event to replies on the shopper's screen.

    receive(): verify -> parse -> commit to the inbox -> (the webhook answers 200) -> dispatch
    process(): per conversation, in order: run the turn; commit session + inbox done + outbox
    flush():   send the conversation's queued calls in order; keep what fails for a retry

Everything acknowledged is processed exactly once, even across a crash: an inbox entry is
claimed (pending -> done) in the same transaction as the session it produced and the replies
it queued, and a worker that finds it already claimed writes nothing. All database work goes
through one group-committing thread (bot/committer.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

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
from flows import SessionState, run_turn
from flows.replies import Reply

from .committer import Committer
from .contacts import Contacts, PayloadTokens
from .conversations import Conversations
from .dispatcher import Dispatcher
from .inbox import InboxEntry, Journal, OutboxEntry, SendOutcome
from .interpreter import Interpreter, context_for, interpreted
from .logsafe import conversation_ref

log = logging.getLogger("shopchat.service")

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


class TurnHook(Protocol):
    """A feature that sees every acknowledged event inside its processing transaction.

    ``before_turn`` may take an event over: returning a list of calls (maybe empty) means the
    hook answered it and the bot does not run (a person owns the conversation; a payment event
    was applied). ``None`` lets the next hook, then the bot, handle it. ``after_turn`` sees what
    the bot did (the transcript, hand-off effects) and may return calls to send after the
    turn's replies (a Telegram invoice the turn asked for). Both run in the transaction that
    claims the event, so what they write commits with it, exactly once.

    Two optional methods (looked up by name, so existing hooks need not define them):
    ``reshape(conn, inbound, state, replies, effects, now) -> list[Reply]`` may replace the
    bot's replies before they are rendered (the hand-off desk puts its acknowledgement in
    place of the engine's generic hand-off text) and append effects; it must only read.
    ``silences(conversation_id) -> bool`` says, without the database, that no typing
    indicator may be shown (a person owns the conversation). ``end_turn()`` is called after
    every event, however it went, to drop per-turn state. ``prepare(conn, inbound, state,
    now)`` may fill the session before the engine runs (the customer's remembered facts).
    """

    def before_turn(
        self, conn: Connection, link: ChannelLink, inbound: Inbound, now: datetime
    ) -> list[OutboundCall] | None: ...

    def after_turn(
        self,
        conn: Connection,
        inbound: MessageInbound,
        state: SessionState,
        replies: Sequence[Reply],
        effects: Sequence[Any],
        now: datetime,
    ) -> list[OutboundCall] | None: ...


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
        self.db = Committer(conversations.store)
        # Conversations with replies that could not be sent yet: their next replies wait.
        self._backlog: set[str] = set()
        self._typing: set[asyncio.Task[SendResult]] = set()  # keeps typing sends alive
        # Sends done but not yet recorded in the outbox, and contacts found unreachable.
        self._outcomes: list[SendOutcome] = []
        self._gone: list[str] = []
        self._recorder: asyncio.Task[None] | None = None
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

        def job(conn: Connection) -> list[InboxEntry]:
            fresh = self.journal.accept(conn, events, answerable=ANSWERABLE)
            for event in events:
                # Telegram says when a user blocks (or unblocks) the bot; WhatsApp says in
                # a failed status that a number cannot receive messages.
                reachable = event.reachable if isinstance(event, StatusInbound) else None
                if reachable is not None and event.conversation_id:
                    self.contacts.set_unreachable(conn, event.conversation_id, not reachable)
            return fresh

        entries = await self.db.run(job)
        for entry in entries:
            await self.dispatcher.submit(entry.inbound.conversation_id, entry)
        return len(entries)

    # -- processing ----------------------------------------------------------------------
    async def _process(self, conversation_id: str, entry: InboxEntry) -> None:
        link = self.links.get(entry.inbound.channel)
        # A timer, not a task: most turns finish long before the typing indicator is due.
        timer = asyncio.get_running_loop().call_later(
            self.typing_delay, self._show_typing, link, entry.inbound
        )
        try:
            entry = await self._interpret(entry)
            queued = await self.db.run(lambda conn: self._run_pending(conn, conversation_id, entry))
        finally:
            timer.cancel()
        await self.deliver(Pushed(conversation_id, queued))

    async def _interpret(self, entry: InboxEntry) -> InboxEntry:
        """The entry with the interpreter's reading of its text (bot/interpreter.py)."""
        inbound = entry.inbound
        if self.interpreter is None or not isinstance(inbound, MessageInbound):
            return entry
        project = self.conversations.engine.project
        context = context_for(
            project, inbound.conversation_id, inbound.channel, inbound.locale, self.clock()
        )
        event = await interpreted(self.interpreter, inbound.event, context)
        if event is inbound.event:
            return entry
        return InboxEntry(entry.id, inbound.model_copy(update={"event": event}))

    def _show_typing(self, link: ChannelLink | None, inbound: Inbound) -> None:
        if link is None or inbound.kind != "message":
            return
        for hook in self.hooks:
            silences = getattr(hook, "silences", None)
            if silences is not None and silences(inbound.conversation_id):
                return
        call = link.typing(inbound)
        if call is not None:
            task = asyncio.create_task(link.sender.send(call))
            self._typing.add(task)
            task.add_done_callback(self._typing.discard)

    def _run_pending(
        self, conn: Connection, conversation_id: str, entry: InboxEntry
    ) -> list[OutboxEntry]:
        """Process ``entry`` and any earlier-ordered entries of the conversation still pending.

        Telegram may deliver one chat's updates over parallel connections; ordering by
        update_id here restores the order the shopper wrote in. The events are claimed first,
        in the same statement that finds them: one another worker claimed is not here.
        """
        batch = self.journal.claim_upto(conn, entry)
        if not batch:
            log.info("inbox %s was processed by another worker", entry.id)
        batch.sort(key=lambda e: (_order_key(e.inbound), e.id))
        queued: list[OutboxEntry] = []
        for item in batch:
            queued += self._run_one(conn, item)
        return queued

    def _run_one(self, conn: Connection, entry: InboxEntry) -> list[OutboxEntry]:
        try:
            return self._run_hooked(conn, entry)
        finally:
            # Whatever happened (a hook took the event over, the turn failed), hooks holding
            # per-turn state (checkout binds the turn's transaction) let go of it here.
            for hook in self.hooks:
                end = getattr(hook, "end_turn", None)
                if end is not None:
                    end()

    def _run_hooked(self, conn: Connection, entry: InboxEntry) -> list[OutboxEntry]:
        inbound = entry.inbound
        link = self.links.get(inbound.channel)
        if link is None:
            log.warning(
                "inbox %s: channel %s is not configured; left pending", entry.id, inbound.channel
            )
            self.journal.release(conn, entry.id)
            return []
        now = self.clock()
        turn: tuple[SessionState, Sequence[Reply], Sequence[Any]] | None = None
        try:
            # Compute first, write after: a failure here leaves nothing half-written.
            calls = self._hooked(conn, link, inbound, now)
            state: SessionState | None = None
            version: int | None = None
            if calls is not None:
                pass
            elif isinstance(inbound, MessageInbound):
                state, version, calls, replies, effects = self._turn(conn, link, inbound, now)
                turn = (state, replies, effects)
            elif isinstance(inbound, PreCheckoutInbound):
                calls = _owned([c for c in [link.pre_checkout(inbound)] if c is not None], inbound)
            else:
                calls = []
        except Exception as exc:  # a bug must not wedge the conversation: record, move on
            log.exception("inbox %s failed: %s", entry.id, exc)
            self.journal.fail(conn, entry.id, f"{type(exc).__name__}: {exc}")
            return []
        if state is not None:
            store = self.conversations.store
            store.write_in(conn, inbound.conversation_id, state.to_json(), version)
        if isinstance(inbound, MessageInbound) and inbound.conversation_id:
            self.contacts.seen(conn, inbound, now)
        if turn is not None and isinstance(inbound, MessageInbound):
            for hook in self.hooks:
                more = hook.after_turn(conn, inbound, *turn, now)
                if more:
                    calls = calls + _owned(list(more), inbound)
        return self.journal.queue(conn, link.name, calls)

    def _hooked(
        self, conn: Connection, link: ChannelLink, inbound: Inbound, now: datetime
    ) -> list[OutboundCall] | None:
        for hook in self.hooks:
            calls = hook.before_turn(conn, link, inbound, now)
            if calls is not None:
                return _owned(calls, inbound)
        return None

    def _turn(
        self, conn: Connection, link: ChannelLink, inbound: MessageInbound, now: datetime
    ) -> tuple[SessionState, int | None, list[OutboundCall], list[Reply], list[Any]]:
        convos = self.conversations
        state, version = convos.resume(
            convos.store.load_in(conn, inbound.conversation_id),
            inbound.conversation_id,
            locale=inbound.locale,
            user=inbound.user,
            channel=link.name,
        )
        for hook in self.hooks:
            prepare = getattr(hook, "prepare", None)
            if prepare is not None:
                prepare(conn, inbound, state, now)
        replies, effects = run_turn(convos.engine, convos.actions, state, inbound.event, now)
        for hook in self.hooks:
            reshape = getattr(hook, "reshape", None)
            if reshape is not None:
                replies = reshape(conn, inbound, state, replies, effects, now)
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
        return state, version, calls, list(replies), list(effects)

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
            lambda conn: self.queue_push(conn, conversation_id, replies, human_agent=human_agent)
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
        """Send queued calls, once their transaction has committed; when the conversation has
        earlier replies still waiting, send those first to keep the order."""
        if pushed.conversation_id in self._backlog:
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

        entries, unreachable = await self.db.run(load)
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
                    self._recorded(SendOutcome(entry.id, "unreachable", give_up=True))
                    continue
                result = await link.sender.send(entry.call)
                if result.ok:
                    self._recorded(SendOutcome(entry.id))
                elif result.unreachable:
                    log.info(
                        "%s is unreachable (%s): not messaging them again",
                        conversation_ref(cid),
                        result.error,
                    )
                    unreachable.add(cid)
                    self._gone.append(cid)
                    self._recorded(
                        SendOutcome(entry.id, result.error or "unreachable", give_up=True)
                    )
                elif result.permanent:
                    log.warning(
                        "%s %s refused for %s: %s",
                        entry.channel,
                        entry.call.method,
                        conversation_ref(cid),
                        result.error,
                    )
                    self._recorded(SendOutcome(entry.id, result.error or "refused", give_up=True))
                else:
                    # Keep it, and what follows it in this conversation, for the next flush.
                    self._recorded(SendOutcome(entry.id, result.error or "not sent"))
                    self._backlog.add(cid)
                    return

        if len(by_conversation) == 1:  # a turn's replies: no task needed
            [(cid, queue)] = by_conversation.items()
            await send_in_order(cid, queue)
        else:
            await asyncio.gather(*(send_in_order(c, q) for c, q in by_conversation.items()))

    def _recorded(self, outcome: SendOutcome) -> None:
        """Record a send in the outbox as soon as its HTTP call returned: a recording job
        starts at once (the sends that return while it runs go in the next one), so a crash
        sends again only what went out in the last few milliseconds (sending is at least
        once, with that window)."""
        self._outcomes.append(outcome)
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_sends())

    def _take_outcomes(self) -> tuple[list[SendOutcome], list[str]]:
        outcomes, gone = self._outcomes, self._gone
        self._outcomes, self._gone = [], []
        return outcomes, gone

    def _record(self, conn: Connection, *, outcomes: list[SendOutcome], gone: list[str]) -> None:
        self.journal.record_sends(conn, outcomes)
        for cid in gone:
            self.contacts.set_unreachable(conn, cid)

    async def _record_sends(self) -> None:
        while self._outcomes or self._gone:
            outcomes, gone = self._take_outcomes()
            try:
                await self.db.run(partial(self._record, outcomes=outcomes, gone=gone), first=True)
            except Exception as exc:
                # Kept for the next try; until then these replies look unsent, and a restart
                # would send them again (sending is at least once).
                log.warning("recording %d sent replies failed: %s", len(outcomes), exc)
                self._outcomes[:0], self._gone[:0] = outcomes, gone
                return

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
        """Wait until everything accepted so far is processed, sent and recorded as sent."""
        await self.dispatcher.drain()
        if self._typing:
            await asyncio.gather(*self._typing, return_exceptions=True)
        while self._recorder is not None and not self._recorder.done():
            await self._recorder

    async def close(self) -> None:
        await self.dispatcher.close()
        await self.drain()
        self.db.close()


def _owned(calls: list[OutboundCall], inbound: Inbound) -> list[OutboundCall]:
    """Calls tagged with the conversation they answer, so the outbox keeps their order."""
    return [
        c if c.conversation_id else OutboundCall(c.method, c.payload, inbound.conversation_id)
        for c in calls
    ]


def _order_key(inbound: Inbound) -> int:
    return inbound.order_key if inbound.order_key is not None else 0


__all__ = [
    "ANSWERABLE",
    "ChannelLink",
    "ChatService",
    "Pushed",
    "Sender",
    "TurnHook",
    "UnknownConversation",
]
