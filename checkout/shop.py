"""Checkout as one object: the order book, its database and the configured payment providers.

``Checkout`` is what the flow actions, the Telegram payment hook and the merchant API share.
Which way a shopper can pay depends on the channel and on what is configured:

* Telegram with a payment provider token (or a shop priced in Stars, ``XTR``): an invoice;
* a Stripe secret key: a Stripe Checkout link;
* always: the manual methods of checkout.yaml (bank transfer, cash on delivery).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from checkout.book import OrderBook
from checkout.db import Database
from checkout.l10n import format_money
from checkout.orders import Order
from checkout.stripe import StripeCheckout, StripeSession
from checkout.tables import order_events

ONLINE_METHODS = ("telegram", "stripe")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PaymentStart:
    """What starting a payment produced: a link to send, an invoice queued, or instructions."""

    method: str
    ok: bool = True
    link: str | None = None
    problem: str | None = None


class Checkout:
    def __init__(
        self,
        book: OrderBook,
        db: Database,
        *,
        stripe: StripeCheckout | None = None,
        telegram_provider_token: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.book = book
        self.db = db
        self.stripe = stripe
        self.telegram_provider_token = telegram_provider_token
        self.clock = clock
        self.seeds: list[Order] = []  # demo orders imported into whichever database is used

    @property
    def config(self) -> Any:
        return self.book.config

    # -- what an agent sees ----------------------------------------------------------------
    def context(self, conversation_id: str) -> dict[str, Any]:
        """The shopper's cart and recent orders, for the agent console's context panel."""
        with self.db.transaction() as conn:
            placed = self.book.orders_of(conn, conversation_id, limit=5)
            locale = placed[0].locale if placed else "en"
            cart = self.book.cart(conn, conversation_id, locale=locale, now=self.clock())
        cart_lines = [
            f"{line.quantity} × {line.offer.title if line.offer else line.product_id}"
            + (
                f" — {format_money(line.offer.price * line.quantity, line.offer.currency, locale)}"
                if line.offer
                else " (no longer sold)"
            )
            for line in cart.lines
        ]
        latest = placed[0] if placed else None
        return {
            # Who checkout says she is: the agent sees a name instead of "Shopper".
            "customer": (
                {"name": latest.name, "email": latest.email, "phone": latest.phone}
                if latest is not None
                else {}
            ),
            "cart": cart_lines,
            "orders": [
                {
                    "number": order.number,
                    "status": order.status.replace("_", " "),
                    "total": format_money(order.total, order.currency, order.locale),
                }
                for order in placed
            ],
        }

    # -- payment methods -----------------------------------------------------------------
    def methods(self, channel: str, currency: str) -> list[str]:
        """The ways to pay offered on ``channel``, the preferred first."""
        found: list[str] = []
        if channel == "telegram" and (self.telegram_provider_token or currency == "XTR"):
            found.append("telegram")
        if self.stripe is not None and currency != "XTR":
            found.append("stripe")
        found.extend(self.book.config.manual_methods)
        return found

    def prepare_payment(
        self, conn: Connection, order: Order, method: str, *, channel: str, now: datetime
    ) -> PaymentStart | StripeAttempt:
        """The database half of starting to pay ``order`` by ``method`` (re-checks stock and
        prices first): done for Telegram and the manual methods; for Stripe, the session to
        create, which :meth:`stripe_session` then asks Stripe for outside any transaction."""
        if order.status != "pending_payment":
            return PaymentStart(method, ok=False, problem="not_pending")
        if method not in self.methods(channel, order.currency):
            return PaymentStart(method, ok=False, problem="method")
        problem = self.book.recheck(order, now=now)
        if problem is not None:
            return PaymentStart(method, ok=False, problem=problem)
        if method == "stripe":
            if order.payment_method == "stripe" and order.payment_link:
                return PaymentStart(method, link=order.payment_link)  # still open: resend it
            attempt = conn.execute(
                select(func.count()).where(
                    (order_events.c.order_number == order.number)
                    & order_events.c.note.like("stripe session%")
                )
            ).scalar_one()
            # The idempotency key makes a retry of this very attempt (a turn thought again
            # after a lost commit) return the same session.
            return StripeAttempt(order, f"shopchat-{order.number}-{attempt + 1}")
        self.book.set_payment(conn, order.number, method=method, now=now)
        return PaymentStart(method)

    def stripe_session(self, attempt: StripeAttempt, *, now: datetime) -> StripeSession:
        """Ask Stripe for the Checkout Session (network, no transaction held: a slow Stripe
        delays this shopper only). Raises PaymentProviderError."""
        assert self.stripe is not None
        return self.stripe.create_session(
            attempt.order,
            title=f"Order {attempt.order.number}",
            success_url=self.book.config.success_url,
            cancel_url=self.book.config.cancel_url,
            idempotency_key=attempt.idempotency_key,
            now=now,
        )

    def record_stripe(
        self, conn: Connection, attempt: StripeAttempt, session: StripeSession, *, now: datetime
    ) -> PaymentStart:
        """Keep the session Stripe made on the order, unless it stopped waiting for payment
        while Stripe answered."""
        number = attempt.order.number
        order = self.book.order(conn, number)
        if order is None or order.status != "pending_payment":
            return PaymentStart("stripe", ok=False, problem="not_pending")
        self.book.set_payment(
            conn, number, method="stripe", ref=session.id, link=session.url, now=now
        )
        self.book.mark_payment_status(conn, number, "pending", f"stripe session {session.id}", now)
        return PaymentStart("stripe", link=session.url)


@dataclass(frozen=True)
class StripeAttempt:
    """A Stripe Checkout Session to create for ``order``, with its idempotency key."""

    order: Order
    idempotency_key: str


@dataclass(frozen=True)
class InvoiceRequested:
    """A turn's effect: once it has committed, send the Telegram invoice of order ``number``."""

    conversation_id: str
    number: str


__all__ = [
    "ONLINE_METHODS",
    "Checkout",
    "InvoiceRequested",
    "PaymentStart",
    "StripeAttempt",
]
