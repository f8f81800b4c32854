"""Two shopchat processes on one database behave as one bot (``serve --workers``, several
hosts): an agent claims a ticket through one, and the other stays silent for that shopper;
deliveries duplicated to both are answered once, in order. On SQLite and PostgreSQL (the
PostgreSQL case skips, saying why, when no server is reachable)."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx

from bot.app import create_app
from tests.handoff_support import make_shop
from tests.support.channels import TELEGRAM_SECRET, shop_settings
from tests.support.fake_telegram import text_update

CHAT = 4242


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.texts: list[str] = []
        self.typing = 0  # "typing…" indicators shown to the shopper

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        if request.url.path.endswith("/sendChatAction") and body.get("chat_id") == CHAT:
            with self.lock:
                self.typing += 1
        if request.url.path.endswith("/sendMessage") and body.get("chat_id") == CHAT:
            with self.lock:
                self.texts.append(str(body.get("text", "")))
        return httpx.Response(200, json={"ok": True, "result": {"message_id": 1}})


def test_an_agent_claims_through_one_process_and_the_other_stays_silent(
    tmp_path, store_url: str
) -> None:
    recorder = Recorder()
    settings = shop_settings(tmp_path)
    settings.database_url = store_url
    project = make_shop(tmp_path)
    apps = [
        create_app(
            project, settings, transport=httpx.MockTransport(recorder.handler), typing_delay=60
        )
        for _ in range(2)
    ]
    headers = {"x-telegram-bot-api-secret-token": TELEGRAM_SECRET}

    async def scenario() -> dict[str, list[str]]:
        said: dict[str, list[str]] = {}
        async with (
            apps[0].router.lifespan_context(apps[0]),
            apps[1].router.lifespan_context(apps[1]),
        ):
            services = [app.state.service for app in apps]

            async def say(update_id: int, text: str, to: tuple[int, ...] = (0, 1)) -> None:
                before = len(recorder.texts)
                body = json.dumps(text_update(update_id, CHAT, text)).encode()
                await asyncio.gather(*(services[i].receive("telegram", headers, body) for i in to))
                for service in services:
                    await service.drain()
                said[text] = recorder.texts[before:]

            await say(1, "hi")
            await say(2, "human")
            [ticket] = await apps[0].state.handoff.tickets()
            await apps[0].state.handoff.claim(ticket.id, "kasia")  # through the first one
            await say(3, "hello?", to=(1,))  # the shopper writes; the second one has it
            await say(4, "menu")
            before = len(recorder.texts)
            await apps[1].state.handoff.reply(ticket.id, "kasia", "Kasia here, how can I help?")
            for service in services:
                await service.drain()
            said["agent"] = recorder.texts[before:]
        return said

    said = asyncio.run(scenario())
    assert said["hi"] and len(said["hi"]) == len(set(said["hi"])), said["hi"]  # once each
    assert len(said["human"]) == 1 and "person" in said["human"][0], said["human"]
    assert said["hello?"] == [] and said["menu"] == []  # the agent owns the conversation
    assert len(said["agent"]) == 1 and said["agent"][0].startswith("Kasia here")


def test_the_other_process_shows_no_typing_indicator_to_a_claimed_shopper(
    tmp_path, store_url: str
) -> None:
    """Whether the bot types is read from the database in the turn's load job: the process
    that did not see the claim stays silent too, and types again once the bot has them back."""
    recorder = Recorder()
    settings = shop_settings(tmp_path)
    settings.database_url = store_url
    project = make_shop(tmp_path)
    apps = [
        create_app(
            project, settings, transport=httpx.MockTransport(recorder.handler), typing_delay=0
        )
        for _ in range(2)
    ]
    headers = {"x-telegram-bot-api-secret-token": TELEGRAM_SECRET}

    async def scenario() -> dict[str, int]:
        typed: dict[str, int] = {}
        async with (
            apps[0].router.lifespan_context(apps[0]),
            apps[1].router.lifespan_context(apps[1]),
        ):
            services = [app.state.service for app in apps]

            async def say(update_id: int, text: str, to: int) -> None:
                before = recorder.typing
                body = json.dumps(text_update(update_id, CHAT, text)).encode()
                await services[to].receive("telegram", headers, body)
                for service in services:
                    await service.drain()
                typed[text] = recorder.typing - before

            await say(1, "hi", to=1)
            await say(2, "human", to=0)
            [ticket] = await apps[0].state.handoff.tickets()
            await apps[0].state.handoff.claim(ticket.id, "kasia")  # through the first one
            await say(3, "hello?", to=1)  # the second one never saw the claim
            await say(4, "anyone?", to=1)
            await apps[0].state.handoff.return_to_bot(ticket.id, "kasia")
            for service in services:
                await service.drain()
            await say(5, "menu", to=1)  # the bot has them back: it types again
        return typed

    typed = asyncio.run(scenario())
    assert typed["hi"] == 1  # the bot types when it answers
    assert typed["hello?"] == 0 and typed["anyone?"] == 0, typed
    assert typed["menu"] == 1, typed
