"""Several database threads on PostgreSQL (bot/lanes.py): one conversation's jobs in order,
another conversation's not held up behind them; SQLite keeps its one writer."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import Connection

from bot.contacts import PayloadTokens
from bot.lanes import Lanes
from bot.storage import SessionStore

# Several database threads are for PostgreSQL: these run there only.
on_postgresql = pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)


def _keys_on_two_lanes(lanes: Lanes) -> tuple[str, str]:
    first = "telegram:1"
    other = next(
        f"telegram:{n}"
        for n in range(2, 1000)
        if lanes.lane(f"telegram:{n}") is not lanes.lane(first)
    )
    return first, other


def test_sqlite_keeps_one_database_thread(tmp_path: Path) -> None:
    store = SessionStore(f"sqlite:///{tmp_path / 'db.sqlite'}")
    lanes = Lanes(store, lanes=4)
    assert len(lanes.committers) == 1
    lanes.close()


@on_postgresql
def test_one_conversations_jobs_commit_in_the_order_they_were_submitted(
    store: SessionStore,
) -> None:
    lanes = Lanes(store, lanes=4)
    written: dict[str, list[int]] = {}

    def job(cid: str, n: int, conn: Connection) -> None:
        # A save named by the version the previous job left: out of order, it would be stale.
        store.write_in(conn, cid, f'{{"n": {n}}}', n if n else None)
        written.setdefault(cid, []).append(n)

    async def scenario() -> None:
        cids = [f"telegram:{c}" for c in range(7)]
        await asyncio.gather(
            *(
                lanes.run(lambda conn, c=cid, n=n: job(c, n, conn), key=cid)
                for n in range(20)
                for cid in cids
            )
        )

    asyncio.run(scenario())
    lanes.close()
    assert written == {f"telegram:{c}": list(range(20)) for c in range(7)}
    saved = store.load("telegram:3")
    assert saved is not None and saved.version == 20


@on_postgresql
def test_a_slow_job_of_one_conversation_does_not_hold_up_another(store: SessionStore) -> None:
    lanes = Lanes(store, lanes=2)
    slow, quick = _keys_on_two_lanes(lanes)
    release = threading.Event()

    def stuck(conn: Connection) -> str:
        release.wait(10)
        return "slow"

    async def scenario() -> tuple[str, bool]:
        waiting = asyncio.ensure_future(lanes.run(stuck, key=slow))
        await asyncio.sleep(0.05)
        answer = await asyncio.wait_for(lanes.run(lambda conn: "quick", key=quick), 5)
        still_waiting = not waiting.done()
        release.set()
        await waiting
        return answer, still_waiting

    assert asyncio.run(scenario()) == ("quick", True)
    lanes.close()


@on_postgresql
def test_payload_tokens_of_two_database_threads_land_in_their_own_transactions(
    store: SessionStore,
) -> None:
    """Two threads render replies with long button payloads at once: each token is written
    in its own thread's transaction, and one that rolls back leaves no token behind."""
    tokens = PayloadTokens(store)
    both_in = threading.Barrier(2, timeout=10)
    made: dict[str, str] = {}

    def render(name: str, commit: bool) -> None:
        with store.transaction() as conn, tokens.using(conn):
            conn.info["shopchat.after_commit"] = callbacks = []  # as the committer does
            both_in.wait()
            made[name] = tokens.shorten(f"add-to-cart:{name}:" + "x" * 80)
            both_in.wait()
            conn.info.pop("shopchat.after_commit")
            if not commit:
                conn.rollback()
                return
        for callback in callbacks:
            callback()

    threads = [
        threading.Thread(target=render, args=("kept", True)),
        threading.Thread(target=render, args=("dropped", False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    fresh = PayloadTokens(store)  # reads the database, not a cache
    assert fresh.expand(made["kept"]) == "add-to-cart:kept:" + "x" * 80
    assert fresh.expand(made["dropped"]) is None
    assert tokens.expand(made["dropped"]) is None  # not remembered in memory either
