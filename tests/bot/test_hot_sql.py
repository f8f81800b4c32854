"""The per-message statements that bypass SQLAlchemy Core (bot/rawsql.py) write exactly what
the rest of shopchat, reading through SQLAlchemy, expects: on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select

from adapters.base import MessageInbound, OutboundCall
from bot.committer import Committer
from bot.contacts import Contacts, Seen
from bot.handoff import queue
from bot.inbox import Journal, SendOutcome, inbox_table, outbox_table, ticket_known
from bot.later import collecting, stop_collecting
from bot.rawsql import raw_sql
from bot.storage import SessionStore, StorageError
from flows import TextInput

T0 = datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=UTC)


def message(n: int, cid: str = "telegram:7") -> MessageInbound:
    return MessageInbound(
        channel="telegram",
        event_id=str(n),
        conversation_id=cid,
        recipient=cid.split(":")[1],
        event=TextInput(text=f"hello {n}"),
        user={"first_name": "Ana"},
        locale="pl",
        order_key=n,
    )


def test_inbox_and_outbox_round_trip_through_sqlalchemy(store: SessionStore) -> None:
    journal = Journal(store)
    answerable = frozenset({"message"})
    with store.transaction() as conn:
        first = journal.accept(conn, [message(1), message(2)], answerable=answerable)
        again = journal.accept(conn, [message(1)], answerable=answerable)
    assert [e.inbound.event_id for e in first] == ["1", "2"]
    assert again == []  # a redelivery is stored once

    with store.transaction() as conn:
        # Processing event 2 first also finds the still-pending event 1, parsed.
        pending = journal.pending_of(conn, first[1])
        assert [e.id for e in pending] == [first[0].id, first[1].id]
        assert pending[0].inbound == message(1)
        assert [journal.claim(conn, e) for e in pending] == [True, True]
        assert journal.pending_of(conn, first[1]) == []  # a second worker finds nothing
        queued = journal.queue(
            conn,
            "telegram",
            [OutboundCall("sendMessage", {"chat_id": 7, "text": "ź"}, "telegram:7")] * 2,
        )
        journal.record_sends(
            conn, [SendOutcome(queued[0].id), SendOutcome(queued[1].id, "429", give_up=False)]
        )

    with store.connection() as conn:
        row = conn.execute(
            select(inbox_table.c.status, inbox_table.c.processed_at).where(
                inbox_table.c.id == first[0].id
            )
        ).one()
        sends = conn.execute(
            select(outbox_table.c.status, outbox_table.c.attempts, outbox_table.c.sent_at).order_by(
                outbox_table.c.id
            )
        ).all()
    assert row[0] == "done"
    assert row[1].tzinfo is not None and abs(datetime.now(UTC) - row[1]) < timedelta(minutes=1)
    assert [(s[0], s[1]) for s in sends] == [("sent", 1), ("pending", 1)]
    assert sends[0][2] is not None and sends[1][2] is None
    with store.transaction() as conn:
        unsent = journal.unsent(conn)
    assert [(e.id, e.call.payload["text"]) for e in unsent] == [(queued[1].id, "ź")]


def test_session_written_raw_reads_back_through_the_store(store_url: str) -> None:
    clock = iter([T0, T0 + timedelta(seconds=5)])
    store = SessionStore(store_url, clock=lambda: next(clock))
    store.migrate()
    try:
        assert store.save("web:a", '{"v": 1}', None) == 1
        with store.transaction() as conn:
            loaded = store.load_in(conn, "web:a")
            assert loaded is not None and loaded.updated_at == T0
            assert store.write_in(conn, "web:a", '{"v": 2}', 1) == 2
        again = store.load("web:a")
        assert again is not None
        assert (again.data, again.version, again.updated_at) == (
            '{"v": 2}',
            2,
            T0 + timedelta(seconds=5),
        )
    finally:
        store.close()


def test_contact_rows_are_rewritten_at_most_once_a_minute(store: SessionStore) -> None:
    contacts = Contacts(store)
    committer = Committer(store)

    async def seen(at: datetime, *, fail: bool = False) -> None:
        def job(conn: Connection) -> None:
            contacts.seen(conn, message(1), at)
            if fail:
                raise RuntimeError("the turn failed after the contact was written")

        await committer.run(job)

    async def scenario() -> list[datetime | None]:
        times = []
        await seen(T0)
        times.append(contacts.get("telegram:7").last_inbound_at)  # type: ignore[union-attr]
        await seen(T0 + timedelta(seconds=30))  # within the minute: not rewritten
        times.append(contacts.get("telegram:7").last_inbound_at)  # type: ignore[union-attr]
        await seen(T0 + timedelta(seconds=61))
        times.append(contacts.get("telegram:7").last_inbound_at)  # type: ignore[union-attr]
        return times

    try:
        assert asyncio.run(scenario()) == [T0, T0, T0 + timedelta(seconds=61)]
    finally:
        committer.close()


def test_a_rolled_back_write_is_not_remembered_as_written(store: SessionStore) -> None:
    contacts = Contacts(store)
    committer = Committer(store)

    async def scenario() -> None:
        def failing(conn: Connection) -> None:
            contacts.seen(conn, message(1), T0)
            raise RuntimeError("the turn failed after the contact was written")

        with pytest.raises(RuntimeError):
            await committer.run(failing)
        await committer.run(lambda conn: contacts.seen(conn, message(1), T0 + timedelta(seconds=1)))

    try:
        asyncio.run(scenario())
        contact = contacts.get("telegram:7")
        assert contact is not None and contact.last_inbound_at == T0 + timedelta(seconds=1)
        assert contact.locale == "pl" and contact.name == "Ana" and contact.unreachable is False
    finally:
        committer.close()


def test_transcript_lines_keep_an_inbound_event_once(store: SessionStore) -> None:
    with store.transaction() as conn:
        # The same inbound event, delivered twice.
        kept, twice = (
            queue.record(
                conn,
                conversation_id="telegram:7",
                direction="shopper",
                text="hello",
                at=T0,
                source="telegram:1",
            )
            for _ in range(2)
        )
        queue.record_untracked(conn, "telegram:7", None, ["Hi!", "How can I help?"], T0, "main")
        # A whole turn: a redelivered event's line is not kept twice, the bot's lines are.
        queue.record_untracked(conn, "telegram:7", ("hello", "telegram:1"), ["Again?"], T0, None)
        queue.record_untracked(conn, "telegram:7", ("more", "telegram:2"), [], T0, None)
        lines = queue.transcript(conn, "telegram:7")
    assert kept is not None and twice is None
    assert [(line.author, line.text, line.at) for line in lines] == [
        ("shopper", "hello", T0),
        ("bot", "Hi!", T0),
        ("bot", "How can I help?", T0),
        ("bot", "Again?", T0),
        ("shopper", "more", T0),
    ]
    assert lines[0].id == kept.id


def test_driver_errors_surface_as_storage_errors(store: SessionStore) -> None:
    journal = Journal(store)
    with store.transaction() as conn:
        conn.exec_driver_sql("DROP TABLE inbox")
    # The webhook route answers StorageError with a 503, so the platform delivers again.
    with pytest.raises(StorageError, match="inbox|schema|migrat"), store.transaction() as conn:
        journal.accept(conn, [message(1)], answerable=frozenset({"message"}))


def test_a_turn_reads_its_conversations_pending_events_then_claims_each_once(
    store: SessionStore,
) -> None:
    journal = Journal(store)
    with store.transaction() as conn:
        a1, b1, a2 = journal.accept(
            conn,
            [message(1), message(2, "telegram:8"), message(3)],
            answerable=frozenset({"message"}),
        )
    with store.transaction() as conn:
        pending = journal.pending_of(conn, a1)  # nothing claimed by reading
        assert [e.id for e in pending] == [a1.id, a2.id]
        assert pending[1].inbound == a2.inbound
        assert journal.claim(conn, a2)
        assert not journal.claim(conn, a2)  # a second worker's commit finds it taken
        assert [e.id for e in journal.pending_of(conn, a1)] == [a1.id]
        assert [e.id for e in journal.pending_of(conn, b1)] == [b1.id]


def test_a_turns_load_reads_pending_events_session_and_contact_together(
    store: SessionStore,
) -> None:
    journal = Journal(store)
    contacts = Contacts(store)
    answerable = frozenset({"message"})
    with store.transaction() as conn:
        first = journal.accept(conn, [message(1), message(2)], answerable=answerable)
        other = journal.accept(conn, [message(3, cid="telegram:8")], answerable=answerable)
        new = journal.turn_reads(conn, first[0])
        assert (new.session, new.contact) == (None, None)  # a new conversation
        store.write_in(conn, "telegram:7", '{"step": "age"}', None)
        store.write_in(conn, "telegram:8", '{"step": "name"}', None)
        store.write_in(conn, "telegram:7", '{"step": "done"}', 1)
        contacts.seen(conn, message(1), T0)

    with store.transaction() as conn:
        reads = journal.turn_reads(conn, first[1])
        assert [e.id for e in reads.events] == [first[0].id, first[1].id]
        assert reads.events[0].inbound == message(1)
        session = reads.session
        assert session is not None
        assert (session.conversation_id, session.data, session.version) == (
            "telegram:7",
            '{"step": "done"}',
            2,
        )
        assert session.updated_at.utcoffset() == timedelta(0)
        assert session == store.load_in(conn, "telegram:7")
        assert reads.contact == Seen("7", False, T0)
        assert [e.id for e in journal.turn_reads(conn, other[0]).events] == [other[0].id]
        assert journal.turn_reads(conn, other[0]).contact is None
        assert reads.ticket is None


def test_a_turns_load_reads_the_newest_hand_off_ticket_too(store: SessionStore) -> None:
    """The hand-off hook asks whether a person has the conversation: the load's statement
    has read it, and inside ticket_known the hook's question runs no statement."""
    journal = Journal(store)
    with store.transaction() as conn:
        [entry] = journal.accept(conn, [message(1)], answerable=frozenset({"message"}))
        sql = raw_sql(conn.dialect)
        for state in ("resolved", "assigned"):
            sql.run(
                conn,
                "INSERT INTO handoff_tickets (conversation_id, channel, reason, priority, state,"
                " away, reopened, created_at, waiting_since, updated_at) VALUES (:cid,"
                " 'telegram', 'ask', 0, :state, false, 0, :at, :at, :at)",
                {"cid": "telegram:7", "state": state, "at": sql.time(T0)},
            )
        reads = journal.turn_reads(conn, entry)
        assert reads.ticket is not None and reads.ticket[1] == "assigned"
        assert queue.latest_id_state(conn, "telegram:7") == reads.ticket
        with ticket_known(conn, "telegram:7", None):  # what the load read wins
            assert queue.latest_id_state(conn, "telegram:7") is None
            assert queue.latest_id_state(conn, "telegram:8") is None  # read for itself
        assert queue.latest_id_state(conn, "telegram:7") == reads.ticket


def test_a_contact_the_load_read_as_current_is_not_written_again(store: SessionStore) -> None:
    contacts = Contacts(store)
    with store.transaction() as conn:
        contacts.seen(conn, message(1), T0)
    fresh = Seen("7", False, T0)
    later = T0 + timedelta(seconds=30)
    assert fresh.current(message(2), later)
    assert not fresh.current(message(2), T0 + timedelta(minutes=5))  # the window moves on
    assert not Seen("7", True, T0).current(message(2), later)  # blocked: she wrote again
    assert not Seen("6", False, T0).current(message(2), later)  # a new recipient

    with store.transaction() as conn:
        contacts.set_unreachable(conn, "telegram:7")
        # Read as current by a load before it was marked: this turn leaves the row alone...
        contacts.seen(conn, message(2), later, read=fresh)
    assert contacts.get("telegram:7").unreachable  # type: ignore[union-attr]
    with store.transaction() as conn:
        # ...and one that read it as it is makes the shopper reachable again.
        contacts.seen(conn, message(3), later, read=Seen("7", True, T0))
    assert not contacts.get("telegram:7").unreachable  # type: ignore[union-attr]


def test_a_transactions_first_turn_load_reads_those_waiting_too(
    store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the first turn load of a committer's transaction reads the other
    waiting conversations' events, sessions and contacts in the same statement; each then
    gets what its own read would have."""
    journal = Journal(store)
    answerable = frozenset({"message"})
    with store.transaction() as conn:
        a, b, b2 = journal.accept(
            conn,
            [message(1), message(2, "telegram:8"), message(3, "telegram:8")],
            answerable=answerable,
        )
        store.write_in(conn, "telegram:8", '{"step": "name"}', None)
        Contacts(store).seen(conn, message(2, "telegram:8"), T0)
    with store.transaction() as conn:
        alone = {e.id: journal.turn_reads(conn, e) for e in (a, b)}
    assert [e.id for e in alone[b.id].events] == [b.id, b2.id]
    statements: list[str] = []
    real = journal.sql.all

    def counted(*args: Any, **kwargs: Any) -> Any:
        statements.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(journal.sql, "all", counted)
    waiting = {a.id: a, b.id: b}
    with store.transaction() as conn:
        collecting(conn)
        try:
            together = {e.id: journal.turn_reads_among(conn, e, waiting) for e in (a, b)}
        finally:
            stop_collecting(conn)
    assert together == alone
    assert len(statements) == (2 if store.engine.dialect.name == "sqlite" else 1)


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_array_statements_are_planned_for_their_arrays_not_prepared(store: SessionStore) -> None:
    """A statement with array parameters (sent in the binary format) is never a prepared
    statement: its generic plan costs the server more than planning it each time. Others
    are prepared once they repeat (psycopg's threshold)."""
    sql = raw_sql(store.engine.dialect)
    arrays = "SELECT count(*) FROM sessions WHERE conversation_id = ANY(CAST(:cids AS varchar[]))"
    plain = "SELECT count(*) FROM sessions WHERE conversation_id = :cid"
    with store.transaction() as conn:
        for _ in range(10):
            sql.all(conn, arrays, {"cids": ["telegram:1", "telegram:2"]}, binary=True)
            sql.all(conn, plain, {"cid": "telegram:1"})
        prepared = [
            str(row[0]) for row in sql.all(conn, "SELECT statement FROM pg_prepared_statements")
        ]
    mine = [text for text in prepared if "FROM sessions WHERE conversation_id" in text]
    assert mine == ["SELECT count(*) FROM sessions WHERE conversation_id = $1"], prepared
