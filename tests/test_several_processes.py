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
from bot.inbox import inbox_table
from bot.service import ANSWERABLE
from bot.turnlease import turn_leases_table
from flows import ActionContext
from tests.handoff_support import make_shop
from tests.support.channels import TELEGRAM_SECRET, shop_settings
from tests.support.fake_telegram import text_update
from tests.test_turns import APP_SECRET, COMMENTS, IG_ACCOUNT, Chats, Graph
from tests.test_turns import SECRET as TURNS_SECRET
from tests.test_turns import project as turns_project
from tests.test_turns import settings as turns_settings
from tests.test_turns import update as turn_update

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


def comment_apps(tmp_path, store_url: str, graph: Graph) -> list:
    """Two app instances on one database for a shop whose comments open a flow (COMMENTS),
    talking to ``graph`` as Instagram's Graph API."""
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
    return [
        create_app(root, settings, transport=httpx.MockTransport(graph.handler), typing_delay=60)
        for _ in range(2)
    ]


def test_a_comment_taken_up_by_both_processes_runs_its_flows_action_once(
    tmp_path, store_url: str
) -> None:
    """A comment whose private reply opens a flow with an action (a payment API, say): while
    the first process's action runs, the commenter writes in private and the second process
    picks the conversation up, the pending comment first. The action runs once, the comment
    is answered once, and the private message is answered after the comment's opening."""
    graph = Graph(Chats())
    apps = comment_apps(tmp_path, store_url, graph)
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
    apps = comment_apps(tmp_path, store_url, graph)
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
                        # and the first process accepted it long ago (bot/service.py)
                        conn.execute(update(inbox_table).values(received_at=datetime(2000, 1, 1)))
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


TURN_HEADERS = {"x-telegram-bot-api-secret-token": TURNS_SECRET}
SHOPPER = 4343


def test_a_shoppers_turn_taken_up_by_both_processes_runs_its_action_once(
    tmp_path, store_url: str
) -> None:
    """While the first process runs the action of a shopper's first message (a payment API,
    say), their second message reaches the second process, whose turn's load finds the first
    one still pending. It leaves that one to the process that accepted it and answers its
    own after it: each message's action runs once, each is answered once, in order."""
    chats = Chats()
    root = turns_project(tmp_path)
    apps = [
        create_app(
            root,
            turns_settings(store_url),
            transport=httpx.MockTransport(chats.handler),
            typing_delay=60,
        )
        for _ in range(2)
    ]
    entered, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def count(ctx: ActionContext) -> int:  # e.g. a payment API call
        runs.append(ctx.conversation_id)
        if len(runs) == 1:
            entered.set()
            release.wait(30)  # the first process's call is still under way
        return len(runs)

    async def scenario() -> list[str]:
        async with (
            apps[0].router.lifespan_context(apps[0]),
            apps[1].router.lifespan_context(apps[1]),
        ):
            a, b = (app.state.service for app in apps)
            for service in (a, b):
                service.conversations.actions.register("shop.count", count, replace=True)
            try:
                assert await a.receive("telegram", TURN_HEADERS, turn_update(1, SHOPPER, "hi"))
                assert await asyncio.to_thread(entered.wait, 20)
                assert await b.receive("telegram", TURN_HEADERS, turn_update(2, SHOPPER, "hi"))
                await b.drain()
                while_thinking = list(chats.texts.get(SHOPPER, []))
            finally:
                release.set()
            await a.drain()
            await b.drain()
            return while_thinking

    while_thinking = asyncio.run(scenario())
    assert while_thinking == []  # the second waits for the first's answer
    assert runs == ["telegram:4343"] * 2  # once per message, not three times
    assert chats.texts[SHOPPER] == ["Hello, turn 1.", "Hello, turn 2."]


async def _accepted_then_stopped(app, update_id: int, chat: int) -> str:
    """The app's process acknowledges a message (it is in the inbox, pending) and stops before
    its turn, as when it crashes; returns the process's name."""
    async with app.router.lifespan_context(app):
        service = app.state.service
        events = service.links["telegram"].adapter.parse(turn_update(update_id, chat, "hi"))
        with service.conversations.store.transaction() as conn:
            assert service.journal.accept(conn, events, answerable=ANSWERABLE)
        return str(service.instance)


def test_a_restarted_process_answers_its_own_pending_events_at_once(
    tmp_path, store_url: str
) -> None:
    """A process acknowledges a message and dies before answering it. Another live process
    leaves the message to it; the process started again (in its place: the same name) answers
    it at once, not after the grace period."""
    chats = Chats()
    root = turns_project(tmp_path)

    def make():
        transport = httpx.MockTransport(chats.handler)
        return create_app(root, turns_settings(store_url), transport=transport, typing_delay=60)

    first, other, again = make(), make(), make()

    async def scenario() -> dict[str, object]:
        seen: dict[str, object] = {}
        first_up = first.router.lifespan_context(first)
        await first_up.__aenter__()
        async with other.router.lifespan_context(other):  # started while the first runs
            b = other.state.service
            service = first.state.service
            seen["first"] = service.instance
            events = service.links["telegram"].adapter.parse(turn_update(1, SHOPPER, "hi"))
            with service.conversations.store.transaction() as conn:  # acknowledged...
                assert service.journal.accept(conn, events, answerable=ANSWERABLE)
            await first_up.__aexit__(None, None, None)  # ...and the process is gone
            await b.recover()
            await b.drain()
            seen["other"] = b.instance
            seen["left"] = list(chats.texts.get(SHOPPER, []))
            async with again.router.lifespan_context(again):  # recovers at its start
                seen["again"] = again.state.service.instance
                await again.state.service.drain()
                seen["answered"] = list(chats.texts.get(SHOPPER, []))
            await b.drain()
        return seen

    seen = asyncio.run(scenario())
    assert seen["again"] == seen["first"] != seen["other"]
    assert seen["left"] == []  # the other process left it to its process
    assert seen["answered"] == ["Hello, turn 0."]  # the restarted one answered it at once
    assert chats.texts[SHOPPER] == ["Hello, turn 0."]  # and nobody again


def test_another_process_answers_a_dead_processs_events_after_the_grace(
    tmp_path, store_url: str
) -> None:
    """A process acknowledges a message and dies for good. Another process leaves the message
    to it while the grace period (``turn_lease``) lasts, then answers it, once."""
    chats = Chats()
    root = turns_project(tmp_path)

    def make(name: str):
        settings = turns_settings(store_url).model_copy(update={"instance_name": name})
        transport = httpx.MockTransport(chats.handler)
        return create_app(root, settings, transport=transport, typing_delay=60)

    dead, alive = make("shop-a"), make("shop-b")

    async def scenario() -> list[str]:
        async with alive.router.lifespan_context(alive):
            b = alive.state.service
            await b.recover()
            await b.drain()
            left = list(chats.texts.get(SHOPPER, []))
            with b.conversations.store.transaction() as conn:  # the grace has run out
                conn.execute(update(inbox_table).values(received_at=datetime(2000, 1, 1)))
            await b.drain()  # looks again
        return left

    assert asyncio.run(_accepted_then_stopped(dead, 1, SHOPPER)) == "shop-a"
    left = asyncio.run(scenario())
    assert left == []  # left to its process while the grace lasted
    assert chats.texts[SHOPPER] == ["Hello, turn 0."]
