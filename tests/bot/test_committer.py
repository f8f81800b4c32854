"""The committer's urgent lane: a reply's sent-mark commits right after the job running when
it came, not after the rest of a burst's turns (a crash in between would send it again)."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import Connection

from bot.committer import Committer
from bot.storage import SessionStore


def test_a_sent_mark_commits_before_the_rest_of_a_running_burst(store: SessionStore) -> None:
    committer = Committer(store)
    ran: list[str] = []
    started, release = threading.Event(), threading.Event()

    def turn(n: int, conn: Connection) -> int:
        if n == 0:
            started.set()
            release.wait(30)
        store.write_in(conn, f"web:turn{n}", "{}", None)
        ran.append(f"turn {n}")
        return n

    def mark(conn: Connection) -> str:
        store.write_in(conn, "web:mark", "{}", None)
        ran.append("mark")
        return "marked"

    async def scenario() -> tuple[list[str], bool, list[int]]:
        loop = asyncio.get_running_loop()
        burst = [
            asyncio.create_task(committer.run(lambda conn, n=n: turn(n, conn))) for n in range(10)
        ]
        await loop.run_in_executor(None, started.wait, 30)  # the burst's batch is running
        marked = asyncio.create_task(committer.run(mark, first=True))
        await asyncio.sleep(0.05)  # let the mark reach the committer
        release.set()
        assert await marked == "marked"
        seen_when_marked = list(ran)
        on_disk = store.load("web:mark") is not None
        return seen_when_marked, on_disk, list(await asyncio.gather(*burst))

    try:
        seen, on_disk, results = asyncio.run(scenario())
    finally:
        release.set()
        committer.close()
    assert seen == ["turn 0", "mark"]  # not behind turns 1-9, already in the running batch
    assert on_disk
    assert results == list(range(10))  # the burst's other jobs all ran, in order, afterwards
    assert ran == ["turn 0", "mark", *(f"turn {n}" for n in range(1, 10))]


def test_a_failing_urgent_job_fails_alone(store: SessionStore) -> None:
    committer = Committer(store)

    def bad(conn: Connection) -> None:
        raise RuntimeError("no")

    async def scenario() -> tuple[BaseException | None, int]:
        good = asyncio.create_task(committer.run(lambda conn: 1, first=True))
        failed = asyncio.create_task(committer.run(bad, first=True))
        done = await asyncio.gather(failed, return_exceptions=True)
        return done[0] if isinstance(done[0], BaseException) else None, await good

    try:
        error, value = asyncio.run(scenario())
    finally:
        committer.close()
    assert isinstance(error, RuntimeError) and value == 1
