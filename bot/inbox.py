"""The durable journal of a channel conversation: an inbox of acknowledged events, an outbox
of replies still to send.

A webhook answers 200 only after its events are committed to the inbox, so a crash after
the 200 never loses one: on restart, pending events are processed. The unique (channel,
event_id) key makes a retried or concurrent duplicate delivery a no-op. A processed event's
replies are queued in the outbox in the same transaction as the new session state, and sent
afterwards; unsent replies are sent after a restart too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    select,
    update,
)

from adapters.base import Inbound, OutboundCall, inbound_from_json
from shopdb import UTCDateTime

from .contacts import Seen
from .later import Collected, Later, collected
from .rawsql import fetched, raw_sql
from .storage import SessionStore, StoredSession

_metadata = MetaData()
inbox_table = Table(
    "inbox",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("conversation_id", String(255), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("processed_at", UTCDateTime),
    Column("error", Text),
    # the process that accepted it (bot/instance.py): others leave it to that one a while
    Column("accepted_by", String(64)),
    UniqueConstraint("channel", "event_id", name="uq_inbox_channel_event"),
)
outbox_table = Table(
    "outbox",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("conversation_id", String(255), nullable=False),
    Column("method", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("error", Text),
)

PENDING, DONE, FAILED, RECORDED = "pending", "done", "failed", "recorded"
SENT = "sent"
# Written out, not bound: the partial indexes (migration 0009) serve only status = 'pending'.
_PENDING_INBOX = inbox_table.c.status == literal_column("'pending'")
_PENDING_OUTBOX = outbox_table.c.status == literal_column("'pending'")

# The per-event statements, in plain SQL (see bot/rawsql.py for why).
_ACCEPT = """
    INSERT INTO inbox (
        channel, event_id, conversation_id, kind, body, status, received_at, accepted_by)
    VALUES (
        :channel, :event_id, :conversation_id, :kind, :body, :status, :received_at, :by)
    ON CONFLICT (channel, event_id) DO NOTHING
    RETURNING id"""
# 'pending' is written out, not a parameter: a prepared statement's generic plan can use the
# partial index ix_inbox_pending_conversation only when the query says status = 'pending'.
# With the conversation's session (part 1), its contact (part 2) and its newest hand-off
# ticket (part 3: whether a person has the conversation) in the same round trip: a turn's
# load job needs all four. Each pending event comes with who accepted it and when (whether
# this process may think it: bot/service.py).
_PENDING_OF = """
    SELECT 0, id, CASE WHEN id = :id THEN NULL ELSE body END, NULL, received_at, accepted_by
    FROM inbox WHERE conversation_id = :cid AND status = 'pending'
    UNION ALL
    SELECT 1, NULL, data, version, updated_at, NULL FROM sessions WHERE conversation_id = :cid
    UNION ALL
    SELECT 2, NULL, recipient, CAST(unreachable AS INTEGER), last_inbound_at, NULL FROM contacts
    WHERE conversation_id = :cid
    UNION ALL
    SELECT 3, id, state, NULL, NULL, NULL FROM handoff_tickets
    WHERE id = (SELECT max(id) FROM handoff_tickets WHERE conversation_id = :cid)"""
# The same for several conversations at once (PostgreSQL: Journal.turn_reads_among), each
# row with its conversation; ``:ids`` are the events whose bodies the caller has.
_PENDING_OF_MANY = """
    SELECT 0, conversation_id, id, CASE WHEN id = ANY(CAST(:ids AS integer[])) THEN NULL
        ELSE body END, NULL, received_at, accepted_by
    FROM inbox WHERE conversation_id = ANY(CAST(:cids AS varchar[])) AND status = 'pending'
    UNION ALL
    SELECT 1, conversation_id, NULL, data, version, updated_at, NULL FROM sessions
    WHERE conversation_id = ANY(CAST(:cids AS varchar[]))
    UNION ALL
    SELECT 2, conversation_id, NULL, recipient, CAST(unreachable AS INTEGER), last_inbound_at,
        NULL
    FROM contacts WHERE conversation_id = ANY(CAST(:cids AS varchar[]))
    UNION ALL
    SELECT 3, t.conversation_id, t.id, t.state, NULL, NULL, NULL
    FROM unnest(CAST(:cids AS varchar[])) AS c(cid)
    CROSS JOIN LATERAL (SELECT max(id) AS id FROM handoff_tickets
                        WHERE conversation_id = c.cid) AS newest
    JOIN handoff_tickets AS t ON t.id = newest.id"""
# A transaction's first turn load reads for at most this many conversations.
TURN_READS_AT_ONCE = 64
# With the conversation: the partial index then finds the entry by both its columns. By id
# alone the plan walks the whole pending index, dead entries too, which grows with every
# run until a vacuum.
_CLAIM = """
    UPDATE inbox SET status = :done, processed_at = :at
    WHERE conversation_id = :cid AND id = :id AND status = 'pending'
    RETURNING id"""
_QUEUE = """
    INSERT INTO outbox (channel, conversation_id, method, payload, status, attempts, created_at)
    VALUES (:channel, :cid, :method, :payload, :status, 0, :at)
    RETURNING id"""
# The first of a turn's calls also says whether an earlier reply of the conversation failed
# and waits for a retry (attempts > 0: one still in its first flight is being sent by whoever
# queued it; the new row has none), in the same round trip as its INSERT. Through
# ix_outbox_pending_conversation.
_QUEUE_FIRST = """
    INSERT INTO outbox (channel, conversation_id, method, payload, status, attempts, created_at)
    VALUES (:channel, :cid, :method, :payload, :status, 0, :at)
    RETURNING id, EXISTS (
        SELECT 1 FROM outbox AS earlier
        WHERE earlier.conversation_id = :cid AND earlier.status = 'pending'
          AND earlier.attempts > 0)"""
# The same writes for all the jobs of a transaction at once, on PostgreSQL (bot/later.py):
# array parameters, so one statement text (prepared once) whatever the number of rows.
_ACCEPT_MANY = """
    INSERT INTO inbox (
        channel, event_id, conversation_id, kind, body, status, received_at, accepted_by)
    SELECT * FROM unnest(CAST(:channel AS varchar[]), CAST(:event_id AS varchar[]),
        CAST(:cid AS varchar[]), CAST(:kind AS varchar[]), CAST(:body AS text[]),
        CAST(:status AS varchar[]), CAST(:at AS timestamptz[]), CAST(:by AS varchar[]))
    ON CONFLICT (channel, event_id) DO NOTHING
    RETURNING id, channel, event_id"""
_CLAIM_MANY = """
    UPDATE inbox SET status = 'done', processed_at = :at
    WHERE conversation_id = ANY(CAST(:cids AS varchar[])) AND id = ANY(CAST(:ids AS integer[]))
      AND status = 'pending'
    RETURNING id"""
# Rows go in in the order given (WITH ORDINALITY), so their ids, sorted, are theirs in order.
# Whether a reply waits is a count over LIMIT 1, not EXISTS: PostgreSQL turns that EXISTS
# into a hashed subplan that reads every pending row's index entry (dead ones too) once
# per statement, instead of looking up each row's conversation.
_QUEUE_MANY = """
    INSERT INTO outbox (channel, conversation_id, method, payload, status, attempts, created_at)
    SELECT v.channel, v.cid, v.method, v.payload, 'pending', 0, v.at
    FROM unnest(CAST(:channel AS varchar[]), CAST(:cid AS varchar[]),
        CAST(:method AS varchar[]), CAST(:payload AS text[]), CAST(:at AS timestamptz[]))
        WITH ORDINALITY AS v(channel, cid, method, payload, at, n)
    ORDER BY v.n
    RETURNING id, (
        SELECT count(*) FROM (
            SELECT 1 FROM outbox AS earlier
            WHERE earlier.conversation_id = outbox.conversation_id
              AND earlier.status = 'pending' AND earlier.attempts > 0
            LIMIT 1) AS waiting) > 0"""
_SENT = """
    UPDATE outbox SET attempts = attempts + 1, status = :sent, sent_at = :at, error = NULL
    WHERE id IN ({ids})"""
# On PostgreSQL one statement text whatever the number of replies, so it is prepared once
# (the IN list above is a new statement for every count).
_SENT_ANY = """
    UPDATE outbox SET attempts = attempts + 1, status = 'sent', sent_at = :at, error = NULL
    WHERE id = ANY(CAST(:ids AS integer[]))"""
_NOT_SENT = """
    UPDATE outbox SET attempts = attempts + 1, error = :error, status = :status WHERE id = :id"""


@dataclass(frozen=True)
class InboxEntry:
    id: int
    inbound: Inbound


@dataclass(frozen=True)
class TurnReads:
    """What a turn's load job reads in one statement (:meth:`Journal.turn_reads`)."""

    events: list[InboxEntry]
    session: StoredSession | None
    contact: Seen | None
    #: the conversation's newest hand-off ticket, (id, state), or None
    ticket: tuple[int, str] | None = None
    #: per pending event's id: the process that accepted it (None: unknown) and when
    accepted: dict[int, tuple[str | None, datetime | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    channel: str
    call: OutboundCall
    attempts: int
    #: an earlier reply of the conversation failed and waits for a retry (maybe queued by
    #: another process): this one goes after it (ChatService.deliver)
    after_unsent: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def _columns(rows: list[tuple[Any, ...]], names: tuple[str, ...]) -> dict[str, list[Any]]:
    """Rows as one array parameter per column."""
    return {name: [row[n] for row in rows] for n, name in enumerate(names)}


_EVENT = ("channel", "event_id", "cid", "kind", "body", "status", "at", "by")


def _accept_one(conn: Connection, row: tuple[Any, ...]) -> int | None:
    params = dict(zip(_EVENT, row, strict=True))
    params["conversation_id"], params["received_at"] = params.pop("cid"), params.pop("at")
    found = raw_sql(conn.dialect).one(conn, _ACCEPT, params)
    return None if found is None else int(found[0])


def _accept_send(conn: Connection, rows: list[tuple[Any, ...]]) -> Any:
    return raw_sql(conn.dialect).execute(conn, _ACCEPT_MANY, _columns(rows, _EVENT), binary=True)


def _accept_read(cursor: Any, rows: list[tuple[Any, ...]]) -> list[int | None]:
    ids = {(channel, event_id): int(id_) for id_, channel, event_id in fetched(cursor)}
    # A duplicate in the same statement was skipped: the first row of the two has the id.
    return [ids.pop((row[0], row[1]), None) for row in rows]


def _claim_one(conn: Connection, row: tuple[int, str, Any]) -> bool:
    entry_id, cid, at = row
    params = {"done": DONE, "at": at, "id": entry_id, "cid": cid}
    return raw_sql(conn.dialect).one(conn, _CLAIM, params) is not None


def _claim_send(conn: Connection, rows: list[tuple[int, str, Any]]) -> Any:
    params = {
        "ids": [row[0] for row in rows],
        "cids": list({row[1] for row in rows}),
        "at": max(row[2] for row in rows),
    }
    return raw_sql(conn.dialect).execute(conn, _CLAIM_MANY, params, binary=True)


def _claim_read(cursor: Any, rows: list[tuple[int, str, Any]]) -> list[bool]:
    claimed = {int(r[0]) for r in fetched(cursor)}
    out = []
    for entry_id, _cid, _at in rows:
        out.append(entry_id in claimed)
        claimed.discard(entry_id)  # the same event twice: the second lost
    return out


_CALL = ("channel", "cid", "method", "payload", "at")


def _queue_one(conn: Connection, row: tuple[Any, ...]) -> tuple[int, bool]:
    *values, first = row
    params = dict(zip(_CALL, values, strict=True))
    found = raw_sql(conn.dialect).one(
        conn, _QUEUE_FIRST if first else _QUEUE, {**params, "status": PENDING}
    )
    assert found is not None
    return int(found[0]), bool(first and found[1])


def _queue_send(conn: Connection, rows: list[tuple[Any, ...]]) -> Any:
    return raw_sql(conn.dialect).execute(conn, _QUEUE_MANY, _columns(rows, _CALL), binary=True)


def _queue_read(cursor: Any, rows: list[tuple[Any, ...]]) -> list[tuple[int, bool]]:
    found = fetched(cursor)
    found.sort(key=lambda r: int(r[0]))
    return [(int(r[0]), bool(row[-1] and r[1])) for r, row in zip(found, rows, strict=True)]


_ACCEPTED = Collected("inbox accept", _accept_one, send=_accept_send, read=_accept_read)
_CLAIMED = Collected("inbox claim", _claim_one, send=_claim_send, read=_claim_read)
_QUEUED = Collected("outbox queue", _queue_one, send=_queue_send, read=_queue_read)


_TICKET_READ = "shopchat.ticket_read"


@contextmanager
def ticket_known(
    conn: Connection, conversation_id: str, ticket: tuple[int, str] | None
) -> Iterator[None]:
    """While inside, :func:`ticket_read` on ``conn`` answers ``ticket`` for the conversation:
    the newest hand-off ticket :meth:`Journal.turn_reads` read (bot/handoff/queue.py
    ``latest_id_state`` then runs no statement of its own)."""
    conn.info[_TICKET_READ] = (conversation_id, ticket)
    try:
        yield
    finally:
        conn.info.pop(_TICKET_READ, None)


def ticket_read(conn: Connection, conversation_id: str) -> tuple[bool, tuple[int, str] | None]:
    """(True, the ticket) inside :func:`ticket_known` of the conversation; (False, None)
    elsewhere."""
    known = conn.info.get(_TICKET_READ)
    if known is not None and known[0] == conversation_id:
        return True, known[1]
    return False, None


def loading(conn: Connection) -> set[str]:
    """The conversations whose turn loads ``conn``'s transaction reads together
    (:meth:`Journal.turn_reads_among`; empty on SQLite): a hook reading something for a
    turn's load may read it for all of them in one statement too (customers/hook.py)."""
    rows = collected(conn)
    if rows is None:
        return set()
    together: set[str] = rows.scratch.setdefault("turn loads", set())
    return together


class Journal:
    """Inbox and outbox queries. Each takes the connection of the caller's transaction."""

    def __init__(self, store: SessionStore, instance: str | None = None) -> None:
        self.store = store
        self.sql = raw_sql(store.engine.dialect)
        #: this process's name, written on the events it accepts (bot/instance.py)
        self.instance = instance

    # -- inbox ---------------------------------------------------------------------------
    def accept(
        self, conn: Connection, events: list[Inbound], *, answerable: frozenset[str]
    ) -> list[InboxEntry]:
        """Store ``events``; return the new ones whose kind needs work.

        Duplicates (same channel and event id, already stored or earlier in the same body)
        are skipped. Events of other kinds are stored as ``recorded`` and need nothing more.
        """
        return self.accept_later(conn, events, answerable=answerable).get()

    def accept_later(
        self, conn: Connection, events: list[Inbound], *, answerable: frozenset[str]
    ) -> Later[list[InboxEntry]]:
        """:meth:`accept`, collected with the transaction's other events (bot/later.py)."""
        now = self.sql.time(_now())
        stored: list[tuple[Inbound, Later[int | None]]] = []
        for event in events:
            status = PENDING if event.kind in answerable else RECORDED
            row = (
                event.channel,
                event.event_id[:255],
                event.conversation_id[:255],
                event.kind,
                event.model_dump_json(),
                status,
                now,
                self.instance,
            )
            id_ = _ACCEPTED.add(conn, row)
            if status == PENDING:
                stored.append((event, id_))

        def fresh() -> list[InboxEntry]:
            return [InboxEntry(i, e) for e, id_ in stored if (i := id_.get()) is not None]

        return Later(fresh)

    def pending(self, conn: Connection, conversation_id: str | None = None) -> list[InboxEntry]:
        """Acknowledged, unprocessed events (of one conversation, or all), oldest first."""
        query = select(inbox_table.c.id, inbox_table.c.body).where(_PENDING_INBOX)
        if conversation_id is not None:
            query = query.where(inbox_table.c.conversation_id == conversation_id)
        rows = conn.execute(query.order_by(inbox_table.c.id)).all()
        return [InboxEntry(int(r[0]), inbound_from_json(r[1])) for r in rows]

    def pending_of(self, conn: Connection, entry: InboxEntry) -> list[InboxEntry]:
        """``entry`` and the other pending events of its conversation, oldest first (only
        the other events' bodies are read back). Nothing is claimed."""
        return self.turn_reads(conn, entry).events

    def turn_reads(self, conn: Connection, entry: InboxEntry) -> TurnReads:
        """Like :meth:`pending_of`, with the conversation's session and contact, in one
        statement (a turn's load job)."""
        cid = entry.inbound.conversation_id
        rows = self.sql.all(conn, _PENDING_OF, {"cid": cid, "id": entry.id})
        return self._turn_reads(entry, rows)

    def turn_reads_among(
        self, conn: Connection, entry: InboxEntry, waiting: dict[int, InboxEntry]
    ) -> TurnReads:
        """:meth:`turn_reads` of ``entry``, read together with those of ``waiting``: the
        entries whose turn loads wait for a database thread (keyed by id).

        On PostgreSQL, inside a committer's transaction, the first load job of a
        transaction reads for itself and the other waiting entries in one statement
        (one round trip instead of one per job), and the later ones find theirs read
        (what another process commits in between is read by the next turn, as if it had
        committed a moment later). On SQLite a statement is a function call: each job
        reads its own.
        """
        rows = collected(conn)
        if rows is None:
            return self.turn_reads(conn, entry)
        read: dict[int, TurnReads] = rows.scratch.setdefault("turn reads", {})
        found = read.pop(entry.id, None)
        if found is not None:
            return found
        cids = {entry.inbound.conversation_id}
        entries = [entry]
        for other in waiting.copy().values():  # copy: the event loop adds to it meanwhile
            cid = other.inbound.conversation_id
            if len(entries) >= TURN_READS_AT_ONCE:
                break
            if other.id not in read and cid not in cids:
                cids.add(cid)
                entries.append(other)
        many = self.turn_reads_many(conn, entries)
        found = many.pop(entry.id)
        read.update(many)
        loading(conn).update(cids)
        return found

    def turn_reads_many(self, conn: Connection, entries: list[InboxEntry]) -> dict[int, TurnReads]:
        """:meth:`turn_reads` of each of ``entries`` (of different conversations), by entry
        id, in one statement (PostgreSQL)."""
        by_cid = {e.inbound.conversation_id: e for e in entries}
        params = {"cids": list(by_cid), "ids": [e.id for e in entries]}
        parts: dict[str, list[Any]] = {cid: [] for cid in by_cid}
        # Planned for its arrays each time: the generic plan of a prepared statement costs
        # the server twice as much (30 conversations: 1.3 ms of CPU against 0.6).
        found = self.sql.all(conn, _PENDING_OF_MANY, params, binary=True, prepare=False)
        for part, cid, *row in found:
            parts[cid].append((part, *row))
        return {e.id: self._turn_reads(e, parts[cid]) for cid, e in by_cid.items()}

    def _turn_reads(self, entry: InboxEntry, rows: list[Any]) -> TurnReads:
        cid = entry.inbound.conversation_id
        parse = inbound_from_json
        events: list[InboxEntry] = []
        session: StoredSession | None = None
        contact: Seen | None = None
        ticket: tuple[int, str] | None = None
        accepted: dict[int, tuple[str | None, datetime | None]] = {}
        for part, event_id, text, number, at, by in rows:
            if part == 0:
                events.append(entry if event_id == entry.id else InboxEntry(event_id, parse(text)))
                accepted[event_id] = (by, self.sql.read_time(at))
            elif part == 1:
                updated = self.sql.read_time(at)
                assert updated is not None
                session = StoredSession(cid, text, int(number), updated)
            elif part == 2:
                contact = Seen(text, bool(number), self.sql.read_time(at))
            else:
                ticket = (int(event_id), str(text))
        events.sort(key=lambda e: e.id)
        return TurnReads(events, session, contact, ticket, accepted)

    def claim(self, conn: Connection, entry: InboxEntry) -> bool:
        """Mark a pending event done in the caller's transaction, so the work done for it
        commits with the claim; False when another worker claimed it first."""
        return self.claim_later(conn, entry).get()

    def claim_later(self, conn: Connection, entry: InboxEntry) -> Later[bool]:
        """:meth:`claim`, collected with the transaction's other claims (bot/later.py)."""
        cid = entry.inbound.conversation_id[:255]
        return _CLAIMED.add(conn, (entry.id, cid, self.sql.time(_now())))

    def fail(self, conn: Connection, entry_id: int, error: str) -> None:
        """Mark a pending event failed (one another worker answered meanwhile stays done)."""
        conn.execute(
            update(inbox_table)
            .where(inbox_table.c.id == entry_id, _PENDING_INBOX)
            .values(status=FAILED, processed_at=_now(), error=error[:2000])
        )

    def status_counts(self) -> dict[str, int]:
        with self.store.connection() as conn:
            rows = conn.execute(
                select(inbox_table.c.status, func.count()).group_by(inbox_table.c.status)
            ).all()
        return {str(r[0]): int(r[1]) for r in rows}

    # -- outbox --------------------------------------------------------------------------
    def queue(self, conn: Connection, channel: str, calls: list[OutboundCall]) -> list[OutboxEntry]:
        """Queue API calls inside the caller's transaction; return them with their ids."""
        return self.queue_later(conn, channel, calls).get()

    def queue_later(
        self, conn: Connection, channel: str, calls: list[OutboundCall]
    ) -> Later[list[OutboxEntry]]:
        """:meth:`queue`, collected with the transaction's other replies (bot/later.py)."""
        now = self.sql.time(_now())
        ids = [
            _QUEUED.add(
                conn,
                (
                    channel,
                    call.conversation_id,
                    call.method,
                    orjson.dumps(call.payload).decode(),
                    now,
                    n == 0,
                ),
            )
            for n, call in enumerate(calls)
        ]

        def queued() -> list[OutboxEntry]:
            got = [id_.get() for id_ in ids]
            # The first call says whether an earlier reply of the conversation waits.
            waiting = bool(got) and got[0][1]
            return [
                OutboxEntry(i, channel, call, 0, after_unsent=waiting)
                for (i, _w), call in zip(got, calls, strict=True)
            ]

        return Later(queued)

    def unsent(self, conn: Connection, conversation_id: str | None = None) -> list[OutboxEntry]:
        """Queued calls not sent yet, in order (of one conversation, or all)."""
        query = select(
            outbox_table.c.id,
            outbox_table.c.channel,
            outbox_table.c.conversation_id,
            outbox_table.c.method,
            outbox_table.c.payload,
            outbox_table.c.attempts,
        ).where(_PENDING_OUTBOX)
        if conversation_id is not None:
            query = query.where(outbox_table.c.conversation_id == conversation_id)
        rows = conn.execute(query.order_by(outbox_table.c.id)).all()
        return [
            OutboxEntry(int(r[0]), r[1], OutboundCall(r[3], orjson.loads(r[4]), r[2]), int(r[5]))
            for r in rows
        ]

    def record_sends(self, conn: Connection, outcomes: list[SendOutcome]) -> None:
        now = self.sql.time(_now())
        sent = [o.id for o in outcomes if o.error is None]
        kept = [
            {"id": o.id, "error": o.error[:2000], "status": FAILED if o.give_up else PENDING}
            for o in outcomes
            if o.error is not None
        ]
        if sent and not self.sql.sqlite:
            self.sql.execute(conn, _SENT_ANY, {"ids": sent, "at": now}, binary=True).close()
            sent = []
        for start in range(0, len(sent), 500):  # one statement per 500, not one per reply
            ids = sent[start : start + 500]
            marks = ", ".join(f":i{n}" for n in range(len(ids)))
            params: dict[str, Any] = {f"i{n}": i for n, i in enumerate(ids)}
            self.sql.run(conn, _SENT.format(ids=marks), {**params, "at": now, "sent": SENT})
        if kept:
            self.sql.many(conn, _NOT_SENT, kept)


@dataclass(frozen=True)
class SendOutcome:
    id: int
    error: str | None = None
    give_up: bool = False


__all__ = [
    "InboxEntry",
    "Journal",
    "OutboxEntry",
    "SendOutcome",
    "inbox_table",
    "loading",
    "outbox_table",
    "ticket_known",
    "ticket_read",
]
