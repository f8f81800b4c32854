"""A reply is recorded as sent as soon as its HTTP call returns, not when the turn's (or the
burst's) other replies have gone too: a crash then sends again only what was in flight."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import httpx

from bot.app import create_app
from bot.settings import Settings
from tests.support.fake_telegram import text_update

SECRET = "sent-secret"
FLOW = """\
triggers:
  keywords: {en: [hi]}
steps:
  - say: "First"
  - say: "Second"
"""


def make_project(tmp_path: Path) -> Path:
    root = tmp_path / "bot"
    (root / "flows").mkdir(parents=True)
    (root / "shop.yaml").write_text("name: Sent\nlocales: [en]\n", encoding="utf-8")
    (root / "flows" / "hi.yaml").write_text(textwrap.dedent(FLOW), encoding="utf-8")
    return root


def test_the_first_reply_is_recorded_while_the_second_is_still_in_flight(tmp_path):
    texts: list[str] = []
    hold: asyncio.Event | None = None
    second_started: asyncio.Event | None = None

    async def platform(request: httpx.Request) -> httpx.Response:
        assert hold is not None and second_started is not None
        text = json.loads(request.content).get("text", "")
        texts.append(text)
        if text == "Second":
            second_started.set()
            await hold.wait()
        return httpx.Response(200, json={"ok": True, "result": True})

    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path}/sent.db",
        telegram_token="123:ABC",
        telegram_secret_token=SECRET,
    )
    app = create_app(
        make_project(tmp_path), settings, transport=httpx.MockTransport(platform), typing_delay=60
    )

    async def unsent_texts() -> list[str]:
        service = app.state.service
        entries = await service.db.run(lambda conn: service.journal.unsent(conn))
        return [e.call.payload.get("text") for e in entries]

    async def scenario() -> list[str]:
        nonlocal hold, second_started
        hold, second_started = asyncio.Event(), asyncio.Event()
        async with app.router.lifespan_context(app):
            body = json.dumps(text_update(1, 7, "hi")).encode()
            await app.state.service.receive(
                "telegram", {"x-telegram-bot-api-secret-token": SECRET}, body
            )
            await asyncio.wait_for(second_started.wait(), timeout=30)
            # What a restart would send again if the process died now: only "Second".
            unsent = await unsent_texts()
            try:
                async with asyncio.timeout(20):
                    while "First" in unsent:
                        await asyncio.sleep(0.01)
                        unsent = await unsent_texts()
            except TimeoutError:
                pass  # fails below, once the held call is let go
            hold.set()
            await app.state.service.drain()
            assert await unsent_texts() == []
            return unsent

    assert asyncio.run(scenario()) == ["Second"]
    assert texts == ["First", "Second"]
