"""The chat service: from an acknowledged webhook event to replies on the shopper's screen.

    receive(): verify -> parse -> commit to the inbox -> (the webhook answers 200) -> dispatch
    process(): per conversation, in order: run the turn; commit session + inbox done + outbox
    flush():   send the conversation's queued calls in order; keep what fails for a retry

Everything acknowledged is processed exactly once, even across a crash: an inbox entry is
marked done in the same transaction as the session it produced, and that transaction is
refused if another worker got there first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, update

from adapters.base import Inbound, OutboundCall, RenderContext, SendResult

from .contacts import Contacts, PayloadTokens
from .conversations import Conversations, TurnResult
from .dispatcher import Dispatcher
from .inbox import PENDING, InboxEntry, Journal, inbox_table

log = logging.getLogger("shopchat.service")

ANSWERABLE = frozenset({"message", "pre_checkout"})


class Sender(Protocol):
    async def send(self, call: OutboundCall) -> SendResult: ...


class Adapter(Protocol):
    name: str

    def verify(self, headers: Mapping[str, str], body: bytes) -> None: ...

    def parse(self, body: bytes) -> list[Inbound]: ...

    def render(
        self, recipient: str, replies: list[Any], ctx: RenderContext
    ) -> list[OutboundCall]: ...


@dataclass
class ChannelLink:
    """A channel as the service uses it: its adapter, its sender and its extras."""

    name: str
    adapter: Adapter
    sender: Sender
    acknowledge: Callable[[Inbound], list[OutboundCall]] = lambda _i: []
    typing: Callable[[Inbound], OutboundCall | None] = lambda _i: None
    pre_checkout: Callable[[Inbound], OutboundCall | None] = lambda _i: None
    handshake: Callable[[Mapping[str, str]], str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class AlreadyProcessed(Exception):
    """Another worker finished this inbox entry first; this attempt is rolled back."""


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    ) -> None:
        self.conversations = conversations
        self.journal = journal
        self.contacts = contacts
        self.links = links
        self.tokens = tokens
        self.clock = clock
        self.typing_delay = typing_delay
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
        entries = await asyncio.to_thread(self.journal.accept, events, answerable=ANSWERABLE)
        for event in events:
            # Telegram says when a user blocks (or unblocks) the bot; WhatsApp says in a
            # failed status that a number cannot receive messages.
            flag = event.meta.get("blocked", event.meta.get("unreachable"))
            if event.kind == "status" and flag is not None and event.conversation_id:
                await asyncio.to_thread(
                    self.contacts.set_unreachable, event.conversation_id, bool(flag)
                )
        for entry in entries:
            await self.dispatcher.submit(entry.inbound.conversation_id, entry)
        return len(entries)

    # -- processing ----------------------------------------------------------------------
    async def _process(self, conversation_id: str, entry: InboxEntry) -> None:
        link = self.links.get(entry.inbound.channel)
        typing = asyncio.create_task(self._typing_later(link, entry.inbound))
        try:
            await asyncio.to_thread(self._run_pending, conversation_id, entry)
        finally:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing
        await self.flush(conversation_id)

    async def _typing_later(self, link: ChannelLink | None, inbound: Inbound) -> None:
        if link is None or inbound.kind != "message":
            return
        await asyncio.sleep(self.typing_delay)
        call = link.typing(inbound)
        if call is not None:
            with contextlib.suppress(Exception):
                await link.sender.send(call)

    def _run_pending(self, conversation_id: str, entry: InboxEntry) -> None:
        """Process ``entry`` and any earlier-ordered entries of the conversation still pending.

        Telegram may deliver one chat's updates over parallel connections; ordering by
        update_id here restores the order the shopper wrote in.
        """
        batch = [e for e in self.journal.pending_for(conversation_id) if e.id <= entry.id]
        if not any(e.id == entry.id for e in batch):
            return  # already processed along with an earlier entry
        batch.sort(key=lambda e: (_order_key(e.inbound), e.id))
        for item in batch:
            self._run_one(item)

    def _run_one(self, entry: InboxEntry) -> None:
        inbound = entry.inbound
        link = self.links.get(inbound.channel)
        if link is None:
            log.warning(
                "inbox %s: channel %s is not configured; left pending", entry.id, inbound.channel
            )
            return
        now = self.clock()
        try:
            if inbound.kind == "message" and inbound.event is not None:
                self._turn(link, entry, now)
            elif inbound.kind == "pre_checkout":
                calls = _owned([c for c in [link.pre_checkout(inbound)] if c is not None], inbound)
                with self.journal.store.transaction() as conn:
                    self._finish(conn, entry.id)
                    self.journal.queue(conn, link.name, calls)
            else:
                self.journal.mark(entry.id)
        except AlreadyProcessed:
            log.info("inbox %s was processed by another worker", entry.id)
        except Exception as exc:  # a bug must not wedge the conversation: record and move on
            log.exception("inbox %s failed: %s", entry.id, exc)
            self.journal.mark(entry.id, error=f"{type(exc).__name__}: {exc}")

    def _turn(self, link: ChannelLink, entry: InboxEntry, now: datetime) -> None:
        inbound = entry.inbound
        assert inbound.event is not None
        first = link.acknowledge(inbound)

        def also(result: TurnResult) -> Callable[[Connection], None]:
            ctx = RenderContext(
                now=now,
                locale=result.state.locale,
                last_inbound_at=now,
                payloads=self.tokens,
                reply_to=inbound,
            )
            rendered = link.adapter.render(inbound.recipient, result.replies, ctx)
            calls = _owned(first + rendered, inbound)

            def write(conn: Connection) -> None:
                self._finish(conn, entry.id)
                self.contacts.seen(conn, inbound, now)
                self.journal.queue(conn, link.name, calls)

            return write

        self.conversations.handle(
            inbound.conversation_id,
            inbound.event,
            locale=inbound.locale,
            user=inbound.user,
            channel=link.name,
            also=also,
        )

    def _finish(self, conn: Connection, entry_id: int) -> None:
        done = conn.execute(
            update(inbox_table)
            .where(inbox_table.c.id == entry_id, inbox_table.c.status == PENDING)
            .values(status="done", processed_at=self.clock())
        )
        if done.rowcount != 1:
            raise AlreadyProcessed(entry_id)

    # -- out -----------------------------------------------------------------------------
    async def flush(self, conversation_id: str | None = None) -> None:
        """Send queued calls in order; stop a conversation at the first call that must wait."""
        entries = await asyncio.to_thread(self.journal.unsent, conversation_id)
        blocked: set[str] = set()
        for entry in entries:
            cid = entry.call.conversation_id
            if cid in blocked:
                continue
            link = self.links.get(entry.channel)
            if link is None:
                blocked.add(cid)
                continue
            contact = await asyncio.to_thread(self.contacts.get, cid) if cid else None
            if contact is not None and contact.unreachable:
                await asyncio.to_thread(
                    self.journal.sent, entry.id, error="unreachable", give_up=True
                )
                continue
            result = await link.sender.send(entry.call)
            if result.ok:
                await asyncio.to_thread(self.journal.sent, entry.id)
            elif result.unreachable:
                log.info("%s is unreachable (%s): not messaging them again", cid, result.error)
                await asyncio.to_thread(self.contacts.set_unreachable, cid)
                await asyncio.to_thread(
                    self.journal.sent, entry.id, error=result.error, give_up=True
                )
            elif result.permanent:
                log.warning(
                    "%s %s refused for %s: %s", entry.channel, entry.call.method, cid, result.error
                )
                await asyncio.to_thread(
                    self.journal.sent, entry.id, error=result.error, give_up=True
                )
            else:
                # Keep it, and everything after it in this conversation, for the next flush.
                await asyncio.to_thread(self.journal.sent, entry.id, error=result.error)
                blocked.add(cid)

    async def recover(self) -> int:
        """After a (re)start: send what was queued, then process what was acknowledged."""
        await self.flush()
        pending = await asyncio.to_thread(self.journal.pending)
        for entry in pending:
            await self.dispatcher.submit(entry.inbound.conversation_id, entry)
        if pending:
            log.warning("recovering %d acknowledged events after a restart", len(pending))
        return len(pending)

    async def drain(self) -> None:
        await self.dispatcher.drain()

    async def close(self) -> None:
        await self.dispatcher.close()


def _owned(calls: list[OutboundCall], inbound: Inbound) -> list[OutboundCall]:
    """Calls tagged with the conversation they answer, so the outbox keeps their order."""
    return [
        c if c.conversation_id else OutboundCall(c.method, c.payload, inbound.conversation_id)
        for c in calls
    ]


def _order_key(inbound: Inbound) -> int:
    key = inbound.meta.get("update_id")
    return key if isinstance(key, int) else 0


__all__ = ["ANSWERABLE", "AlreadyProcessed", "ChannelLink", "ChatService", "Sender"]
