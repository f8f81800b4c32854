"""The console's JSON API under /agent/api: the same actions as the pages, for other tools.

Authenticated with ``Authorization: Bearer TOKEN`` (``shopchat agent token NAME``); bodies are
validated by pydantic; refusals come back as ``{"error": kind, "detail": sentence}`` with
401, 403, 404, 409 or 422, never a 500 for anything the desk refuses.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .. import privacy
from ..paths import MAX_ID  # also registers the {name:id} path convertor
from . import canned as canned_text
from .accounts import Agent, CannedResponse
from .auth import agents_of, api_agent
from .desk import Desk, card, detail, detail_args, jsonable, refusal
from .orders import act_on_order, give_code

router = APIRouter(prefix="/agent/api")
MAX_TEXT = 4000


class TextBody(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class TransferBody(BaseModel):
    to_agent: str = Field(min_length=1, max_length=64)


class ReturnBody(BaseModel):
    flow: str | None = Field(default=None, max_length=255)


class CannedBody(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=MAX_TEXT)


def _error(status: int, kind: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": kind, "detail": detail}, status)


class DeskUnavailable(Exception):
    """The hand-off desk is not running (the app has not started it): answered 503."""


def api_desk(request: Request) -> Desk:
    """The running hand-off desk; resolved after ``api_agent``, so strangers still get 401."""
    desk: Desk | None = getattr(request.app.state, "handoff", None)
    if desk is None:
        raise DeskUnavailable
    return desk


def desk_unavailable(request: Request, exc: Exception) -> JSONResponse:
    return _error(503, "unavailable", "the hand-off desk is not running")


def _refused(exc: Exception, ticket_id: int) -> JSONResponse:
    """The JSON error for a desk's or an order action's refusal; anything else is raised."""
    refused = refusal(exc, ticket_id)
    if refused is None:
        raise exc
    return _error(refused.status, refused.kind, refused.message)


async def _call(ticket_id: int, job: Any) -> JSONResponse | None:
    """Await a desk call; a refusal becomes its JSON error, success None."""
    try:
        await job
    except Exception as exc:
        return _refused(exc, ticket_id)
    return None


def _ok(**extra: Any) -> JSONResponse:
    return JSONResponse({"ok": True, **extra})


@router.get("/me")
async def me(agent: Agent = Depends(api_agent)) -> dict[str, Any]:
    return {"name": agent.name, "display_name": agent.display_name, "admin": agent.admin}


@router.get("/tickets")
async def list_tickets(
    request: Request,
    state: str | None = None,
    mine: bool = False,
    agent: Agent = Depends(api_agent),
    desk: Desk = Depends(api_desk),
) -> JSONResponse:
    if state is not None and state not in ("waiting", "assigned", "resolved", "returned"):
        return _error(422, "bad_state", "state is one of waiting, assigned, resolved, returned")
    rows = await desk.tickets(state=state, agent=agent.name if mine else None)
    return JSONResponse({"tickets": [jsonable(card(r)) for r in rows]})


@router.get("/tickets/{ticket_id:id}")
async def get_ticket(
    request: Request,
    ticket_id: int,
    agent: Agent = Depends(api_agent),
    desk: Desk = Depends(api_desk),
) -> JSONResponse:
    try:
        view = await desk.ticket(ticket_id)
    except Exception as exc:
        return _refused(exc, ticket_id)
    return JSONResponse(jsonable(detail(view, *detail_args(request.app.state))))


class DiscountBody(BaseModel):
    percent: int | None = Field(default=None, ge=1, le=100)
    amount: int | None = Field(default=None, ge=1)
    cap: int | None = Field(default=None, ge=1)
    days: int = Field(default=7, ge=1, le=365)


@router.post("/tickets/{ticket_id:id}/discount")
async def discount(
    request: Request,
    ticket_id: int,
    body: DiscountBody,
    agent: Agent = Depends(api_agent),
    desk: Desk = Depends(api_desk),
) -> JSONResponse:
    """A one-time code for this shopper: on her cart, told to her in the chat."""
    try:
        given = await give_code(
            request.app.state,
            ticket_id,
            agent.name,
            admin=agent.admin,
            percent=body.percent,
            amount=body.amount,
            cap=body.cap,
            days=body.days,
            agent_name=agent.display_name or agent.name,
        )
    except Exception as exc:
        return _refused(exc, ticket_id)
    return _ok(code=given.code, applied=given.applied, told=given.told, detail=given.message)


@router.post("/tickets/{ticket_id:id}/orders/{number}/{action}")
async def order_action(
    request: Request,
    ticket_id: int,
    number: str,
    action: str,
    agent: Agent = Depends(api_agent),
    desk: Desk = Depends(api_desk),
) -> JSONResponse:
    """``cancel`` (unpaid), ``refund`` (record it), ``payment-link`` (send it again)."""
    try:
        done = await act_on_order(
            request.app.state, ticket_id, number[:64], action, agent.name, admin=agent.admin
        )
    except Exception as exc:
        return _refused(exc, ticket_id)
    return _ok(
        order={"number": done.order.number, "status": done.order.status},
        told=done.told,
        detail=done.message,
    )


@router.post("/tickets/{ticket_id:id}/claim")
async def claim(
    request: Request,
    ticket_id: int,
    agent: Agent = Depends(api_agent),
    desk: Desk = Depends(api_desk),
) -> JSONResponse:
    try:
        summary = await desk.claim(ticket_id, agent.name)
    except Exception as exc:
        return _refused(exc, ticket_id)
    return _ok(ticket=jsonable(card(summary)) if summary is not None else None)


@router.post("/tickets/{ticket_id:id}/reply")
async def reply(
    request: Request,
    ticket_id: int,
    body: TextBody,
    agent: Agent = Depends(api_agent),
    desk: Desk = Depends(api_desk),
) -> JSONResponse:
    return await _call(ticket_id, desk.reply(ticket_id, agent.name, body.text.strip())) or _ok()


@router.post("/tickets/{ticket_id:id}/note")
async def note(
    request: Request,
    ticket_id: int,
    body: TextBody,
    agent: Agent = Depends(api_agent),
    desk: Desk = Depends(api_desk),
) -> JSONResponse:
    return await _call(ticket_id, desk.note(ticket_id, agent.name, body.text.strip())) or _ok()


@router.post("/tickets/{ticket_id:id}/transfer")
async def transfer(
    request: Request,
    ticket_id: int,
    body: TransferBody,
    agent: Agent = Depends(api_agent),
    desk: Desk = Depends(api_desk),
) -> JSONResponse:
    target = await asyncio.to_thread(agents_of(request).get, body.to_agent)
    if target is None or not target.active:
        return _error(404, "unknown_agent", f"no active agent named {body.to_agent!r}")
    return await _call(ticket_id, desk.transfer(ticket_id, agent.name, target.name)) or _ok()


@router.post("/tickets/{ticket_id:id}/resolve")
async def resolve(
    request: Request,
    ticket_id: int,
    agent: Agent = Depends(api_agent),
    desk: Desk = Depends(api_desk),
) -> JSONResponse:
    return await _call(ticket_id, desk.resolve(ticket_id, agent.name)) or _ok()


@router.post("/tickets/{ticket_id:id}/return")
async def return_to_bot(
    request: Request,
    ticket_id: int,
    body: ReturnBody | None = None,
    agent: Agent = Depends(api_agent),
    desk: Desk = Depends(api_desk),
) -> JSONResponse:
    flow = body.flow if body is not None and body.flow else None
    return await _call(ticket_id, desk.return_to_bot(ticket_id, agent.name, flow)) or _ok()


# -- canned responses ----------------------------------------------------------------------
def _shop(request: Request) -> str:
    return str(request.app.state.project.shop.name)


def _canned_json(item: CannedResponse) -> dict[str, Any]:
    return jsonable(item)  # type: ignore[no-any-return]


@router.get("/canned")
async def canned_list(request: Request, agent: Agent = Depends(api_agent)) -> JSONResponse:
    items = await asyncio.to_thread(agents_of(request).canned, _shop(request))
    return JSONResponse({"canned": [_canned_json(i) for i in items]})


async def _save(
    request: Request, body: CannedBody, agent: Agent, canned_id: int | None
) -> JSONResponse:
    problem = await asyncio.to_thread(canned_text.check_template, body.body)
    if problem:
        return _error(422, "bad_template", problem)
    try:
        new_id = await asyncio.to_thread(
            agents_of(request).save_canned,
            _shop(request),
            body.title.strip(),
            body.body,
            agent.name,
            canned_id,
        )
    except LookupError as exc:
        return _error(404, "unknown_canned", str(exc))
    except ValueError as exc:
        return _error(409, "duplicate_title", str(exc))
    item = await asyncio.to_thread(agents_of(request).canned_one, _shop(request), new_id)
    assert item is not None
    return JSONResponse(_canned_json(item), 201 if canned_id is None else 200)


@router.post("/canned")
async def canned_create(
    request: Request, body: CannedBody, agent: Agent = Depends(api_agent)
) -> JSONResponse:
    return await _save(request, body, agent, None)


@router.put("/canned/{canned_id:id}")
async def canned_update(
    request: Request, canned_id: int, body: CannedBody, agent: Agent = Depends(api_agent)
) -> JSONResponse:
    return await _save(request, body, agent, canned_id)


@router.delete("/canned/{canned_id:id}")
async def canned_delete(
    request: Request, canned_id: int, agent: Agent = Depends(api_agent)
) -> JSONResponse:
    gone = await asyncio.to_thread(agents_of(request).delete_canned, _shop(request), canned_id)
    return _ok() if gone else _error(404, "unknown_canned", f"no canned response {canned_id}")


@router.get("/canned/{canned_id:id}/render")
async def canned_render(
    request: Request,
    canned_id: int,
    ticket: Annotated[int, Query(ge=1, le=MAX_ID)],
    agent: Agent = Depends(api_agent),
    desk: Desk = Depends(api_desk),
) -> JSONResponse:
    item = await asyncio.to_thread(agents_of(request).canned_one, _shop(request), canned_id)
    if item is None:
        return _error(404, "unknown_canned", f"no canned response {canned_id}")
    try:
        opened = detail(await desk.ticket(ticket), *detail_args(request.app.state))
    except Exception as exc:
        return _refused(exc, ticket)
    values = canned_text.template_values(opened, agent.display_name, _shop(request))
    text, error = await asyncio.to_thread(canned_text.render, item.body, values)
    return JSONResponse({"text": text, "template_error": error})


@router.get("/metrics")
async def metrics(
    request: Request, agent: Agent = Depends(api_agent), desk: Desk = Depends(api_desk)
) -> JSONResponse:
    return JSONResponse(jsonable(await desk.metrics()))


__all__ = ["router"]


# -- customers' data (bot/privacy.py): admins only -------------------------------------------
def _privacy(request: Request, agent: Agent) -> tuple[Any, Any] | JSONResponse:
    if not agent.admin:
        return _error(
            403,
            "forbidden",
            "only an admin agent may erase or export a customer's data (shopchat agent admin NAME)",
        )
    registry = getattr(request.app.state, "privacy", None)
    store = getattr(request.app.state, "store", None)
    if registry is None or store is None:
        return _error(503, "unavailable", "the app has not started")
    return registry, store


@router.get("/customers/{ref}")
async def export_customer(
    ref: str, request: Request, agent: Agent = Depends(api_agent)
) -> JSONResponse:
    """Everything held about a shopper, as JSON (the right of access)."""
    found = _privacy(request, agent)
    if isinstance(found, JSONResponse):
        return found
    registry, store = found
    try:
        data = await asyncio.to_thread(privacy.export_ref, store, registry, ref)
    except privacy.UnknownReference as exc:
        return _error(422, "bad_reference", str(exc))
    return JSONResponse(jsonable(data))


@router.delete("/customers/{ref}")
async def erase_customer(
    ref: str, request: Request, agent: Agent = Depends(api_agent)
) -> JSONResponse:
    """Erase a shopper's data; her orders stay, anonymised. Erasing again changes nothing."""
    found = _privacy(request, agent)
    if isinstance(found, JSONResponse):
        return found
    registry, store = found
    try:
        shopper, counts = await asyncio.to_thread(privacy.erase_ref, store, registry, ref)
    except privacy.UnknownReference as exc:
        return _error(422, "bad_reference", str(exc))
    for cache in getattr(request.app.state, "privacy_caches", ()):
        cache.forget(shopper.conversations)
    return _ok(
        conversations=len(shopper.conversations),
        orders_anonymised=len(shopper.orders),
        erased={table: n for table, n in sorted(counts.items()) if n},
    )
