"""Turns per second through the engine with sessions persisted in SQLite.

10,000 simulated shoppers walk the example shop (menu -> gift finder -> product pick, and
order tracking), interleaved. Every turn loads the session from SQLite, runs the engine (and
its catalog actions) and saves the session; saves are group-committed per batch of turns, as
the dispatcher does. Prints turns/s for the engine alone and with storage.

    python bench/engine.py [--shoppers 10000] [--batch 100]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.project import open_project  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage import SessionStore  # noqa: E402
from flows import Engine, SessionState, TextInput, run_turn  # noqa: E402

SCRIPTS = [
    ["hi", "1", "1", "8", "150", "1", "2"],
    ["hello", "2", "TG-10234", "anna.kowalska@example.com"],
    ["prezent", "dziecko", "9", "200 zł", "2", "1"],
    ["hi", "help", "1", "3", "40", "500", "4"],
]
LOCALES = ["en", "pl", "es", "ru", "fa"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shoppers", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=100)
    args = ap.parse_args()

    opened = open_project(ROOT / "examples" / "shop", Settings(_env_file=None))
    assert opened.project is not None, [d.format() for d in opened.diagnostics]
    engine = Engine(opened.project)
    rng = random.Random(7)
    shoppers = [
        (f"bench:{i}", LOCALES[i % len(LOCALES)], SCRIPTS[rng.randrange(len(SCRIPTS))])
        for i in range(args.shoppers)
    ]
    # Interleave: round r sends the r-th message of every shopper still talking.
    turns = [
        (cid, loc, script[r])
        for r in range(max(len(s) for _c, _l, s in shoppers))
        for cid, loc, script in shoppers
        if r < len(script)
    ]
    now = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

    # 1. The engine alone, sessions kept in memory.
    states: dict[str, SessionState] = {}
    t0 = time.perf_counter()
    for cid, loc, text in turns:
        state = states.get(cid) or engine.new_session(cid, now=now, locale=loc)
        states[cid] = state
        run_turn(engine, opened.actions, state, TextInput(text=text), now)
    engine_only = len(turns) / (time.perf_counter() - t0)

    # 2. With every session loaded from and saved to SQLite (WAL), group-committed.
    with tempfile.TemporaryDirectory() as tmp:
        store = SessionStore(f"sqlite:///{tmp}/bench.db")
        store.migrate()
        versions: dict[str, int] = {}
        t0 = time.perf_counter()
        for start in range(0, len(turns), args.batch):
            batch = turns[start : start + args.batch]
            pending: dict[str, tuple[str, int | None]] = {}
            # As a group-committing dispatcher does: one read for the batch's sessions, the
            # turns in order, one transaction for every save.
            stored = store.load_many(cid for cid, _l, _t in batch)
            live: dict[str, SessionState] = {}
            for cid, loc, text in batch:
                state = live.get(cid)
                if state is None:
                    row = stored.get(cid)
                    state = (
                        SessionState.from_json(row.data)
                        if row
                        else engine.new_session(cid, now=now, locale=loc)
                    )
                    live[cid] = state
                later = now + timedelta(seconds=1)
                run_turn(engine, opened.actions, state, TextInput(text=text), later)
            for cid, state in live.items():
                pending[cid] = (state.to_json(), versions.get(cid))
            new_versions = store.save_many((cid, data, v) for cid, (data, v) in pending.items())
            versions.update(zip(pending, new_versions, strict=True))
        elapsed = time.perf_counter() - t0
        stored_rate = len(turns) / elapsed
        assert store.count() == args.shoppers
        store.close()

    print(f"shoppers: {args.shoppers}, turns: {len(turns)}, batch: {args.batch}")
    print(f"engine only (sessions in memory): {engine_only:,.0f} turns/s")
    print(f"engine + SQLite sessions:         {stored_rate:,.0f} turns/s  (target: 5,000)")


if __name__ == "__main__":
    main()
