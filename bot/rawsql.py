"""Hot-path SQL: statements written once, run on the driver connection of the caller's transaction.

Every event a webhook acknowledges costs a handful of statements (store it, claim it, load and
save the session, queue and record the reply). Built and executed through SQLAlchemy Core each
one costs 20-60 µs of Python before SQLite does any work; on the driver's own cursor it costs
about 8 µs. So the chat service's per-event statements are plain SQL in both dialects' common
subset (``ON CONFLICT``, ``RETURNING``), with ``:name`` parameters that are rewritten once for
psycopg's ``%(name)s``. Everything else in shopchat stays on SQLAlchemy Core.

They run inside the SQLAlchemy transaction the caller holds (``store.transaction()``), on the
same DBAPI connection, so they commit or roll back with everything else it did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class RawSql:
    """Hot statements for one database: SQLite (``:name`` natively) or a ``%(name)s`` driver."""

    def __init__(self, dialect: Dialect) -> None:
        self.sqlite = dialect.name == "sqlite"
        self._pyformat = dialect.paramstyle in ("pyformat", "format")
        self._texts: dict[str, str] = {}
        self._driver_error: type[Exception] = dialect.loaded_dbapi.Error
        self._last: tuple[datetime | None, str] = (None, "")

    def _cursor(self, conn: Connection) -> Any:
        raw = conn.connection.dbapi_connection
        assert raw is not None, "the connection is closed"
        return raw.cursor()

    def _run(
        self, cursor: Any, text: str, params: Any, *, many: bool = False, prepare: bool = True
    ) -> None:
        """Execute, with the driver's errors raised as SQLAlchemy's (``OperationalError``,
        ``IntegrityError``...), as every other statement's are: callers and the store's error
        handling (503 when the database is down) see no difference."""
        try:
            if many:
                cursor.executemany(text, params)
            elif prepare or self.sqlite:
                cursor.execute(text, params)
            else:
                cursor.execute(text, params, prepare=False)
        except self._driver_error as exc:
            cursor.close()
            raise DBAPIError.instance(text, params, exc, self._driver_error) from exc

    def text(self, sql: str, *, binary: bool = False) -> str:
        """``sql`` with its ``:name`` parameters in the driver's style (cached); ``binary``:
        sent in the binary format (psycopg's ``%(name)b``)."""
        key = f"b:{sql}" if binary else sql
        out = self._texts.get(key)
        if out is None:
            mark = r"%(\1)b" if binary else r"%(\1)s"
            out = _PARAM.sub(mark, sql.replace("%", "%%")) if self._pyformat else sql
            self._texts[key] = out
        return out

    def execute(
        self,
        conn: Connection,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        binary: bool = False,
        prepare: bool | None = None,
    ) -> Any:
        """Run ``sql`` in ``conn``'s transaction; returns the driver's cursor. ``binary``
        sends the parameters in the binary format: for array parameters (bot/later.py),
        whose text format psycopg builds in Python, escaping every element (20 JSON bodies:
        330 us against 28 us). ``prepare=False``: never a prepared statement (PostgreSQL),
        so each run is planned for its parameters: the default for binary (array)
        statements, whose generic plans cost more than planning them for their arrays
        (10 rows, the server's CPU: a claim 0.37 ms prepared against 0.23, replies 0.50
        against 0.40, sessions 0.33 against 0.27; the turn loads' read of 30 conversations
        1.3 ms against 0.6)."""
        cursor = self._cursor(conn)
        if prepare is None:
            prepare = not binary
        self._run(cursor, self.text(sql, binary=binary), params or {}, prepare=prepare)
        return cursor

    def one(
        self, conn: Connection, sql: str, params: Mapping[str, Any] | None = None
    ) -> Sequence[Any] | None:
        """The first row, or None."""
        cursor = self.execute(conn, sql, params)
        try:
            row: Sequence[Any] | None = cursor.fetchone()
            return row
        finally:
            cursor.close()

    def all(
        self,
        conn: Connection,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        binary: bool = False,
        prepare: bool | None = None,
    ) -> list[Sequence[Any]]:
        return fetched(self.execute(conn, sql, params, binary=binary, prepare=prepare))

    def run(self, conn: Connection, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Execute a write; returns the number of rows it changed."""
        cursor = self.execute(conn, sql, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def insert_rows(
        self, conn: Connection, head: str, rows: Sequence[Sequence[Any]], tail: str = ""
    ) -> None:
        """``head VALUES (...), (...) tail``: several rows in one statement.

        Cheaper than :meth:`many` on PostgreSQL, where psycopg pipelines each parameter set
        as a statement of its own.
        """
        if not rows:
            return
        mark = "?" if self.sqlite else "%s"
        width = len(rows[0])
        key = f"{head}|{width}|{len(rows)}|{tail}"
        text = self._texts.get(key)
        if text is None:
            group = "(" + ", ".join([mark] * width) + ")"
            text = self._texts[key] = f"{head} VALUES {', '.join([group] * len(rows))} {tail}"
        cursor = self._cursor(conn)
        self._run(cursor, text, [value for row in rows for value in row])
        cursor.close()

    def many(self, conn: Connection, sql: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Execute a write once per parameter set, in one driver call."""
        cursor = self._cursor(conn)
        self._run(cursor, self.text(sql), list(rows), many=True)
        cursor.close()

    # -- values ----------------------------------------------------------------------------
    def time(self, moment: datetime | None) -> Any:
        """A timestamp parameter stored exactly as SQLAlchemy's DateTime column type stores it
        (on SQLite: naive UTC text, ``2026-11-22 09:30:15.000000``, microseconds always)."""
        if moment is None:
            return None
        utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
        if not self.sqlite:
            return utc
        last = self._last  # one clock reading is often written to several rows
        if last[0] is utc:
            return last[1]
        text = utc.replace(tzinfo=None).isoformat(" ", "microseconds")
        self._last = (utc, text)  # one assignment: threads share this object
        return text

    def read_time(self, value: Any) -> datetime | None:
        """A timestamp column read back by :meth:`one` or :meth:`all`, as an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def fetched(cursor: Any) -> list[Sequence[Any]]:
    """The rows of a cursor :meth:`RawSql.execute` returned (then closed): a collected write's
    results, once its pipeline has run (bot/later.py)."""
    try:
        return list(cursor.fetchall())
    finally:
        cursor.close()


_SHARED: dict[tuple[str, str], RawSql] = {}


def raw_sql(dialect: Dialect) -> RawSql:
    """The :class:`RawSql` of a database dialect (one per dialect, shared, so each statement's
    driver text is built once)."""
    key = (dialect.name, str(dialect.paramstyle))
    found = _SHARED.get(key)
    if found is None:
        found = _SHARED[key] = RawSql(dialect)
    return found


__all__ = ["RawSql", "fetched", "raw_sql"]
