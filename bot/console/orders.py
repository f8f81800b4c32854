"""Fixing an order from the console: resend the payment link, cancel an unpaid order, record a
refund. The same rules for the pages and the JSON API:

* only the agent holding the ticket (or an admin) acts, and only on an order of the ticket's
  conversation (another shopper's order is "not found", never shown);
* each change goes through the order book's transitions (a shipped order is not "cancelled")
  and its history records which agent made it;
* the shopper is told in her chat, in her language, in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from babel.dates import format_date
from babel.numbers import format_percent

from checkout import IllegalTransition, Order
from flows.money import format_money
from flows.replies import TextReply

from ..orders_api import _tell
from ..service import ChatService, Pushed, UnknownConversation

OrderAction = Literal["cancel", "refund", "payment-link"]
ORDER_ACTIONS: tuple[str, ...] = ("cancel", "refund", "payment-link")

# Told to the shopper with the link; the order's own locale picks the language.
PAY_LINK = {
    "en": "Here is the payment link for your order {number}: {link}",
    "pl": "Oto link do płatności za zamówienie {number}: {link}",
    "es": "Este es el enlace de pago de tu pedido {number}: {link}",
    "ru": "Ссылка для оплаты заказа {number}: {link}",
    "fa": "پیوند پرداخت سفارش {number}: {link}",
}


# Told to the shopper with her code: the agent, the code, what it takes off, until when.
GAVE_CODE = {
    "en": "{agent} gave you a discount code: {code} ({off} off, until {until}).",
    "pl": "{agent} daje Ci kod rabatowy: {code} ({off} zniżki, do {until}).",
    "es": "{agent} te da un código de descuento: {code} ({off} de descuento, hasta {until}).",
    "ru": "{agent} дарит вам промокод: {code} (скидка {off}, до {until}).",
    "fa": "{agent} یک کد تخفیف به شما داد: {code} ({off} تخفیف، تا {until}).",
}
IN_CART = {
    "en": "It is already applied to your cart.",
    "pl": "Jest już dodany do Twojego koszyka.",
    "es": "Ya está aplicado a tu carrito.",
    "ru": "Он уже применён к вашей корзине.",
    "fa": "این کد روی سبد خرید شما اعمال شده است.",
}
MAX_PERCENT = 50  # an agent's code takes at most half off ...
MAX_DAYS = 30  # ... and lasts at most a month


@dataclass(frozen=True)
class OrderRefused(Exception):
    status: int
    kind: str
    message: str


@dataclass(frozen=True)
class OrderDone:
    order: Order
    message: str  # for the agent's flash
    told: bool  # whether a message to the shopper was queued


async def act_on_order(
    app_state: Any, ticket_id: int, number: str, action: str, agent: str, *, admin: bool = False
) -> OrderDone:
    """Carry out ``action`` on order ``number`` of ticket ``ticket_id`` as ``agent``."""
    if action not in ORDER_ACTIONS:
        raise OrderRefused(404, "unknown_action", f"no order action {action!r}")
    checkout = getattr(app_state, "checkout", None)
    if checkout is None:
        raise OrderRefused(404, "no_checkout", "this shop takes no orders")
    view = await app_state.handoff.ticket(ticket_id)  # UnknownTicket -> the desk's 404
    ticket = view.ticket
    if not admin and (ticket.state != "assigned" or ticket.agent != agent):
        raise OrderRefused(
            403, "NotYourTicket", f"Ticket #{ticket_id}: claim it before acting on its orders."
        )
    service: ChatService = app_state.service
    now = service.clock()
    note = f"console: {agent}"

    def job(conn: Any) -> tuple[Order, Pushed | None] | OrderRefused:
        order = checkout.book.order_by_key(conn, number)
        if order is None or order.conversation_id != ticket.conversation_id:
            return OrderRefused(404, "unknown_order", f"This shopper has no order {number}.")
        try:
            if action == "cancel":
                if order.status != "pending_payment":
                    return OrderRefused(
                        409,
                        "not_unpaid",
                        f"Order {order.number} is {order.status.replace('_', ' ')}: only an "
                        "unpaid order is cancelled here (record a refund for a paid one).",
                    )
                changed = checkout.book.set_status(
                    conn, order.number, "cancelled", now=now, note=note
                )
                return changed, _tell(service, conn, changed, "cancelled")
            if action == "refund":
                changed = checkout.book.set_status(
                    conn, order.number, "refunded", now=now, note=note
                )
                return changed, _tell(service, conn, changed, "refunded")
        except IllegalTransition as exc:
            return OrderRefused(409, "illegal_transition", str(exc).capitalize())
        # payment-link
        if order.status != "pending_payment":
            return OrderRefused(
                409, "not_unpaid", f"Order {order.number} is not waiting for payment."
            )
        link = order.payment_link or (
            checkout.book.config.payment_link.format(number=order.number)
            if checkout.book.config.payment_link
            else None
        )
        if not link:
            return OrderRefused(409, "no_link", f"Order {order.number} has no payment link.")
        words = PAY_LINK.get(order.locale.split("-")[0], PAY_LINK["en"])
        text = words.format(number=order.number, link=link)
        try:
            pushed = service.queue_push(conn, order.conversation_id or "", [TextReply(text)])
        except UnknownConversation:
            return OrderRefused(409, "no_chat", "The shopper's chat is not known any more.")
        return order, pushed

    outcome = await service.db.run(job)
    if isinstance(outcome, OrderRefused):
        raise outcome
    order, pushed = outcome
    if pushed is not None:
        await service.deliver(pushed)
    told = bool(pushed and pushed.entries)
    done = {
        "cancel": f"Order {order.number} cancelled.",
        "refund": f"Refund recorded for order {order.number}.",
        "payment-link": f"Payment link for order {order.number} sent.",
    }[action]
    if not told:
        done += " The shopper could not be told in the chat (its messaging window is closed)."
    return OrderDone(order, done, told)


@dataclass(frozen=True)
class CodeGiven:
    code: str
    applied: bool  # put on her cart
    told: bool
    message: str


async def give_code(
    app_state: Any,
    ticket_id: int,
    agent: str,
    *,
    admin: bool = False,
    percent: int | None = None,
    amount: int | None = None,
    cap: int | None = None,
    days: int = 7,
    agent_name: str | None = None,
) -> CodeGiven:
    """A one-time code for the ticket's shopper, put on her cart and told to her in the chat."""
    if (percent is None) == (amount is None):
        raise OrderRefused(422, "bad_request", "Give either a percent or an amount.")
    if percent is not None and not 1 <= percent <= MAX_PERCENT:
        raise OrderRefused(422, "bad_request", f"A percent is 1 to {MAX_PERCENT}.")
    if amount is not None and not 1 <= amount <= 10_000_000:
        raise OrderRefused(422, "bad_request", "An amount is in minor units (2000 = 20.00).")
    if not 1 <= days <= MAX_DAYS:
        raise OrderRefused(422, "bad_request", f"A code lasts 1 to {MAX_DAYS} days.")
    checkout = getattr(app_state, "checkout", None)
    if checkout is None:
        raise OrderRefused(404, "no_checkout", "this shop takes no orders")
    view = await app_state.handoff.ticket(ticket_id)
    ticket = view.ticket
    if not admin and (ticket.state != "assigned" or ticket.agent != agent):
        raise OrderRefused(
            403, "NotYourTicket", f"Ticket #{ticket_id}: claim it before giving a discount."
        )
    service: ChatService = app_state.service
    now = service.clock()
    cid = ticket.conversation_id
    locale = (view.profile.locale or "en").split("-")[0]
    currency = checkout.book.currency

    def job(conn: Any) -> tuple[str, bool, Pushed | None]:
        code = checkout.book.give_code(
            conn,
            cid,
            agent=agent,
            now=now,
            percent=percent,
            amount=amount,
            cap=cap,
            valid_for=timedelta(days=days),
        )
        cart = checkout.book.cart(conn, cid, locale=locale, now=now)
        applied = bool(cart.lines)
        if applied:
            checkout.book.set_cart_field(conn, cid, discount_code=code.code)
        off = (
            format_percent(percent / 100, locale=locale)
            if percent is not None
            else format_money(amount or 0, currency, locale)
        )
        if percent is not None and cap is not None:
            off += f" ≤ {format_money(cap, currency, locale)}"
        until = format_date((now + timedelta(days=days)).date(), "medium", locale=locale)
        words = GAVE_CODE.get(locale, GAVE_CODE["en"]).format(
            agent=agent_name or agent, code=code.code, off=off, until=until
        )
        if applied:
            words += " " + IN_CART.get(locale, IN_CART["en"])
        try:
            pushed = service.queue_push(conn, cid, [TextReply(words)], human_agent=True)
        except UnknownConversation:
            pushed = None
        return code.code, applied, pushed

    code, applied, pushed = await service.db.run(job)
    if pushed is not None:
        await service.deliver(pushed)
    told = bool(pushed and pushed.entries)
    message = f"Code {code} given" + (" and applied to the cart." if applied else ".")
    if not told:
        message += " The shopper could not be told in the chat (its messaging window is closed)."
    return CodeGiven(code, applied, told, message)


__all__ = ["ORDER_ACTIONS", "CodeGiven", "OrderDone", "OrderRefused", "act_on_order", "give_code"]
