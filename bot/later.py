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

    ``one(conn, row)`` writes a row by itself (SQLite, or outside a committer transaction);
    ``many(conn, rows)`` writes them all in one statement and returns what each row's write
    returns, in order. Given instead as ``send(conn, rows)``, which executes the statement
    and returns the driver's cursor, and ``read(cursor, rows)``, which makes the values of
    its results, the statement is sent in one round trip with the transaction's other such
    writes (:meth:`Rows.run_all`).
    """

    def __init__(
        self,
        name: str,
        one: Callable[[Connection, Any], R],
        many: Callable[[Connection, list[Any]], Sequence[R]] | None = None,
        *,
        send: Callable[[Connection, list[Any]], Any] | None = None,
        read: Callable[[Any, list[Any]], Sequence[R]] | None = None,
    ) -> None:
        self.name = name
        self.one = one
        self.send = send
        self.read = read
        if many is None:
            assert send is not None and read is not None, f"{name}: many, or send and read"
            many = lambda conn, rows: read(send(conn, rows), rows)  # noqa: E731
        self.many = many

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
        """Run every write collected. Those given as ``send`` and ``read`` go to the server
        together, in one round trip (psycopg's pipeline mode), not one each."""
        split = [write for write in self.waiting if write.send is not None]
        if len(split) > 1:
            self._pipelined(split)
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
                    assert write.send is not None
                    rows, slots = self.waiting.pop(write)
                    sent.append((write, rows, slots, write.send(self.conn, rows)))
        except error as exc:
            # As the statements' own errors are raised (bot/rawsql.py): SQLAlchemy's.
            names = ", ".join(write.name for write in writes)
            raise DBAPIError.instance(names, None, exc, error) from exc
        for write, rows, slots, cursor in sent:
            assert write.read is not None
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
