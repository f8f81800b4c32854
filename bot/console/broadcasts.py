"""The console's broadcast API, for admin agents: plan and send a broadcast from the console.

``POST /agent/api/broadcasts`` plans it and answers the counts by outcome (202 and sending in
the background, or 200 with ``dry_run``); ``GET /agent/api/broadcasts/{id}`` says how it went.
The same rules as ``shopchat broadcast send`` (customers/broadcast.py).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from customers.broadcast import (
    Message,
    Segment,
    default_name,
    make_plan,
    open_broadcast,
    outcomes,
    send_plan,
)
from customers.errors import BroadcastError
from customers.templates import load_templates

from .accounts import Agent
from .auth import api_agent

log = logging.getLogger("shopchat.broadcasts")
router = APIRouter(prefix="/agent/api")


class BroadcastBody(BaseModel):
    purpose: Literal["service", "marketing"]
    texts: dict[str, str] = Field(default_factory=dict, max_length=20)  # locale -> text
    template: str | None = Field(default=None, max_length=512)
    segment: str | None = Field(default=None, max_length=500)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    dry_run: bool = False
    rate: float | None = Field(default=None, gt=0, le=1000)


def _error(status: int, kind: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": kind, "detail": detail}, status)


def _refused(request: Request, agent: Agent) -> JSONResponse | None:
    if not agent.admin:
        return _error(403, "forbidden", "only an admin agent may send a broadcast")
    if getattr(request.app.state, "service", None) is None:
        return _error(503, "unavailable", "the app has not started")
    return None


@router.post("/broadcasts")
async def start_broadcast(
    body: BroadcastBody, request: Request, agent: Agent = Depends(api_agent)
) -> JSONResponse:
    """Plan a broadcast (counts by outcome) and, unless ``dry_run``, send it."""
    refused = _refused(request, agent)
    if refused is not None:
        return refused
    if any(len(t) > 4096 or not t.strip() for t in body.texts.values()):
        return _error(422, "bad_message", "each text must be 1 to 4096 characters")
    app = request.app
    project = app.state.project
    templates, _problems = load_templates(project.root, project.locales)
    message = Message(texts={k: v.strip() for k, v in body.texts.items()}, template=body.template)
    now = datetime.now(UTC)

    def plan_job() -> Any:
        segment = Segment.parse(body.segment)
        name = body.name or default_name(body.purpose, message, body.segment)
        with app.state.store.transaction() as conn:
            bid = open_broadcast(conn, name, body.purpose, message, actor=agent.name, now=now)
            return name, make_plan(conn, bid, body.purpose, message, segment, templates, now)

    try:
        name, plan = await asyncio.to_thread(plan_job)
    except BroadcastError as exc:
        return _error(422, "bad_broadcast", str(exc))
    answer = {
        "broadcast": plan.broadcast_id,
        "name": name,
        "recipients": len(plan.planned),
        "planned": dict(sorted(plan.counts().items())),
        "to_send": len(plan.to_send()),
    }
    if body.dry_run or not plan.to_send():
        return JSONResponse(answer)
    links = app.state.service.links
    task = asyncio.create_task(
        send_plan(
            app.state.store.engine,
            plan,
            message,
            links,
            now=lambda: datetime.now(UTC),
            rate=body.rate,
        )
    )
    tasks: set[asyncio.Task[Any]] = app.state.__dict__.setdefault("_broadcasts", set())
    tasks.add(task)
    task.add_done_callback(_finished(tasks, plan.broadcast_id))
    return JSONResponse(answer, 202)


def _finished(tasks: set[asyncio.Task[Any]], broadcast_id: int) -> Any:
    def done(task: asyncio.Task[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("broadcast %s failed: %s", broadcast_id, task.exception())

    return done


@router.get("/broadcasts/{broadcast_id}")
async def broadcast_status(
    broadcast_id: int, request: Request, agent: Agent = Depends(api_agent)
) -> JSONResponse:
    """How a broadcast went so far: recipients per outcome (sent, failed, interrupted...)."""
    refused = _refused(request, agent)
    if refused is not None:
        return refused

    def job() -> dict[str, int]:
        with request.app.state.store.connection() as conn:
            return dict(outcomes(conn, broadcast_id))

    found = await asyncio.to_thread(job)
    return JSONResponse({"broadcast": broadcast_id, "outcomes": found})
