"""Writes collected across the jobs of one transaction and run as one statement each.

A group transaction (bot/committer.py) runs dozens of jobs, and most of them run the same few
statements: store a webhook's event, claim it, save the session, queue the reply, keep the
transcript line. On PostgreSQL each statement is a round trip, and its cost (our process's
CPU, the server's, two thread wake-ups) hardly depends on how many rows it carries: 20
claims by one ``UPDATE ... WHERE id = ANY(...)`` cost about what two single claims do. So on
PostgreSQL such a write does not run when a job asks for it: its row is collected, and
before the transaction commits every collected statement runs once, for all the rows the
jobs gave it, with array parameters (one statement text whatever the number of rows, so
it is prepared once).

A job gets a :class:`Later` for what the write returns (a new id, whether a row was there
to change). It may read it at once (the statement then runs for the rows collected so
far) or hand it on in its own value as a :class:`Later`, which the committer resolves after
the statements ran. A failure found then (a claim lost, a session moved on) is raised from
there, the transaction rolls back and the committer runs its jobs one by one, as for any
failed job: each then fails alone.

Outside a committer transaction, and on SQLite (where a statement is a function call, not
a round trip), a collected write runs at once, one row at a time, as it always did.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

T = TypeVar("T")
R = TypeVar("R")
_KEY = "shopchat.collected"


class Later(Generic[T]):
    """A value known once the transaction's collected statements ran."""

    __slots__ = ("_get",)

    def __init__(self, get: Callable[[], T]) -> None:
        self._get = get

    def get(self) -> T:
        return self._get()

    @staticmethod
    def now(value: R) -> Later[R]:
        return Later(lambda: value)

    def then(self, fn: Callable[[T], R]) -> Later[R]:
        return Later(lambda: fn(self.get()))


class Collected(Generic[R]):
    """A write whose rows the jobs of a transaction give one by one.

    ``one(conn, row)`` writes a row by itself (SQLite, or outside a committer transaction).
    For all of them in one statement, ``send(conn, rows)`` executes it and returns the
    driver's cursor, and ``read(cursor, rows)`` makes what each row's write returns, in
    order, from its results: apart, so that the transaction's collected statements go to the
    server together, in one round trip (:meth:`Rows.run_all`).
    """

    def __init__(
        self,
        name: str,
        one: Callable[[Connection, Any], R],
        *,
        send: Callable[[Connection, list[Any]], Any],
        read: Callable[[Any, list[Any]], Sequence[R]],
    ) -> None:
        self.name = name
        self.one = one
        self.send = send
        self.read = read

    def many(self, conn: Connection, rows: list[Any]) -> Sequence[R]:
        """All of ``rows`` written by one statement, on its own round trip."""
        return self.read(self.send(conn, rows), rows)

    def add(self, conn: Connection, row: Any) -> Later[R]:
        """Collect ``row`` in ``conn``'s transaction, or write it now when that collects
        nothing."""
        rows: Rows | None = conn.info.get(_KEY)
        if rows is None:
            return Later.now(self.one(conn, row))
        return rows.add(self, row)


class Rows:
    """The rows collected in one transaction, by statement."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.waiting: dict[Collected[Any], tuple[list[Any], list[Any]]] = {}
        self.statements = 0  # statements run (for the tests and the counters)
        self.rows = 0
        #: what the transaction's jobs read for each other (bot/inbox.py ``turn_reads_among``)
        self.scratch: dict[str, Any] = {}

    def add(self, write: Collected[R], row: Any) -> Later[R]:
        entry = self.waiting.get(write)
        if entry is None:
            entry = self.waiting[write] = ([], [])
        rows, slots = entry
        slot: list[Any] = []
        rows.append(row)
        slots.append(slot)

        def get() -> R:
            if not slot:
                self.run(write)
            value: R = slot[0]
            return value

        return Later(get)

    def run(self, write: Collected[Any]) -> None:
        """Run ``write`` for the rows collected so far (rows given later wait for the next
        run)."""
        entry = self.waiting.pop(write, None)
        if entry is None:
            return
        rows, slots = entry
        self._fill(write, rows, slots, write.many(self.conn, rows))

    def _fill(
        self, write: Collected[Any], rows: list[Any], slots: list[Any], values: Sequence[Any]
    ) -> None:
        if len(values) != len(rows):
            raise RuntimeError(f"{write.name}: {len(values)} results for {len(rows)} rows")
        self.statements += 1
        self.rows += len(rows)
        for slot, value in zip(slots, values, strict=True):
            slot.append(value)

    def run_all(self) -> None:
        """Run every write collected: several go to the server together, in one round trip
        (psycopg's pipeline mode), not one each."""
        if len(self.waiting) > 1:
            self._pipelined(list(self.waiting))
        while self.waiting:
            self.run(next(iter(self.waiting)))

    def _pipelined(self, writes: list[Collected[Any]]) -> None:
        raw = self.conn.connection.dbapi_connection
        assert raw is not None, "the connection is closed"
        error: type[Exception] = self.conn.dialect.loaded_dbapi.Error
        sent = []
        try:
            with raw.pipeline():
                for write in writes:
                    rows, slots = self.waiting.pop(write)
                    sent.append((write, rows, slots, write.send(self.conn, rows)))
        except error as exc:
            # As the statements' own errors are raised (bot/rawsql.py): SQLAlchemy's.
            names = ", ".join(write.name for write in writes)
            raise DBAPIError.instance(names, None, exc, error) from exc
        for write, rows, slots, cursor in sent:
            self._fill(write, rows, slots, write.read(cursor, rows))


def collecting(conn: Connection) -> Rows | None:
    """Start collecting writes in ``conn``'s transaction (a committer's, on PostgreSQL);
    None on SQLite, where they run at once."""
    if conn.dialect.name == "sqlite":
        return None
    rows = conn.info[_KEY] = Rows(conn)
    return rows


def collected(conn: Connection) -> Rows | None:
    """The rows ``conn``'s transaction collects, or None (SQLite, outside a committer)."""
    rows: Rows | None = conn.info.get(_KEY)
    return rows


def stop_collecting(conn: Connection) -> None:
    conn.info.pop(_KEY, None)


def resolve(value: Any) -> Any:
    """A job's value, with a :class:`Later` resolved."""
    return value.get() if isinstance(value, Later) else value


__all__ = [
    "Collected",
    "Later",
    "Rows",
    "collected",
    "collecting",
    "resolve",
    "stop_collecting",
]
