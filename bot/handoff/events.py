"""Live desk events for the console: published from any thread, read by async subscribers.

Events are hints for a live view, published as changes are made (a rare rolled-back batch may
announce a change that is then made again); the console re-reads with ``desk.ticket()``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from .models import DeskEvent

MAX_BACKLOG = 1000  # a subscriber that stops reading loses old events, not memory


class DeskEvents:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[DeskEvent]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, event: DeskEvent) -> None:
        """Safe from the database thread: the delivery happens on the event loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(event)
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._deliver, event)

    def _deliver(self, event: DeskEvent) -> None:
        for queue in list(self._queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)

    def subscribe(self) -> Subscription:
        """Events from now on (the subscription starts here, not at the first read)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[DeskEvent] = asyncio.Queue(MAX_BACKLOG)
        self._queues.add(queue)
        return Subscription(queue, self._queues)

    @property
    def subscribers(self) -> int:
        return len(self._queues)


class Subscription(AsyncIterator[DeskEvent]):
    """An endless async iterator of events; ``close()`` (or ``async with``) ends it."""

    def __init__(self, queue: asyncio.Queue[DeskEvent], registry: set[Any]) -> None:
        self._queue = queue
        self._registry = registry

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> DeskEvent:
        if self._queue not in self._registry:
            raise StopAsyncIteration
        return await self._queue.get()

    def close(self) -> None:
        self._registry.discard(self._queue)

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


__all__ = ["DeskEvents", "Subscription"]
