"""Session store throughput: one load and one save per turn, saves grouped per transaction.

    python bench/storage.py [--url URL] [--turns N] [--batch N]

Prints turns per second for several group sizes; SQLite in a temp dir unless --url is given
(the run migrates that database and deletes the sessions it made). Single-threaded, so the
figure is what one core sustains.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

from bot.storage import SessionStore

_PAYLOAD = json.dumps({"step": "browse", "cart": [{"sku": "TSHIRT-M", "qty": 2}], "lang": "en"})


def run(store: SessionStore, turns: int, batch: int, conversations: int) -> float:
    """Play `turns` turns over `conversations` new conversations; return turns per second."""
    ids = [f"bench-{uuid.uuid4().hex[:8]}-{i}" for i in range(conversations)]
    versions: dict[str, int | None] = dict.fromkeys(ids)
    started = time.perf_counter()
    done = 0
    while done < turns:
        pending: list[tuple[str, str, int | None]] = []
        for i in range(done, min(done + batch, turns)):
            conversation_id = ids[i % conversations]
            stored = store.load(conversation_id)
            pending.append((conversation_id, _PAYLOAD, stored.version if stored else None))
        for (conversation_id, _, _), version in zip(pending, store.save_many(pending), strict=True):
            versions[conversation_id] = version
        done += len(pending)
    elapsed = time.perf_counter() - started
    for conversation_id in ids:  # leave a real database as we found it
        store.delete(conversation_id)
    return turns / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: SQLite file in a temp dir)")
    parser.add_argument("--turns", type=int, default=20_000)
    parser.add_argument("--conversations", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'sessions.db'}"
        print(f"{url.split('@')[-1]}: {args.turns} turns over {args.conversations} conversations")
        for batch in (1, 10, 100):
            store = SessionStore(url)
            store.migrate()
            rate = run(store, args.turns, batch, args.conversations)
            print(f"  {batch:>4} saves per transaction: {rate:>8,.0f} turns/s")
            store.close()


if __name__ == "__main__":
    main()
