"""Fair sending end to end: chats whose replies hang do not delay another chat's reply."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from bot.app import create_app
from bot.settings import Settings
from tests.support.fake_telegram import text_update

SECRET = "fair-secret"
ROOT = Path(__file__).resolve().parents[1]
STUCK = range(1, 17)  # as many chats as the platform used to have slots
HEALTHY = 99


def test_sixteen_chats_whose_sends_hang_do_not_delay_a_healthy_chats_reply(tmp_path):
    answered: list[int] = []
    release: asyncio.Event | None = None
    stuck_started: asyncio.Event | None = None
    started = 0

    async def platform(request: httpx.Request) -> httpx.Response:
        nonlocal started
        assert release is not None and stuck_started is not None
        chat = int(json.loads(request.content)["chat_id"])
        if chat in STUCK:
            started += 1
            if started == len(STUCK):
                stuck_started.set()
            await release.wait()  # this chat's API calls hang (a timeout in real life)
        answered.append(chat)
        return httpx.Response(200, json={"ok": True, "result": True})

    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path}/fair.db",
        telegram_token="123:ABC",
        telegram_secret_token=SECRET,
    )
    app = create_app(
        ROOT / "bench" / "project",
        settings,
        transport=httpx.MockTransport(platform),
        typing_delay=60,
    )
    headers = {"x-telegram-bot-api-secret-token": SECRET}

    async def scenario() -> bool:
        nonlocal release, stuck_started
        release, stuck_started = asyncio.Event(), asyncio.Event()
        async with app.router.lifespan_context(app):
            service = app.state.service
            for chat in STUCK:
                body = json.dumps(text_update(chat, chat, "/start")).encode()
                await service.receive("telegram", headers, body)
            await asyncio.wait_for(stuck_started.wait(), timeout=30)
            body = json.dumps(text_update(1000, HEALTHY, "/start")).encode()
            await service.receive("telegram", headers, body)
            try:
                # Generous: the point is "before the stuck chats are released", not a time.
                async with asyncio.timeout(20):
                    while HEALTHY not in answered:
                        await asyncio.sleep(0.01)
                healthy_first = True
            except TimeoutError:
                healthy_first = False
            release.set()
            await service.drain()
            return healthy_first

    healthy_first = asyncio.run(scenario())
    assert healthy_first, "the healthy chat's reply waited for the stuck chats"
    assert sorted(answered) == [*STUCK, HEALTHY]  # and the stuck ones went out afterwards


def test_replies_that_hang_do_not_hold_the_slots_other_chats_turns_need(tmp_path):
    """Every send hangs (the platform is slow); each chat's turn still runs and queues its
    reply: sending happens outside the dispatcher's slots (here 4 of them, 12 chats)."""
    release: asyncio.Event | None = None
    chats = range(1, 13)

    async def platform(request: httpx.Request) -> httpx.Response:
        assert release is not None
        await release.wait()
        return httpx.Response(200, json={"ok": True, "result": True})

    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path}/slow.db",
        telegram_token="123:ABC",
        telegram_secret_token=SECRET,
        max_concurrency=4,
    )
    app = create_app(
        ROOT / "bench" / "project",
        settings,
        transport=httpx.MockTransport(platform),
        typing_delay=60,
    )
    headers = {"x-telegram-bot-api-secret-token": SECRET}

    async def scenario() -> tuple[set[str], set[str]]:
        nonlocal release
        release = asyncio.Event()
        async with app.router.lifespan_context(app):
            service = app.state.service

            async def answered() -> set[str]:
                entries = await service.db.run(lambda conn: service.journal.unsent(conn))
                return {e.call.conversation_id for e in entries}

            for chat in chats:
                body = json.dumps(text_update(chat, chat, "/start")).encode()
                await service.receive("telegram", headers, body)
            queued = await answered()
            try:
                # Generous: the point is "while every send still hangs", not a time.
                async with asyncio.timeout(20):
                    while len(queued) < len(chats):
                        await asyncio.sleep(0.01)
                        queued = await answered()
            except TimeoutError:
                pass
            release.set()
            await service.drain()
            return queued, await answered()

    queued, unsent_at_the_end = asyncio.run(scenario())
    assert queued == {f"telegram:{chat}" for chat in chats}, "turns waited for stuck sends"
    assert unsent_at_the_end == set()  # and once the platform answered, everything went out
