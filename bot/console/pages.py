"""The console's pages: login, the queue and conversation view, canned responses, metrics.

Server-rendered; forms post and redirect (a message for the next page rides in the session),
and a little script refreshes the queue and the open conversation when the desk says
something changed (see events.py).
"""

from __future__ import annotations

import asyncio
import math
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from shoptext import parse_ascii_int

from ..paths import MAX_ID  # also registers the {name:id} path convertor
from . import canned as canned_text
from .accounts import LoginLimits
from .auth import (
    COOKIE,
    CSRF_FIELD,
    LOGIN_COOKIE,
    Viewer,
    agents_of,
    check_csrf,
    client_ip,
    live_viewer,
    page_viewer,
    refuse_cross_site,
    secure_cookie,
    session_ttl,
    settings_of,
)
from .desk import Card, Desk, Detail, card, detail, detail_args, metrics_view, refusal
from .orders import act_on_order, give_code

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
# inbox: my open tickets, then everyone's waiting ones: all an agent has to look at.
VIEWS = ("inbox", "waiting", "mine", "all")
DEFAULT_VIEW = "inbox"
MAX_TEXT = 4000

router = APIRouter(prefix="/agent")


def desk_of(request: Request) -> Desk | None:
    return getattr(request.app.state, "handoff", None)


def _zone(request: Request) -> ZoneInfo:
    try:
        return ZoneInfo(request.app.state.project.shop.timezone)
    except Exception:
        return ZoneInfo("UTC")


def _clock(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    local = value.astimezone(zone)
    today = datetime.now(UTC).astimezone(zone).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%d %b %H:%M")


def _ago(value: datetime | None) -> str:
    if value is None:
        return ""
    seconds = max(0, int((datetime.now(UTC) - value).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    return f"{seconds // 86400}d"


def render(
    request: Request, template: str, viewer: Viewer | None = None, status: int = 200, **ctx: Any
) -> HTMLResponse:
    zone = _zone(request)
    ctx.setdefault("flash", viewer.flash if viewer else None)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "viewer": viewer,
            "csrf_field": CSRF_FIELD,
            "shop": request.app.state.project.shop.name,
            "clock": lambda v: _clock(v, zone),
            "ago": _ago,
            "who": lambda name: name,  # agent name -> display name; pages with agents set it
            # The shop sells (checkout is on): the panel offers discount codes.
            "sells": getattr(request.app.state, "checkout", None) is not None,
            "currency": request.app.state.project.shop.currency,
            **ctx,
        },
        status_code=status,
    )


def _back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


async def _flash(request: Request, viewer: Viewer, message: str) -> None:
    await asyncio.to_thread(agents_of(request).flash, viewer.token, message)


# -- login ---------------------------------------------------------------------------------
def _safe_next(value: str | None) -> str:
    if value and value.startswith("/agent") and not value.startswith("/agent/login"):
        return value
    return "/agent"


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None, expired: int = 0) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    message = "Your session expired: log in again." if expired else None
    response = render(request, "login.html", login_csrf=token, next=_safe_next(next), error=message)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request),
        path="/agent/login",
    )
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    refuse_cross_site(request)
    form = await request.form()
    expected = request.cookies.get(LOGIN_COOKIE)
    sent = form.get(CSRF_FIELD)
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        from .auth import CrossSiteRefused

        raise CrossSiteRefused("the login form's security token is missing: reload the login page")
    name = str(form.get("name") or "").strip().lower()[:64]
    password = str(form.get("password") or "")
    nxt = _safe_next(str(form.get("next") or ""))
    settings, agents = settings_of(request), agents_of(request)
    ip = client_ip(request)
    window = timedelta(minutes=settings.console_login_window_minutes)

    def again(error: str, status: int) -> HTMLResponse:
        return render(
            request,
            "login.html",
            status=status,
            login_csrf=expected,
            next=nxt,
            error=error,
            name=name,
        )

    limits = LoginLimits(
        per_pair=settings.console_login_attempts,
        per_ip=settings.console_login_attempts_per_ip,
        window=window,
    )
    ticket = await asyncio.to_thread(agents.reserve_login, name or "?", ip, limits)
    if ticket.retry_after is not None:
        seconds = max(1, math.ceil(ticket.retry_after.total_seconds()))
        wait = f"{math.ceil(seconds / 60)} minutes" if seconds > 90 else f"{seconds} seconds"
        paused = again(
            f"Too many wrong passwords: logging in from here is paused for up to {wait}. "
            "Try again later or ask an administrator to reset your password.",
            429,
        )
        paused.headers["Retry-After"] = str(seconds)
        return paused
    agent = await asyncio.to_thread(agents.authenticate, name, password) if name else None
    if agent is None:
        return again("Wrong name or password.", 401)
    await asyncio.to_thread(agents.login_succeeded, ticket)
    token = await asyncio.to_thread(agents.open_session, agent, session_ttl(settings))
    response = _back(nxt)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookie(request),
        path="/",
        # No max-age: the expiry lives on the server, where each request slides it.
    )
    response.delete_cookie(LOGIN_COOKIE, path="/agent/login")
    return response


@router.post("/logout")
async def logout(request: Request, viewer: Viewer = Depends(page_viewer)) -> Response:
    form = await request.form()
    check_csrf(request, viewer.csrf, form.get(CSRF_FIELD))
    await asyncio.to_thread(agents_of(request).close_session, viewer.token)
    desk = desk_of(request)
    if desk is not None:
        await desk.set_online(viewer.agent.name, False)
    response = _back("/agent/login")
    response.delete_cookie(COOKIE, path="/")
    return response


# -- queue and conversation ----------------------------------------------------------------
async def _queue(desk: Desk, view: str, agent: str) -> list[Card]:
    if view in ("mine", "inbox"):
        rows = await desk.tickets(agent=agent)
        cards = [card(r) for r in rows]
        cards = [c for c in cards if c.state == "assigned"]
        if view == "inbox":
            cards += [card(r) for r in await desk.tickets(state="waiting")]
    elif view == "waiting":
        cards = [card(r) for r in await desk.tickets(state="waiting")]
    else:
        cards = [card(r) for r in await desk.tickets()]
    return cards  # in the desk's order: open first, most urgent, then oldest


async def _counts(desk: Desk, agent: str) -> dict[str, int]:
    waiting = await desk.tickets(state="waiting")
    mine = [c for c in (card(r) for r in await desk.tickets(agent=agent)) if c.state == "assigned"]
    return {"waiting": len(waiting), "mine": len(mine)}


async def _agents_for_transfer(request: Request, me: str) -> list[tuple[str, str]]:
    agents = await asyncio.to_thread(agents_of(request).all)
    return [(a.name, a.display_name) for a in agents if a.active and a.name != me]


async def _who(request: Request) -> Any:
    """Agent name -> display name, for showing who holds a ticket or wrote a line."""
    names = {a.name: a.display_name for a in await asyncio.to_thread(agents_of(request).all)}
    return lambda name: names.get(name, name)


def _flows(request: Request) -> list[str]:
    return sorted(request.app.state.project.flows)


async def _console(
    request: Request, viewer: Viewer, view: str, ticket_id: int | None
) -> HTMLResponse:
    desk = desk_of(request)
    if desk is None:
        return render(request, "unavailable.html", viewer, status=503)
    view = view if view in VIEWS else DEFAULT_VIEW
    cards = await _queue(desk, view, viewer.agent.name)
    opened: Detail | None = None
    flash = viewer.flash
    if ticket_id is not None:
        try:
            opened = detail(await desk.ticket(ticket_id), *detail_args(request.app.state))
        except Exception as exc:
            refused = refusal(exc, ticket_id)
            if refused is None:
                raise
            flash = refused.message
    canned = await asyncio.to_thread(agents_of(request).canned, request.app.state.project.shop.name)
    return render(
        request,
        "console.html",
        viewer,
        flash=flash,
        view=view,
        cards=cards,
        counts=await _counts(desk, viewer.agent.name),
        opened=opened,
        canned=canned,
        agents=await _agents_for_transfer(request, viewer.agent.name),
        flows=_flows(request),
        who=await _who(request),
    )


@router.get("", response_class=HTMLResponse)
async def console(
    request: Request, view: str = DEFAULT_VIEW, viewer: Viewer = Depends(page_viewer)
) -> Response:
    return await _console(request, viewer, view, None)


@router.get("/tickets/{ticket_id:id}", response_class=HTMLResponse)
async def ticket_page(
    request: Request,
    ticket_id: int,
    view: str = DEFAULT_VIEW,
    viewer: Viewer = Depends(page_viewer),
) -> Response:
    return await _console(request, viewer, view, ticket_id)


@router.get("/partials/queue", response_class=HTMLResponse)
async def queue_partial(
    request: Request,
    view: str = DEFAULT_VIEW,
    current: int | None = None,
    viewer: Viewer = Depends(live_viewer),
) -> Response:
    desk = desk_of(request)
    if desk is None:
        return HTMLResponse("", 503)
    view = view if view in VIEWS else DEFAULT_VIEW
    return render(
        request,
        "_queue.html",
        viewer,
        cards=await _queue(desk, view, viewer.agent.name),
        counts=await _counts(desk, viewer.agent.name),
        view=view,
        current=current,
        who=await _who(request),
    )


@router.get("/partials/tickets/{ticket_id:id}", response_class=HTMLResponse)
async def ticket_partial(
    request: Request,
    ticket_id: int,
    view: str = DEFAULT_VIEW,
    viewer: Viewer = Depends(live_viewer),
) -> Response:
    desk = desk_of(request)
    if desk is None:
        return HTMLResponse("", 503)
    try:
        opened = detail(await desk.ticket(ticket_id), *detail_args(request.app.state))
    except Exception as exc:
        refused = refusal(exc, ticket_id)
        if refused is None:
            raise
        return HTMLResponse(f"<p class='empty'>{refused.message}</p>", refused.status)
    return render(
        request,
        "_ticket.html",
        viewer,
        opened=opened,
        view=view,
        agents=await _agents_for_transfer(request, viewer.agent.name),
        flows=_flows(request),
        who=await _who(request),
    )


@router.get("/tickets/{ticket_id:id}/canned/{canned_id:id}", response_class=HTMLResponse)
async def canned_fill(
    request: Request, ticket_id: int, canned_id: int, viewer: Viewer = Depends(live_viewer)
) -> Response:
    """A canned response filled in for this ticket, as plain text for the reply box."""
    desk = desk_of(request)
    shop = request.app.state.project.shop.name
    item = await asyncio.to_thread(agents_of(request).canned_one, shop, canned_id)
    if item is None:
        return Response("unknown canned response", 404, media_type="text/plain")
    opened = None
    if desk is not None:
        try:
            opened = detail(await desk.ticket(ticket_id), *detail_args(request.app.state))
        except Exception as exc:
            if refusal(exc) is None:
                raise
    values = canned_text.template_values(opened, viewer.agent.display_name, shop)
    text, error = await asyncio.to_thread(canned_text.render, item.body, values)
    headers = {"X-Template-Error": error.replace("\n", " ")[:300]} if error else {}
    return Response(text, media_type="text/plain; charset=utf-8", headers=headers)


ACTIONS = ("claim", "reply", "note", "transfer", "resolve", "return")
DONE = {
    "claim": "You took ticket #{id}.",
    "reply": "Reply sent.",
    "note": "Note added.",
    "transfer": "Ticket #{id} transferred to {to}.",
    "resolve": "Ticket #{id} resolved.",
    "return": "Ticket #{id} handed back to the bot.",
}


@router.post("/tickets/{ticket_id:id}/discount")
async def discount_page_action(
    request: Request, ticket_id: int, viewer: Viewer = Depends(page_viewer)
) -> Response:
    """The panel's "Give a discount code" form: a percent or an amount, for some days."""
    form = await request.form()
    check_csrf(request, viewer.csrf, form.get(CSRF_FIELD))
    view = str(form.get("view") or DEFAULT_VIEW)
    here = f"/agent/tickets/{ticket_id}?view={quote(view if view in VIEWS else DEFAULT_VIEW)}"
    raw = str(form.get("value") or "").strip()
    kind = str(form.get("kind") or "percent")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        await _flash(request, viewer, "Give the discount as a whole number.")
        return _back(here)
    value = int(raw)
    try:
        given = await give_code(
            request.app.state,
            ticket_id,
            viewer.agent.name,
            admin=viewer.agent.admin,
            percent=value if kind == "percent" else None,
            amount=value * 100 if kind != "percent" else None,
            agent_name=viewer.agent.display_name or viewer.agent.name,
        )
    except Exception as exc:
        refused = refusal(exc, ticket_id)
        if refused is None:
            raise
        await _flash(request, viewer, refused.message)
        return _back(here)
    await _flash(request, viewer, given.message)
    return _back(here)


@router.post("/tickets/{ticket_id:id}/orders/{number}/{action}")
async def order_page_action(
    request: Request,
    ticket_id: int,
    number: str,
    action: str,
    viewer: Viewer = Depends(page_viewer),
) -> Response:
    """The order buttons of the customer panel (bot/console/orders.py has the rules)."""
    form = await request.form()
    check_csrf(request, viewer.csrf, form.get(CSRF_FIELD))
    view = str(form.get("view") or DEFAULT_VIEW)
    here = f"/agent/tickets/{ticket_id}?view={quote(view if view in VIEWS else DEFAULT_VIEW)}"
    if desk_of(request) is None:
        await _flash(request, viewer, "The hand-off desk is not running.")
        return _back(here)
    try:
        done = await act_on_order(
            request.app.state,
            ticket_id,
            number[:64],
            action,
            viewer.agent.name,
            admin=viewer.agent.admin,
        )
    except Exception as exc:
        refused = refusal(exc, ticket_id)
        if refused is None:
            raise
        await _flash(request, viewer, refused.message)
        return _back(here)
    await _flash(request, viewer, done.message)
    return _back(here)


@router.post("/tickets/{ticket_id:id}/{action}")
async def ticket_action(
    request: Request, ticket_id: int, action: str, viewer: Viewer = Depends(page_viewer)
) -> Response:
    form = await request.form()
    check_csrf(request, viewer.csrf, form.get(CSRF_FIELD))
    view = str(form.get("view") or DEFAULT_VIEW)
    here = f"/agent/tickets/{ticket_id}?view={quote(view if view in VIEWS else DEFAULT_VIEW)}"
    desk = desk_of(request)
    if action not in ACTIONS:
        return Response("unknown action", 404, media_type="text/plain")
    if desk is None:
        await _flash(request, viewer, "The hand-off desk is not running.")
        return _back(here)
    me = viewer.agent.name
    text = str(form.get("text") or "").strip()
    to = str(form.get("to_agent") or "").strip()
    try:
        if action == "claim":
            await desk.claim(ticket_id, me)
        elif action in ("reply", "note"):
            if not text:
                await _flash(request, viewer, f"Write the {action} first: it is empty.")
                return _back(here)
            if len(text) > MAX_TEXT:
                await _flash(
                    request, viewer, f"That {action} is too long (over {MAX_TEXT} characters)."
                )
                return _back(here)
            if action == "reply":
                await desk.reply(ticket_id, me, text)
            else:
                await desk.note(ticket_id, me, text)
        elif action == "transfer":
            target = await asyncio.to_thread(agents_of(request).get, to) if to else None
            if target is None or not target.active:
                await _flash(request, viewer, "Pick the agent to transfer the ticket to.")
                return _back(here)
            await desk.transfer(ticket_id, me, to)
        elif action == "resolve":
            await desk.resolve(ticket_id, me)
        else:
            flow = str(form.get("flow") or "").strip() or None
            await desk.return_to_bot(ticket_id, me, flow)
    except Exception as exc:
        refused = refusal(exc, ticket_id)
        if refused is None:
            raise
        await _flash(request, viewer, refused.message)
        return _back(here)
    await _flash(request, viewer, DONE[action].format(id=ticket_id, to=to))
    if action == "claim" and view == "waiting":
        return _back(f"/agent/tickets/{ticket_id}?view=mine")  # the queue the ticket is in now
    return _back(here)


# -- canned responses ----------------------------------------------------------------------
@router.get("/canned", response_class=HTMLResponse)
async def canned_page(
    request: Request, edit: int | None = None, viewer: Viewer = Depends(page_viewer)
) -> Response:
    shop = request.app.state.project.shop.name
    items = await asyncio.to_thread(agents_of(request).canned, shop)
    editing = next((i for i in items if i.id == edit), None)
    return render(
        request, "canned.html", viewer, items=items, editing=editing, example=canned_text.EXAMPLE
    )


@router.post("/canned")
async def canned_save(request: Request, viewer: Viewer = Depends(page_viewer)) -> Response:
    form = await request.form()
    check_csrf(request, viewer.csrf, form.get(CSRF_FIELD))
    shop = request.app.state.project.shop.name
    title = str(form.get("title") or "").strip()[:200]
    body = str(form.get("body") or "").strip()
    raw_id = str(form.get("id") or "")
    canned_id = parse_ascii_int(raw_id, high=MAX_ID)
    problem = None
    if not title or not body:
        problem = "A canned response needs a title and a text."
    elif len(body) > MAX_TEXT:
        problem = f"The text is too long (over {MAX_TEXT} characters)."
    else:
        problem = await asyncio.to_thread(canned_text.check_template, body)
    if problem is None:
        try:
            await asyncio.to_thread(
                agents_of(request).save_canned, shop, title, body, viewer.agent.name, canned_id
            )
        except (ValueError, LookupError) as exc:
            problem = str(exc)
    if problem:
        items = await asyncio.to_thread(agents_of(request).canned, shop)
        return render(
            request,
            "canned.html",
            viewer,
            status=400,
            items=items,
            editing=None,
            draft={"id": canned_id, "title": title, "body": body},
            error=problem,
            example=canned_text.EXAMPLE,
        )
    await _flash(request, viewer, f"Saved “{title}”.")
    return _back("/agent/canned")


@router.post("/canned/{canned_id:id}/delete")
async def canned_delete(
    request: Request, canned_id: int, viewer: Viewer = Depends(page_viewer)
) -> Response:
    form = await request.form()
    check_csrf(request, viewer.csrf, form.get(CSRF_FIELD))
    shop = request.app.state.project.shop.name
    gone = await asyncio.to_thread(agents_of(request).delete_canned, shop, canned_id)
    await _flash(request, viewer, "Deleted." if gone else "That canned response was already gone.")
    return _back("/agent/canned")


# -- metrics -------------------------------------------------------------------------------
@router.get("/metrics", response_class=HTMLResponse)
async def metrics_page(request: Request, viewer: Viewer = Depends(page_viewer)) -> Response:
    desk = desk_of(request)
    if desk is None:
        return render(request, "unavailable.html", viewer, status=503)
    funnel = await asyncio.to_thread(_sales_funnel, request.app.state.store)
    return render(
        request, "metrics.html", viewer, m=metrics_view(await desk.metrics()), funnel=funnel
    )


def _sales_funnel(store: Any) -> list[tuple[str, int, int]]:
    """The last 7 days' funnel as the chart draws it: (stage, conversations, % of chats)."""
    from customers.funnel import STAGES, funnel

    with store.connection() as conn:
        found = funnel(conn, datetime.now(UTC) - timedelta(days=7)).get("all")
    if found is None:
        return []
    chats = found.counts["chats"] or 1
    return [(s, found.counts[s], round(100 * found.counts[s] / chats)) for s in STAGES]


__all__ = ["router"]
