"""Per-conversation ordering: a conversation's events run one at a time, conversations in parallel.

Each conversation with work gets a FIFO queue and one task that empties it; the task ends and
the queue is dropped as soon as the conversation goes quiet, so memory follows the number of
busy conversations, not of all conversations ever seen.

At most ``max_concurrency`` events are handled at once. An event whose handler waits on
something slow (a project action calling an HTTP API, Stripe) steps out of its slot while it
waits (:meth:`Dispatcher.stepped_out`), so a few slow shoppers can never hold every slot while
the others' quick turns queue behind them.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

from .logsafe import conversation_ref

__all__ = ["Dispatcher"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class _DrainMark:
    """Queued behind a conversation's events; resolved when the queue reaches it."""

    __slots__ = ("reached",)

    def __init__(self) -> None:
        self.reached: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class _Slot:
    """One event's hold on a dispatcher slot; knows whether it holds it, so a slot is given
    back exactly once however the event ends (cancelled while stepping back in, too)."""

    __slots__ = ("held", "slots")

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self.slots = slots
        self.held = False

    async def take(self) -> None:
        await self.slots.acquire()
        self.held = True

    def give(self) -> None:
        if self.held:
            self.held = False
            self.slots.release()


# The slot the event handled by the current task holds (None outside a handler).
_current_slot: contextvars.ContextVar[_Slot | None] = contextvars.ContextVar(
    "shopchat_dispatcher_slot", default=None
)


class _Conversation(Generic[T]):
    __slots__ = ("queue", "task")

    def __init__(self) -> None:
        self.queue: deque[T | _DrainMark] = deque()
        self.task: asyncio.Task[None] | None = None


class Dispatcher(Generic[T]):
    """Run `handler(conversation_id, item)` for each submitted item, in order per conversation."""

    def __init__(
        self, handler: Callable[[str, T], Awaitable[None]], *, max_concurrency: int = 64
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self._handler = handler
        self._slots = asyncio.Semaphore(max_concurrency)
        self._conversations: dict[str, _Conversation[T]] = {}
        self._closed = False

    @property
    def active_conversations(self) -> int:
        """How many conversations have events queued or running."""
        return len(self._conversations)

    async def submit(self, conversation_id: str, item: T) -> None:
        """Queue `item` behind the conversation's earlier items; returns without waiting for it."""
        self.put(conversation_id, item)

    def put(self, conversation_id: str, item: T) -> None:
        """:meth:`submit` for callbacks (a timer): queues at once."""
        if self._closed:
            raise RuntimeError("the dispatcher is closed and takes no new events")
        self._enqueue(conversation_id, item)

    async def drain(self) -> None:
        """Wait until every item submitted before this call has been handled."""
        marks: list[_DrainMark] = []
        for conversation_id in list(self._conversations):
            marks.append(_DrainMark())
            self._enqueue(conversation_id, marks[-1])
        # Items submitted after this point queue behind the marks, so a busy stream can't
        # keep drain waiting forever.
        await asyncio.gather(*(mark.reached for mark in marks))

    async def close(self) -> None:
        """Refuse new items and wait for the submitted ones to finish."""
        self._closed = True
        await self.drain()

    def _enqueue(self, conversation_id: str, entry: T | _DrainMark) -> None:
        conversation = self._conversations.get(conversation_id)
        if conversation is None:
            conversation = self._conversations[conversation_id] = _Conversation()
            conversation.task = asyncio.create_task(
                self._run(conversation_id, conversation), name=f"conversation {conversation_id}"
            )
        conversation.queue.append(entry)

    async def _run(self, conversation_id: str, conversation: _Conversation[T]) -> None:
        queue = conversation.queue
        try:
            while queue:
                entry = queue.popleft()
                if isinstance(entry, _DrainMark):
                    if not entry.reached.done():
                        entry.reached.set_result(None)
                    continue
                # A slot per event, not per conversation, so one chatty shopper can't hold a
                # slot while others wait.
                slot = _Slot(self._slots)
                await slot.take()
                token = _current_slot.set(slot)
                try:
                    await self._handle(conversation_id, entry)
                finally:
                    _current_slot.reset(token)
                    slot.give()
        finally:
            # No await between the empty check and this: a submit can't slip in unseen.
            del self._conversations[conversation_id]
            # Only left over if the task was cancelled (loop shutdown): don't strand drain().
            for entry in queue:
                if isinstance(entry, _DrainMark):
                    entry.reached.cancel()

    @staticmethod
    @asynccontextmanager
    async def stepped_out() -> AsyncIterator[None]:
        """Inside a handler: give the event's slot to another event while the body waits on
        slow I/O, and take one again after (the conversation's own order is unaffected: its
        next event waits for this one all the same). Outside a handler it does nothing."""
        slot = _current_slot.get()
        if slot is None or not slot.held:
            yield
            return
        slot.give()
        try:
            yield
        finally:
            await slot.take()

    async def _handle(self, conversation_id: str, item: T) -> None:
        try:
            await self._handler(conversation_id, item)
        except Exception:
            # One bad event must not wedge the conversation; later events still get handled.
            logger.exception(
                "handler failed for conversation %s", conversation_ref(conversation_id)
            )
