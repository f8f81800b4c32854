"""Abandoned carts: one reminder for a cart left alone, with its items and a way back.

A cart is abandoned when nothing changed in it for ``after`` (2 hours by default), it holds
something and it has not become an order. Its shopper gets one reminder, ever, per cart:
inside her messaging window (or on a channel without one) as a message with the cart's items
and a "Check out" button; outside it only the ``cart_reminder`` template, and only if she
opted in to marketing. Nothing goes to a shopper who said STOP, who is unreachable, or whose
cart was reminded already. Run ``shopchat customers remind-carts`` every few minutes (cron).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from adapters.base import OutboundCall, RenderContext
from checkout.tables import cart_lines, carts
from flows import Choice, TextReply

from .broadcast import Segment, recipients
from .planner import Planned, plan_for
from .tables import cart_reminders
from .templates import Templates, template_call

DEFAULT_AFTER = timedelta(hours=2)
CHECKOUT_PAYLOAD = "CHECKOUT"

TEXTS = {
    "en": ("You left this in your cart: {items}. Ready to check out?", "Check out"),
    "pl": ("W Twoim koszyku czeka: {items}. Przejść do zamówienia?", "Zamów"),
    "es": ("Dejaste esto en tu carrito: {items}. ¿Terminamos el pedido?", "Pagar"),
    "ru": ("В вашей корзине осталось: {items}. Оформим заказ?", "Оформить"),
    "fa": ("این‌ها در سبد خرید شما مانده است: {items}. سفارش را نهایی کنیم؟", "تکمیل خرید"),
}

Titles = Callable[[Connection, str, str, datetime], list[str]]


@dataclass(frozen=True)
class Reminder:
    planned: Planned
    cart_token: str
    items: list[str]


def abandoned(conn: Connection, now: datetime, after: timedelta) -> dict[str, str]:
    """Conversation -> cart token of the carts left alone for ``after`` and not reminded."""
    c, line, r = carts.c, cart_lines.c, cart_reminders.c
    rows = conn.execute(
        select(c.conversation_id, c.token).where(
            c.updated_at <= now - after,
            c.order_number.is_(None),
            select(line.conversation_id).where(line.conversation_id == c.conversation_id).exists(),
        )
    ).all()
    reminded = {(row[0], row[1]) for row in conn.execute(select(r.conversation_id, r.cart_token))}
    return {cid: token for cid, token in rows if (cid, token) not in reminded}


def plan_reminders(
    conn: Connection,
    now: datetime,
    templates: Templates,
    titles: Titles,
    *,
    after: timedelta = DEFAULT_AFTER,
) -> list[Reminder]:
    """Each abandoned cart's reminder, with what may be sent (or why nothing may)."""
    left = abandoned(conn, now, after)
    out: list[Reminder] = []
    for r in recipients(conn, Segment(), now):
        token = left.get(r.conversation_id)
        if token is None:
            continue
        if r.marketing is False:  # she said STOP
            p = Planned(r, "no consent")
        else:
            p = plan_for(r, purpose="service", event="cart_reminder", templates=templates, now=now)
            if p.outcome in ("template", "tagged") and r.marketing is not True:
                p = Planned(r, "no consent")  # outside the window a reminder is marketing
            elif p.outcome == "tagged":  # Meta's tags are never for promotions
                p = Planned(r, "no template")
        out.append(Reminder(p, token, titles(conn, r.conversation_id, r.locale, now)))
    return out


def reminder_calls(reminder: Reminder, link: Any, now: datetime) -> list[OutboundCall]:
    p = reminder.planned
    r = p.recipient
    text, button = TEXTS.get(r.locale.split("-", 1)[0], TEXTS["en"])
    items = ", ".join(reminder.items) or "…"
    if p.outcome == "template" and p.template is not None:
        payload = template_call(r.recipient, p.template, {"items": items})
        return [OutboundCall("messages", payload, r.conversation_id)]
    reply = TextReply(text.format(items=items), (Choice(button, CHECKOUT_PAYLOAD),))
    ctx = RenderContext(now=now, locale=r.locale, last_inbound_at=r.last_inbound_at)
    rendered = link.adapter.render(r.recipient, [reply], ctx)
    return [OutboundCall(c.method, c.payload, r.conversation_id) for c in rendered]


async def send_reminders(
    engine: Engine, reminders: list[Reminder], links: Mapping[str, Any], now: datetime
) -> Counter[str]:
    """Record each reminder before sending it (never twice), then send; outcomes counted."""
    counts: Counter[str] = Counter()
    for reminder in reminders:
        p = reminder.planned
        cid = p.recipient.conversation_id
        link = links.get(p.recipient.channel)
        outcome = p.outcome if p.sends and link is not None else f"skipped: {p.outcome}"
        with engine.begin() as conn:
            conn.execute(
                insert(cart_reminders).values(
                    conversation_id=cid,
                    cart_token=reminder.cart_token,
                    outcome="sending" if p.sends and link else outcome[:24],
                    at=now,
                )
            )
        if not (p.sends and link):
            counts[outcome] += 1
            continue
        ok = True
        for call in reminder_calls(reminder, link, now):
            result = await link.sender.send(call)
            ok = ok and result.ok
        sent = "sent" if ok else "failed"
        with engine.begin() as conn:
            conn.execute(
                update(cart_reminders)
                .where(
                    cart_reminders.c.conversation_id == cid,
                    cart_reminders.c.cart_token == reminder.cart_token,
                )
                .values(outcome=sent)
            )
        counts[sent] += 1
    return counts


__all__ = [
    "DEFAULT_AFTER",
    "Reminder",
    "abandoned",
    "plan_reminders",
    "reminder_calls",
    "send_reminders",
]
