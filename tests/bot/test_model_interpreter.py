"""shop.yaml's optional language model in the running server: asked before the turn through
the interpreter seam, its reading steers the flow, and a broken model changes nothing."""

from __future__ import annotations

import json
import textwrap

import httpx
from fastapi.testclient import TestClient

from bot.app import create_app
from tests.support.fake_telegram import text_update
from tests.test_webhooks import Platform, channel_settings, settle, tg

SHOP = """\
name: Model Shop
locales: [en]
start_flow: menu
understanding:
  provider: openai
  base_url: http://model.test/v1
  model: tiny
  timeout: 2s
"""
MENU = """\
title: Main menu
triggers:
  keywords: {en: [menu]}
steps:
  - say: "Here is the menu."
"""
TRACK = """\
title: Track an order
triggers:
  examples: {en: [where is my order, track my parcel]}
steps:
  - say: "Let me look for your order."
"""


def project(tmp_path):
    root = tmp_path / "bot"
    (root / "flows").mkdir(parents=True)
    (root / "shop.yaml").write_text(SHOP)
    (root / "flows" / "menu.yaml").write_text(textwrap.dedent(MENU))
    (root / "flows" / "track.yaml").write_text(textwrap.dedent(TRACK))
    return root


class Model:
    """A fake OpenAI-compatible endpoint at model.test, beside the fake Telegram."""

    def __init__(self, content: dict | None = None, status: int = 200) -> None:
        self.content, self.status = content, status
        self.asked: list[str] = []
        self.platform = Platform()

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "model.test":
            return self.platform.handler(request)
        body = json.loads(request.content)
        self.asked.append(body["messages"][-1]["content"])
        if self.status != 200:
            return httpx.Response(self.status)
        message = {"content": json.dumps(self.content)}
        return httpx.Response(200, json={"choices": [{"message": message}]})


def run(tmp_path, model: Model, *texts: str) -> list[str]:
    app = create_app(
        project(tmp_path),
        channel_settings(tmp_path),
        transport=httpx.MockTransport(model.handler),
        typing_delay=60,
    )
    with TestClient(app) as client:
        for i, text in enumerate(texts, 1):
            assert tg(client, text_update(i, 77, text)).status_code == 200
            settle(client)
    return [c["text"] for c in model.platform.calls("/sendMessage")]


def test_a_sentence_the_shop_alone_cannot_place_is_read_by_the_model(tmp_path):
    model = Model({"intent": "track", "language": "en", "confidence": 0.9})
    replies = run(tmp_path, model, "the courier seems to have lost my stuff")
    assert replies == ["Let me look for your order."]
    assert model.asked == ["the courier seems to have lost my stuff"]


def test_a_sentence_the_shop_reads_surely_never_waits_for_the_model(tmp_path):
    model = Model({"intent": "menu"})
    assert run(tmp_path, model, "where is my order") == ["Let me look for your order."]
    assert model.asked == []


def test_a_model_that_fails_leaves_the_shop_answering_as_without_it(tmp_path):
    down = Model(status=500)
    with_model = run(tmp_path / "a", down, "the courier seems to have lost my stuff", "menu")
    assert len(down.asked) == 1
    assert with_model[-1] == "Here is the menu."
    assert with_model[0] and "error" not in with_model[0].lower()
