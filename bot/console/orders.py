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
from typing import Any, Literal

from checkout import IllegalTransition, Order
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


__all__ = ["ORDER_ACTIONS", "OrderDone", "OrderRefused", "act_on_order"]
