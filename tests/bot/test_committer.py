"""Group commit's urgent lane: an acknowledgement never waits behind a queue of turns.

A webhook's 200 waits for its inbox write to commit. That write (and recording a reply as
sent) joins the transaction already running on the database thread, instead of queueing
behind the turn jobs submitted before it; a job of the batch that fails still costs no other
job its write.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

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
        committer = Committer(store)
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
        committer = Committer(store)
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
        committer = Committer(store)
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
        committer = Committer(store)
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
