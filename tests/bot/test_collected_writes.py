"""Writes collected across a group transaction's jobs (bot/later.py): on PostgreSQL the
claims, sessions, replies and accepted events of many jobs go in one statement each, and a
job whose write fails (a claim another worker won, a session it moved on) still fails alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, text

from adapters.base import MessageInbound, OutboundCall
from bot.committer import Committer
from bot.contacts import Contacts
from bot.inbox import Journal, SendOutcome
from bot.later import Later
from bot.service import ANSWERABLE
from bot.storage import SessionStore, StaleSessionError, StorageError
from flows import TextInput

# Quotes, backslashes, commas and braces need escaping in an array's text format; the
# collected writes send arrays in the binary format, which must keep them as they are.
DATA = '{"name": "Zo\u00eb \\"\u0416\\", {a,b}", "wave": "\U0001f44b"}'
GUARD = 30  # seconds: only so that a broken committer fails the test instead of hanging it


async def together(committer: Committer, jobs: list[Callable[[Connection], Any]]) -> list[Any]:
    """Run ``jobs`` in one transaction: they queue while a first job holds the thread."""
    gate, started = threading.Event(), threading.Event()

    def hold(conn: Connection) -> None:
        started.set()
        gate.wait(GUARD)

    batches = committer.batches
    holding = asyncio.ensure_future(committer.run(hold))
    while not started.is_set():
        await asyncio.sleep(0.001)
    runs: list[Awaitable[Any]] = [committer.run_later(job) for job in jobs]
    waiting = [asyncio.ensure_future(run) for run in runs]
    await asyncio.sleep(0)
    gate.set()
    await holding
    results = await asyncio.gather(*waiting, return_exceptions=True)
    # On success the jobs shared one transaction (one-by-one retries would add more).
    results.append(committer.batches - batches - 1)
    return results


def events(n: int) -> list[MessageInbound]:
    """``n`` messages, each of its own conversation."""
    return [
        MessageInbound(
            channel="telegram",
            event_id=str(500 + i),
            conversation_id=f"telegram:{100 + i}",
            recipient=str(100 + i),
            event=TextInput(text="hi"),
            user={"first_name": "Ana"},
            order_key=500 + i,
        )
        for i in range(n)
    ]


def test_many_jobs_write_one_statement_per_kind_on_postgresql(store: SessionStore) -> None:
    journal = Journal(store)
    inbound = events(5)

    def turn(n: int) -> Callable[[Connection], Later[tuple[list[int], bool, int]]]:
        def job(conn: Connection) -> Later[tuple[list[int], bool, int]]:
            accepted = journal.accept_later(conn, [inbound[n]], answerable=ANSWERABLE)
            saved = store.write_later(conn, inbound[n].conversation_id, DATA, None)
            call = OutboundCall("sendMessage", {"text": "hi"}, inbound[n].conversation_id)
            queued = journal.queue_later(conn, "telegram", [call])
            return Later(lambda: ([e.id for e in accepted.get()], bool(queued.get()), saved.get()))

        return job

    async def scenario() -> tuple[list[Any], int]:
        committer = Committer(store)
        try:
            before = committer.statements
            results = await together(committer, [turn(n) for n in range(5)])
            return results, committer.statements - before
        finally:
            committer.close()

    results, statements = asyncio.run(scenario())
    *values, transactions = results
    assert transactions == 1
    assert [v[1:] for v in values] == [(True, 1)] * 5
    ids = [v[0][0] for v in values]
    assert ids == sorted(ids) and len(set(ids)) == 5  # each event its own id, in order
    with store.connection() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 5
        assert conn.execute(text("SELECT count(*) FROM sessions")).scalar() == 5
    assert {store.load(e.conversation_id).data for e in inbound} == {DATA}  # type: ignore[union-attr]
    if store.engine.dialect.name == "postgresql":
        # Three statements (events, sessions, replies) for five jobs, not fifteen.
        assert statements == 3
    else:
        assert statements == 0  # SQLite writes each row at once


def test_a_stale_session_in_a_collected_batch_fails_only_its_own_job(store: SessionStore) -> None:
    for n in range(4):
        store.save(f"telegram:{n}", "{}", None)  # version 1 each

    def save(n: int, expected: int) -> Callable[[Connection], Later[int]]:
        return lambda conn: store.write_later(conn, f"telegram:{n}", f'{{"n": {n}}}', expected)

    async def scenario() -> list[Any]:
        committer = Committer(store)
        try:
            # telegram:2 was moved on by "another worker": its job expects version 0.
            return await together(committer, [save(0, 1), save(1, 1), save(2, 0), save(3, 1)])
        finally:
            committer.close()

    *values, _transactions = asyncio.run(scenario())
    assert values[:2] == [2, 2] and values[3] == 2
    assert isinstance(values[2], StaleSessionError)
    versions = {n: store.load(f"telegram:{n}").version for n in range(4)}  # type: ignore[union-attr]
    assert versions == {0: 2, 1: 2, 2: 1, 3: 2}


def test_a_claim_lost_in_a_collected_batch_fails_only_its_own_job(store: SessionStore) -> None:
    journal = Journal(store)
    with store.transaction() as conn:
        entries = journal.accept(conn, events(3), answerable=ANSWERABLE)
        assert journal.claim(conn, entries[1])  # another worker answered the second

    class Lost(Exception):
        pass

    def answer(n: int) -> Callable[[Connection], Later[int]]:
        def job(conn: Connection) -> Later[int]:
            claimed = journal.claim_later(conn, entries[n])
            call = OutboundCall("sendMessage", {"text": "hi"}, entries[n].inbound.conversation_id)
            queued = journal.queue_later(conn, "telegram", [call])

            def done() -> int:
                if not claimed.get():
                    raise Lost(n)
                return queued.get()[0].id

            return Later(done)

        return job

    async def scenario() -> list[Any]:
        committer = Committer(store)
        try:
            return await together(committer, [answer(n) for n in range(3)])
        finally:
            committer.close()

    *values, _transactions = asyncio.run(scenario())
    assert isinstance(values[1], Lost)
    assert isinstance(values[0], int) and isinstance(values[2], int)
    with store.connection() as conn:
        # The lost job's reply rolled back with it; the others' replies are queued.
        queued = conn.execute(text("SELECT conversation_id FROM outbox ORDER BY id")).all()
    cids = [row[0] for row in queued]
    assert cids == [entries[0].inbound.conversation_id, entries[2].inbound.conversation_id]


def test_a_duplicate_event_in_one_collected_insert_is_accepted_once(store: SessionStore) -> None:
    journal = Journal(store)
    [event] = events(1)

    def accept(conn: Connection) -> Later[list[Any]]:
        return journal.accept_later(conn, [event], answerable=ANSWERABLE)

    async def scenario() -> list[Any]:
        committer = Committer(store)
        try:
            return await together(committer, [accept, accept])
        finally:
            committer.close()

    first, second, _transactions = asyncio.run(scenario())
    assert len(first) == 1 and second == []


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_outside_a_committer_collected_writes_run_at_once(store: SessionStore) -> None:
    journal = Journal(store)
    with store.transaction() as conn:
        entries = journal.accept(conn, events(2), answerable=ANSWERABLE)
        # Read back in the same transaction: they were written when asked for.
        count = conn.execute(text("SELECT count(*) FROM inbox")).scalar()
    assert len(entries) == 2 and count == 2


def test_collected_replies_say_which_conversation_has_a_reply_waiting(store: SessionStore) -> None:
    journal = Journal(store)
    waiting, other = "telegram:1", "telegram:2"
    with store.transaction() as conn:
        [failed] = journal.queue(conn, "telegram", [OutboundCall("sendMessage", {}, waiting)])
        journal.record_sends(conn, [SendOutcome(failed.id, "timed out")])  # kept for a retry

    def reply(cid: str) -> Callable[[Connection], Later[list[Any]]]:
        calls = [OutboundCall("sendMessage", {"n": n}, cid) for n in range(2)]
        return lambda conn: journal.queue_later(conn, "telegram", calls)

    async def scenario() -> list[Any]:
        committer = Committer(store)
        try:
            return await together(committer, [reply(other), reply(waiting), reply(other)])
        finally:
            committer.close()

    first, second, third, _transactions = asyncio.run(scenario())
    assert [e.after_unsent for e in first + third] == [False] * 4
    assert [e.after_unsent for e in second] == [True, True]
    ids = [e.id for e in first + second + third]
    assert ids == sorted(ids) and failed.id < ids[0]


def test_the_contacts_a_transactions_turns_saw_are_written_by_one_statement(
    store: SessionStore,
) -> None:
    """Each new shopper's contact row: one statement for all the turns of a transaction on
    PostgreSQL. A block noted in the same transaction after a shopper wrote stays noted (the
    collected contacts are written first)."""
    contacts = Contacts(store)
    inbound = events(4)
    now = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)

    def seen(n: int, later: timedelta = timedelta(0)) -> Callable[[Connection], None]:
        return lambda conn: contacts.seen(conn, inbound[n], now + later)

    def blocked(conn: Connection) -> None:
        contacts.set_unreachable(conn, inbound[3].conversation_id)

    async def scenario() -> tuple[list[Any], int]:
        committer = Committer(store)
        try:
            before = committer.statements
            jobs = [seen(0), seen(1), seen(1, timedelta(minutes=5)), seen(2), seen(3), blocked]
            results = await together(committer, jobs)
            return results, committer.statements - before
        finally:
            committer.close()

    results, statements = asyncio.run(scenario())
    assert results[-1] == 1  # one transaction after the one holding the thread
    got = {c: contacts.get(c) for c in (e.conversation_id for e in inbound)}
    assert all(
        c is not None and c.recipient == c.conversation_id.split(":")[1] for c in got.values()
    )
    assert got["telegram:101"].last_inbound_at == now + timedelta(minutes=5)  # type: ignore[union-attr]
    assert got["telegram:100"].last_inbound_at == now  # type: ignore[union-attr]
    assert [c for c, contact in got.items() if contact.unreachable] == ["telegram:103"]  # type: ignore[union-attr]
    # PostgreSQL: the four contacts in one statement (run before the block's UPDATE).
    assert statements == (1 if store.engine.dialect.name == "postgresql" else 0)


def test_a_transactions_collected_writes_go_to_the_server_together(
    store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the collected statements of a transaction are sent in one pipeline (one
    round trip, not one each); a statement the server refuses still fails only its job."""
    journal = Journal(store)
    contacts = Contacts(store)
    inbound = events(3)
    pipelines: list[int] = []
    if store.engine.dialect.name == "postgresql":
        import psycopg

        real = psycopg.Connection.pipeline

        def pipeline(self: Any) -> Any:
            pipelines.append(1)
            return real(self)

        monkeypatch.setattr(psycopg.Connection, "pipeline", pipeline)
    long = MessageInbound(**{**inbound[2].model_dump(), "recipient": "9" * 300})
    now = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)

    def turn(event: MessageInbound) -> Callable[[Connection], Later[list[Any]]]:
        def job(conn: Connection) -> Later[list[Any]]:
            contacts.seen(conn, event, now)  # the long recipient: refused by the server
            saved = store.write_later(conn, event.conversation_id, DATA, None)
            call = OutboundCall("sendMessage", {"text": "hi"}, event.conversation_id)
            queued = journal.queue_later(conn, "telegram", [call])
            return Later(lambda: [saved.get(), *queued.get()])

        return job

    async def scenario() -> list[Any]:
        committer = Committer(store)
        try:
            return await together(committer, [turn(inbound[0]), turn(inbound[1])])
        finally:
            committer.close()

    first, second, transactions = asyncio.run(scenario())
    assert first[0] == second[0] == 1 and len(first) == len(second) == 2 and transactions == 1
    assert store.load(inbound[1].conversation_id).data == DATA  # type: ignore[union-attr]
    if store.engine.dialect.name == "sqlite":
        return  # which keeps a recipient of any length
    assert pipelines == [1]  # contacts, sessions and replies: one round trip

    async def refused() -> list[Any]:
        committer = Committer(store)
        try:
            return await together(committer, [turn(events(4)[3]), turn(long)])
        finally:
            committer.close()

    fine, failed, _transactions = asyncio.run(refused())
    assert len(fine) == 2 and isinstance(failed, StorageError)  # as any statement's error
    with store.connection() as conn:
        queued = conn.execute(text("SELECT conversation_id FROM outbox ORDER BY id")).all()
    assert [row[0] for row in queued] == ["telegram:100", "telegram:101", "telegram:103"]
