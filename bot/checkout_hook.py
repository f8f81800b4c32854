"""Checkout inside the chat service: Telegram payments and invoices.

``CheckoutHook`` is a TurnHook (bot/turnhook.py). It takes over Telegram's payment events:

* ``pre_checkout_query``: answered at once (Telegram allows 10 s) after a fresh stock and
  price check; ``ok: false`` with a reason for an unknown or already paid invoice, a changed
  total, a sold-out item;
* ``successful_payment``: credits the order once per ``telegram_payment_charge_id`` and
  confirms it to the shopper with the order number.

When a turn commits it sends the invoices the turn's ``checkout.pay`` asked for (an
``InvoiceRequested`` effect), built from the order as committed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, update

from adapters.base import (
    Inbound,
    MessageInbound,
    OutboundCall,
    PaymentInbound,
    PreCheckoutInbound,
    RenderContext,
)
from checkout import Checkout, InvoiceRequested, Order, message, money
from checkout.tables import orders
from flows import SessionState
from flows.l10n import pick_text
from flows.replies import Reply, TextReply
from shoptext import parse_ascii_int

from .service import ChannelLink
from .turnhook import TurnHookBase

log = logging.getLogger("shopchat.checkout")

INVOICE_PREFIX = "order:"


def invoice_payload(number: str) -> str:
    return f"{INVOICE_PREFIX}{number}"


def send_invoice(order: Order, chat_id: str, provider_token: str | None) -> OutboundCall:
    """``sendInvoice`` for ``order``: physical goods with a provider token, or Stars (XTR)."""
    titles = ", ".join(
        f"{pick_text(item.title, order.locale)} × {item.quantity}" for item in order.items
    )
    payload: dict[str, Any] = {
        "chat_id": _chat_id(chat_id),
        "title": f"Order {order.number}"[:32],
        "description": titles[:255] or order.number,
        "payload": invoice_payload(order.number),
        "currency": order.currency,
    }
    if order.currency == "XTR":
        # Stars: digital goods, no provider, exactly one price in whole stars.
        payload["prices"] = [{"label": order.number, "amount": order.total}]
    else:
        payload["provider_token"] = provider_token or ""
        if order.discount:
            payload["prices"] = [{"label": f"Order {order.number}", "amount": order.total}]
        else:
            prices = [
                {
                    "label": f"{pick_text(item.title, order.locale)} × {item.quantity}"[:64],
                    "amount": item.price * item.quantity,
                }
                for item in order.items
            ]
            if order.shipping:
                prices.append({"label": "Shipping", "amount": order.shipping})
            payload["prices"] = prices
        if not order.address:
            payload["need_name"] = True
            payload["need_shipping_address"] = True
    return OutboundCall("sendInvoice", payload, order.conversation_id or "")


def _answer(query_id: str, ok: bool, error_message: str | None = None) -> OutboundCall:
    payload: dict[str, Any] = {"pre_checkout_query_id": query_id, "ok": ok}
    if not ok:
        payload["error_message"] = error_message or "Sorry, this invoice can't be paid."
    return OutboundCall("answerPreCheckoutQuery", payload)


class CheckoutHook(TurnHookBase):
    """The chat service's TurnHook for checkout."""

    def __init__(self, checkout: Checkout) -> None:
        self.checkout = checkout

    def take_over(
        self, conn: Connection, link: ChannelLink, inbound: Inbound, now: datetime
    ) -> list[OutboundCall] | None:
        if inbound.channel != "telegram":
            return None
        if isinstance(inbound, PreCheckoutInbound):
            return [self._pre_checkout(conn, inbound, now)]
        if isinstance(inbound, PaymentInbound):
            return self._payment(conn, link, inbound, now)
        return None

    def commit(
        self,
        conn: Connection,
        inbound: MessageInbound,
        state: SessionState,
        replies: Sequence[Reply],
        effects: Sequence[Any],
        now: datetime,
    ) -> list[OutboundCall] | None:
        numbers = [
            e.number
            for e in effects
            if isinstance(e, InvoiceRequested) and e.conversation_id == inbound.conversation_id
        ]
        if inbound.channel != "telegram" or not numbers:
            return None
        calls = []
        for number in numbers:
            order = self.checkout.book.order(conn, number)
            if order is not None and order.status == "pending_payment":
                calls.append(
                    send_invoice(order, inbound.recipient, self.checkout.telegram_provider_token)
                )
        return calls

    def _order_for(self, conn: Connection, payload: object) -> Order | None:
        if not isinstance(payload, str) or not payload.startswith(INVOICE_PREFIX):
            return None
        return self.checkout.book.order(conn, payload.removeprefix(INVOICE_PREFIX))

    def _pre_checkout(
        self, conn: Connection, inbound: PreCheckoutInbound, now: datetime
    ) -> OutboundCall:
        query_id = inbound.query_id
        locale = inbound.locale or "en"
        order = self._order_for(conn, inbound.invoice_payload)
        if order is None or order.status != "pending_payment":
            log.warning("pre-checkout %s for an unknown or closed invoice: refused", query_id)
            return _answer(query_id, False, message("invoice_unknown", locale))
        if inbound.total_amount != order.total or inbound.currency != order.currency:
            return _answer(query_id, False, message("price_changed", order.locale))
        problem = self.checkout.book.recheck(order, now=now)
        if problem is not None:
            return _answer(query_id, False, message(problem, order.locale))
        return _answer(query_id, True)

    def _payment(
        self, conn: Connection, link: ChannelLink, inbound: PaymentInbound, now: datetime
    ) -> list[OutboundCall]:
        book = self.checkout.book
        order = self._order_for(conn, inbound.invoice_payload)
        result = book.apply_payment(
            conn,
            provider="telegram",
            event_id=inbound.charge_id or inbound.event_id,
            kind="successful_payment",
            order=order,
            amount=inbound.total_amount,
            currency=inbound.currency,
            now=now,
        )
        if result.order is None or result.outcome in ("duplicate", "unknown", "not_pending"):
            return []
        paid = result.order
        if result.outcome == "paid":
            address = _address(inbound.order_info)
            if address and not paid.address:
                conn.execute(
                    update(orders).where(orders.c.number == paid.number).values(address=address)
                )
            text = message(
                "paid",
                paid.locale,
                number=paid.number,
                total=money(paid.total, paid.currency, paid.locale),
            )
        else:
            text = message("payment_review", paid.locale, number=paid.number)
        ctx = RenderContext(now=now, locale=paid.locale, last_inbound_at=now)
        return link.adapter.render(inbound.recipient, [TextReply(text)], ctx)


def _address(order_info: object) -> str:
    """Telegram's shipping address from the invoice, as one line."""
    if not isinstance(order_info, dict):
        return ""
    address = order_info.get("shipping_address")
    parts = [order_info.get("name")]
    if isinstance(address, dict):
        parts += [
            address.get("street_line1"),
            address.get("street_line2"),
            f"{address.get('post_code', '')} {address.get('city', '')}".strip(),
            address.get("state"),
            address.get("country_code"),
        ]
    return ", ".join(str(p) for p in parts if p)


def _chat_id(chat_id: str) -> int | str:
    """Telegram's numeric chat id (negative for groups) as a number, anything else as it is."""
    number = parse_ascii_int(chat_id.removeprefix("-"))
    if number is None:
        return chat_id
    return -number if chat_id.startswith("-") else number


__all__ = ["CheckoutHook", "invoice_payload", "send_invoice"]
