"""Erase and export a customer (bot/privacy.py's registry finds these by name).

`refs` are conversation ids (``telegram:7``) and identities (``email:…``, ``phone:+…``) that
point at her; `find_customer_refs` adds every conversation and identity of the customers
they name, so an erase covers her on every channel the book linked.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, select

from .tables import (
    audit,
    broadcast_sends,
    cart_reminders,
    consent,
    contacts,
    customers,
    events,
    facts,
    identities,
)

_BY_CUSTOMER: tuple[Table, ...] = (facts, identities, audit, contacts, customers)
_BY_CONVERSATION: tuple[Table, ...] = (consent, broadcast_sends, cart_reminders, events)


def _is_identity(ref: str) -> bool:
    return ref.startswith(("email:", "phone:+"))


def _customer_ids(conn: Connection, refs: Iterable[str]) -> list[int]:
    refs = list(refs)
    convs = [r for r in refs if not _is_identity(r)]
    keys = [r for r in refs if _is_identity(r)]
    found = set(
        conn.execute(
            select(contacts.c.customer_id).where(contacts.c.conversation_id.in_(convs))
        ).scalars()
    )
    found |= set(
        conn.execute(
            select(identities.c.customer_id).where(identities.c.identity.in_(keys))
        ).scalars()
    )
    return sorted(found)


def find_customer_refs(conn: Connection, refs: Iterable[str]) -> set[str]:
    """Every conversation and identity of the customers ``refs`` point at."""
    ids = _customer_ids(conn, refs)
    out = set(
        conn.execute(
            select(contacts.c.conversation_id).where(contacts.c.customer_id.in_(ids))
        ).scalars()
    )
    out |= set(
        conn.execute(
            select(identities.c.identity).where(identities.c.customer_id.in_(ids))
        ).scalars()
    )
    return out


def export_customer_data(conn: Connection, refs: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Her rows in every customers table, JSON-ready."""
    refs = sorted(set(refs))
    ids = _customer_ids(conn, refs)
    convs = sorted(
        set(r for r in refs if not _is_identity(r))
        | set(
            conn.execute(
                select(contacts.c.conversation_id).where(contacts.c.customer_id.in_(ids))
            ).scalars()
        )
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for table in _BY_CUSTOMER:
        column = table.c.id if table is customers else table.c.customer_id
        out[table.name] = [_jsonable(r) for r in conn.execute(select(table).where(column.in_(ids)))]
    for table in _BY_CONVERSATION:
        query = select(table).where(table.c.conversation_id.in_(convs))
        out[table.name] = [_jsonable(r) for r in conn.execute(query)]
    return out


def erase_customer_data(conn: Connection, refs: Iterable[str]) -> dict[str, int]:
    """Delete her rows in every customers table; rows deleted per table."""
    refs = sorted(set(refs))
    ids = _customer_ids(conn, refs)
    convs = sorted(
        set(r for r in refs if not _is_identity(r))
        | set(
            conn.execute(
                select(contacts.c.conversation_id).where(contacts.c.customer_id.in_(ids))
            ).scalars()
        )
    )
    counts: dict[str, int] = {}
    for table in _BY_CONVERSATION:
        counts[table.name] = conn.execute(
            delete(table).where(table.c.conversation_id.in_(convs))
        ).rowcount
    for table in _BY_CUSTOMER:
        column = table.c.id if table is customers else table.c.customer_id
        counts[table.name] = conn.execute(delete(table).where(column.in_(ids))).rowcount
    return counts


def _jsonable(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row._mapping.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif key in ("value", "detail", "message") and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[key] = value
    return out


__all__ = ["erase_customer_data", "export_customer_data", "find_customer_refs"]
