"""A turn is load, think, commit: no shopper waits for another's slow action, and two
workers never both commit one turn."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import Connection

from bot.app import create_app
from bot.handoff import queue as handoff_queue
from bot.settings import Settings
from bot.turnhook import TurnHookBase
from flows import ActionContext, SessionState

SECRET = "turns-secret"

WAIT = """\
triggers:
  keywords: {en: [slow]}
steps:
  - action: shop.wait
    result: waited
  - say: "Done waiting."
"""
MENU = """\
triggers:
  keywords: {en: [hi]}
steps:
  - action: shop.count
    result: seen
  - say: "Hello, turn {{ seen }}."
"""
ACTIONS = """\
def register(registry):
    registry.register("shop.wait", lambda ctx: "placeholder")
    registry.register("shop.count", lambda ctx: 0)
"""


def project(tmp_path: Path) -> Path:
    root = tmp_path / "bot"
    (root / "flows").mkdir(parents=True)
    (root / "shop.yaml").write_text("name: Turns\nlocales: [en]\nstart_flow: menu\n")
    (root / "flows" / "menu.yaml").write_text(textwrap.dedent(MENU))
    (root / "flows" / "wait.yaml").write_text(textwrap.dedent(WAIT))
    (root / "actions.py").write_text(ACTIONS)
    return root


class Chats:
    """The Telegram API fake: what each chat was sent, and an event per chat."""

    def __init__(self) -> None:
        self.texts: dict[int, list[str]] = {}
        self.lock = threading.Lock()

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sendMessage"):
            body = json.loads(request.content)
            with self.lock:
                self.texts.setdefault(int(body["chat_id"]), []).append(body["text"])
        return httpx.Response(200, json={"ok": True, "result": True})

    async def reply_to(self, chat: int) -> str:
        while True:
            with self.lock:
                if self.texts.get(chat):
                    return self.texts[chat][0]
            await asyncio.sleep(0.01)


def update(update_id: int, chat: int, text: str) -> bytes:
    message = {
        "message_id": update_id,
        "from": {"id": chat, "is_bot": False, "first_name": "Ana", "language_code": "en"},
        "chat": {"id": chat, "type": "private"},
        "date": 1_790_000_000,
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


def settings(url: str) -> Settings:
    return Settings(
        _env_file=None, database_url=url, telegram_token="1:A", telegram_secret_token=SECRET
    )


async def post(http: httpx.AsyncClient, update_id: int, chat: int, text: str) -> int:
    response = await http.post(
        "/webhooks/telegram",
        content=update(update_id, chat, text),
        headers={"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"},
    )
    return response.status_code


def test_a_slow_action_delays_neither_another_chats_200_nor_its_reply(tmp_path):
    chats = Chats()
    app = create_app(
        project(tmp_path),
        settings(f"sqlite:///{tmp_path}/t.db"),
        transport=httpx.MockTransport(chats.handler),
        typing_delay=60,
    )
    entered, release = threading.Event(), threading.Event()

    def wait(ctx: ActionContext) -> str:  # a project action stuck on a slow API
        entered.set()
        release.wait(30)
        return "ok"

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            service = app.state.service
            service.conversations.actions.register("shop.wait", wait, replace=True)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
                try:
                    assert await post(http, 1, 501, "slow") == 200
                    assert await asyncio.to_thread(entered.wait, 20)
                    # While chat 501's action waits, chat 502 is acknowledged and answered.
                    assert await asyncio.wait_for(post(http, 2, 502, "hi"), 20) == 200
                    said = await asyncio.wait_for(chats.reply_to(502), 20)
                    assert said == "Hello, turn 0."
                    assert 501 not in chats.texts
                finally:
                    release.set()
                await service.drain()
        assert chats.texts[501] == ["Done waiting."]

    asyncio.run(scenario())


def test_two_workers_never_both_commit_one_turn(tmp_path):
    """Worker A thinks a turn; the same update, delivered to worker B too, is stored once, and
    B, recovering the pending update, leaves it to A, which accepted it: thought once (its
    action, a payment call, runs once), committed and answered once, by A."""
    chats = Chats()
    root, url = project(tmp_path), f"sqlite:///{tmp_path}/t.db"
    apps = [
        create_app(root, settings(url), transport=httpx.MockTransport(chats.handler))
        for _ in range(2)
    ]
    thinking, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def count(ctx: ActionContext) -> int:
        runs.append(ctx.conversation_id)
        if len(runs) == 1:
            thinking.set()
            release.wait(30)  # worker A's thought stays open until B has committed
        return len(runs)

    async def scenario() -> None:
        async with (
            apps[0].router.lifespan_context(apps[0]),
            apps[1].router.lifespan_context(apps[1]),
        ):
            a, b = (app.state.service for app in apps)
            for service in (a, b):
                service.conversations.actions.register("shop.count", count, replace=True)
            try:
                async with client(apps[0]) as http_a, client(apps[1]) as http_b:
                    assert await post(http_a, 1, 601, "hi") == 200
                    assert await asyncio.to_thread(thinking.wait, 20)
                    assert await post(http_b, 1, 601, "hi") == 200  # a duplicate: stored once
                    await b.recover()  # B finds the pending update A is thinking on
                    await b.drain()
                    assert 601 not in chats.texts  # B left it to A
            finally:
                release.set()
            await a.drain()
            await b.drain()

    asyncio.run(scenario())
    assert len(runs) == 1  # thought by one worker...
    assert chats.texts[601] == ["Hello, turn 1."]  # ...committed and answered once, by A


def _second_turn_held(tmp_path):
    """An app whose ``shop.count`` action holds the second turn's first thought: ``thinking``
    is set when it starts waiting, ``release`` lets it go on; ``runs`` counts the calls."""
    chats = Chats()
    app = create_app(
        project(tmp_path),
        settings(f"sqlite:///{tmp_path}/t.db"),
        transport=httpx.MockTransport(chats.handler),
    )
    thinking, release = threading.Event(), threading.Event()
    runs: list[int] = []

    def count(ctx: ActionContext) -> int:
        runs.append(1)
        if len(runs) == 2:  # the second turn's first thought
            thinking.set()
            release.wait(30)
        return len(runs)

    return app, chats, count, runs, thinking, release


def test_a_turn_whose_session_changed_meanwhile_is_thought_again(tmp_path):
    """The version guard: while a turn is thought, another writer (the hand-off desk, another
    process) saves the session; the turn's commit is refused and it is thought again on the
    newer session, so neither write is lost."""
    app, chats, count, runs, thinking, release = _second_turn_held(tmp_path)

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            service = app.state.service
            service.conversations.actions.register("shop.count", count, replace=True)
            store = service.conversations.store
            try:
                async with client(app) as http:
                    assert await post(http, 1, 701, "hi") == 200
                    await service.drain()
                    assert await post(http, 2, 701, "hi") == 200
                    assert await asyncio.to_thread(thinking.wait, 20)
                    stored = store.load("telegram:701")
                    state = SessionState.from_json(stored.data)
                    state.slots["vip"] = True  # what another writer changed meanwhile
                    store.save("telegram:701", state.to_json(), stored.version)
            finally:
                release.set()
            await service.drain()
            final = SessionState.from_json(store.load("telegram:701").data)
            assert final.slots.get("vip") is True  # the other write survived the turn

    asyncio.run(scenario())
    assert len(runs) == 3  # the second turn was thought twice
    assert chats.texts[701] == ["Hello, turn 1.", "Hello, turn 3."]


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop")


class Broken(TurnHookBase):
    """A hook with a bug that shows on one message only."""

    def reshape(self, conn, inbound, state, replies, effects, now):
        if inbound.event_id == "2":
            raise ValueError("a bug")
        return replies


def test_a_turn_that_fails_to_commit_is_recorded_and_the_conversation_goes_on(tmp_path):
    chats = Chats()
    app = create_app(
        project(tmp_path),
        settings(f"sqlite:///{tmp_path}/t.db"),
        transport=httpx.MockTransport(chats.handler),
    )

    async def scenario() -> dict[str, int]:
        async with app.router.lifespan_context(app):
            service = app.state.service
            service.hooks.append(Broken())
            async with client(app) as http:
                for update_id in (1, 2, 3):
                    assert await post(http, update_id, 801, "hi") == 200
                    await service.drain()
            return service.journal.status_counts()

    counts = asyncio.run(scenario())
    assert counts == {"done": 2, "failed": 1}
    assert chats.texts[801] == ["Hello, turn 0."] * 2  # the first and the third


def test_an_actions_write_is_not_applied_again_when_its_turn_runs_again(tmp_path):
    """A process dies after an action's write committed and before its turn did; the turn
    runs again on (re)start, and the action's write is not made twice: like ``cart.add``
    adding once. Here the first process is left hanging in the action (as good as dead) and
    is started again beside it: the second process has the first one's name (bot/instance.py),
    so it recovers the event its earlier self accepted at once."""
    url = f"sqlite:///{tmp_path}/t.db"
    chats = Chats()
    root = project(tmp_path)
    named = settings(url).model_copy(update={"instance_name": "shop-1"})
    apps = [create_app(root, named, transport=httpx.MockTransport(chats.handler)) for _ in range(2)]
    wrote, release = threading.Event(), threading.Event()

    def visit(conn: Connection) -> int:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS visits (chat INTEGER)")
        conn.exec_driver_sql("INSERT INTO visits VALUES (901)")
        return int(conn.exec_driver_sql("SELECT count(*) FROM visits").scalar_one())

    def count_then_die(ctx: ActionContext) -> int:
        assert ctx.db is not None
        seen = ctx.db.run(visit)  # committed
        wrote.set()
        release.wait(30)  # the process dies here, before the turn commits
        return seen

    def count(ctx: ActionContext) -> int:
        assert ctx.db is not None
        return ctx.db.run(visit)

    async def scenario() -> int:
        first, second = apps
        async with first.router.lifespan_context(first):
            first.state.service.conversations.actions.register(
                "shop.count", count_then_die, replace=True
            )
            try:
                async with client(first) as http:
                    assert await post(http, 1, 901, "hi") == 200
                assert await asyncio.to_thread(wrote.wait, 20)
                # The second process starts and recovers the event the first acknowledged.
                async with second.router.lifespan_context(second):
                    service = second.state.service
                    service.conversations.actions.register("shop.count", count, replace=True)
                    await service.recover()
                    await service.drain()
                    said = await asyncio.wait_for(chats.reply_to(901), 20)
                    assert said == "Hello, turn 1."
            finally:
                release.set()
            await first.state.service.drain()
        store = first.state.service.conversations.store
        with store.connection() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM visits").scalar_one())

    assert asyncio.run(scenario()) == 1  # one visit, not two
    assert chats.texts[901] == ["Hello, turn 1."]  # answered once


HUMAN = """\
triggers:
  keywords: {en: [human]}
steps:
  - handoff: asked_for_person
"""


def test_a_conversation_returned_to_a_slow_flow_holds_up_no_other_chat(tmp_path):
    root = project(tmp_path)
    (root / "flows" / "human.yaml").write_text(textwrap.dedent(HUMAN))
    chats = Chats()
    app = create_app(
        root,
        settings(f"sqlite:///{tmp_path}/t.db"),
        transport=httpx.MockTransport(chats.handler),
        typing_delay=60,
    )
    entered, release = threading.Event(), threading.Event()

    def wait(ctx: ActionContext) -> str:  # the returned-to flow's action, on a slow API
        entered.set()
        release.wait(30)
        return "ok"

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            service, desk = app.state.service, app.state.handoff
            service.conversations.actions.register("shop.wait", wait, replace=True)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
                assert await post(http, 1, 501, "human") == 200
                await service.drain()
                [ticket] = await desk.tickets()
                returning = asyncio.create_task(desk.return_to_bot(ticket.id, "kasia", "wait"))
                try:
                    assert await asyncio.to_thread(entered.wait, 20)
                    # While the desk's flow waits on its action, chat 502 is answered.
                    assert await asyncio.wait_for(post(http, 2, 502, "hi"), 10) == 200
                    said = await asyncio.wait_for(chats.reply_to(502), 10)
                    assert said == "Hello, turn 0."
                finally:
                    release.set()
                await asyncio.wait_for(returning, 20)
                await service.drain()
                assert [t.state for t in await desk.tickets()] == ["returned"]
        assert chats.texts[501][-1] == "Done waiting."

    asyncio.run(scenario())


def test_shoppers_waiting_on_slow_actions_hold_no_turn_slot(tmp_path):
    """Two shoppers' actions wait on a stuck API while the service runs one turn at a time
    (max_concurrency 1): a third shopper's "hi" is still answered meanwhile."""
    chats = Chats()
    app = create_app(
        project(tmp_path),
        settings(f"sqlite:///{tmp_path}/t.db").model_copy(update={"max_concurrency": 1}),
        transport=httpx.MockTransport(chats.handler),
        typing_delay=60,
    )
    waiting, release = threading.Semaphore(0), threading.Event()

    def wait(ctx: ActionContext) -> str:
        waiting.release()
        release.wait(30)
        return "ok"

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            service = app.state.service
            service.conversations.actions.register("shop.wait", wait, replace=True)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
                try:
                    assert await post(http, 1, 601, "slow") == 200
                    assert await post(http, 2, 602, "slow") == 200
                    for _ in range(2):
                        assert await asyncio.to_thread(waiting.acquire, True, 20)
                    assert await post(http, 3, 603, "hi") == 200
                    said = await asyncio.wait_for(chats.reply_to(603), 20)
                    assert said == "Hello, turn 0."
                    assert 601 not in chats.texts and 602 not in chats.texts
                finally:
                    release.set()
                await service.drain()
        assert chats.texts[601] == ["Done waiting."]
        assert chats.texts[602] == ["Done waiting."]

    asyncio.run(scenario())


def test_a_ticket_opened_by_another_turn_while_this_one_is_thought_silences_the_bot(tmp_path):
    """The commit skips reading the ticket again when the load found none: a ticket is only
    ever opened by a turn, which also saves the session, so this turn's commit is refused by
    the version guard and thought again, and then the person who owns the chat gets the
    message, not the bot."""
    app, chats, count, runs, thinking, release = _second_turn_held(tmp_path)

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            service = app.state.service
            service.conversations.actions.register("shop.count", count, replace=True)
            store = service.conversations.store
            try:
                async with client(app) as http:
                    assert await post(http, 1, 702, "hi") == 200
                    await service.drain()
                    assert await post(http, 2, 702, "hi") == 200
                    assert await asyncio.to_thread(thinking.wait, 20)
                    # Another process's turn hands the chat to a person: it opens the ticket
                    # and saves the session in one transaction.
                    stored = store.load("telegram:702")
                    with store.transaction() as conn:
                        handoff_queue.open_ticket(
                            conn,
                            conversation_id="telegram:702",
                            channel="telegram",
                            reason="asked for a person",
                            priority=0,
                            flow=None,
                            step=None,
                            away=False,
                            now=datetime.now(UTC),
                        )
                        store.write_in(conn, "telegram:702", stored.data, stored.version)
            finally:
                release.set()
            await service.drain()

    asyncio.run(scenario())
    assert chats.texts[702] == ["Hello, turn 1."]  # the second message went to the person


def test_a_desk_return_thought_again_applies_its_flows_writes_once(tmp_path):
    """The desk returns a conversation to a flow whose action writes; the shopper's session
    changes meanwhile, so the return is thought again: the action's write is made once."""
    root = project(tmp_path)
    (root / "flows" / "human.yaml").write_text(textwrap.dedent(HUMAN))
    chats = Chats()
    app = create_app(
        root,
        settings(f"sqlite:///{tmp_path}/t.db"),
        transport=httpx.MockTransport(chats.handler),
        typing_delay=60,
    )
    calls: list[int] = []

    def visit(conn: Connection) -> int:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS visits (chat INTEGER)")
        conn.exec_driver_sql("INSERT INTO visits VALUES (601)")
        return int(conn.exec_driver_sql("SELECT count(*) FROM visits").scalar_one())

    async def scenario() -> int:
        async with app.router.lifespan_context(app):
            service, desk = app.state.service, app.state.handoff
            store = service.conversations.store

            def count(ctx: ActionContext) -> int:
                assert ctx.db is not None
                seen = ctx.db.run(visit)
                calls.append(seen)
                if len(calls) == 1:  # another writer saves the session meanwhile
                    stored = store.load("telegram:601")
                    store.save("telegram:601", stored.data, stored.version)
                return seen

            service.conversations.actions.register("shop.count", count, replace=True)
            async with client(app) as http:
                assert await post(http, 1, 601, "human") == 200
                await service.drain()
            [ticket] = await desk.tickets()
            await desk.return_to_bot(ticket.id, "kasia", "menu")
            await service.drain()
            with store.connection() as conn:
                return int(conn.exec_driver_sql("SELECT count(*) FROM visits").scalar_one())

    assert asyncio.run(scenario()) == 1  # one write, though the flow was thought twice
    assert len(calls) == 2
    assert chats.texts[601][-1] == "Hello, turn 1."


# -- a comment answered with a flow's opening -------------------------------------------------

APP_SECRET, IG_ACCOUNT = "turns-app-secret", "17841405822304914"
COMMENTS = """\
comments:
  rules:
    - name: slow
      keywords: {en: [slow]}
      reply: "Thanks {name}!"
      message: {flow: wait}   # the private reply is the wait flow's opening
"""


class Graph:
    """The Graph API fake next to the Telegram one: comment replies, public and private."""

    def __init__(self, chats: Chats) -> None:
        self.chats = chats
        self.private: list[str] = []
        self.public: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(f"/{IG_ACCOUNT}/messages"):
            self.private.append(json.loads(request.content)["message"]["text"])
        elif request.url.path.endswith("/replies"):
            self.public.append(json.loads(request.content)["message"])
        else:
            return self.chats.handler(request)
        return httpx.Response(200, json={"id": "m1"})


def commenting_app(tmp_path: Path, graph: Graph):  # type: ignore[no-untyped-def]
    root = project(tmp_path)
    with (root / "shop.yaml").open("a") as shop:
        shop.write(COMMENTS)
    url = f"sqlite:///{tmp_path}/t.db"
    return create_app(
        root,
        settings(url).model_copy(
            update={
                "meta_app_secret": APP_SECRET,
                "instagram_account_id": IG_ACCOUNT,
                "instagram_token": "ig-token",
            }
        ),
        transport=httpx.MockTransport(graph.handler),
        typing_delay=60,
    )


async def post_comment(http: httpx.AsyncClient, comment_id: str, text: str) -> int:
    value = {
        "from": {"id": "1254459154682919", "username": "ana.kowalska"},
        "media": {"id": "18172143295349192", "media_product_type": "FEED"},
        "id": comment_id,
        "text": text,
    }
    change = {"field": "comments", "value": value}
    entry = {"id": IG_ACCOUNT, "time": int(datetime.now(UTC).timestamp()), "changes": [change]}
    body = json.dumps({"object": "instagram", "entry": [entry]}).encode()
    digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"x-hub-signature-256": f"sha256={digest}", "content-type": "application/json"}
    response = await http.post("/webhooks/instagram", content=body, headers=headers)
    return response.status_code


def test_a_comment_answered_with_a_slow_flow_holds_up_no_other_chat(tmp_path):
    """The private reply opening a flow whose action waits on a slow API: meanwhile another
    chat is acknowledged and answered (its opening runs with no database job open)."""
    graph = Graph(Chats())
    app = commenting_app(tmp_path, graph)
    entered, release = threading.Event(), threading.Event()

    def wait(ctx: ActionContext) -> str:
        entered.set()
        release.wait(30)
        return "ok"

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            service = app.state.service
            service.conversations.actions.register("shop.wait", wait, replace=True)
            async with client(app) as http:
                try:
                    assert await post_comment(http, "c1", "Is shipping slow?") == 200
                    assert await asyncio.to_thread(entered.wait, 20)
                    assert await asyncio.wait_for(post(http, 1, 502, "hi"), 10) == 200
                    said = await asyncio.wait_for(graph.chats.reply_to(502), 10)
                    assert said == "Hello, turn 0."
                    assert graph.private == []  # the comment is answered once thought out
                finally:
                    release.set()
                await service.drain()
                # A second delivery of the comment is not answered again.
                assert await post_comment(http, "c1", "Is shipping slow?") == 200
                await service.drain()
            stored = service.conversations.store.load("instagram:1254459154682919")
            assert stored is not None  # their answer continues the flow from there

    asyncio.run(scenario())
    assert graph.public == ["Thanks ana.kowalska!"]
    assert graph.private == ["Done waiting."]


def test_a_comments_opening_whose_session_changed_meanwhile_is_thought_again(tmp_path):
    """While the opening's action waits, another writer saves the commenter's session: the
    opening's commit is refused, it is thought again on the newer session and the comment
    is answered once, with neither write lost."""
    graph = Graph(Chats())
    app = commenting_app(tmp_path, graph)
    thinking, release = threading.Event(), threading.Event()
    runs: list[int] = []

    def wait(ctx: ActionContext) -> str:
        runs.append(1)
        if len(runs) == 1:
            thinking.set()
            release.wait(30)
        return "ok"

    cid = "instagram:1254459154682919"

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            service = app.state.service
            service.conversations.actions.register("shop.wait", wait, replace=True)
            store = service.conversations.store
            async with client(app) as http:
                try:
                    assert await post_comment(http, "c2", "Is shipping slow?") == 200
                    assert await asyncio.to_thread(thinking.wait, 20)
                    state = service.conversations.engine.new_session(cid, now=datetime.now(UTC))
                    state.slots["vip"] = True  # what another process wrote meanwhile
                    store.save(cid, state.to_json(), None)
                finally:
                    release.set()
                await service.drain()
            final = SessionState.from_json(store.load(cid).data)
            assert final.slots.get("vip") is True

    asyncio.run(scenario())
    assert len(runs) == 2  # thought twice
    assert graph.private == ["Done waiting."]  # answered once
    assert graph.public == ["Thanks ana.kowalska!"]
