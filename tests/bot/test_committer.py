"""Group commit: the urgent lane on the database thread (PostgreSQL), and SQLite's jobs on the
event loop.

A webhook's 200 waits for its inbox write to commit. That write (and recording a reply as
sent) joins the transaction already running on the database thread, instead of queueing
behind the turn jobs submitted before it; a job of the batch that fails still costs no other
job its write.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from bot.committer import Committer
from bot.storage import SessionStore

GUARD = 30  # seconds: only so that a broken lane fails the test instead of hanging it


def held(gate: threading.Event, ran: list[str], name: str) -> Callable[[Connection], str]:
    """A job that notes it ran, then holds the database thread until ``gate`` opens."""

    def job(conn: Connection) -> str:
        ran.append(name)
        gate.wait(GUARD)
        return name

    return job


def note(ran: list[str], name: str) -> Callable[[Connection], str]:
    def job(conn: Connection) -> str:
        ran.append(name)
        return name

    return job


async def started(ran: list[str], name: str) -> None:
    while name not in ran:
        await asyncio.sleep(0.001)


def test_an_urgent_job_commits_with_the_running_transaction_ahead_of_queued_turns(
    store: SessionStore,
) -> None:
    async def scenario() -> list[str]:
        committer = Committer(store, inline=False)
        ran: list[str] = []
        first_gate, turn_gate = threading.Event(), threading.Event()
        try:
            running = asyncio.ensure_future(committer.run(held(first_gate, ran, "running")))
            await started(ran, "running")
            # A turn queued behind it, which will hold the thread in its own transaction.
            queued = asyncio.ensure_future(committer.run(held(turn_gate, ran, "queued turn")))
            ack = asyncio.ensure_future(committer.run(note(ran, "ack"), first=True))
            await asyncio.sleep(0)
            first_gate.set()
            # The acknowledgement commits although the queued turn has not finished.
            assert await asyncio.wait_for(ack, GUARD) == "ack"
            assert not queued.done()
            assert await running == "running"
            turn_gate.set()
            assert await queued == "queued turn"
            return ran
        finally:
            first_gate.set()
            turn_gate.set()
            committer.close()

    assert asyncio.run(scenario()) == ["running", "ack", "queued turn"]


def test_urgent_jobs_keep_their_order(store: SessionStore) -> None:
    async def scenario() -> list[str]:
        committer = Committer(store, inline=False)
        ran: list[str] = []
        gate = threading.Event()
        try:
            running = asyncio.ensure_future(committer.run(held(gate, ran, "running")))
            await started(ran, "running")
            acks = [
                asyncio.ensure_future(committer.run(note(ran, f"ack {n}"), first=True))
                for n in range(5)
            ]
            await asyncio.sleep(0)
            gate.set()
            await asyncio.wait_for(asyncio.gather(running, *acks), GUARD)
            return ran
        finally:
            gate.set()
            committer.close()

    assert asyncio.run(scenario()) == ["running"] + [f"ack {n}" for n in range(5)]


def test_an_urgent_job_that_fails_costs_the_transaction_it_joined_nothing(
    store: SessionStore,
) -> None:
    with store.transaction() as conn:
        conn.execute(text("CREATE TABLE lane_test (name VARCHAR(20) PRIMARY KEY)"))

    def write(name: str) -> Callable[[Connection], str]:
        def job(conn: Connection) -> str:
            conn.execute(text("INSERT INTO lane_test (name) VALUES (:n)"), {"n": name})
            return name

        return job

    def broken(conn: Connection) -> None:
        conn.execute(text("INSERT INTO lane_test (name) VALUES ('bad')"))
        raise ValueError("a bug in this job")

    async def scenario() -> None:
        committer = Committer(store, inline=False)
        gate = threading.Event()
        ran: list[str] = []

        def turn(conn: Connection) -> str:
            write("turn")(conn)
            return held(gate, ran, "turn")(conn)

        try:
            running = asyncio.ensure_future(committer.run(turn))
            await started(ran, "turn")
            bad = asyncio.ensure_future(committer.run(broken, first=True))
            good = asyncio.ensure_future(committer.run(write("ack"), first=True))
            await asyncio.sleep(0)
            gate.set()
            assert await asyncio.wait_for(running, GUARD) == "turn"
            assert await good == "ack"
            with pytest.raises(ValueError, match="a bug in this job"):
                await bad
        finally:
            gate.set()
            committer.close()

    asyncio.run(scenario())
    with store.connection() as conn:
        names = {row[0] for row in conn.execute(text("SELECT name FROM lane_test"))}
    assert names == {"turn", "ack"}


def test_a_sent_mark_cuts_a_running_burst_short(store: SessionStore) -> None:
    """A reply's sent-mark commits after a few of the running batch's turns, not after all of
    them: until it commits, a crash would send the reply again."""
    from bot.committer import MIN_RUN

    ran: list[str] = []
    gate = threading.Event()

    def turn(n: int) -> Callable[[Connection], int]:
        def job(conn: Connection) -> int:
            if n == 0:
                ran.append("turn 0")
                gate.wait(GUARD)
            else:
                ran.append(f"turn {n}")
            store.write_in(conn, f"web:turn{n}", "{}", None)
            return n

        return job

    def mark(conn: Connection) -> str:
        store.write_in(conn, "web:mark", "{}", None)
        ran.append("mark")
        return "marked"

    async def scenario() -> tuple[bool, list[int]]:
        committer = Committer(store, inline=False)
        try:
            burst = [asyncio.ensure_future(committer.run(turn(n))) for n in range(40)]
            await started(ran, "turn 0")  # the burst's batch is running
            marked = asyncio.ensure_future(committer.run(mark, first=True))
            await asyncio.sleep(0)
            gate.set()
            assert await asyncio.wait_for(marked, GUARD) == "marked"
            on_disk = store.load("web:mark") is not None
            return on_disk, list(await asyncio.gather(*burst))
        finally:
            gate.set()
            committer.close()

    on_disk, results = asyncio.run(scenario())
    assert on_disk  # committed when its future resolved
    assert ran.index("mark") <= MIN_RUN  # not behind the rest of the running batch
    assert results == list(range(40))  # the turns cut off ran afterwards, in order
    assert [r for r in ran if r != "mark"] == [f"turn {n}" for n in range(40)]


# SQLite's jobs on the event loop (bot/committer.py, "On a SQLite file").


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[SessionStore]:
    store = SessionStore(f"sqlite:///{tmp_path / 'loop.db'}")
    store.migrate()
    with store.transaction() as conn:
        conn.execute(text("CREATE TABLE loop_test (name VARCHAR(40) PRIMARY KEY)"))
    yield store
    store.close()


def insert(name: str, threads: list[int] | None = None) -> Callable[[Connection], str]:
    def job(conn: Connection) -> str:
        if threads is not None:
            threads.append(threading.get_ident())
        conn.execute(text("INSERT INTO loop_test (name) VALUES (:n)"), {"n": name})
        return name

    return job


def names(store: SessionStore) -> list[str]:
    with store.connection() as conn:
        return sorted(row[0] for row in conn.execute(text("SELECT name FROM loop_test")))


def test_on_a_sqlite_file_jobs_run_on_the_event_loop_and_commit(
    sqlite_file: SessionStore,
) -> None:
    threads: list[int] = []

    async def scenario() -> tuple[int, list[str]]:
        committer = Committer(sqlite_file)
        try:
            done = await asyncio.gather(
                *(committer.run(insert(f"job {n}", threads)) for n in range(20))
            )
            return threading.get_ident(), list(done)
        finally:
            committer.close()

    loop_thread, done = asyncio.run(scenario())
    assert done == [f"job {n}" for n in range(20)]
    assert set(threads) == {loop_thread}
    assert names(sqlite_file) == sorted(done)  # committed, seen by another connection


def test_a_postgresql_or_in_memory_store_keeps_its_jobs_on_the_database_thread() -> None:
    memory = SessionStore("sqlite:///:memory:")
    try:
        assert not Committer(memory).inline
    finally:
        memory.close()


def test_a_long_burst_leaves_the_loop_between_transactions(sqlite_file: SessionStore) -> None:
    """Jobs that together take far longer than the loop's budget run in several transactions,
    with the loop's other work (a webhook's socket, say) served between them."""
    from bot.committer import INLINE_BUDGET

    ticks: list[int] = []
    ran: list[int] = []

    def slow(n: int) -> Callable[[Connection], int]:
        def job(conn: Connection) -> int:
            time.sleep(INLINE_BUDGET / 4)
            insert(f"slow {n}")(conn)
            ran.append(len(ticks))
            return n

        return job

    async def ticker(stop: asyncio.Event) -> None:
        while not stop.is_set():
            ticks.append(1)
            await asyncio.sleep(0)

    async def scenario() -> tuple[list[int], int]:
        committer = Committer(sqlite_file)
        stop = asyncio.Event()
        tick = asyncio.ensure_future(ticker(stop))
        try:
            done = await asyncio.gather(*(committer.run(slow(n)) for n in range(60)))
            return list(done), committer.batches
        finally:
            stop.set()
            await tick
            committer.close()

    done, batches = asyncio.run(scenario())
    assert done == list(range(60))  # all of them, in order
    assert batches >= 3  # not one 60-job transaction
    assert len(set(ran)) >= 3  # the ticker ran between transactions
    assert names(sqlite_file) == sorted(f"slow {n}" for n in range(60))


def test_a_lock_held_by_another_process_moves_the_batch_to_the_database_thread(
    sqlite_file: SessionStore, tmp_path: Path
) -> None:
    """Another process (a shopchat command) holds SQLite's write lock: the loop does not wait
    for it (it keeps serving), and the jobs commit once the lock is released."""
    other = sqlite3.connect(tmp_path / "loop.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the write lock
    other.execute("INSERT INTO loop_test (name) VALUES ('other process')")
    ticks: list[float] = []

    async def scenario() -> tuple[list[str], int]:
        committer = Committer(sqlite_file)
        loop = asyncio.get_running_loop()
        try:
            jobs = asyncio.gather(*(committer.run(insert(f"job {n}")) for n in range(5)))
            for _ in range(20):  # the loop stays free while the lock is held
                ticks.append(loop.time())
                await asyncio.sleep(0.01)
            assert not jobs.done()
            other.execute("COMMIT")
            done = await asyncio.wait_for(jobs, GUARD)
            return list(done), committer.handed_over
        finally:
            committer.close()

    try:
        done, handed_over = asyncio.run(scenario())
    finally:
        other.close()
    assert done == [f"job {n}" for n in range(5)]
    assert handed_over >= 1
    assert max(b - a for a, b in zip(ticks, ticks[1:], strict=False)) < 1.0
    assert names(sqlite_file) == sorted([*done, "other process"])


def test_a_failing_job_on_the_loop_costs_the_others_nothing(sqlite_file: SessionStore) -> None:
    def broken(conn: Connection) -> None:
        insert("broken")(conn)
        raise ValueError("a bug in this job")

    async def scenario() -> list[object]:
        committer = Committer(sqlite_file)
        try:
            return await asyncio.gather(
                committer.run(insert("before")),
                committer.run(broken),
                committer.run(insert("after")),
                return_exceptions=True,
            )
        finally:
            committer.close()

    before, failed, after = asyncio.run(scenario())
    assert (before, after) == ("before", "after")
    assert isinstance(failed, ValueError)
    assert names(sqlite_file) == ["after", "before"]


def test_the_log_is_checkpointed_back_into_the_database_file(
    sqlite_file: SessionStore, tmp_path: Path
) -> None:
    """Commits on the loop do not checkpoint (a disk flush); the database thread does, now and
    then, so the write-ahead log does not grow without bound."""
    from bot.committer import CHECKPOINT_EVERY

    wal = tmp_path / "loop.db-wal"

    async def scenario() -> None:
        committer = Committer(sqlite_file)
        try:
            for n in range(CHECKPOINT_EVERY * 3):
                await committer.run(insert(f"row {n} " + "x" * 30))
        finally:
            committer.close()

    asyncio.run(scenario())
    # The log is reused from its start after each checkpoint: it holds the frames of the last
    # few hundred commits at most, not of all of them (two pages each: the row, its key).
    frame = 4096 + 24
    assert wal.stat().st_size < CHECKPOINT_EVERY * 4 * frame
