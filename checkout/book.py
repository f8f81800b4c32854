"""The order book: carts, orders and payments in SQL, every change inside a caller's transaction.

Every method takes the connection of a transaction the caller owns, so a cart change commits
with the turn that made it and a payment with the webhook that carried it. Prices and stock
come from an :class:`~checkout.offers.OfferSource` at every step: nothing trusts a price it
read earlier.

Order statuses move only along :data:`TRANSITIONS`; each change is kept in the history.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, delete, func, insert, select, update

from catalog.records import Offer
from checkout.config import CheckoutConfig, DiscountCode
from checkout.errors import IllegalTransition
from checkout.identity import customer_keys
from checkout.offers import OfferSource
from checkout.orders import Order, OrderStatus, order_number_key
from checkout.tables import (
    agent_codes,
    cart_lines,
    carts,
    discount_use_keys,
    discount_uses,
    lookup_failures,
    order_events,
    orders,
    payment_events,
)

log = logging.getLogger("shopchat.checkout")

MAX_QUANTITY = 99  # per line: more is a typo or a reseller, either way a person should talk
LOOKUP_FAILURES_ALLOWED = 5  # failed order lookups per conversation and window
LOOKUP_WINDOW = timedelta(hours=1)

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending_payment": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"packed", "shipped", "cancelled", "refunded"}),
    "packed": frozenset({"shipped", "cancelled", "refunded"}),
    "shipped": frozenset({"delivered", "refunded"}),
    "delivered": frozenset({"refunded"}),
    "cancelled": frozenset(),
    "refunded": frozenset(),
}

PaymentOutcome = Literal["paid", "duplicate", "unknown", "mismatch", "not_pending", "recorded"]


@dataclass(frozen=True)
class PricedLine:
    product_id: str
    variant_id: str | None
    quantity: int
    price_seen: int
    offer: Offer | None

    @property
    def key(self) -> str:
        return f"{self.product_id}~{self.variant_id}" if self.variant_id else self.product_id

    @property
    def problem(self) -> str | None:
        """``gone``, ``sold_out``, ``short`` (fewer in stock), ``price_changed`` or None."""
        if self.offer is None:
            return "gone"
        if not self.offer.buyable:
            return "sold_out"
        if self.offer.quantity is not None and self.offer.quantity < self.quantity:
            return "short"
        if self.offer.price != self.price_seen:
            return "price_changed"
        return None


@dataclass(frozen=True)
class Totals:
    currency: str
    subtotal: int
    discount: int
    shipping: int
    code: str | None = None
    code_problem: str | None = None

    @property
    def total(self) -> int:
        return self.subtotal - self.discount + self.shipping


@dataclass
class Cart:
    conversation_id: str
    token: str | None
    lines: list[PricedLine] = field(default_factory=list)
    discount_code: str | None = None
    shipping_option: str | None = None
    order_number: str | None = None

    @property
    def problems(self) -> list[PricedLine]:
        return [line for line in self.lines if line.problem is not None]


@dataclass(frozen=True)
class PaymentResult:
    outcome: PaymentOutcome
    order: Order | None = None
    detail: str = ""


def split_key(key: str) -> tuple[str, str | None]:
    """A cart line key (``product`` or ``product~variant``) as its ids."""
    product, _, variant = str(key).partition("~")
    return product, variant or None


class OrderBook:
    """Carts, orders, discount uses and payment events of one shop."""

    def __init__(
        self,
        offers: OfferSource,
        config: CheckoutConfig,
        *,
        shop_currency: str,
        new_number: Callable[[], str] | None = None,
        region: str | None = None,
    ) -> None:
        self.offers = offers
        self.config = config
        self.currency = shop_currency
        # The country that phone numbers without a country code belong to (identity keys).
        self.region = region
        self._new_number = new_number or (
            lambda: f"{config.order_prefix}-{100000 + secrets.randbelow(900000)}"
        )

    # -- carts ---------------------------------------------------------------------------
    def cart(self, conn: Connection, cid: str, *, locale: str, now: datetime) -> Cart:
        """The conversation's open cart, every line re-priced now."""
        row = conn.execute(select(carts).where(carts.c.conversation_id == cid)).first()
        if row is None:
            return Cart(cid, None)
        if row.order_number is not None:
            # The cart became an order: it reads as empty until something new is added.
            return Cart(
                cid, row.token, [], row.discount_code, row.shipping_option, row.order_number
            )
        lines = conn.execute(
            select(cart_lines)
            .where(cart_lines.c.conversation_id == cid)
            .order_by(cart_lines.c.position)
        ).all()
        priced = [
            PricedLine(
                line.product_id,
                line.variant_id or None,
                line.quantity,
                line.price_seen,
                self.offers.offer(line.product_id, line.variant_id or None, locale=locale, now=now),
            )
            for line in lines
        ]
        return Cart(
            cid, row.token, priced, row.discount_code, row.shipping_option, row.order_number
        )

    def _open_cart(self, conn: Connection, cid: str, now: datetime) -> None:
        """Make sure the conversation has a cart that is not yet an order."""
        row = conn.execute(select(carts).where(carts.c.conversation_id == cid)).first()
        if row is not None and row.order_number is None:
            conn.execute(update(carts).where(carts.c.conversation_id == cid).values(updated_at=now))
            return
        if row is not None:  # the last cart became an order: start afresh
            conn.execute(delete(cart_lines).where(cart_lines.c.conversation_id == cid))
            conn.execute(delete(carts).where(carts.c.conversation_id == cid))
        conn.execute(
            insert(carts).values(conversation_id=cid, token=secrets.token_hex(16), updated_at=now)
        )

    def add(
        self,
        conn: Connection,
        cid: str,
        product_id: str,
        variant_id: str | None,
        quantity: int,
        *,
        locale: str,
        now: datetime,
    ) -> tuple[str | None, Offer | None]:
        """Add ``quantity`` (to what is there); returns (problem or None, the offer)."""
        if not 1 <= quantity <= MAX_QUANTITY:
            return "bad_quantity", None
        offer = self.offers.offer(product_id, variant_id, locale=locale, now=now)
        if offer is None:
            return "gone", None
        if not offer.buyable:
            return "sold_out", offer
        if offer.currency != self.currency:
            return "gone", offer  # the cart totals in one currency
        self._open_cart(conn, cid, now)
        key = (
            (cart_lines.c.conversation_id == cid)
            & (cart_lines.c.product_id == product_id)
            & (cart_lines.c.variant_id == (variant_id or ""))
        )
        existing = conn.execute(select(cart_lines.c.quantity).where(key)).scalar()
        wanted = quantity + (existing or 0)
        if wanted > MAX_QUANTITY:
            return "bad_quantity", offer
        if offer.quantity is not None and offer.quantity < wanted:
            return "short", offer
        if existing is None:
            position = conn.execute(
                select(func.count()).where(cart_lines.c.conversation_id == cid)
            ).scalar_one()
            conn.execute(
                insert(cart_lines).values(
                    conversation_id=cid,
                    product_id=product_id,
                    variant_id=variant_id or "",
                    quantity=wanted,
                    price_seen=offer.price,
                    currency=offer.currency,
                    position=position,
                )
            )
        else:
            conn.execute(
                update(cart_lines).where(key).values(quantity=wanted, price_seen=offer.price)
            )
        return None, offer

    def set_quantity(
        self,
        conn: Connection,
        cid: str,
        product_id: str,
        variant_id: str | None,
        quantity: int,
        *,
        locale: str,
        now: datetime,
    ) -> str | None:
        """Set a line's quantity (0 removes it); returns a problem or None."""
        if quantity == 0:
            return None if self.remove(conn, cid, product_id, variant_id) else "not_in_cart"
        if not 1 <= quantity <= MAX_QUANTITY:
            return "bad_quantity"
        key = (
            (cart_lines.c.conversation_id == cid)
            & (cart_lines.c.product_id == product_id)
            & (cart_lines.c.variant_id == (variant_id or ""))
        )
        if conn.execute(select(cart_lines.c.quantity).where(key)).first() is None:
            return "not_in_cart"
        offer = self.offers.offer(product_id, variant_id, locale=locale, now=now)
        if offer is None or not offer.buyable:
            return "sold_out"
        if offer.quantity is not None and offer.quantity < quantity:
            return "short"
        conn.execute(
            update(cart_lines).where(key).values(quantity=quantity, price_seen=offer.price)
        )
        return None

    def remove(self, conn: Connection, cid: str, product_id: str, variant_id: str | None) -> bool:
        cart = conn.execute(select(carts.c.order_number).where(carts.c.conversation_id == cid))
        row = cart.first()
        if row is None or row.order_number is not None:
            return False
        key = (
            (cart_lines.c.conversation_id == cid)
            & (cart_lines.c.product_id == product_id)
            & (cart_lines.c.variant_id == (variant_id or ""))
        )
        return bool(conn.execute(delete(cart_lines).where(key)).rowcount)

    def accept_prices(self, conn: Connection, cart: Cart) -> None:
        """The shopper has seen the new prices: remember them as seen."""
        for line in cart.lines:
            if line.offer is not None and line.offer.price != line.price_seen:
                conn.execute(
                    update(cart_lines)
                    .where(
                        (cart_lines.c.conversation_id == cart.conversation_id)
                        & (cart_lines.c.product_id == line.product_id)
                        & (cart_lines.c.variant_id == (line.variant_id or ""))
                    )
                    .values(price_seen=line.offer.price)
                )

    def drop_unavailable(self, conn: Connection, cart: Cart) -> list[PricedLine]:
        """Remove the lines that can no longer be bought; returns them."""
        gone = [line for line in cart.lines if line.problem in ("gone", "sold_out")]
        for line in gone:
            self.remove(conn, cart.conversation_id, line.product_id, line.variant_id)
        return gone

    def set_cart_field(self, conn: Connection, cid: str, **values: Any) -> None:
        conn.execute(update(carts).where(carts.c.conversation_id == cid).values(**values))

    # -- discounts and totals --------------------------------------------------------------
    def discount(self, conn: Connection, code: str, conversation_id: str) -> DiscountCode | None:
        """The shop's code ``code``, or a one-time code an agent gave this conversation."""
        found = self.config.discount(code)
        if found is not None:
            return found
        a = agent_codes.c
        row = conn.execute(
            select(a.code, a.percent, a.amount, a.cap, a.expires_at).where(
                (a.code == code.strip().upper()) & (a.conversation_id == conversation_id)
            )
        ).first()
        if row is None:
            return None
        return DiscountCode(
            code=row.code,
            percent=row.percent,
            amount=row.amount,
            cap=row.cap,
            ends=row.expires_at,
            max_uses=1,
        )

    def give_code(
        self,
        conn: Connection,
        conversation_id: str,
        *,
        agent: str,
        now: datetime,
        percent: int | None = None,
        amount: int | None = None,
        cap: int | None = None,
        valid_for: timedelta = timedelta(days=7),
    ) -> DiscountCode:
        """A new one-time code for this conversation only, recorded with the agent who gave it."""
        code = "AG" + secrets.token_hex(4).upper()
        conn.execute(
            insert(agent_codes).values(
                code=code,
                conversation_id=conversation_id,
                percent=percent,
                amount=amount,
                cap=cap,
                expires_at=now + valid_for,
                agent=agent,
                created_at=now,
            )
        )
        found = self.discount(conn, code, conversation_id)
        assert found is not None
        return found

    def customer_keys(self, email: str, phone: str, conversation_id: str) -> tuple[str, ...]:
        """The shopper's identity keys for per-customer limits (see checkout/identity.py)."""
        return customer_keys(email, phone, conversation_id, region=self.region)

    def code_problem(
        self,
        conn: Connection,
        code: DiscountCode | None,
        subtotal: int,
        customers: Sequence[str],
        now: datetime,
    ) -> str | None:
        """Why ``code`` cannot be used now (``unknown``, ``expired``, ``used_up``, ...).

        ``customers`` are the shopper's identity keys (:meth:`customer_keys`): a use
        recorded under any of them counts towards ``max_uses_per_customer``."""
        if code is None:
            return "unknown"
        if not code.in_window(now):
            return "not_yet" if code.starts is not None and now < code.starts else "expired"
        if subtotal < code.min_order:
            return "min_order"
        uses = discount_uses.c
        if code.max_uses is not None:
            used = conn.execute(
                select(func.count()).where(uses.code == code.code.upper())
            ).scalar_one()
            if used >= code.max_uses:
                return "used_up"
        if code.max_uses_per_customer is not None and customers:
            keys = discount_use_keys.c
            used = conn.execute(
                select(func.count(func.distinct(keys.order_number))).where(
                    (keys.code == code.code.upper()) & keys.customer.in_(list(customers))
                )
            ).scalar_one()
            if used >= code.max_uses_per_customer:
                return "used_by_you"
        return None

    def totals(
        self,
        conn: Connection,
        cart: Cart,
        *,
        now: datetime,
        customers: Sequence[str] = (),
        shipping_option: str | None = None,
    ) -> Totals:
        subtotal = sum(
            line.offer.price * line.quantity
            for line in cart.lines
            if line.offer is not None and line.offer.buyable
        )
        discount, problem = 0, None
        if cart.discount_code:
            code = self.discount(conn, cart.discount_code, cart.conversation_id)
            problem = self.code_problem(conn, code, subtotal, customers, now)
            if problem is None and code is not None:
                discount = code.discount_on(subtotal)
        option = self.config.shipping_option(shipping_option or cart.shipping_option or "")
        shipping = option.price_for(subtotal - discount) if option and cart.lines else 0
        return Totals(self.currency, subtotal, discount, shipping, cart.discount_code, problem)

    # -- orders --------------------------------------------------------------------------
    def place(
        self,
        conn: Connection,
        cart: Cart,
        *,
        name: str,
        email: str,
        phone: str,
        address: str,
        locale: str,
        now: datetime,
        payment_method: str = "transfer",
    ) -> Order:
        """The cart as an order; the same cart always gives the same order.

        The caller has checked ``cart.problems`` and the discount code. Line titles and prices
        are frozen as they are now.
        """
        if cart.order_number is not None:
            existing = self.order(conn, cart.order_number)
            if existing is not None:
                return existing
        if cart.token is not None:
            number = conn.execute(
                select(orders.c.number).where(orders.c.checkout_key == cart.token)
            ).scalar()
            if number is not None:
                found = self.order(conn, number)
                assert found is not None
                return found
        customers = self.customer_keys(email, phone, cart.conversation_id)
        totals = self.totals(conn, cart, now=now, customers=customers)
        items = [
            {
                "product_id": line.product_id,
                "variant_id": line.variant_id,
                "title": line.offer.title,
                "quantity": line.quantity,
                "price": line.offer.price,
            }
            for line in cart.lines
            if line.offer is not None
        ]
        number = self._fresh_number(conn)
        discount = totals.discount if totals.code_problem is None else 0
        conn.execute(
            insert(orders).values(
                number=number,
                checkout_key=cart.token,
                conversation_id=cart.conversation_id,
                locale=locale,
                status="pending_payment",
                payment_status="pending",
                payment_method=payment_method,
                name=name,
                email=email,
                phone=phone,
                address=address,
                items=json.dumps(items, ensure_ascii=False),
                currency=totals.currency,
                subtotal=totals.subtotal,
                discount=discount,
                discount_code=cart.discount_code if discount else None,
                shipping=totals.shipping,
                shipping_option=cart.shipping_option,
                total=totals.subtotal - discount + totals.shipping,
                created_at=now,
                updated_at=now,
            )
        )
        if discount and cart.discount_code:
            conn.execute(
                insert(discount_uses).values(
                    code=cart.discount_code.upper(),
                    customer=customers[0],
                    order_number=number,
                    at=now,
                )
            )
            conn.execute(
                insert(discount_use_keys),
                [
                    {"code": cart.discount_code.upper(), "customer": key, "order_number": number}
                    for key in customers
                ],
            )
        self._history(conn, number, "pending_payment", "order placed", now)
        conn.execute(
            update(carts)
            .where(carts.c.conversation_id == cart.conversation_id)
            .values(order_number=number, updated_at=now)
        )
        placed = self.order(conn, number)
        assert placed is not None
        return placed

    def _fresh_number(self, conn: Connection) -> str:
        for _ in range(20):
            number = self._new_number()
            taken = conn.execute(select(orders.c.id).where(orders.c.number == number)).first()
            if taken is None:
                return number
        raise RuntimeError("could not find a free order number; widen the number range")

    def _history(
        self, conn: Connection, number: str, status: str, note: str, now: datetime
    ) -> None:
        conn.execute(
            insert(order_events).values(order_number=number, status=status, note=note, at=now)
        )

    def order(self, conn: Connection, number: str) -> Order | None:
        row = conn.execute(select(orders).where(orders.c.number == number)).first()
        return None if row is None else _order(row)

    def order_by_key(self, conn: Connection, typed: str) -> Order | None:
        """The order whose number is ``typed`` as people type it (``tg 123456``)."""
        key = order_number_key(typed or "")
        if not key:
            return None
        # Numbers are PREFIX-digits: fetch by the digits, compare the normalised whole.
        digits = "".join(ch for ch in key if ch.isdigit())
        rows = conn.execute(
            select(orders).where(orders.c.number.like(f"%{digits}")).limit(20)
        ).all()
        for row in rows:
            if order_number_key(row.number) == key:
                return _order(row)
        return None

    def by_payment_ref(self, conn: Connection, ref: str) -> Order | None:
        row = conn.execute(select(orders).where(orders.c.payment_ref == ref)).first()
        return None if row is None else _order(row)

    def orders_of(self, conn: Connection, cid: str, limit: int = 10) -> list[Order]:
        rows = conn.execute(
            select(orders)
            .where(orders.c.conversation_id == cid)
            .order_by(orders.c.id.desc())
            .limit(limit)
        ).all()
        return [_order(r) for r in rows]

    def list_orders(
        self, conn: Connection, *, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Order]:
        query = select(orders).order_by(orders.c.id.desc()).limit(limit).offset(offset)
        if status:
            query = query.where(orders.c.status == status)
        return [_order(r) for r in conn.execute(query).all()]

    def history(self, conn: Connection, number: str) -> list[dict[str, Any]]:
        rows = conn.execute(
            select(order_events)
            .where(order_events.c.order_number == number)
            .order_by(order_events.c.id)
        ).all()
        return [{"status": r.status, "note": r.note, "at": r.at.isoformat()} for r in rows]

    def lookup(
        self, conn: Connection, number: str, contact: str, *, who: str, now: datetime
    ) -> Order | None | Literal["limited"]:
        """The order with this number and contact; the same None for either being wrong.

        Failed lookups are counted per ``who`` (the conversation); past the limit every
        lookup answers "limited" for an hour, right or wrong, so guessing gains nothing.
        """
        since = now - LOOKUP_WINDOW
        failures = conn.execute(
            select(func.count()).where(
                (lookup_failures.c.who == who) & (lookup_failures.c.at > since)
            )
        ).scalar_one()
        if failures >= LOOKUP_FAILURES_ALLOWED:
            return "limited"
        order = self.order_by_key(conn, number)
        if order is None or not order.has_contact(contact or ""):
            # Forget what no longer counts, so the table stays as small as the window.
            conn.execute(
                delete(lookup_failures).where(
                    (lookup_failures.c.who == who) & (lookup_failures.c.at <= since)
                )
            )
            conn.execute(insert(lookup_failures).values(who=who, at=now))
            return None
        return order

    def set_payment(
        self,
        conn: Connection,
        number: str,
        *,
        method: str,
        ref: str | None = None,
        link: str | None = None,
        now: datetime,
    ) -> None:
        conn.execute(
            update(orders)
            .where(orders.c.number == number)
            .values(payment_method=method, payment_ref=ref, payment_link=link, updated_at=now)
        )

    def set_address(self, conn: Connection, number: str, address: str, *, now: datetime) -> bool:
        """Set the delivery address of an order not yet shipped; False if it cannot be."""
        if not address:
            return False
        done = conn.execute(
            update(orders)
            .where(
                (orders.c.number == number)
                & orders.c.status.in_(("pending_payment", "paid", "packed"))
            )
            .values(address=address, updated_at=now)
        )
        return done.rowcount == 1

    def set_status(
        self,
        conn: Connection,
        number: str,
        status: OrderStatus,
        *,
        now: datetime,
        note: str = "",
        carrier: str | None = None,
        tracking_number: str | None = None,
        tracking_url: str | None = None,
    ) -> Order:
        """Move the order to ``status``; IllegalTransition if its status does not allow it."""
        order = self.order(conn, number)
        if order is None:
            raise KeyError(number)
        if status not in TRANSITIONS.get(order.status, frozenset()):
            raise IllegalTransition(f"order {number} is {order.status}; it cannot become {status}")
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if status == "shipped":
            if not (carrier or order.carrier) or not (tracking_number or order.tracking_number):
                raise IllegalTransition("a shipped order needs carrier and tracking_number")
            values.update(
                carrier=carrier or order.carrier,
                tracking_number=tracking_number or order.tracking_number,
                tracking_url=tracking_url or order.tracking_url,
            )
        if status == "paid":
            values["payment_status"] = "paid"
        done = conn.execute(
            update(orders)
            .where((orders.c.number == number) & (orders.c.status == order.status))
            .values(**values)
        )
        if done.rowcount != 1:
            raise IllegalTransition(f"order {number} changed meanwhile; try again")
        self._history(conn, number, status, note, now)
        changed = self.order(conn, number)
        assert changed is not None
        return changed

    # -- payments ------------------------------------------------------------------------
    def recheck(self, order: Order, *, now: datetime) -> str | None:
        """``sold_out`` or ``price_changed`` if the order cannot be paid as it stands."""
        for item in order.items:
            offer = self.offers.offer(
                item.product_id, item.variant_id, locale=order.locale, now=now
            )
            if offer is None or not offer.buyable:
                return "sold_out"
            if offer.quantity is not None and offer.quantity < item.quantity:
                return "sold_out"
            if offer.price != item.price or offer.currency != order.currency:
                return "price_changed"
        return None

    def seen_event(self, conn: Connection, provider: str, event_id: str) -> bool:
        c = payment_events.c
        found = conn.execute(
            select(c.id).where((c.provider == provider) & (c.event_id == event_id))
        ).first()
        return found is not None

    def record_event(
        self,
        conn: Connection,
        provider: str,
        event_id: str,
        kind: str,
        outcome: str,
        *,
        number: str | None,
        amount: int | None,
        currency: str | None,
        now: datetime,
    ) -> None:
        conn.execute(
            insert(payment_events).values(
                provider=provider,
                event_id=event_id,
                order_number=number,
                kind=kind,
                amount=amount,
                currency=currency,
                outcome=outcome,
                at=now,
            )
        )

    def apply_payment(
        self,
        conn: Connection,
        *,
        provider: str,
        event_id: str,
        kind: str,
        order: Order | None,
        amount: int | None,
        currency: str | None,
        now: datetime,
    ) -> PaymentResult:
        """Credit ``order`` with a payment, once per (provider, event id) and once per order.

        A replayed event is a ``duplicate``; an amount or currency that differs from the
        order's total is refused as a ``mismatch`` and flags the order for a person.
        """
        if self.seen_event(conn, provider, event_id):
            return PaymentResult("duplicate", order)
        number = order.number if order is not None else None

        def done(outcome: PaymentOutcome, detail: str = "") -> PaymentResult:
            self.record_event(
                conn,
                provider,
                event_id,
                kind,
                outcome,
                number=number,
                amount=amount,
                currency=currency,
                now=now,
            )
            return PaymentResult(outcome, order, detail)

        if order is None:
            log.warning("%s payment event %s for no known order: acknowledged", provider, event_id)
            return done("unknown")
        if amount != order.total or (currency or "").upper() != order.currency:
            detail = (
                f"{provider} paid {amount} {currency} but the order is "
                f"{order.total} {order.currency}"
            )
            log.error("order %s: %s; flagged, not marked paid", order.number, detail)
            conn.execute(
                update(orders)
                .where(orders.c.number == order.number)
                .values(flag=detail, updated_at=now)
            )
            self._history(conn, order.number, order.status, f"payment refused: {detail}", now)
            return done("mismatch", detail)
        if order.status != "pending_payment":
            if order.payment_status != "paid":
                detail = f"{provider} payment for a {order.status} order"
                conn.execute(
                    update(orders)
                    .where(orders.c.number == order.number)
                    .values(flag=detail, updated_at=now)
                )
            return done("not_pending")
        order = self.set_status(
            conn, order.number, "paid", now=now, note=f"paid via {provider} ({event_id})"
        )
        conn.execute(
            update(orders)
            .where(orders.c.number == order.number)
            .values(payment_method=provider if provider != "manual" else order.payment_method)
        )
        order = self.order(conn, order.number)
        return done("paid")

    def mark_payment_status(
        self, conn: Connection, number: str, payment_status: str, note: str, now: datetime
    ) -> None:
        conn.execute(
            update(orders)
            .where((orders.c.number == number) & (orders.c.status == "pending_payment"))
            .values(payment_status=payment_status, updated_at=now)
        )
        self._history(conn, number, "pending_payment", note, now)

    # -- seed ------------------------------------------------------------------------------
    def seed(self, conn: Connection, seeded: list[Order], now: datetime) -> int:
        """Import demo orders that are not in the book yet; returns how many."""
        added = 0
        for order in seeded:
            if conn.execute(select(orders.c.id).where(orders.c.number == order.number)).first():
                continue
            conn.execute(insert(orders).values(**_row(order), updated_at=now))
            self._history(conn, order.number, order.status, "imported", order.created_at)
            added += 1
        return added


def _row(order: Order) -> dict[str, Any]:
    data = order.model_dump(exclude={"items"})
    data["items"] = json.dumps([item.model_dump() for item in order.items], ensure_ascii=False)
    data["subtotal"] = order.subtotal
    return data


def _order(row: Any) -> Order:
    data = dict(row._mapping)
    data["items"] = json.loads(data["items"])
    for key in ("id", "checkout_key", "payment_ref", "subtotal", "updated_at"):
        data.pop(key, None)
    return Order.model_validate(data)


__all__ = [
    "MAX_QUANTITY",
    "TRANSITIONS",
    "Cart",
    "OrderBook",
    "PaymentResult",
    "PricedLine",
    "Totals",
    "split_key",
]
