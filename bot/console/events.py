"""Live updates for the console: the desk's events as Server-Sent Events, and presence.

An agent counts as online while at least one console tab holds this stream open; the desk
hears ``set_online`` when the first tab opens and when the last one closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from ..handoff import DeskEvent
from .auth import Viewer, live_viewer
from .desk import Desk

log = logging.getLogger("shopchat.console")
router = APIRouter(prefix="/agent")
KEEPALIVE = 15.0  # seconds: proxies drop idle streams


class Presence:
    """How many console streams each agent has open.

    Going from page to page closes one stream and opens the next; the agent goes offline only
    when no stream has come back within ``grace`` seconds, so the desk does not see them flap.
    """

    def __init__(self, grace: float = 10.0) -> None:
        self.grace = grace
        self.open: Counter[str] = Counter()
        self._leaving: dict[str, asyncio.Task[None]] = {}

    async def enter(self, desk: Desk, agent: str) -> None:
        self.open[agent] += 1
        leaving = self._leaving.pop(agent, None)
        if leaving is not None:
            leaving.cancel()  # back before the grace ran out: still online, nothing to say
        elif self.open[agent] == 1:
            await desk.set_online(agent, True)

    async def leave(self, desk: Desk, agent: str) -> None:
        self.open[agent] -= 1
        if self.open[agent] > 0:
            return
        del self.open[agent]
        if self.grace <= 0:
            await self._offline(desk, agent)
        else:
            self._leaving[agent] = asyncio.create_task(self._offline_later(desk, agent))

    async def _offline_later(self, desk: Desk, agent: str) -> None:
        await asyncio.sleep(self.grace)
        self._leaving.pop(agent, None)
        await self._offline(desk, agent)

    async def _offline(self, desk: Desk, agent: str) -> None:
        with contextlib.suppress(Exception):  # the app may be stopping
            await desk.set_online(agent, False)


def _frame(event: DeskEvent) -> str:
    data = {"kind": event.kind, "ticket": event.ticket_id, "state": event.state}
    return f"event: desk\ndata: {json.dumps(data)}\n\n"


async def _stream(request: Request, desk: Desk, agent: str) -> AsyncIterator[str]:
    presence: Presence = request.app.state.console_presence
    await presence.enter(desk, agent)
    events = desk.subscribe().__aiter__()
    next_event: asyncio.Task[Any] | None = None
    try:
        yield "retry: 3000\n\n"
        while True:
            if next_event is None:
                next_event = asyncio.ensure_future(events.__anext__())
            done, _ = await asyncio.wait({next_event}, timeout=KEEPALIVE)
            if not done:
                if await request.is_disconnected():
                    next_event.cancel()
                    return
                # The desk forgets an agent it has not heard from within its presence_ttl.
                await desk.set_online(agent, True)
                yield ": keepalive\n\n"
                continue
            try:
                event = next_event.result()
            except StopAsyncIteration:
                return
            finally:
                next_event = None
            yield _frame(event)
    finally:
        if next_event is not None:
            next_event.cancel()
        closer = getattr(events, "aclose", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()
        await presence.leave(desk, agent)


@router.get("/events")
async def events(request: Request, viewer: Viewer = Depends(live_viewer)) -> Response:
    desk: Desk | None = getattr(request.app.state, "handoff", None)
    if desk is None:
        return Response("the hand-off desk is not running", 503, media_type="text/plain")
    return StreamingResponse(
        _stream(request, desk, viewer.agent.name),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


__all__ = ["Presence", "router"]
