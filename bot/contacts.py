"""What the runtime remembers about each channel contact, and long button payloads.

Contacts: when the shopper last wrote (the WhatsApp and Messenger 24-hour windows) and
whether they can be reached (a Telegram user who blocked the bot). Payload tokens: Telegram's
callback_data holds 64 bytes; longer payloads are kept here under a short token.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Column, Connection, MetaData, String, Table, Text, select, update

from adapters.base import Inbound
from shopdb import UTCDateTime, dialect_insert

from .committer import after_commit
from .later import Collected, collected
from .rawsql import raw_sql
from .storage import SessionStore

_metadata = MetaData()
contacts_table = Table(
    "contacts",
    _metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("recipient", String(255), nullable=False),
    Column("name", String(255)),
    Column("locale", String(35)),
    Column("last_inbound_at", UTCDateTime),
    Column("unreachable", Boolean, nullable=False),
)
tokens_table = Table(
    "payload_tokens",
    _metadata,
    Column("token", String(64), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

TOKEN_PREFIX = "~"
_SEEN = """
    INSERT INTO contacts (conversation_id, channel, recipient, name, locale, last_inbound_at,
                          unreachable)
    VALUES (:cid, :channel, :recipient, :name, :locale, :at, :no)
    ON CONFLICT (conversation_id) DO UPDATE
    SET last_inbound_at = excluded.last_inbound_at, unreachable = excluded.unreachable,
        recipient = excluded.recipient
    WHERE contacts.unreachable OR contacts.recipient <> excluded.recipient
       OR contacts.last_inbound_at IS NULL OR contacts.last_inbound_at < :stale"""

# The same for all the turns of a transaction (bot/later.py; PostgreSQL): one statement text
# whatever the number of rows. Its WHERE says ``last_inbound_at < :stale`` as the new time
# less SEEN_EVERY (below).
_SEEN_MANY = """
    INSERT INTO contacts (conversation_id, channel, recipient, name, locale, last_inbound_at,
                          unreachable)
    SELECT v.cid, v.channel, v.recipient, v.name, v.locale, v.at, false
    FROM unnest(CAST(:cid AS varchar[]), CAST(:channel AS varchar[]),
        CAST(:recipient AS varchar[]), CAST(:name AS varchar[]), CAST(:locale AS varchar[]),
        CAST(:at AS timestamptz[])) AS v(cid, channel, recipient, name, locale, at)
    ON CONFLICT (conversation_id) DO UPDATE
    SET last_inbound_at = excluded.last_inbound_at, unreachable = excluded.unreachable,
        recipient = excluded.recipient
    WHERE contacts.unreachable OR contacts.recipient <> excluded.recipient
       OR contacts.last_inbound_at IS NULL
       OR contacts.last_inbound_at < excluded.last_inbound_at - CAST(:every AS interval)"""


@dataclass(frozen=True)
class Contact:
    conversation_id: str
    channel: str
    recipient: str
    name: str | None
    locale: str | None
    last_inbound_at: datetime | None
    unreachable: bool


# A chatty shopper's contact row is rewritten at most this often. The window it times is 24
# hours, and a stale time only closes it that much earlier, never later.
SEEN_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Seen:
    """A contact as a turn's load job read it: enough to tell whether :meth:`Contacts.seen`
    would rewrite it."""

    recipient: str
    unreachable: bool
    last_inbound_at: datetime | None

    def current(self, inbound: Inbound, at: datetime) -> bool:
        """Whether :meth:`Contacts.seen` would leave this contact as it is (its WHERE)."""
        last = self.last_inbound_at
        return (
            not self.unreachable
            and self.recipient == inbound.recipient
            and last is not None
            and last >= at - SEEN_EVERY
        )


_SEEN_ROW = ("cid", "channel", "recipient", "name", "locale", "at", "stale")


def _seen_one(conn: Connection, row: tuple[Any, ...]) -> None:
    sql = raw_sql(conn.dialect)
    sql.run(conn, _SEEN, {**dict(zip(_SEEN_ROW, row, strict=True)), "no": False})


def _seen_send(conn: Connection, rows: list[tuple[Any, ...]]) -> Any:
    # One row per contact (a second in the same INSERT ... ON CONFLICT DO UPDATE is an
    # error): the last one given, as one statement per row would have left it.
    last = {row[0]: row for row in rows}
    params: dict[str, Any] = {
        name: [row[n] for row in last.values()] for n, name in enumerate(_SEEN_ROW[:-1])
    }
    params["every"] = SEEN_EVERY
    return raw_sql(conn.dialect).execute(conn, _SEEN_MANY, params, binary=True)


def _seen_read(cursor: Any, rows: list[tuple[Any, ...]]) -> list[None]:
    cursor.close()
    return [None] * len(rows)


_SEEN_WRITE = Collected("contact seen", _seen_one, send=_seen_send, read=_seen_read)


def _seen_first(conn: Connection) -> None:
    """Write the contacts the transaction's turns saw so far, before a statement that reads
    or changes contacts on ``conn`` (a block noted after a shopper wrote stays noted)."""
    rows = collected(conn)
    if rows is not None:
        rows.run(_SEEN_WRITE)


class Contacts:
    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self._sql = raw_sql(store.engine.dialect)

    def forget(self, conversation_ids: Iterable[str]) -> None:
        """Erased conversations (bot/privacy.py): nothing of them is kept in memory here."""

    def seen(
        self, conn: Connection, inbound: Inbound, at: datetime, *, read: Seen | None = None
    ) -> None:
        """The shopper wrote: open the messaging window and mark them reachable.

        Runs for every message; the row is rewritten only when it changes something (a
        blocked contact, a new recipient) or is ``SEEN_EVERY`` old, decided by the database,
        so every process (``serve --workers``) sees the same contact. ``read``: the contact
        as this turn's load job read it; when that says nothing would change, no statement
        runs at all.
        """
        if read is not None and read.current(inbound, at):
            return
        name = inbound.user.get("name") or inbound.user.get("first_name")
        row = (
            inbound.conversation_id,
            inbound.channel,
            inbound.recipient,
            name,
            inbound.locale,
            self._sql.time(at),
            self._sql.time(at - SEEN_EVERY),
        )
        # Collected with the transaction's other turns' contacts (bot/later.py).
        _SEEN_WRITE.add(conn, row)

    def introduce(self, conn: Connection, inbound: Inbound) -> None:
        """Know a person who has not written privately yet (a commenter): their name, and
        no messaging window. An existing contact is left as it is."""
        name = inbound.user.get("name") or inbound.user.get("first_name")
        _seen_first(conn)
        conn.execute(
            dialect_insert(conn, contacts_table)
            .values(
                conversation_id=inbound.conversation_id,
                channel=inbound.channel,
                recipient=inbound.recipient,
                name=name,
                locale=inbound.locale,
                last_inbound_at=None,
                unreachable=False,
            )
            .on_conflict_do_nothing(index_elements=["conversation_id"])
        )

    def get(self, conversation_id: str, conn: Connection | None = None) -> Contact | None:
        query = select(contacts_table).where(contacts_table.c.conversation_id == conversation_id)
        if conn is not None:
            _seen_first(conn)
            row = conn.execute(query).first()
        else:
            with self.store.connection() as own:
                row = own.execute(query).first()
        return Contact(*row) if row is not None else None

    def unreachable_among(self, conn: Connection, conversation_ids: set[str]) -> set[str]:
        if not conversation_ids:
            return set()
        _seen_first(conn)
        rows = conn.execute(
            select(contacts_table.c.conversation_id).where(
                contacts_table.c.conversation_id.in_(conversation_ids),
                contacts_table.c.unreachable.is_(True),
            )
        ).all()
        return {str(r[0]) for r in rows}

    def set_unreachable(
        self, conn: Connection, conversation_id: str, unreachable: bool = True
    ) -> None:
        _seen_first(conn)
        conn.execute(
            update(contacts_table)
            .where(contacts_table.c.conversation_id == conversation_id)
            .values(unreachable=unreachable)
        )


class PayloadTokens:
    """A :class:`adapters.base.PayloadMap` in the database: the same payload, the same token."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self._cache: dict[str, str] = {}
        # Per thread: on PostgreSQL several database threads render replies at once
        # (bot/lanes.py), each in its own transaction.
        self._local = threading.local()

    @contextmanager
    def using(self, conn: Connection) -> Iterator[None]:
        """Write new tokens on ``conn`` (the transaction that also queues the replies), in
        this thread."""
        self._local.conn = conn
        try:
            yield
        finally:
            self._local.conn = None

    def _write(self, stmt: Any, key: str, payload: str) -> None:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self.store.transaction() as own:
                own.execute(stmt)
            self._cache[key] = payload
            return
        conn.execute(stmt)
        # Remembered once it has committed: a batch that rolls back would otherwise leave
        # a token in memory that the database never got.
        after_commit(conn, lambda: self._cache.__setitem__(key, payload))

    def shorten(self, payload: str) -> str:
        token = TOKEN_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:40]
        if token in self._cache:
            return token
        stmt = (
            dialect_insert(self.store.engine, tokens_table)
            .values(token=token, payload=payload, created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["token"])
        )
        self._write(stmt, token, payload)
        return token

    def keep(self, key: str, payload: str) -> None:
        """Keep ``payload`` under a key the caller chose (a Wire poll's id), on the
        transaction given to :meth:`using` when there is one."""
        if len(key) > 64 or key.startswith(TOKEN_PREFIX):
            raise ValueError(f"payload key {key[:70]!r}: at most 64 characters, not '~'")
        stmt = (
            dialect_insert(self.store.engine, tokens_table)
            .values(token=key, payload=payload, created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["token"])
        )
        self._write(stmt, key, payload)

    def recall(self, key: str) -> str | None:
        """What :meth:`keep` kept under ``key``."""
        return self._lookup(key)

    def expand(self, token: str) -> str | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        return self._lookup(token)

    def _lookup(self, token: str) -> str | None:
        if token in self._cache:
            return self._cache[token]
        with self.store.connection() as conn:
            row = conn.execute(
                select(tokens_table.c.payload).where(tokens_table.c.token == token)
            ).first()
        if row is None:
            return None
        self._cache[token] = row[0]
        return str(row[0])


__all__ = ["Contact", "Contacts", "PayloadTokens", "contacts_table", "tokens_table"]
