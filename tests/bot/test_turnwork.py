"""What an action's job returned is recorded, and a replay of the turn gets it back instead
of writing again (bot/turnwork.py): carts and orders as they were, a project's own types in
another process, and never a planted record's code."""

from __future__ import annotations

import asyncio
import os
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert

from bot.storage import SessionStore
from bot.turnwork import TurnWork, turn_writes_table
from checkout.book import Cart, PaymentResult

ROOT = Path(__file__).resolve().parents[2]


def submitter(engine: Engine) -> Callable[[Callable[[Connection], Any]], Awaitable[Any]]:
    async def submit(job: Callable[[Connection], Any]) -> Any:
        def run() -> Any:
            with engine.begin() as conn:
                return job(conn)

        return await asyncio.to_thread(run)

    return submit


def replay(engine: Engine, job: Callable[[Connection], Any], inbox_id: int = 7) -> Any:
    async def turn() -> Any:
        work = TurnWork(submitter(engine), asyncio.get_running_loop(), inbox_id)
        return await work.arun(job)

    return asyncio.run(turn())


def migrated(tmp_path: Path) -> Engine:
    store = SessionStore(f"sqlite:///{tmp_path / 'shop.db'}")
    store.migrate()
    return store.engine


def test_a_replayed_job_returns_the_cart_it_made_without_making_it_again(tmp_path) -> None:
    engine = migrated(tmp_path)
    made: list[Cart] = []

    def add_to_cart(conn: Connection) -> tuple[Cart, PaymentResult, datetime]:
        made.append(Cart("telegram:1", "tok", discount_code="HELLO"))
        return made[-1], PaymentResult("paid", detail="ok"), datetime(2026, 12, 4, tzinfo=UTC)

    first = replay(engine, add_to_cart)
    again = replay(engine, add_to_cart)  # the turn runs again (a crash before its commit)
    assert len(made) == 1
    assert again == first and isinstance(again[0], Cart)


def test_a_planted_record_runs_no_code_and_the_job_runs_instead(tmp_path) -> None:
    """Someone who can write to the database plants a record that, unpickled as it is,
    would run a command: it is refused, and the job runs as on a first run."""
    engine = migrated(tmp_path)
    planted = tmp_path / "planted"

    class Planted:
        def __reduce__(self) -> tuple[Any, ...]:
            return os.mkdir, (str(planted),)

    def count(conn: Connection) -> int:
        return 41 + 1

    with engine.begin() as conn:
        conn.execute(
            insert(turn_writes_table).values(
                inbox_id=7,
                seq=1,
                job=f"{count.__module__}:{count.__qualname__}",
                result=pickle.dumps(Planted()),
                created_at=datetime.now(UTC),
            )
        )
    assert replay(engine, count) == 42
    assert not planted.exists()


ACTIONS = """\
from dataclasses import dataclass

@dataclass
class Visit:
    number: int

def visit(conn):
    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS visits (n INTEGER)")
    conn.exec_driver_sql("INSERT INTO visits VALUES (1)")
    return Visit(conn.exec_driver_sql("SELECT count(*) FROM visits").scalar_one())

def register(registry):
    registry.register("shop.visit", lambda ctx: ctx.db.run(visit))
"""

PROCESS = textwrap.dedent(
    """
    import asyncio, sys
    from bot.project import open_project
    from bot.storage import SessionStore
    from bot.turnwork import TurnWork
    from tests.bot.test_turnwork import submitter

    opened = open_project(sys.argv[1])
    [module] = [m for n, m in sys.modules.items() if n.startswith("shopchat_project_actions")]
    engine = SessionStore(sys.argv[2]).engine

    async def turn():
        work = TurnWork(submitter(engine), asyncio.get_running_loop(), 7)
        return await work.arun(module.visit)

    print(repr(asyncio.run(turn())))
    """
)


def test_a_projects_own_type_recorded_in_one_process_is_read_back_in_another(tmp_path) -> None:
    """A process dies after an action's job; the one that takes the turn up (another worker,
    or the restarted server: its string hashing differs) gets the project's own object back."""
    root = tmp_path / "shop"
    (root / "flows").mkdir(parents=True)
    (root / "shop.yaml").write_text("name: Replay\nlocales: [en]\n")
    (root / "actions.py").write_text(ACTIONS)
    engine = migrated(tmp_path)

    def run(hash_seed: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", PROCESS, str(root), str(engine.url)],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().rsplit("\n", 1)[-1]

    assert run("1").endswith("Visit(number=1)")
    assert run("2").endswith("Visit(number=1)")  # read back, not a second visit
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM visits").scalar_one() == 1
