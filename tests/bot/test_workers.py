"""``shopchat serve --workers N``: PostgreSQL only, with a clear refusal otherwise."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.base import MessageInbound
from bot.cli import app as cli
from bot.committer import Committer
from bot.contacts import Contacts
from bot.storage import SessionStore
from bot.workers import workers_problem
from flows import TextInput

ROOT = Path(__file__).resolve().parents[2]


def test_several_workers_on_sqlite_are_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPCHAT_DATABASE_URL", f"sqlite:///{tmp_path}/one.db")
    result = CliRunner().invoke(cli, ["serve", str(ROOT / "bench" / "project"), "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers 2 needs PostgreSQL" in result.output
    assert "Traceback" not in result.output


def test_which_databases_take_several_workers() -> None:
    assert workers_problem("sqlite:///x.db", 1) is None
    assert workers_problem("postgresql+psycopg://postgres@db/shop", 4) is None
    assert "needs PostgreSQL" in (workers_problem("sqlite:///x.db", 2) or "")
    assert "at least 1" in (workers_problem("postgresql://db/shop", 0) or "")


def test_a_contact_blocked_through_one_process_is_reachable_again_through_another(
    store: SessionStore,
) -> None:
    """Two processes (two Contacts on one database): B learns the shopper blocked the bot;
    she unblocks and writes again seconds later, to A, which wrote her contact a moment ago."""
    a, b = Contacts(store), Contacts(store)
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    async def scenario() -> set[str]:
        # Each process writes through its own committer, as the chat service does.
        in_a, in_b = Committer(store), Committer(store)
        try:
            await in_a.run(lambda conn: a.seen(conn, hello(1), now))
            await in_b.run(lambda conn: b.set_unreachable(conn, "telegram:7"))
            await in_a.run(lambda conn: a.seen(conn, hello(2), now + timedelta(seconds=5)))
            return await in_b.run(lambda conn: b.unreachable_among(conn, {"telegram:7"}))
        finally:
            in_a.close()
            in_b.close()

    assert asyncio.run(scenario()) == set()


def hello(n: int) -> MessageInbound:
    return MessageInbound(
        channel="telegram",
        event_id=str(n),
        conversation_id="telegram:7",
        recipient="7",
        event=TextInput(text="hi"),
        user={"first_name": "Ana"},
        locale="en",
        order_key=n,
    )
