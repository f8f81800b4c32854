"""``shopchat serve --workers N``: PostgreSQL only, with a clear refusal otherwise."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Connection
from typer.testing import CliRunner

from adapters.base import MessageInbound, OutboundCall
from bot.app import create_app
from bot.cli import app as cli
from bot.committer import Committer
from bot.contacts import Contacts
from bot.inbox import SendOutcome
from bot.settings import Settings
from bot.storage import SessionStore
from bot.workers import workers_problem
from flows import TextInput
from tests.support.fake_telegram import text_update

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


def test_a_reply_waits_behind_one_that_failed_in_another_process(tmp_path: Path) -> None:
    """Another worker's send to this chat failed and waits for its retry; this worker's
    next reply to the chat goes after it, not before."""
    texts: list[str] = []

    def platform(request: httpx.Request) -> httpx.Response:
        texts.append(json.loads(request.content).get("text", ""))
        return httpx.Response(200, json={"ok": True, "result": True})

    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path}/w.db",
        telegram_token="123:ABC",
        telegram_secret_token="w-secret",
    )
    app = create_app(
        ROOT / "bench" / "project",
        settings,
        transport=httpx.MockTransport(platform),
        typing_delay=60,
    )

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            service = app.state.service
            earlier = OutboundCall("sendMessage", {"chat_id": 7, "text": "earlier"}, "telegram:7")

            def failed_elsewhere(conn: Connection) -> None:
                [entry] = service.journal.queue(conn, "telegram", [earlier])
                service.journal.record_sends(conn, [SendOutcome(entry.id, "HTTP 502")])

            await service.db.run(failed_elsewhere)
            body = json.dumps(text_update(1, 7, "/start")).encode()
            await service.receive("telegram", {"x-telegram-bot-api-secret-token": "w-secret"}, body)
            await service.drain()

    asyncio.run(scenario())
    assert texts == ["earlier", "What's your name?"]
