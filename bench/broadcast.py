"""Broadcast throughput: recipients planned per second and messages sent per second.

Seeds N customers (mixed channels, windows, consent, languages; tests/customers/seed.py) in a
temporary SQLite file, plans a service broadcast, then sends it through recording fake channels
with no rate cap, so the figure is shopchat's own cost (claiming each batch in the database,
rendering, recording outcomes). Real sends are further capped by each platform's limits
(WhatsApp 80/s per number, Telegram about 30/s), which adapters/pace.py enforces.

    python bench/broadcast.py [N]     # default 10000
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# The repository first: this folder's catalog.py would otherwise stand in for the package.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bot.storage import SessionStore  # noqa: E402
from customers.broadcast import Message, Segment, make_plan, open_broadcast, send_plan  # noqa: E402
from customers.templates import load_templates  # noqa: E402
from tests.customers.fake_links import FakeSender, fake_links  # noqa: E402
from tests.customers.seed import seed  # noqa: E402

SHOP = Path(__file__).resolve().parent.parent / "examples" / "shop"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    now = datetime.now(UTC)
    message = Message(
        texts={
            "en": "Card payments are down until 14:00.",
            "pl": "Płatności kartą nie działają do 14:00.",
        }
    )
    templates, _ = load_templates(SHOP, ["en", "pl"])
    with tempfile.TemporaryDirectory() as tmp:
        store = SessionStore(f"sqlite:///{tmp}/bench.db")
        store.migrate()
        seed(store.engine, n, now)
        started = time.perf_counter()
        with store.transaction() as conn:
            bid = open_broadcast(conn, "bench", "service", message, actor="bench", now=now)
            plan = make_plan(conn, bid, "service", message, Segment(), templates, now)
        planned = time.perf_counter() - started
        sender = FakeSender()
        started = time.perf_counter()
        report = asyncio.run(
            send_plan(store.engine, plan, message, fake_links(sender), now=lambda: now)
        )
        sent = time.perf_counter() - started
        store.close()
    load = os.getloadavg()
    print(f"customers             {n}")
    print(f"planned               {n / planned:,.0f} recipients/s ({planned:.2f} s)")
    rate = report.sent / sent
    print(f"sent                  {report.sent} messages, {rate:,.0f} messages/s ({sent:.2f} s)")
    print(f"counts                {dict(plan.counts())}")
    print(f"load average          {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (2 cores, shared)")


if __name__ == "__main__":
    main()
