"""Two shopchat instances on one database (SQLite, and PostgreSQL as deployed with several
instances), both receiving every Telegram delivery, as when a load balancer retries on the
other one: every update is answered exactly once, each conversation in order."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import httpx

from bot.app import create_app
from bot.settings import Settings

SECRET = "two-instances"
ROOT = Path(__file__).resolve().parents[2]
STEPS = ["/start", "Ana", "30"]
CHATS = 12


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.texts: dict[int, list[str]] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.url.path.endswith("/sendMessage"):
            with self.lock:
                self.texts.setdefault(int(body["chat_id"]), []).append(body["text"])
        return httpx.Response(200, json={"ok": True, "result": True})


def update(update_id: int, chat: int, text: str) -> bytes:
    message: dict[str, object] = {
        "message_id": update_id,
        "from": {"id": chat, "is_bot": False, "first_name": "Ana", "language_code": "en"},
        "chat": {"id": chat, "first_name": "Ana", "type": "private"},
        "date": 1_790_000_000,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return json.dumps({"update_id": update_id, "message": message}).encode()


def test_duplicated_deliveries_to_two_instances_are_answered_once_in_order(
    store_url: str,
) -> None:
    recorder = Recorder()
    settings = Settings(
        _env_file=None,
        database_url=store_url,
        telegram_token="123:ABC",
        telegram_secret_token=SECRET,
    )
    apps = [
        create_app(
            ROOT / "bench" / "project",
            settings,
            transport=httpx.MockTransport(recorder.handler),
            typing_delay=60,
        )
        for _ in range(2)
    ]
    headers = {"x-telegram-bot-api-secret-token": SECRET}

    async def scenario() -> None:
        async with (
            apps[0].router.lifespan_context(apps[0]),
            apps[1].router.lifespan_context(apps[1]),
        ):
            services = [app.state.service for app in apps]
            update_id = 0
            for text in STEPS:
                deliveries = []
                for chat in range(1, CHATS + 1):
                    update_id += 1
                    body = update(update_id, chat, text)
                    # The same update reaches both instances at once.
                    deliveries += [s.receive("telegram", headers, body) for s in services]
                accepted = await asyncio.gather(*deliveries)
                assert sum(accepted) == CHATS  # each stored by exactly one instance
                for service in services:
                    await service.drain()

    asyncio.run(scenario())
    assert sorted(recorder.texts) == list(range(1, CHATS + 1))
    for chat, texts in recorder.texts.items():
        assert texts == [
            "What's your name?",
            "How old are you, Ana?",
            "Thanks Ana, noted: 30.",
        ], chat
