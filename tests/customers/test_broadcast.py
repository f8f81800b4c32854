"""Broadcast to 10,000 seeded customers: exact plan counts, the rate kept, a SIGKILL half-way
and a restart that finish without a second message to anyone."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.storage import SessionStore
from customers.broadcast import (
    Message,
    Segment,
    make_plan,
    open_broadcast,
    outcomes,
    send_plan,
)
from customers.errors import BroadcastError
from customers.templates import load_templates

from .fake_links import FakeSender, fake_links
from .seed import expected, seed

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "shop"
NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
N = 10_000
OUTAGE = Message(
    texts={
        "en": "Card payments are down until 14:00.",
        "pl": "Płatności kartą nie działają do 14:00.",
    }
)


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = SessionStore(f"sqlite:///{tmp_path}/b.db")
    store.migrate()
    seed(store.engine, N, NOW)
    yield store
    store.close()


def planned(store: SessionStore, purpose: str, message: Message = OUTAGE, segment: str = ""):  # type: ignore[no-untyped-def]
    templates, problems = load_templates(SHOP, ["en", "pl", "es", "ru", "fa"])
    assert problems == []
    with store.transaction() as conn:
        bid = open_broadcast(conn, f"{purpose}-{segment}", purpose, message, actor="t", now=NOW)  # type: ignore[arg-type]
        return make_plan(conn, bid, purpose, message, Segment.parse(segment), templates, NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("purpose", ["service", "marketing"])
def test_the_plan_counts_every_customer_by_what_the_platform_allows(store, purpose):
    plan = planned(store, purpose)
    assert dict(plan.counts()) == expected(N, purpose, NOW)
    assert sum(plan.counts().values()) == N


def test_a_polish_whatsapp_customer_outside_the_window_gets_the_template_in_polish(store):
    plan = planned(store, "service", segment="channel=whatsapp; locale=pl")
    sender = FakeSender()
    asyncio.run(send_plan(store.engine, plan, OUTAGE, fake_links(sender), now=lambda: NOW))
    bodies = [payload for _t, _cid, payload in sender.sent]
    templates = [b for b in bodies if b.get("type") == "template"]
    texts = [b for b in bodies if "text" in b]
    assert templates and texts
    assert {t["template"]["name"] for t in templates} == {"service_notice"}
    assert {t["template"]["language"]["code"] for t in templates} == {"pl"}
    params = templates[0]["template"]["components"][0]["parameters"]
    assert params == [{"type": "text", "text": "Płatności kartą nie działają do 14:00."}]
    assert {b["text"] for b in texts} == {"Płatności kartą nie działają do 14:00."}


def test_sending_keeps_the_rate_and_a_second_run_sends_nothing(store):
    plan = planned(store, "service", segment="channel=telegram")
    sender = FakeSender()
    rate = 4000.0
    report = asyncio.run(
        send_plan(store.engine, plan, OUTAGE, fake_links(sender), now=lambda: NOW, rate=rate)
    )
    assert report.sent == len(plan.to_send()) == len(sender.sent) > 2000
    times = sorted(t for t, _c, _p in sender.sent)
    window = 0.05  # no 50 ms holds more than the rate allows in it (+1 for the edge)
    j = 0
    for i, t in enumerate(times):
        while times[j] < t - window:
            j += 1
        assert i - j + 1 <= rate * window + 1
    again = planned(store, "service", segment="channel=telegram")
    assert again.to_send() == [] and again.counts()["already sent"] == report.sent
    with store.connection() as conn:
        assert outcomes(conn, plan.broadcast_id) == Counter({"sent": report.sent})


CHILD = """
    import asyncio, sys
    from datetime import UTC, datetime
    from bot.storage import SessionStore
    from customers.broadcast import Message, Segment, make_plan, open_broadcast, send_plan
    from customers.templates import load_templates
    from tests.customers.fake_links import FakeSender, fake_links

    url, record, kill_after = sys.argv[1], sys.argv[2], sys.argv[3]
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    message = Message(texts={"en": "Card payments are down until 14:00."})
    store = SessionStore(url)
    templates, _ = load_templates(__import__("pathlib").Path(sys.argv[4]), [])
    with store.transaction() as conn:
        bid = open_broadcast(conn, "outage", "service", message, actor="t", now=now)
        plan = make_plan(conn, bid, "service", message, Segment(), templates, now)
    sender = FakeSender(record=record, kill_after=int(kill_after) if kill_after != "-" else None)
    report = asyncio.run(send_plan(store.engine, plan, message, fake_links(sender), now=lambda: now, batch=250))
    print(report.sent, report.failed)
"""


def test_a_sigkill_half_way_and_a_restart_send_no_one_the_message_twice(store, tmp_path):
    record = tmp_path / "sent.txt"
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    url = str(store.engine.url)
    env_path = str(ROOT)
    run = [sys.executable, str(script), url, str(record)]
    killed = subprocess.run(
        [*run, "3000", str(SHOP)], cwd=ROOT, env={"PYTHONPATH": env_path}, capture_output=True
    )
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    before = record.read_text().split()
    assert len(before) == 3000
    finished = subprocess.run(
        [*run, "-", str(SHOP)], cwd=ROOT, env={"PYTHONPATH": env_path}, capture_output=True
    )
    assert finished.returncode == 0, finished.stderr.decode()[-2000:]
    sent = record.read_text().split()
    assert len(sent) == len(set(sent)), "someone got the message twice"
    sendable = sum(
        v
        for k, v in expected(N, "service", NOW).items()
        if k in ("free-form", "template", "tagged")
    )
    with store.connection() as conn:
        done = outcomes(conn, 1)
    # Those in the killed batch who were not reached yet are reported, never sent twice.
    assert done["interrupted"] <= 250
    assert done["sent"] + done["interrupted"] == sendable
    # Everyone recorded as sent got it exactly once; the killed batch's reached ones got it once too.
    assert len(sent) >= done["sent"] and len(sent) - done["sent"] <= 250


def test_a_broadcast_name_reused_for_another_message_is_refused(store):
    with store.transaction() as conn:
        open_broadcast(conn, "outage", "service", OUTAGE, actor="t", now=NOW)
    with store.transaction() as conn, pytest.raises(BroadcastError, match="another --name"):
        open_broadcast(
            conn, "outage", "service", Message(texts={"en": "other"}), actor="t", now=NOW
        )


def test_a_bad_segment_says_how_to_write_one():
    with pytest.raises(BroadcastError, match="key=value"):
        Segment.parse("whatsapp")
    with pytest.raises(BroadcastError, match="duration"):
        Segment.parse("ordered_within=soon")


def test_the_cli_prints_the_plan_and_a_dry_run_sends_nothing(tmp_path, monkeypatch):
    import shutil

    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop, ignore=shutil.ignore_patterns("data", "tests"))
    db = SessionStore(f"sqlite:///{tmp_path}/c.db")
    db.migrate()
    seed(db.engine, 100, datetime.now(UTC))
    db.close()
    monkeypatch.setenv("SHOPCHAT_DATABASE_URL", f"sqlite:///{tmp_path}/c.db")
    message = tmp_path / "outage.yaml"
    message.write_text(
        "en: Card payments are down until 14:00.\npl: Płatności kartą nie działają.\n"
    )
    done = CliRunner().invoke(
        cli,
        [
            "broadcast",
            "send",
            "--message",
            str(message),
            "--purpose",
            "service",
            "--dry-run",
            "-p",
            str(shop),
        ],
    )
    assert done.exit_code == 0, done.output
    counts = expected(100, "service", datetime.now(UTC))
    assert f"free-form      {counts['free-form']}" in done.output
    assert f"unreachable    {counts['unreachable']}" in done.output
    none = CliRunner().invoke(cli, ["broadcast", "send", "--purpose", "service", "-p", str(shop)])
    assert none.exit_code == 2 and "--message FILE or --template NAME" in none.output
