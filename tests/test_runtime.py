"""The async runtime: every turn committed, conversations ordered, run in parallel."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bot.conversations import Conversations, TurnResult
from bot.runtime import Inbound, Runtime
from bot.storage import SessionStore
from flows import ActionRegistry, TextInput, load_project
from flows.testing import describe

COUNTER = """\
triggers:
  keywords: {en: [start]}
steps:
  - id: next_number
    ask: n
    type: integer
    text: Send a number.
  - say: "got {{ n }}"
    next: next_number
"""


def make_runtime(tmp_path: Path, deliver) -> tuple[Runtime, SessionStore]:
    root = tmp_path / "bot"
    (root / "flows").mkdir(parents=True)
    (root / "shop.yaml").write_text("name: T\nlocales: [en]\n", encoding="utf-8")
    (root / "flows" / "counter.yaml").write_text(textwrap.dedent(COUNTER), encoding="utf-8")
    project, diags = load_project(root, ActionRegistry())
    assert project is not None, diags
    store = SessionStore(f"sqlite:///{tmp_path}/s.db")
    store.migrate()
    return Runtime(
        Conversations(project, ActionRegistry(), store), deliver, max_concurrency=8
    ), store


async def test_each_conversation_is_answered_in_order_while_others_run(tmp_path):
    delivered: dict[str, list[str]] = {}

    async def deliver(inbound: Inbound, result: TurnResult) -> None:
        delivered.setdefault(inbound.conversation_id, []).append(describe(result.replies))

    runtime, store = make_runtime(tmp_path, deliver)
    conversations = [f"c{i}" for i in range(30)]
    for cid in conversations:
        await runtime.submit(Inbound(cid, TextInput(text="start")))
    for n in range(1, 16):
        for cid in conversations:
            await runtime.submit(Inbound(cid, TextInput(text=str(n))))
    await runtime.drain()
    await runtime.close()
    for cid in conversations:
        replies = delivered[cid]
        assert replies[0] == "Send a number."
        assert replies[1:] == [f"got {n}\nSend a number." for n in range(1, 16)]
        stored = store.load(cid)
        assert stored is not None and stored.version == 16  # one committed save per event


async def test_a_failing_delivery_does_not_stop_the_conversation(tmp_path):
    seen: list[str] = []

    async def deliver(inbound: Inbound, result: TurnResult) -> None:
        seen.append(describe(result.replies))
        if len(seen) == 1:
            raise ConnectionError("channel down")

    runtime, _ = make_runtime(tmp_path, deliver)
    await runtime.submit(Inbound("c1", TextInput(text="start")))
    await runtime.submit(Inbound("c1", TextInput(text="5")))
    await runtime.drain()
    await runtime.close()
    assert seen == ["Send a number.", "got 5\nSend a number."]
