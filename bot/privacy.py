"""A shopper's right to be forgotten and right of access: erase or export everything about her.

The operator names her by one reference: a conversation id (``whatsapp:48600123456``), an email
or a phone number, in any spelling (`checkout.identity` normalises them). `resolve` grows that
into everything that points at the same person, until nothing new turns up: her orders (by
conversation, email or phone) lead to their conversations, emails and phones; a phone leads to
her WhatsApp conversation and to contacts with that number.

Each package that keeps shoppers' data registers a `DataKeeper` with a `PrivacyRegistry`: how
to find more of her (optional), export her rows, and erase them. `privacy_registry()` builds the
registry with every package's keeper (bot, checkout, and customers when installed); a new table
plugs in by registering one more keeper, and the erase test (which scans every column of every
table) fails until it does.

What stays after an erase: orders, anonymised (see checkout/privacy.py), and hand-off tickets
as timing records (agent, times, reason) under ``erased:<ticket id>``, without their messages,
notes or notifications.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from checkout.identity import email_identity, phone_identity
from checkout.privacy import anonymise_orders, export_orders, find_orders, order_identities

from .comments import answered_table
from .contacts import contacts_table
from .conversation_tokens import tokens_table as conversation_tokens_table
from .handoff.tables import messages, notes, notifications, tickets
from .inbox import inbox_table, outbox_table
from .storage import SessionStore
from .storage import _sessions as sessions_table

__all__ = [
    "DataKeeper",
    "PrivacyRegistry",
    "Shopper",
    "UnknownReference",
    "privacy_registry",
]

ERASED_PREFIX = "erased:"
_MAX_ROUNDS = 8  # each round follows one more hop (order -> phone -> conversation ...)
_CONVERSATION = re.compile(r"^[a-z][a-z0-9_-]{0,31}:\S{1,240}$")


class UnknownReference(ValueError):
    """The reference is neither a conversation id, an email nor a phone number."""


@dataclass
class Shopper:
    """Everything known to point at one person; grows as `PrivacyRegistry.resolve` runs."""

    conversations: set[str] = field(default_factory=set)
    identities: set[str] = field(default_factory=set)  # "email:…" / "phone:+…"
    details: set[str] = field(default_factory=set)  # names, emails, phones as she typed them
    orders: set[str] = field(default_factory=set)  # order numbers

    def size(self) -> int:
        return sum(map(len, (self.conversations, self.identities, self.details, self.orders)))


Finder = Callable[[Connection, Shopper], None]
Exporter = Callable[[Connection, Shopper], dict[str, list[dict[str, Any]]]]
Eraser = Callable[[Connection, Shopper], dict[str, int]]


@dataclass(frozen=True)
class DataKeeper:
    """One package's part: `export` and `erase` her rows; `find` adds what points at her."""

    name: str
    export: Exporter
    erase: Eraser
    find: Finder | None = None


class PrivacyRegistry:
    """The data keepers of every package, and the erase and export that run them all."""

    def __init__(self, *, region: str | None = None) -> None:
        self.region = region  # the shop's country, for phone numbers typed without one
        self._keepers: list[DataKeeper] = []

    def register(self, keeper: DataKeeper) -> None:
        self._keepers.append(keeper)

    @property
    def keepers(self) -> tuple[DataKeeper, ...]:
        return tuple(self._keepers)

    def shopper(self, ref: str) -> Shopper:
        """The person a reference names, before following any links; UnknownReference if none."""
        text = (ref or "").strip()
        found = Shopper()
        if "@" in text:
            if key := email_identity(text):
                found.identities.add(key)
                found.details.add(text)
        elif _CONVERSATION.match(text):
            found.conversations.add(text)
        elif key := phone_identity(text, self.region):
            found.identities.add(key)
            found.details.add(text)
        if not found.size():
            raise UnknownReference(
                f"{ref!r} is not a conversation id (channel:id, e.g. whatsapp:48600123456), "
                "an email address or a phone number (with its country code, e.g. +48 600 123 456)"
            )
        return found

    def resolve(self, conn: Connection, *refs: str) -> Shopper:
        """Everything that points at the person `refs` name, following links to a fixed point.

        Several references (her email and her phone) are one person.
        """
        shopper = Shopper()
        for ref in refs:
            named = self.shopper(ref)
            shopper.conversations |= named.conversations
            shopper.identities |= named.identities
            shopper.details |= named.details
        for _ in range(_MAX_ROUNDS):
            before = shopper.size()
            for keeper in self._keepers:
                if keeper.find is not None:
                    keeper.find(conn, shopper)
            if shopper.size() == before:
                break
        return shopper

    def export(self, conn: Connection, shopper: Shopper) -> dict[str, Any]:
        """Everything held about her, per package and table, as JSON-ready data."""
        return {
            "conversations": sorted(shopper.conversations),
            "identities": sorted(shopper.identities),
            "orders": sorted(shopper.orders),
            "data": {keeper.name: keeper.export(conn, shopper) for keeper in self._keepers},
        }

    def erase(self, conn: Connection, shopper: Shopper) -> dict[str, int]:
        """Erase her in every package, in the caller's transaction; rows changed per table."""
        counts: dict[str, int] = {}
        for keeper in self._keepers:
            for table, n in keeper.erase(conn, shopper).items():
                counts[table] = counts.get(table, 0) + n
        return counts


def held(export: dict[str, Any]) -> int:
    """How many rows an export holds (0: the shop keeps nothing about her)."""
    return sum(len(rows) for tables in export["data"].values() for rows in tables.values())


def privacy_registry(*, region: str | None = None) -> PrivacyRegistry:
    """The registry with every installed package's keeper."""
    registry = PrivacyRegistry(region=region)
    registry.register(DataKeeper("bot", _bot_export, _bot_erase, _bot_find))
    registry.register(
        DataKeeper(
            "checkout",
            _checkout_export,
            _checkout_erase,
            lambda conn, shopper: _checkout_find(conn, shopper, registry.region),
        )
    )
    customers = _customers_keeper()
    if customers is not None:
        registry.register(customers)
    return registry


# -- bot ---------------------------------------------------------------------------------------
# Tables whose rows belong to one conversation and go with it.
_BY_CONVERSATION: tuple[Table, ...] = (
    sessions_table,
    inbox_table,
    outbox_table,
    contacts_table,
    answered_table,
    conversation_tokens_table,
)
_SECRET_COLUMNS = {("conversation_tokens", "token")}  # exported as "held", not their value


def _bot_find(conn: Connection, shopper: Shopper) -> None:
    for key in list(shopper.identities):
        if key.startswith("phone:+"):
            digits = key.removeprefix("phone:+")
            # WhatsApp names a conversation by the shopper's number (its wa_id).
            shopper.conversations.add(f"whatsapp:{digits}")
            c = contacts_table.c
            rows = conn.execute(
                select(c.conversation_id).where(c.recipient.in_([digits, "+" + digits]))
            )
            shopper.conversations.update(row[0] for row in rows)
    convs = sorted(shopper.conversations)
    c = contacts_table.c
    for row in conn.execute(select(c.name).where(c.conversation_id.in_(convs))):
        if row[0]:
            shopper.details.add(row[0])


def _bot_export(conn: Connection, shopper: Shopper) -> dict[str, list[dict[str, Any]]]:
    convs = sorted(shopper.conversations)
    out: dict[str, list[dict[str, Any]]] = {}
    for table in _BY_CONVERSATION:
        rows = conn.execute(select(table).where(table.c.conversation_id.in_(convs)))
        out[table.name] = [_jsonable(table.name, row) for row in rows]
    ticket_rows = conn.execute(
        select(tickets).where(tickets.c.conversation_id.in_(convs)).order_by(tickets.c.id)
    ).all()
    ids = [row.id for row in ticket_rows]
    out[tickets.name] = [_jsonable(tickets.name, row) for row in ticket_rows]
    out[messages.name] = [
        _jsonable(messages.name, row)
        for row in conn.execute(
            select(messages)
            .where(messages.c.conversation_id.in_(convs) | messages.c.ticket_id.in_(ids))
            .order_by(messages.c.id)
        )
    ]
    out[notes.name] = [
        _jsonable(notes.name, row)
        for row in conn.execute(select(notes).where(notes.c.ticket_id.in_(ids)).order_by("id"))
    ]
    return out


def _bot_erase(conn: Connection, shopper: Shopper) -> dict[str, int]:
    convs = sorted(shopper.conversations)
    counts: dict[str, int] = {}
    ids = [
        row[0]
        for row in conn.execute(select(tickets.c.id).where(tickets.c.conversation_id.in_(convs)))
    ]
    counts[notifications.name] = conn.execute(
        delete(notifications).where(notifications.c.ticket_id.in_(ids))
    ).rowcount
    counts[notes.name] = conn.execute(delete(notes).where(notes.c.ticket_id.in_(ids))).rowcount
    m = messages.c
    counts[messages.name] = conn.execute(
        delete(messages).where(m.conversation_id.in_(convs) | m.ticket_id.in_(ids))
    ).rowcount
    now = datetime.now(UTC)
    for ticket_id in ids:
        # Kept for the desk's response-time figures, under a name that points at nobody; an
        # open ticket is closed, as there is no one left to answer.
        conn.execute(
            update(tickets)
            .where(tickets.c.id == ticket_id)
            .values(conversation_id=f"{ERASED_PREFIX}{ticket_id}", updated_at=now)
        )
        conn.execute(
            update(tickets)
            .where(tickets.c.id == ticket_id, tickets.c.state.in_(("waiting", "assigned")))
            .values(state="resolved", resolved_at=now)
        )
    counts[tickets.name] = len(ids)
    for table in _BY_CONVERSATION:
        counts[table.name] = conn.execute(
            delete(table).where(table.c.conversation_id.in_(convs))
        ).rowcount
    return counts


# -- checkout ----------------------------------------------------------------------------------
def _checkout_find(conn: Connection, shopper: Shopper, region: str | None) -> None:
    found = find_orders(
        conn, identities=shopper.identities, conversations=shopper.conversations, region=region
    )
    for order in found:
        shopper.orders.add(order.number)
        if order.conversation_id:
            shopper.conversations.add(order.conversation_id)
        shopper.identities.update(order_identities(order, region))
        shopper.details.update(d for d in (order.name, order.email, order.phone) if d.strip())


def _checkout_export(conn: Connection, shopper: Shopper) -> dict[str, list[dict[str, Any]]]:
    return export_orders(conn, shopper.orders, shopper.conversations)


def _checkout_erase(conn: Connection, shopper: Shopper) -> dict[str, int]:
    return anonymise_orders(conn, shopper.orders, shopper.conversations, shopper.details)


# -- customers (a package of its own, when installed) --------------------------------------------
def _customers_keeper() -> DataKeeper | None:
    try:
        module = importlib.import_module("customers")
    except ImportError:
        return None
    erase = getattr(module, "erase_customer_data", None)
    export = getattr(module, "export_customer_data", None)
    find_refs = getattr(module, "find_customer_refs", None)
    if erase is None or export is None:
        return None

    def refs(shopper: Shopper) -> list[str]:
        # Conversation ids and "email:…"/"phone:+…" identities: the customers package tells
        # them apart by the identity prefixes.
        return sorted(shopper.identities | shopper.conversations)

    def _erase(conn: Connection, shopper: Shopper) -> dict[str, int]:
        return dict(erase(conn, refs(shopper)) or {})

    def _export(conn: Connection, shopper: Shopper) -> dict[str, list[dict[str, Any]]]:
        return dict(export(conn, refs(shopper)) or {})

    def _find(conn: Connection, shopper: Shopper) -> None:
        # The customer book links her conversations on every channel.
        for ref in find_refs(conn, refs(shopper)) if find_refs is not None else ():
            if ref.startswith(("email:", "phone:+")):
                shopper.identities.add(ref)
            else:
                shopper.conversations.add(ref)

    return DataKeeper("customers", _export, _erase, _find)


def _jsonable(table: str, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row._mapping.items():
        if (table, key) in _SECRET_COLUMNS:
            value = "(held, not shown: a credential)"
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, str) and value[:1] in "{[":
            value = _json_or_text(value)
        out[key] = value
    return out


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def export_ref(store: SessionStore, registry: PrivacyRegistry, ref: str) -> dict[str, Any]:
    """`resolve` and `export` in one read; raises UnknownReference."""
    with store.connection() as conn:
        return registry.export(conn, registry.resolve(conn, ref))


def erase_ref(
    store: SessionStore, registry: PrivacyRegistry, ref: str
) -> tuple[Shopper, dict[str, int]]:
    """`resolve` and `erase` in one transaction; raises UnknownReference."""
    with store.transaction() as conn:
        shopper = registry.resolve(conn, ref)
        return shopper, registry.erase(conn, shopper)
