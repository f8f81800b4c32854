"""A cart the shopper sent from the platform's catalog (a WhatsApp ``order``), made the shop's cart.

    lines = fill_cart(book, conn, conversation_id, items, locale="pl", now=now)

The platform's cart is what the shopper wants to buy now, so it replaces the conversation's
open cart (unless nothing in it can be bought: then the cart stays as it was). Nothing the
platform says about prices is trusted: every line is re-priced and stock-checked against the
catalog, exactly as ``cart.add`` does. What differs from what the shopper saw is reported per
line, so the flow can say it before checkout:

* ``unknown``: the retailer id names nothing the shop sells (a product deleted since, a typo
  in the platform's catalog, a product with sizes named by its group id);
* ``sold_out``: it cannot be ordered now;
* ``short``: fewer are in stock than asked; the cart takes what there is;

and, for a line in the cart, ``price_changed``: the shop's price now differs from the one the
platform showed (also when the platform's catalog is in another currency than the shop).

Retailer ids are the catalog feed's ``id`` column (``shopchat catalog export --format
meta_csv`` writes shopchat's product and variant ids there); the offer source resolves them
(:class:`~checkout.offers.RetailerOffers`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from sqlalchemy import Connection, delete

from catalog.feeds.values import currency_exponent
from catalog.records import Offer
from checkout.book import MAX_QUANTITY, OrderBook
from checkout.offers import RetailerOffers
from checkout.tables import cart_lines, carts

Problem = Literal["unknown", "sold_out", "short"]


@dataclass(frozen=True)
class OrderedLine:
    """One item of the platform's cart: what the shopper picked and the price they were shown."""

    retailer_id: str
    quantity: int
    price: Decimal | None = None  # major units, as the platform sends it
    currency: str | None = None


@dataclass(frozen=True)
class TakenLine:
    """What became of one ordered item."""

    retailer_id: str
    asked: int
    quantity: int  # how many are in the cart now (0: none)
    offer: Offer | None
    problem: Problem | None = None
    price_shown: int | None = None  # the platform's price, minor units of ``currency_shown``
    currency_shown: str | None = None

    @property
    def price_changed(self) -> bool:
        """In the cart at another price than the platform showed the shopper."""
        if self.quantity < 1 or self.offer is None or self.price_shown is None:
            return False
        return self.currency_shown != self.offer.currency or self.price_shown != self.offer.price


def minor_units(price: Decimal | None, currency: str | None) -> int | None:
    """A platform's price in minor units of its currency; None when it is not a usable price."""
    if price is None or not currency or not price.is_finite() or price < 0:
        return None
    try:
        scaled = price.scaleb(currency_exponent(currency))
        return int(scaled.to_integral_value())
    except (InvalidOperation, ValueError, OverflowError):
        return None


def merge(items: Iterable[OrderedLine]) -> list[OrderedLine]:
    """One line per retailer id, in first-seen order (a platform may repeat an item)."""
    merged: dict[str, OrderedLine] = {}
    for item in items:
        rid = item.retailer_id.strip()
        if not rid:
            continue
        seen = merged.get(rid)
        if seen is None:
            merged[rid] = OrderedLine(rid, item.quantity, item.price, item.currency)
        else:
            merged[rid] = OrderedLine(rid, seen.quantity + item.quantity, seen.price, seen.currency)
    return list(merged.values())


def _offer(book: OrderBook, rid: str, *, locale: str, now: datetime) -> Offer | None:
    if isinstance(book.offers, RetailerOffers):
        return book.offers.retailer_offer(rid, locale=locale, now=now)
    return book.offers.offer(rid, None, locale=locale, now=now)


def fill_cart(
    book: OrderBook,
    conn: Connection,
    cid: str,
    items: Iterable[OrderedLine],
    *,
    locale: str,
    now: datetime,
) -> list[TakenLine]:
    """Replace the conversation's open cart with the sellable part of ``items``; an order of
    which nothing can be bought leaves the cart as it was."""
    checked: list[tuple[OrderedLine, Offer | None, int, int | None, str | None]] = []
    for item in merge(items):
        shown = minor_units(item.price, item.currency)
        offer = _offer(book, item.retailer_id, locale=locale, now=now)
        quantity = 0
        if offer is not None and offer.buyable and offer.currency == book.currency:
            quantity = min(item.quantity, MAX_QUANTITY)
            if offer.quantity is not None:
                quantity = min(quantity, offer.quantity)
        checked.append((item, offer, quantity, shown, item.currency if shown is not None else None))
    if any(quantity >= 1 for _item, _offer, quantity, _s, _c in checked):
        # The platform's cart replaces the open one; its discount code and shipping go too.
        conn.execute(delete(cart_lines).where(cart_lines.c.conversation_id == cid))
        conn.execute(delete(carts).where(carts.c.conversation_id == cid))
    taken: list[TakenLine] = []
    for item, offer, quantity, shown, currency in checked:
        rid, asked = item.retailer_id, item.quantity
        if offer is None or offer.currency != book.currency or asked < 1:
            # Another currency than the shop's is never in its catalog; a quantity below one
            # is not something a shopper can order.
            taken.append(TakenLine(rid, asked, 0, None, "unknown"))
            continue
        if quantity < 1:
            taken.append(TakenLine(rid, asked, 0, offer, "sold_out", shown, currency))
            continue
        problem, added = book.add(
            conn, cid, offer.product_id, offer.variant_id, quantity, locale=locale, now=now
        )
        if problem is not None or added is None:
            # Two retailer ids naming one offer (a product id and its only variant's id):
            # the second adds to the first and may run past the stock.
            taken.append(TakenLine(rid, asked, 0, offer, "short", shown, currency))
            continue
        short: Problem | None = "short" if quantity < asked else None
        taken.append(TakenLine(rid, asked, quantity, added, short, shown, currency))
    return taken


__all__ = ["OrderedLine", "Problem", "TakenLine", "fill_cart", "merge", "minor_units"]
