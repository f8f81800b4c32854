"""The merchant's order API and the Stripe webhook.

    GET  /api/orders                     newest first; ?status=paid&limit=50&offset=0
    GET  /api/orders/{number}            one order with its status history
    POST /api/orders/{number}/status     {"status": "shipped", "carrier": "DPD",
                                          "tracking_number": "...", "tracking_url": "...",
                                          "note": "...", "notify": true}
    POST /webhooks/stripe                Stripe events, verified by Stripe-Signature

The API needs ``Authorization: Bearer $SHOPCHAT_ORDERS_API_TOKEN`` (401 without; 404 when no
token is configured). An illegal status change answers 409. A status change tells the shopper
in chat, within the platform's messaging window.
"""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, update

from checkout import Checkout, IllegalTransition, Order, SignatureInvalid, message, money
from checkout.book import PaymentResult
from checkout.stripe import verify_signature
from checkout.tables import orders
from customers.planner import Recipient
from customers.templates import Templates, load_templates
from customers.updates import update_by_template
from flows.replies import TextReply

from .logsafe import conversation_ref
from .service import ChatService, Pushed, UnknownConversation
from .storage import StorageError

log = logging.getLogger("shopchat.orders")

router = APIRouter()

NOTIFY = frozenset({"paid", "packed", "shipped", "delivered", "cancelled", "refunded"})
MAX_STRIPE_BODY = 256 * 1024


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["paid", "packed", "shipped", "delivered", "cancelled", "refunded"]
    carrier: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    tracking_number: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    tracking_url: Annotated[str, Field(pattern=r"^https?://", max_length=500)] | None = None
    note: Annotated[str, Field(max_length=500)] = ""
    notify: bool = True


def _checkout(request: Request) -> Checkout:
    checkout: Checkout | None = getattr(request.app.state, "checkout", None)
    if checkout is None:
        raise _Refusal(404, "checkout is not set up")
    return checkout


class _Refusal(Exception):
    def __init__(self, status: int, detail: str) -> None:
        self.status, self.detail = status, detail


def _merchant(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    token = request.app.state.settings.orders_api_token
    if not token:
        raise _Refusal(404, "the orders API is off: set SHOPCHAT_ORDERS_API_TOKEN")
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        raise _Refusal(401, "a valid bearer token is required")


async def merchant_gate(request: Request) -> Response | None:
    """The bearer token checked before the body is read (bot/bodies.py)."""
    try:
        _merchant(request, request.headers.get("authorization"))
    except _Refusal as exc:
        return JSONResponse({"detail": exc.detail}, exc.status)
    return None


def _as_json(order: Order, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data = order.model_dump(mode="json")
    data["subtotal"] = order.subtotal
    if history is not None:
        data["history"] = history
    return data


def install(app: Any) -> None:
    """Mount the routes and the refusal handler on ``app``."""

    async def refused(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, _Refusal)
        return JSONResponse({"detail": exc.detail}, exc.status)

    app.add_exception_handler(_Refusal, refused)
    app.include_router(router)


@router.get("/api/orders", dependencies=[Depends(_merchant)])
async def list_orders(
    request: Request,
    status: Annotated[str | None, Query(max_length=24)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> dict[str, Any]:
    checkout = _checkout(request)
    service: ChatService = request.app.state.service
    found = await service.db.run(
        lambda conn: checkout.book.list_orders(conn, status=status, limit=limit, offset=offset)
    )
    return {"orders": [_as_json(o) for o in found]}


@router.get("/api/orders/{number}", dependencies=[Depends(_merchant)])
async def get_order(request: Request, number: str) -> dict[str, Any]:
    checkout = _checkout(request)
    service: ChatService = request.app.state.service

    def job(conn: Connection) -> dict[str, Any] | None:
        order = checkout.book.order_by_key(conn, number)
        if order is None:
            return None
        return _as_json(order, checkout.book.history(conn, order.number))

    found = await service.db.run(job)
    if found is None:
        raise _Refusal(404, f"no order {number}")
    return found


@router.post("/api/orders/{number}/status", dependencies=[Depends(_merchant)])
async def change_status(request: Request, number: str, change: StatusChange) -> dict[str, Any]:
    checkout = _checkout(request)
    service: ChatService = request.app.state.service
    now = service.clock()
    project = request.app.state.project
    templates, _problems = load_templates(project.root, project.locales)  # templates.yaml

    def job(conn: Connection) -> tuple[Order | str, Pushed | None]:
        order = checkout.book.order_by_key(conn, number)
        if order is None:
            return "missing", None
        try:
            changed = checkout.book.set_status(
                conn,
                order.number,
                change.status,
                now=now,
                note=change.note or "merchant API",
                carrier=change.carrier,
                tracking_number=change.tracking_number,
                tracking_url=change.tracking_url,
            )
        except IllegalTransition as exc:
            return str(exc), None
        tell = change.notify and change.status in NOTIFY
        return changed, _tell(service, conn, changed, change.status, templates) if tell else None

    outcome, pushed = await service.db.run(job)
    if outcome == "missing":
        raise _Refusal(404, f"no order {number}")
    if isinstance(outcome, str):
        raise _Refusal(409, outcome)
    if pushed is not None:
        await service.deliver(pushed)
    return {"order": _as_json(outcome), "notified": len(pushed.entries) if pushed else 0}


def _tell(
    service: ChatService,
    conn: Connection,
    order: Order,
    key: str,
    templates: Templates | None = None,
) -> Pushed | None:
    """Queue a message to the shopper about ``order`` in ``conn``'s transaction, so it commits
    with the change it reports; None when there is no chat. When the platform's window is
    shut, the status's template from templates.yaml goes if there is one (customers/updates.py),
    else nothing."""
    if not order.conversation_id:
        return None
    contact = service.contacts.get(order.conversation_id, conn) if templates else None
    if templates is not None and contact is not None and contact.channel in service.links:
        recipient = Recipient(
            contact.conversation_id,
            contact.channel,
            contact.recipient,
            contact.locale or order.locale,
            contact.last_inbound_at,
            contact.unreachable,
        )
        values = {
            "order_number": order.number,
            "tracking_url": order.tracking_url or order.tracking_number or "",
            "total": money(order.total, order.currency, order.locale),
        }
        call = update_by_template(recipient, key, templates, values, service.clock())
        if call is not None:
            queued = service.journal.queue(conn, contact.channel, [call])
            return Pushed(order.conversation_id, queued)
    text = message(
        key,
        order.locale,
        number=order.number,
        total=money(order.total, order.currency, order.locale),
        carrier=order.carrier or "",
        tracking=" ".join(p for p in (order.tracking_number, order.tracking_url) if p),
    )
    try:
        return service.queue_push(conn, order.conversation_id, [TextReply(text)])
    except UnknownConversation:
        log.info(
            "order %s: conversation %s unknown; not told",
            order.number,
            conversation_ref(order.conversation_id or ""),
        )
        return None


# -- Stripe ---------------------------------------------------------------------------------

_STRIPE_KINDS = {
    "checkout.session.completed": "completed",
    "checkout.session.async_payment_succeeded": "paid",
    "checkout.session.async_payment_failed": "failed",
    "checkout.session.expired": "expired",
}


@router.post("/webhooks/stripe")
async def stripe_webhook(
    request: Request, stripe_signature: Annotated[str | None, Header()] = None
) -> JSONResponse:
    checkout = _checkout(request)
    secret = request.app.state.settings.stripe_webhook_secret
    if not secret:
        return JSONResponse({"detail": "Stripe webhooks are off: set the webhook secret"}, 404)
    body = await request.body()
    if len(body) > MAX_STRIPE_BODY:
        return JSONResponse({"detail": "body too large"}, 413)
    service: ChatService = request.app.state.service
    try:
        verify_signature(stripe_signature, body, secret, now=service.clock())
    except SignatureInvalid as exc:
        log.warning("Stripe webhook refused: %s", exc)
        return JSONResponse({"detail": str(exc)}, 400)
    try:
        event = orjson.loads(body)  # refuses nesting past 1024 levels (a 400, not a 500)
        kind = _STRIPE_KINDS.get(event.get("type", ""))
        session = event["data"]["object"] if kind else {}
        session_id = str(session.get("id", "")) if kind else ""
    except (ValueError, KeyError, TypeError, AttributeError):
        return JSONResponse({"detail": "not a Stripe event"}, 400)
    if kind is None or not session_id:
        return JSONResponse({"received": True, "handled": False})
    now = service.clock()

    def job(conn: Connection) -> tuple[PaymentResult, Pushed | None]:
        result, tell = _apply_stripe(conn, checkout, kind, session, session_id, now)
        if tell and result.order is not None:
            return result, _tell(service, conn, result.order, tell)
        return result, None

    try:
        result, pushed = await service.db.run(job)
    except StorageError as exc:
        log.error("Stripe event not stored, Stripe will retry: %s", exc)
        return JSONResponse({"detail": "temporarily unavailable"}, 503)
    if pushed is not None:
        await service.deliver(pushed)
    return JSONResponse({"received": True, "outcome": result.outcome})


def _apply_stripe(
    conn: Connection,
    checkout: Checkout,
    kind: str,
    session: dict[str, Any],
    session_id: str,
    now: datetime,
) -> tuple[PaymentResult, str]:
    """Apply one Stripe session event; returns what happened and which message to send."""
    book = checkout.book
    order = book.by_payment_ref(conn, session_id)
    reference = session.get("client_reference_id")
    if order is None and isinstance(reference, str):
        # An older link of the same order (a newer one was sent since) still pays it.
        order = book.order(conn, reference)
    amount = session.get("amount_total")
    currency = str(session.get("currency") or "").upper()
    paid = kind == "paid" or (kind == "completed" and session.get("payment_status") == "paid")
    if paid:
        # Keyed by session, not event: "completed" and "async_payment_succeeded" of one
        # session, or a replay under a new event id, credit the order once.
        result = book.apply_payment(
            conn,
            provider="stripe",
            event_id=f"{session_id}:paid",
            kind=kind,
            order=order,
            amount=amount if isinstance(amount, int) else None,
            currency=currency,
            now=now,
        )
        tell = {"paid": "paid", "mismatch": "payment_review"}.get(result.outcome, "")
        return result, tell
    step = {"completed": "processing", "failed": "failed", "expired": "expired"}[kind]
    key = f"{session_id}:{step}"
    if book.seen_event(conn, "stripe", key):
        return PaymentResult("duplicate", order), ""
    number = order.number if order is not None else None
    outcome = "unknown" if order is None else "recorded"
    book.record_event(
        conn,
        "stripe",
        key,
        kind,
        outcome,
        number=number,
        amount=amount if isinstance(amount, int) else None,
        currency=currency or None,
        now=now,
    )
    if order is None:
        log.warning("Stripe %s for unknown session %s: acknowledged", kind, session_id)
        return PaymentResult("unknown"), ""
    if order.status != "pending_payment":
        return PaymentResult("recorded", order), ""
    if step == "failed":
        book.mark_payment_status(conn, order.number, "failed", f"stripe {session_id} failed", now)
        return PaymentResult("recorded", order), "payment_failed"
    if step == "expired":
        conn.execute(
            update(orders)
            .where((orders.c.number == order.number) & (orders.c.payment_ref == session_id))
            .values(payment_link=None, updated_at=now)
        )
        return PaymentResult("recorded", order), ""
    book.mark_payment_status(conn, order.number, "pending", f"stripe {session_id} processing", now)
    return PaymentResult("recorded", order), ""


def utcnow() -> datetime:
    return datetime.now(UTC)


__all__ = ["StatusChange", "install", "merchant_gate", "router"]
