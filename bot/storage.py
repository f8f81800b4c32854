"""Conversation sessions in SQL with optimistic concurrency: SQLite on one box, PostgreSQL on many.

Every session row carries a version. A save names the version it read; if another writer got
there first the save is refused with `StaleSessionError` instead of silently losing their turn.
The store is synchronous (SQLAlchemy Core, no ORM, for speed); async callers run it in a thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from shopdb import Migrations, UTCDateTime, migrate

from .later import Collected, Later
from .migrations import MIGRATIONS
from .rawsql import fetched, raw_sql

__all__ = [
    "SessionStore",
    "StaleSessionError",
    "StorageError",
    "StorageUnavailable",
    "StoredSession",
]

_MAX_ID_LENGTH = 255
_BUSY_TIMEOUT_MS = 5000
_MIGRATE_ATTEMPTS = 8
_PG_CONNECT_TIMEOUT_S = 10


class StorageError(Exception):
    """Base of every error the session store raises.

    StorageError                the schema is missing or another database error
    ├── StaleSessionError       someone else saved the conversation first; reload and retry
    └── StorageUnavailable      the database can't be reached or the URL can't be used
    """


class StaleSessionError(StorageError):
    """A save named a version that is no longer the stored one (or a new row that exists)."""

    def __init__(self, conversation_id: str, expected_version: int | None) -> None:
        self.conversation_id = conversation_id
        self.expected_version = expected_version
        wanted = "no session yet" if expected_version is None else f"version {expected_version}"
        super().__init__(
            f"session {conversation_id!r} changed since it was read (expected {wanted}); "
            "reload it and apply the turn again"
        )


class StorageUnavailable(StorageError):
    """The database can't be reached, or its URL names no usable database."""


# Mirrors what the migrations build; the migrations, not this, create the schema.
_metadata = MetaData()
_sessions = Table(
    "sessions",
    _metadata,
    Column("conversation_id", String(_MAX_ID_LENGTH), primary_key=True),
    Column("data", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Built once at import: SQLAlchemy then reuses their compiled SQL from its cache on every call.
# Bind names differ from column names because UPDATE reserves those for its SET clause.
_c = _sessions.c
_LOAD = select(_c.data, _c.version, _c.updated_at).where(_c.conversation_id == bindparam("cid"))
_LOAD_MANY = select(_c.conversation_id, _c.data, _c.version, _c.updated_at).where(
    _c.conversation_id.in_(bindparam("cids", expanding=True))
)
_INSERT = insert(_sessions)
_UPDATE = (
    update(_sessions)
    .where(_c.conversation_id == bindparam("cid"), _c.version == bindparam("expected"))
    .values(
        data=bindparam("new_data"), version=bindparam("new_version"), updated_at=bindparam("at")
    )
)
_DELETE = delete(_sessions).where(_c.conversation_id == bindparam("cid"))
_COUNT = select(func.count()).select_from(_sessions)
_PING = text("SELECT 1")
_RAW_LOAD = "SELECT data, version, updated_at FROM sessions WHERE conversation_id = :cid"
_RAW_INSERT = """
    INSERT INTO sessions (conversation_id, data, version, updated_at) VALUES (:cid, :data, 1, :at)
    ON CONFLICT (conversation_id) DO NOTHING RETURNING version"""
_RAW_UPDATE = """
    UPDATE sessions SET data = :data, version = :version, updated_at = :at
    WHERE conversation_id = :cid AND version = :expected"""

# Both, for all the sessions a transaction's turns save (bot/later.py).
_RAW_INSERT_MANY = """
    INSERT INTO sessions (conversation_id, data, version, updated_at)
    SELECT v.cid, v.data, 1, v.at
    FROM unnest(CAST(:cid AS varchar[]), CAST(:data AS text[]), CAST(:at AS timestamptz[]))
        AS v(cid, data, at)
    ON CONFLICT (conversation_id) DO NOTHING RETURNING conversation_id"""
_RAW_UPDATE_MANY = """
    UPDATE sessions SET data = v.data, version = v.expected + 1, updated_at = v.at
    FROM unnest(CAST(:cid AS varchar[]), CAST(:expected AS integer[]), CAST(:data AS text[]),
        CAST(:at AS timestamptz[])) AS v(cid, expected, data, at)
    WHERE sessions.conversation_id = v.cid AND sessions.version = v.expected
    RETURNING sessions.conversation_id"""


def _written(found: list[Any], rows: list[tuple[Any, ...]]) -> list[bool]:
    """Whether each row's conversation was written (a second row of one conversation in the
    same statement was not: it was stale)."""
    done = {r[0] for r in found}
    out = []
    for row in rows:
        out.append(row[0] in done)
        done.discard(row[0])
    return out


def _insert_one(conn: Connection, row: tuple[Any, ...]) -> bool:
    cid, data, at = row
    sql = raw_sql(conn.dialect)
    return sql.one(conn, _RAW_INSERT, {"cid": cid, "data": data, "at": at}) is not None


def _insert_send(conn: Connection, rows: list[tuple[Any, ...]]) -> Any:
    params = {"cid": [r[0] for r in rows], "data": [r[1] for r in rows], "at": [r[2] for r in rows]}
    return raw_sql(conn.dialect).execute(conn, _RAW_INSERT_MANY, params, binary=True)


def _written_read(cursor: Any, rows: list[tuple[Any, ...]]) -> list[bool]:
    return _written(fetched(cursor), rows)


def _update_one(conn: Connection, row: tuple[Any, ...]) -> bool:
    cid, expected, data, at = row
    params = {"cid": cid, "expected": expected, "data": data, "version": expected + 1, "at": at}
    return raw_sql(conn.dialect).run(conn, _RAW_UPDATE, params) == 1


def _update_send(conn: Connection, rows: list[tuple[Any, ...]]) -> Any:
    names = ("cid", "expected", "data", "at")
    params = {name: [r[n] for r in rows] for n, name in enumerate(names)}
    return raw_sql(conn.dialect).execute(conn, _RAW_UPDATE_MANY, params, binary=True)


# Sent with the transaction's other collected writes, in one round trip (bot/later.py).
_INSERTED = Collected("session insert", _insert_one, send=_insert_send, read=_written_read)
_UPDATED = Collected("session update", _update_one, send=_update_send, read=_written_read)


@dataclass(frozen=True, slots=True)
class StoredSession:
    """One conversation's saved state as read from the store."""

    conversation_id: str
    data: str
    version: int
    updated_at: datetime


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SessionStore:
    """Conversation sessions in a SQLite file or a PostgreSQL database, addressed by URL."""

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = _utcnow,
        statement_timeout: float | None = None,
        lock_timeout: float | None = None,
    ) -> None:
        """``statement_timeout`` and ``lock_timeout`` (seconds; PostgreSQL) end a statement
        that runs or waits for a lock longer, so a locked table fails a request instead of
        hanging it; the server sets them, tools that import big catalogs do not."""
        self._clock = clock
        self._untimed: Callable[[], Engine] | None = None
        try:
            parsed = _normalise_url(make_url(url))
        except sa_exc.ArgumentError as exc:
            # Don't echo the string: an unparsable URL may still hold a password.
            raise StorageUnavailable(
                "the session database URL can't be parsed; expected e.g. "
                "sqlite:///var/shopchat/sessions.db or postgresql://user:password@host/dbname"
            ) from exc
        self._safe_url = parsed.render_as_string(hide_password=True)
        try:
            if parsed.get_backend_name() == "sqlite":
                self._engine = _sqlite_engine(parsed)
            elif parsed.get_backend_name() == "postgresql":
                connect_args = _pg_connect_args(parsed, statement_timeout, lock_timeout)
                self._engine = create_engine(
                    parsed, connect_args=connect_args, hide_parameters=True
                )
                if statement_timeout or lock_timeout:
                    # Migrations may run long and wait for another process's migration lock.
                    untimed = _pg_connect_args(parsed, None, None)
                    self._untimed = partial(
                        create_engine, parsed, connect_args=untimed, hide_parameters=True
                    )
            else:
                self._engine = create_engine(parsed, hide_parameters=True)
        except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, OSError) as exc:
            raise StorageUnavailable(f"can't use database {self._safe_url}: {exc}") from None
        self._raw = raw_sql(self._engine.dialect)

    def migrate(self) -> None:
        """Bring every package's tables to their newest revision; safe to run on every start."""
        for attempt in range(_MIGRATE_ATTEMPTS):
            try:
                engine = self._untimed() if self._untimed is not None else self._engine
                try:
                    with self._errors():
                        migrate(engine, *migration_chains())
                finally:
                    if engine is not self._engine:
                        engine.dispose()
                return
            except StorageUnavailable as exc:
                # SQLite answers "locked" at once, without waiting, when several connections
                # open a brand-new file together; the next try finds it set up.
                if "locked" not in str(exc) or attempt == _MIGRATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def load(self, conversation_id: str) -> StoredSession | None:
        """Return the conversation's session, or None if it has none yet."""
        with self._errors(), self._engine.connect() as connection:
            row = connection.execute(_LOAD, {"cid": conversation_id}).first()
        if row is None:
            return None
        return StoredSession(conversation_id, row[0], row[1], row[2])

    def load_in(self, connection: Connection, conversation_id: str) -> StoredSession | None:
        """Like `load`, on the caller's connection (inside its transaction).

        This and `write_in` run for every message, so they are plain SQL on the driver's
        cursor (bot/rawsql.py), not SQLAlchemy statements.
        """
        row = self._raw.one(connection, _RAW_LOAD, {"cid": conversation_id})
        if row is None:
            return None
        updated = self._raw.read_time(row[2])
        assert updated is not None
        return StoredSession(conversation_id, row[0], row[1], updated)

    def write_in(
        self, connection: Connection, conversation_id: str, data: str, expected_version: int | None
    ) -> int:
        """Like `save`, inside the caller's transaction."""
        return self.write_later(connection, conversation_id, data, expected_version).get()

    def write_later(
        self, connection: Connection, conversation_id: str, data: str, expected_version: int | None
    ) -> Later[int]:
        """`write_in`, collected with the transaction's other sessions (bot/later.py): the
        new version, or StaleSessionError, once the statement ran."""
        _check_id(conversation_id)
        at = self._raw.time(self._clock())
        if expected_version is None:
            # A new conversation: a second worker that created it first wins (no row here).
            done = _INSERTED.add(connection, (conversation_id, data, at))
        else:
            done = _UPDATED.add(connection, (conversation_id, expected_version, data, at))
        version = 1 if expected_version is None else expected_version + 1

        def written() -> int:
            if not done.get():
                raise StaleSessionError(conversation_id, expected_version)
            return version

        return Later(written)

    def load_many(self, conversation_ids: Iterable[str]) -> dict[str, StoredSession]:
        """The sessions of several conversations in one query (those without one are absent)."""
        cids = list(dict.fromkeys(conversation_ids))
        if not cids:
            return {}
        with self._errors(), self._engine.connect() as connection:
            rows = connection.execute(_LOAD_MANY, {"cids": cids}).all()
        return {row[0]: StoredSession(row[0], row[1], row[2], row[3]) for row in rows}

    def save(self, conversation_id: str, data: str, expected_version: int | None) -> int:
        """Store `data` if the session is at `expected_version` (None: new); return new version."""
        return self.save_many([(conversation_id, data, expected_version)])[0]

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for stores of other tables in the same database."""
        return self._engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A transaction on this database, with driver errors turned into StorageError."""
        with self._errors(), self._engine.begin() as connection:
            yield connection

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for reads, with driver errors turned into StorageError."""
        with self._errors(), self._engine.connect() as connection:
            yield connection

    def save_many(self, items: Iterable[tuple[str, str, int | None]]) -> list[int]:
        """Save `(conversation_id, data, expected_version)` items in one transaction, in order.

        One commit for many saves is what makes the store fast. If any item is stale nothing is
        saved and `StaleSessionError` names that conversation. A conversation id longer than 255
        characters raises ValueError.
        """
        batch = list(items)
        if not batch:
            return []
        now = self._clock()
        with self._errors(), self._engine.begin() as connection:
            return [_write(connection, *item, now) for item in batch]

    def delete(self, conversation_id: str) -> None:
        """Forget the conversation's session; nothing happens if it has none."""
        with self._errors(), self._engine.begin() as connection:
            connection.execute(_DELETE, {"cid": conversation_id})

    def count(self) -> int:
        """Return how many conversations have a stored session."""
        with self._errors(), self._engine.connect() as connection:
            return int(connection.execute(_COUNT).scalar_one())

    def ping(self) -> bool:
        """Return whether the database answers a query (for readiness checks)."""
        try:
            with self._engine.connect() as connection:
                connection.execute(_PING)
        except sa_exc.SQLAlchemyError:
            return False
        return True

    def can_write(self, timeout: float) -> bool:
        """Whether a write transaction takes its locks within ``timeout`` seconds (readiness):
        a database that answers SELECT 1 while its tables are locked is not ready."""
        ms = max(1, int(timeout * 1000))
        try:
            with self._engine.connect() as connection:
                if self._engine.dialect.name == "sqlite":
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={ms}")
                    try:
                        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock
                        connection.exec_driver_sql("ROLLBACK")
                    finally:
                        connection.exec_driver_sql(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
                    return True
                with connection.begin() as transaction:
                    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
                    connection.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
                    # Takes the lock a webhook's write takes, changes nothing.
                    connection.exec_driver_sql("UPDATE sessions SET version = version WHERE false")
                    transaction.rollback()
        except sa_exc.SQLAlchemyError:
            return False
        return True

    def close(self) -> None:
        """Close every pooled connection; the store reconnects if used again."""
        self._engine.dispose()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn driver errors into the storage tree, naming the database without its password."""
        try:
            yield
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
            if _is_missing_table(exc):
                raise StorageError(_missing_schema(self._safe_url)) from exc
            raise StorageUnavailable(
                f"session database {self._safe_url} is unavailable: {_reason(exc)}"
            ) from exc
        except sa_exc.DBAPIError as exc:
            if _is_missing_table(exc):
                raise StorageError(_missing_schema(self._safe_url)) from exc
            raise StorageError(f"session database {self._safe_url}: {_reason(exc)}") from exc


def migration_chains() -> tuple[Migrations, ...]:
    """Every package's migrations that make up a shopchat database (shopdb/migrations.py)."""
    # Imported here: importing checkout loads all of it, which opening a store does not need.
    from catalog.migrations import MIGRATIONS as CATALOG
    from checkout.migrations import MIGRATIONS as CHECKOUT
    from customers.migrations import MIGRATIONS as CUSTOMERS

    return (MIGRATIONS, CATALOG, CHECKOUT, CUSTOMERS)


def _check_id(conversation_id: str) -> None:
    if len(conversation_id) > _MAX_ID_LENGTH:
        # SQLite would store it and PostgreSQL refuse it; refuse it the same way on both.
        raise ValueError(f"conversation id longer than {_MAX_ID_LENGTH}: {conversation_id[:40]!r}…")


def _write(
    connection: Connection, conversation_id: str, data: str, expected: int | None, now: datetime
) -> int:
    """Insert a new session or update the one at `expected`, inside the caller's transaction."""
    _check_id(conversation_id)
    if expected is None:
        try:
            # No savepoint: a conflict aborts the whole batch anyway, and each costs a round trip.
            connection.execute(
                _INSERT,
                {"conversation_id": conversation_id, "data": data, "version": 1, "updated_at": now},
            )
        except sa_exc.IntegrityError:
            raise StaleSessionError(conversation_id, None) from None
        return 1
    params: dict[str, Any] = {
        "cid": conversation_id,
        "expected": expected,
        "new_data": data,
        "new_version": expected + 1,
        "at": now,
    }
    # The WHERE on version makes check-and-write one atomic statement; no row means stale.
    if connection.execute(_UPDATE, params).rowcount != 1:
        raise StaleSessionError(conversation_id, expected)
    return expected + 1


def _pg_connect_args(
    url: URL, statement_timeout: float | None, lock_timeout: float | None
) -> dict[str, object]:
    """libpq's connect_timeout (it waits forever for a host that drops packets; fail readiness
    instead) and the session's timeouts, added to any ``options`` the URL already has."""
    args: dict[str, object] = {}
    if "connect_timeout" not in url.query:
        args["connect_timeout"] = _PG_CONNECT_TIMEOUT_S
    settings = [
        f"-c{name}={int(seconds * 1000)}"
        for name, seconds in (
            ("statement_timeout", statement_timeout),
            ("lock_timeout", lock_timeout),
        )
        if seconds
    ]
    if settings:
        given = url.query.get("options") or ""
        given = " ".join(given) if isinstance(given, tuple) else given
        args["options"] = " ".join([given, *settings]).strip()
    return args


def _normalise_url(url: URL) -> URL:
    # Bare postgresql:// means psycopg2, not a dependency; postgres:// is Heroku's spelling.
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


# Every engine hides statement parameters (shoppers' messages, names, addresses) from SQL echo
# logs and from the text of database errors, which end up in logs (bot/logsafe.py).
def _sqlite_engine(url: URL) -> Engine:
    database = url.database
    if not database or database == ":memory:":
        # One shared connection, else every thread (asyncio.to_thread too) sees its own empty
        # database. Fine for tests and demos; use a file for anything concurrent.
        engine = create_engine(
            url,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
            hide_parameters=True,
        )
    else:
        if not url.query.get("uri"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, hide_parameters=True)
    event.listen(engine, "connect", _tune_sqlite)
    return engine


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Writers queue for the lock instead of failing at once with "database is locked". First,
    # because switching a new file to WAL below takes the lock too.
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    # WAL lets readers run while one writer commits; with it, synchronous=NORMAL survives an app
    # crash and only risks the last commits on power loss, for far fewer fsyncs.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _reason(exc: sa_exc.DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)


def _is_missing_table(exc: sa_exc.DBAPIError) -> bool:
    reason = _reason(exc)
    return "no such table" in reason or ("relation" in reason and "does not exist" in reason)


def _missing_schema(safe_url: str) -> str:
    return f"session database {safe_url} has no sessions table; run SessionStore.migrate() first"
