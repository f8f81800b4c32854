"""The optional language model: asked for JSON, validated, and never trusted blindly."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from understanding import Understanding
from understanding.model import ModelSettings, ask_model

SETTINGS = ModelSettings("http://model.test/v1", "tiny", api_key="k", timeout=0.5)
BUILTIN = Understanding(text="x", locale="en", intent=None, entities={"money": 5000})
INTENTS = ["gift_finder", "order_tracking", "@human"]
LOCALES = ["en", "pl"]


def answer(content: object, status: int = 200) -> httpx.Response:
    text = content if isinstance(content, str) else json.dumps(content)
    return httpx.Response(status, json={"choices": [{"message": {"content": text}}]})


async def ask(text: str = "coś dla bratanka") -> Understanding:
    async with httpx.AsyncClient() as client:
        return await ask_model(
            client, SETTINGS, text, locale="en", locales=LOCALES, intents=INTENTS, builtin=BUILTIN
        )


@respx.mock
async def test_a_valid_answer_gives_intent_language_and_values():
    route = respx.post("http://model.test/v1/chat/completions").mock(
        return_value=answer(
            {
                "intent": "gift_finder",
                "language": "pl",
                "entities": {"recipient": "nephew", "age": 8},
            }
        )
    )
    found = await ask()
    assert (found.intent, found.language, found.source) == ("gift_finder", "pl", "model")
    assert found.entities == {"money": 5000, "recipient": "nephew", "age": 8}
    sent = json.loads(route.calls[0].request.content)
    assert sent["response_format"] == {"type": "json_object"}
    assert route.calls[0].request.headers["Authorization"] == "Bearer k"


@respx.mock
@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(500),
        answer("not json at all"),
        answer({"intent": "gift_finder", "entities": {"money": "a lot"}}),
        answer({"intent": "gift_finder", "entities": {"age": -3}}),
        httpx.Response(200, json={"unexpected": True}),
    ],
)
async def test_an_error_or_invalid_answer_leaves_the_builtin_reading(reply):
    respx.post("http://model.test/v1/chat/completions").mock(return_value=reply)
    assert await ask() is BUILTIN


@respx.mock
async def test_a_timeout_leaves_the_builtin_reading():
    respx.post("http://model.test/v1/chat/completions").mock(side_effect=httpx.ReadTimeout("slow"))
    assert await ask() is BUILTIN


@respx.mock
async def test_an_unknown_intent_or_language_is_ignored_and_a_price_is_never_set():
    respx.post("http://model.test/v1/chat/completions").mock(
        return_value=answer(
            {"intent": "delete_all_orders", "language": "xx", "entities": {"price": 1, "age": 9}}
        )
    )
    found = await ask()
    assert found.intent is None and found.language is None
    assert found.entities == {"money": 5000, "age": 9}


def test_settings_come_from_shop_yaml_and_the_environment():
    from flows.model import UnderstandingSettings

    shop = UnderstandingSettings(
        provider="openai",
        base_url="http://127.0.0.1:11434/v1/",
        model="m",
        api_key_env="K",
        timeout="2s",
    )
    found = ModelSettings.from_shop(shop, {"K": "secret"})
    assert found == ModelSettings("http://127.0.0.1:11434/v1", "m", "secret", 2.0)
    assert ModelSettings.from_shop(UnderstandingSettings(), {}) is None
