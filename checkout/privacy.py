"""A shopper's data in the checkout tables: find it, export it, erase it (GDPR-style).

Orders are kept for accounting, so erasing *anonymises* them: the name, email, phone and
address are blanked, the conversation is cut off, and free text kept with the order (status
notes, the review flag) has the shopper's details replaced by ``[erased]``. Carts, the
order-lookup failures of her conversations and her identity in discount counts go. A discount
use stays counted towards the code's total, under ``erased:<order number>`` instead of her
email or phone, so a per-customer limit no longer recognises her (there is nothing left to
recognise her by).

Matching uses `checkout.identity`: any spelling of her email or phone finds her orders.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, or_, select, update

from .identity import email_identity, phone_identity
from .tables import (
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

ERASED = "[erased]"
_FETCH = 2000  # orders read per batch while matching identities


@dataclass(frozen=True)
class OrderContact:
    """Who an order belongs to, as typed at checkout."""

    number: str
    conversation_id: str | None
    name: str
    email: str
    phone: str


def order_identities(order: OrderContact, region: str | None) -> set[str]:
    """The normalised identities (``email:…``, ``phone:+…``) an order was placed under."""
    return set(_identities(order.email, order.phone, region))


# Resolving a shopper reads every order once per round of links it follows; normalising is
# most of that cost, so each typed pair is normalised once.
@functools.lru_cache(maxsize=65_536)
def _identities(email: str, phone: str, region: str | None) -> tuple[str, ...]:
    by_email = email_identity(email) if email else None
    by_phone = phone_identity(phone, region) if phone else None
    return tuple(key for key in (by_email, by_phone) if key)


def order_contacts(conn: Connection, *where: ColumnElement[bool]) -> Iterator[OrderContact]:
    """The contact details of every order (``where`` narrows them), read in id order a batch
    at a time so that a big order book is never held in memory at once."""
    c = orders.c
    query = (
        select(c.id, c.number, c.conversation_id, c.name, c.email, c.phone)
        .where(*where)
        .order_by(c.id)
    )
    last = 0
    while True:
        rows = conn.execute(query.where(c.id > last).limit(_FETCH)).all()
        if not rows:
            return
        last = rows[-1][0]
        for row in rows:
            yield OrderContact(row[1], row[2], row[3] or "", row[4] or "", row[5] or "")


def find_orders(
    conn: Connection,
    *,
    identities: Iterable[str],
    conversations: Iterable[str],
    region: str | None = None,
) -> list[OrderContact]:
    """Orders placed in any of `conversations` or under any of `identities`.

    Identities are compared after normalisation, so every order is read once (in batches);
    erasing and exporting are rare, operator-run jobs, and a typed address can't be found
    with an index on the column as typed.
    """
    wanted = set(identities)
    convs = set(conversations)
    found: dict[str, OrderContact] = {}
    for order in order_contacts(conn):
        if (order.conversation_id in convs) or (
            wanted and order_identities(order, region) & wanted
        ):
            found[order.number] = order
    return list(found.values())


def export_orders(
    conn: Connection, numbers: Iterable[str], conversations: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """Everything checkout holds about these orders and conversations, as JSON-ready rows."""
    nums = sorted(set(numbers))
    convs = sorted(set(conversations))
    result: dict[str, list[dict[str, Any]]] = {}
    result["orders"] = [
        _jsonable(row, decode=("items",))
        for row in conn.execute(select(orders).where(orders.c.number.in_(nums)).order_by("id"))
    ]
    result["order_events"] = [
        _jsonable(row)
        for row in conn.execute(
            select(order_events).where(order_events.c.order_number.in_(nums)).order_by("id")
        )
    ]
    result["payment_events"] = [
        _jsonable(row)
        for row in conn.execute(
            select(payment_events).where(payment_events.c.order_number.in_(nums)).order_by("id")
        )
    ]
    result["carts"] = [
        _jsonable(row)
        for row in conn.execute(select(carts).where(carts.c.conversation_id.in_(convs)))
    ]
    result["cart_lines"] = [
        _jsonable(row)
        for row in conn.execute(select(cart_lines).where(cart_lines.c.conversation_id.in_(convs)))
    ]
    return result


def anonymise_orders(
    conn: Connection,
    numbers: Iterable[str],
    conversations: Iterable[str],
    details: Iterable[str],
) -> dict[str, int]:
    """Erase the shopper from checkout; orders stay, without anything that names her.

    `details` are the strings she typed (names, emails, phones) to blank out of free text
    kept with the orders. Returns rows changed per table. Running it again changes nothing.
    """
    nums = sorted(set(numbers))
    convs = sorted(set(conversations))
    redact = _redactor(details)
    counts: dict[str, int] = {}
    c = orders.c
    anonymous = {"name": "", "email": "", "phone": "", "address": "", "conversation_id": None}
    counts["checkout_orders"] = conn.execute(
        update(orders)
        .where(
            c.number.in_(nums),
            or_(
                c.name != "",
                c.email != "",
                c.phone != "",
                c.address != "",
                c.conversation_id.is_not(None),
            ),
        )
        .values(anonymous)
    ).rowcount
    for row in conn.execute(select(c.id, c.flag).where(c.number.in_(nums), c.flag.is_not(None))):
        if (clean := redact(row[1])) != row[1]:
            conn.execute(update(orders).where(c.id == row[0]).values(flag=clean))
    notes = 0
    e = order_events.c
    for row in conn.execute(select(e.id, e.note).where(e.order_number.in_(nums))):
        if (clean := redact(row[1])) != row[1]:
            conn.execute(update(order_events).where(e.id == row[0]).values(note=clean))
            notes += 1
    counts["checkout_order_events"] = notes
    counts["checkout_cart_lines"] = conn.execute(
        delete(cart_lines).where(cart_lines.c.conversation_id.in_(convs))
    ).rowcount
    counts["checkout_carts"] = conn.execute(
        delete(carts).where(carts.c.conversation_id.in_(convs))
    ).rowcount
    counts["checkout_agent_codes"] = conn.execute(
        delete(agent_codes).where(agent_codes.c.conversation_id.in_(convs))
    ).rowcount
    counts["checkout_lookup_failures"] = conn.execute(
        delete(lookup_failures).where(lookup_failures.c.who.in_(convs))
    ).rowcount
    changed = 0
    for table in (discount_uses, discount_use_keys):
        for row in conn.execute(
            select(table.c.id, table.c.order_number).where(
                table.c.order_number.in_(nums), ~table.c.customer.startswith("erased:")
            )
        ):
            conn.execute(
                update(table).where(table.c.id == row[0]).values(customer=f"erased:{row[1]}")
            )
            changed += 1
    counts["checkout_discount_uses"] = changed
    return counts


def _redactor(details: Iterable[str]) -> Any:
    needles = sorted({d.strip() for d in details if d and len(d.strip()) >= 3}, key=len)[::-1]

    def redact(value: str | None) -> str | None:
        if not value:
            return value
        out = value
        for needle in needles:
            if needle.casefold() in out.casefold():
                out = _replace_folded(out, needle)
        return out

    return redact


def _replace_folded(text: str, needle: str) -> str:
    folded, target = text.casefold(), needle.casefold()
    if len(folded) != len(text):  # casefold changed the length (ß): fall back to exact
        return text.replace(needle, ERASED)
    pieces, start = [], 0
    while (at := folded.find(target, start)) >= 0:
        pieces.append(text[start:at])
        pieces.append(ERASED)
        start = at + len(target)
    pieces.append(text[start:])
    return "".join(pieces)


def _jsonable(row: Any, decode: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row._mapping.items():
        if key in decode and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[key] = value
    return out


__all__ = [
    "OrderContact",
    "anonymise_orders",
    "export_orders",
    "find_orders",
    "order_contacts",
    "order_identities",
]
