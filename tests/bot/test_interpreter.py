"""The understanding seam: an interpreter's reading of a message steers the flow; a broken
interpreter never reaches the shopper."""

from __future__ import annotations

import textwrap

import httpx
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.interpreter import InterpretContext
from tests.support.fake_telegram import text_update
from tests.test_webhooks import Platform, channel_settings, settle, tg

MENU = """\
triggers:
  keywords: {en: [menu]}
steps:
  - say: "Here is the menu."
"""
GIFTS = """\
triggers:
  keywords: {en: [gift]}
steps:
  - say: "Let's find a gift."
"""


GIFT, GIFT_PL = "Let's find a gift.", "Poszukajmy prezentu."


def project(tmp_path):
    root = tmp_path / "bot"
    (root / "flows").mkdir(parents=True)
    (root / "shop.yaml").write_text("name: Seam\nlocales: [en]\nstart_flow: menu\n")
    (root / "flows" / "menu.yaml").write_text(textwrap.dedent(MENU))
    (root / "flows" / "gifts.yaml").write_text(textwrap.dedent(GIFTS))
    return root


class Reads:
    """Reads every message as the gift flow, and remembers what it was asked."""

    def __init__(self, meaning: dict | None = None, fail: bool = False) -> None:
        self.meaning = meaning
        self.fail = fail
        self.asked: list[tuple[str, InterpretContext]] = []

    async def interpret(self, text: str, context: InterpretContext) -> dict | None:
        self.asked.append((text, context))
        if self.fail:
            raise RuntimeError("the model is down")
        return self.meaning


def run(tmp_path, interpreter, text: str) -> list[str]:
    platform = Platform()
    app = create_app(
        project(tmp_path),
        channel_settings(tmp_path),
        transport=httpx.MockTransport(platform.handler),
        typing_delay=60,
        interpreter=interpreter,
    )
    with TestClient(app) as client:
        assert tg(client, text_update(1, 77, text)).status_code == 200
        settle(client)
    return [c["text"] for c in platform.calls("/sendMessage")]


def test_the_interpreters_intent_starts_the_flow_the_words_alone_would_not(tmp_path):
    reads = Reads({"intent": "gifts", "confidence": 0.9})
    assert run(tmp_path, reads, "something for my niece") == ["Let's find a gift."]
    [(text, context)] = reads.asked
    assert text == "something for my niece"
    assert context.conversation_id == "telegram:77" and "gifts" in context.intents


def test_a_failing_interpreter_leaves_the_built_in_understanding_in_charge(tmp_path):
    assert run(tmp_path, Reads(fail=True), "gift") == ["Let's find a gift."]


def test_an_intent_the_project_does_not_have_is_ignored(tmp_path):
    assert run(tmp_path, Reads({"intent": "drop_tables"}), "gift") == ["Let's find a gift."]


def test_after_the_session_switched_language_the_next_message_is_read_in_it(tmp_path):
    # Telegram says the app is in English; the shopper writes Polish, the session follows,
    # and the interpreter must then read her next message as Polish, not as the channel says.
    root = project(tmp_path)
    (root / "shop.yaml").write_text("name: Seam\nlocales: [en, pl]\nstart_flow: menu\n")
    for name, en, pl in (("menu", "Here is the menu.", "Oto menu."), ("gifts", GIFT, GIFT_PL)):
        flow = root / "flows" / f"{name}.yaml"
        flow.write_text(flow.read_text().replace(f'"{en}"', f'{{en: "{en}", pl: "{pl}"}}'))
    reads = Reads({"intent": "gifts", "language": "pl", "confidence": 0.9})
    platform = Platform()
    app = create_app(
        root,
        channel_settings(tmp_path),
        transport=httpx.MockTransport(platform.handler),
        typing_delay=60,
        interpreter=reads,
    )
    with TestClient(app) as client:
        assert tg(client, text_update(1, 77, "szukam prezentu")).status_code == 200
        settle(client)
        assert tg(client, text_update(2, 77, "dla wnuka")).status_code == 200
        settle(client)
    assert [c["text"] for c in platform.calls("/sendMessage")][-1] == GIFT_PL
    [(_, first), (_, second)] = reads.asked
    assert first.locale == "en"  # nothing known yet but the channel's word
    assert second.locale == "pl"
    assert second.state is not None and second.state.locale == "pl"
