"""The optional language model: asked for JSON, validated, and never trusted blindly."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import respx

from bot.project import open_project
from bot.settings import Settings
from flows import Engine, TextInput
from understanding import Understanding
from understanding.model import CircuitBreaker, ModelSettings, ask_model, interpreter_from_shop

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


# -- the interpreter the server and `shopchat chat` use ------------------------------------

ROOT = Path(__file__).resolve().parents[2]
URL = "http://model.test/v1/chat/completions"


@pytest.fixture(scope="module")
def demo():
    opened = open_project(ROOT / "examples" / "shop", Settings(_env_file=None))
    assert opened.project is not None
    return opened.project


def with_model(project, **extra):
    settings = project.shop.understanding.model_copy(
        update={"provider": "openai", "base_url": "http://model.test/v1", "model": "m", **extra}
    )
    shop = project.shop.model_copy(update={"understanding": settings})
    return SimpleNamespace(**{**vars(project), "shop": shop})


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_no_model_configured_means_no_interpreter(demo):
    assert interpreter_from_shop(demo) is None


@respx.mock
async def test_an_unsure_sentence_is_read_by_the_model_and_the_engine_follows_it(demo):
    route = respx.post(URL).mock(
        return_value=answer({"intent": "order_tracking", "entities": {"order_number": "A-77"}})
    )
    interpreter = interpreter_from_shop(with_model(demo))
    assert interpreter is not None
    found = await interpreter.read("my stuff still is not here, it has been ages", "en")
    await interpreter.aclose()
    assert found is not None and found.intent == "order_tracking"
    sent = json.loads(route.calls[0].request.content)["messages"][0]["content"]
    assert "order_tracking: Track an order" in sent  # the flows' titles tell it what each is

    # The engine takes the model's reading as it would its own.
    engine = Engine(demo)
    now = datetime.now(UTC)
    state = engine.new_session("c1", now=now, locale="en")
    turn = engine.advance(state, TextInput(text=found.text, meaning=found.to_dict()), now)
    assert turn.state.stack and turn.state.stack[0].flow == "order_tracking"


@respx.mock
async def test_a_sentence_the_builtin_reads_surely_is_not_sent_to_the_model(demo):
    route = respx.post(URL).mock(return_value=answer({"intent": "@human"}))
    interpreter = interpreter_from_shop(with_model(demo))
    assert interpreter is not None
    assert await interpreter.read("where is my order", "en") is None
    assert await interpreter.read("8", "en") is None  # a short answer: the flow reads it
    assert not route.called
    await interpreter.aclose()


@respx.mock
async def test_ask_always_sends_every_sentence(demo):
    route = respx.post(URL).mock(return_value=answer({"intent": "@human"}))
    interpreter = interpreter_from_shop(with_model(demo, ask="always"))
    assert interpreter is not None
    found = await interpreter.read("where is my order", "en")
    assert route.called and found is not None and found.intent == "@human"
    await interpreter.aclose()


@respx.mock
async def test_a_failing_model_is_left_alone_for_a_while_then_tried_again(demo):
    route = respx.post(URL).mock(return_value=httpx.Response(503))
    clock = Clock()
    breaker = CircuitBreaker(failures=3, cooldown=30, clock=clock)
    interpreter = interpreter_from_shop(with_model(demo), breaker=breaker)
    assert interpreter is not None
    text = "what's the weather like in Warsaw"
    for _ in range(5):
        assert await interpreter.read(text, "en") is None  # the built-in reading stands
    assert route.call_count == 3  # the last two were not sent
    clock.now += 31
    route.mock(return_value=answer({"intent": "@help"}))
    found = await interpreter.read(text, "en")
    assert found is not None and found.intent == "@help" and route.call_count == 4
    await interpreter.aclose()


async def test_a_model_slower_than_its_time_cap_is_not_waited_for(demo):
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return answer({"intent": "@human"})

    client = httpx.AsyncClient(transport=httpx.MockTransport(slow))
    project = with_model(demo)
    interpreter = interpreter_from_shop(project, client=client)
    assert interpreter is not None
    interpreter.settings = ModelSettings("http://model.test/v1", "m", timeout=0.05)
    assert await interpreter.read("what's the weather like in Warsaw", "en") is None
    assert interpreter.failed == 1
    await client.aclose()


@respx.mock
async def test_an_answer_that_adds_nothing_leaves_the_builtin_reading_with_its_question(demo):
    respx.post(URL).mock(return_value=answer({"intent": None, "entities": {}}))
    interpreter = interpreter_from_shop(with_model(demo))
    assert interpreter is not None
    assert await interpreter.read("what's the weather like in Warsaw", "en") is None
    await interpreter.aclose()
