"""shop.yaml's retention: old inbox bodies cleared, old inbox, outbox and transcript rows
removed, and never what recovery or deduplication still needs (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from adapters.base import MessageInbound
from bot.app import ProjectUnusable, create_app
from bot.cli import app as cli
from bot.handoff.tables import messages
from bot.inbox import Journal, inbox_table, outbox_table
from bot.rawsql import raw_sql
from bot.retention import Pruner, Retention, RetentionConfigError
from bot.settings import Settings
from bot.storage import SessionStore
from flows import TextInput

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def message(n: int) -> MessageInbound:
    return MessageInbound(
        channel="telegram",
        event_id=str(n),
        conversation_id="telegram:7",
        recipient="7",
        event=TextInput(text=f"my phone is +48 600 000 00{n}"),
        user={"first_name": "Dee"},
        locale="en",
        order_key=n,
    )


def seed(store: SessionStore) -> None:
    """Rows in the order they were written: oldest first (ids grow with time)."""
    rows = [  # (event, status, days ago)
        (1, "done", 40),
        (2, "pending", 39),  # never processed (its channel was off): recovery needs it
        (3, "done", 10),
        (4, "failed", 9),
        (5, "done", 1),
    ]
    with store.transaction() as conn:
        sql = raw_sql(conn.dialect)
        for n, status, days in rows:
            at = sql.time(NOW - timedelta(days=days))
            event = message(n)
            sql.run(
                conn,
                "INSERT INTO inbox (channel, event_id, conversation_id, kind, body, status,"
                " received_at) VALUES ('telegram', :e, 'telegram:7', 'message', :b, :s, :at)",
                {"e": event.event_id, "b": event.model_dump_json(), "s": status, "at": at},
            )
        for status, days in (("sent", 40), ("pending", 35), ("failed", 31), ("sent", 2)):
            sql.run(
                conn,
                "INSERT INTO outbox (channel, conversation_id, method, payload, status, attempts,"
                " created_at) VALUES ('telegram', 'telegram:7', 'sendMessage', '{}', :s, 1, :at)",
                {"s": status, "at": sql.time(NOW - timedelta(days=days))},
            )
        for text, days in (("old line", 200), ("older than half a year", 181), ("new", 3)):
            sql.run(
                conn,
                "INSERT INTO handoff_messages (conversation_id, at, direction, text)"
                " VALUES ('telegram:7', :at, 'shopper', :t)",
                {"t": text, "at": sql.time(NOW - timedelta(days=days))},
            )


def test_the_sweep_keeps_what_recovery_and_dedupe_need(store: SessionStore) -> None:
    seed(store)
    done = Pruner(store, Retention(), clock=lambda: NOW).prune()
    assert (done.inbox, done.inbox_bodies, done.outbox, done.transcripts) == (1, 2, 2, 2)
    with store.connection() as conn:
        inbox = {
            r.event_id: (r.status, r.body)
            for r in conn.execute(
                select(inbox_table.c.event_id, inbox_table.c.status, inbox_table.c.body)
            )
        }
        outbox = sorted(r.status for r in conn.execute(select(outbox_table.c.status)))
        lines = [r.text for r in conn.execute(select(messages.c.text))]
    assert "1" not in inbox  # processed 40 days ago: gone
    assert inbox["2"][0] == "pending" and "+48" in inbox["2"][1]  # still to process: whole
    assert inbox["3"] == ("done", "") and inbox["4"] == ("failed", "")  # no body after 7 days
    assert "+48" in inbox["5"][1]  # yesterday's: kept
    assert outbox == ["pending", "sent"]  # an unsent reply is kept however old
    assert lines == ["new"]
    # A platform's retry of a processed event is still recognised after its body went.
    with store.transaction() as conn:
        assert Journal(store).accept(conn, [message(3)], answerable=frozenset({"message"})) == []
    # A second sweep finds nothing more to do.
    again = Pruner(store, Retention(), clock=lambda: NOW).prune()
    assert (again.inbox, again.inbox_bodies, again.outbox, again.transcripts) == (0, 0, 0, 0)


def test_forever_keeps_everything(store: SessionStore) -> None:
    seed(store)
    keep = Retention.parse(
        {"inbox_bodies": "forever", "inbox": None, "outbox": "forever", "transcripts": "forever"}
    )
    done = Pruner(store, keep, clock=lambda: NOW).prune()
    assert (done.inbox, done.inbox_bodies, done.outbox, done.transcripts) == (0, 0, 0, 0)


def test_an_empty_database_is_fine(store: SessionStore) -> None:
    done = Pruner(store, Retention(), clock=lambda: NOW).prune()
    assert str(done) == (
        "0 inbox bodies cleared, 0 inbox rows, 0 outbox rows and 0 transcript lines removed"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"inbox_body": "7d"}, "retention.inbox_body: unknown key (known: inbox_bodies"),
        ({"outbox": "a month"}, "retention.outbox: 'a month' is not a duration"),
        ("7d", "retention: a mapping"),
    ],
)
def test_a_wrong_retention_names_the_key(raw: object, message: str) -> None:
    with pytest.raises(RetentionConfigError, match=message.replace("(", r"\(")):
        Retention.parse(raw, source="shop.yaml")  # type: ignore[arg-type]


def make_project(tmp_path: Path, retention: str = "") -> Path:
    root = tmp_path / "bot"
    (root / "flows").mkdir(parents=True)
    (root / "shop.yaml").write_text(f"name: Keep\nlocales: [en]\n{retention}", encoding="utf-8")
    (root / "flows" / "hi.yaml").write_text(
        textwrap.dedent("""\
            triggers:
              keywords: {en: [hi]}
            steps:
              - say: "Hello"
            """),
        encoding="utf-8",
    )
    return root


def test_the_server_refuses_a_wrong_retention(tmp_path: Path) -> None:
    project = make_project(tmp_path, "retention: {transcripts: 6 months}\n")
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/k.db")
    with pytest.raises(ProjectUnusable, match="retention.transcripts"):
        create_app(project, settings)


def test_the_server_prunes_in_the_background(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.db"
    store = SessionStore(url)
    store.migrate()
    seed(store)  # 2026: all of it older than any retention by the time this runs
    store.close()
    project = make_project(tmp_path, "retention: {inbox: 1d, inbox_bodies: 1d}\n")
    settings = Settings(_env_file=None, database_url=url)
    app = create_app(
        project, settings, transport=httpx.MockTransport(lambda r: httpx.Response(200))
    )

    async def scenario() -> list[str]:
        async with app.router.lifespan_context(app):
            journal = app.state.service.journal
            async with asyncio.timeout(30):
                while set(journal.status_counts()) != {"pending"}:
                    await asyncio.sleep(0.05)
            return list(journal.status_counts())

    assert asyncio.run(scenario()) == ["pending"]


def test_shopchat_prune(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/k.db"
    store = SessionStore(url)
    store.migrate()
    seed(store)
    store.close()
    monkeypatch.setenv("SHOPCHAT_DATABASE_URL", url)
    result = CliRunner().invoke(cli, ["prune", str(make_project(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "inbox rows" in result.output and "transcript lines removed" in result.output
    bad = make_project(tmp_path / "bad", "retention: {inbox: soon}\n")
    result = CliRunner().invoke(cli, ["prune", str(bad)])
    assert result.exit_code == 1
    assert "retention.inbox: 'soon' is not a duration" in result.output
