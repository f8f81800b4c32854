"""Live desk events for the console: published from any thread, read by async subscribers.

Events are hints for a live view, published as changes are made (a rare rolled-back batch may
announce a change that is then made again); the console re-reads with ``desk.ticket()``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

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

    async def subscribe(self) -> AsyncIterator[DeskEvent]:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[DeskEvent] = asyncio.Queue(MAX_BACKLOG)
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._queues)


__all__ = ["DeskEvents"]
