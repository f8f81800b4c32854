"""Two shopchat processes on one database behave as one bot (``serve --workers``, several
hosts): an agent claims a ticket through one, and the other stays silent for that shopper;
deliveries duplicated to both are answered once, in order. On SQLite and PostgreSQL (the
PostgreSQL case skips, saying why, when no server is reachable)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from datetime import datetime

import httpx
from sqlalchemy import update

from bot.app import create_app
from bot.turnlease import turn_leases_table
from flows import ActionContext
from tests.handoff_support import make_shop
from tests.support.channels import TELEGRAM_SECRET, shop_settings
from tests.support.fake_telegram import text_update
from tests.test_turns import APP_SECRET, COMMENTS, IG_ACCOUNT, Chats, Graph
from tests.test_turns import project as turns_project
from tests.test_turns import settings as turns_settings

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


def test_a_comment_taken_up_by_both_processes_runs_its_flows_action_once(
    tmp_path, store_url: str
) -> None:
    """A comment whose private reply opens a flow with an action (a payment API, say): while
    the first process's action runs, the commenter writes in private and the second process
    picks the conversation up, the pending comment first. The action runs once, the comment
    is answered once, and the private message is answered after the comment's opening."""
    graph = Graph(Chats())
    root = turns_project(tmp_path)
    with (root / "shop.yaml").open("a") as shop:
        shop.write(COMMENTS)
    settings = turns_settings(store_url).model_copy(
        update={
            "meta_app_secret": APP_SECRET,
            "instagram_account_id": IG_ACCOUNT,
            "instagram_token": "ig-token",
        }
    )
    apps = [
        create_app(root, settings, transport=httpx.MockTransport(graph.handler), typing_delay=60)
        for _ in range(2)
    ]
    entered, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def wait(ctx: ActionContext) -> str:  # the opening's action, e.g. a payment API call
        runs.append(ctx.conversation_id)
        if len(runs) == 1:
            entered.set()
            release.wait(30)  # the first process's call is still under way
        return "ok"

    async def scenario() -> None:
        async with (
            apps[0].router.lifespan_context(apps[0]),
            apps[1].router.lifespan_context(apps[1]),
        ):
            a, b = (app.state.service for app in apps)
            for service in (a, b):
                service.conversations.actions.register("shop.wait", wait, replace=True)
            try:
                assert await a.receive("instagram", *signed(comment_body("c7", "Slow?"))) == 1
                assert await asyncio.to_thread(entered.wait, 20)
                # The commenter writes in private; the second process has the message.
                assert await b.receive("instagram", *signed(direct_body("Are you there?"))) == 1
                await b.drain()
            finally:
                release.set()
            await a.drain()
            await b.drain()

    asyncio.run(scenario())
    assert runs == ["instagram:1254459154682919"]  # the action ran once
    assert graph.public == ["Thanks ana.kowalska!"]
    assert graph.private[0] == "Done waiting."  # the opening, once, before the answer to
    assert "Done waiting." not in graph.private[1:]  # the private message
    assert len(graph.private) >= 2


def signed(body: bytes) -> tuple[dict[str, str], bytes]:
    digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"x-hub-signature-256": f"sha256={digest}"}, body


def comment_body(comment_id: str, text: str) -> bytes:
    value = {
        "from": {"id": "1254459154682919", "username": "ana.kowalska"},
        "media": {"id": "18172143295349192", "media_product_type": "FEED"},
        "id": comment_id,
        "text": text,
    }
    change = {"field": "comments", "value": value}
    entry = {"id": IG_ACCOUNT, "time": int(time.time()), "changes": [change]}
    return json.dumps({"object": "instagram", "entry": [entry]}).encode()


def direct_body(text: str) -> bytes:
    at = int(time.time() * 1000) + 5_000  # written after the comment
    event = {
        "sender": {"id": "1254459154682919"},
        "recipient": {"id": IG_ACCOUNT},
        "timestamp": at,
        "message": {"mid": f"m-{at}", "text": text},
    }
    entry = {"id": IG_ACCOUNT, "time": at, "messaging": [event]}
    return json.dumps({"object": "instagram", "entry": [entry]}).encode()


def test_a_comment_whose_process_died_mid_opening_is_answered_once_its_lease_runs_out(
    tmp_path, store_url: str
) -> None:
    """The process thinking a comment's opening hangs (as good as dead). Another process that
    starts and recovers the comment leaves it while the lease holds; once the lease has run
    out it thinks the opening itself, and the comment is answered once."""
    graph = Graph(Chats())
    root = turns_project(tmp_path)
    with (root / "shop.yaml").open("a") as shop:
        shop.write(COMMENTS)
    settings = turns_settings(store_url).model_copy(
        update={
            "meta_app_secret": APP_SECRET,
            "instagram_account_id": IG_ACCOUNT,
            "instagram_token": "ig-token",
        }
    )
    apps = [
        create_app(root, settings, transport=httpx.MockTransport(graph.handler), typing_delay=60)
        for _ in range(2)
    ]
    entered, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def wait(ctx: ActionContext) -> str:
        runs.append(ctx.conversation_id)
        if len(runs) == 1:
            entered.set()
            release.wait(30)  # the first process hangs here
        return "ok"

    async def scenario() -> dict[str, list[str]]:
        said: dict[str, list[str]] = {}
        first, second = apps
        async with first.router.lifespan_context(first):
            a = first.state.service
            a.conversations.actions.register("shop.wait", wait, replace=True)
            try:
                assert await a.receive("instagram", *signed(comment_body("c9", "Slow?"))) == 1
                assert await asyncio.to_thread(entered.wait, 20)
                async with second.router.lifespan_context(second):
                    b = second.state.service
                    b.conversations.actions.register("shop.wait", wait, replace=True)
                    await b.recover()
                    await b.drain()
                    said["while leased"] = list(graph.private)
                    with b.conversations.store.transaction() as conn:
                        conn.execute(update(turn_leases_table).values(until=datetime(2000, 1, 1)))
                    await b.drain()  # looks again: the lease has run out
                    said["after"] = list(graph.private)
            finally:
                release.set()
            await a.drain()
        return said

    said = asyncio.run(scenario())
    assert said["while leased"] == []  # left to the process holding it
    assert said["after"] == ["Done waiting."]
    assert len(runs) == 2  # thought again once the holder was taken for dead
    assert graph.private == ["Done waiting."]  # the hung process's late commit sends nothing
    assert graph.public == ["Thanks ana.kowalska!"]
