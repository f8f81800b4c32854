"""INSERT ... ON CONFLICT on either database the stores run on.

Core ``insert`` has no ON CONFLICT clause; PostgreSQL's and SQLite's own ``insert`` both do,
with the same ``on_conflict_do_nothing`` / ``on_conflict_do_update`` methods and ``excluded``::

    stmt = dialect_insert(conn, tokens).values(token=t, payload=p)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["token"]))

    conn.execute(upsert(conn, presence, {"agent": a, "online": True}, keys=["agent"]))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite

#: The dialect's own INSERT: both kinds take the same ON CONFLICT calls.
DialectInsert = postgresql.Insert | sqlite.Insert


def dialect_insert(bind: Connection | Engine, table: Table) -> DialectInsert:
    """An INSERT into ``table`` that can take ON CONFLICT, for the database ``bind`` is on."""
    if bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(
    bind: Connection | Engine,
    table: Table,
    values: Mapping[str, Any],
    *,
    keys: Sequence[str],
    where: ColumnElement[bool] | None = None,
) -> DialectInsert:
    """Insert the row ``values``; when a row with the same ``keys`` exists, set its other columns
    to ``values`` instead (only where ``where`` holds on the existing row, when given)."""
    stmt = dialect_insert(bind, table).values(**values)
    changes = {name: stmt.excluded[name] for name in values if name not in keys}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=changes, where=where)


__all__ = ["DialectInsert", "dialect_insert", "upsert"]
