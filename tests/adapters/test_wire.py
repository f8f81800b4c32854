"""Wire through Roman: authentication, events, polls, and which token a reply uses."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters.base import (
    MessageInbound,
    OutboundCall,
    RenderContext,
    StatusInbound,
    UnknownInbound,
    WebhookRejected,
)
from adapters.wire import WireChannel, WireSender
from flows import (
    Choice,
    ChoiceInput,
    ImageInput,
    MediaInput,
    ProductCard,
    ProductCards,
    StartInput,
    TextInput,
    TextReply,
)

DATA = Path(__file__).parents[1] / "data" / "wire"
TOKEN = "g_ZiEfOnMdVnbbpyKIWCVZIk"
BOT = "493ede3e-3b8c-4093-b850-3c2be8a87a95"
NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


class Polls:
    def __init__(self) -> None:
        self.kept: dict[str, str] = {}

    def keep(self, key: str, payload: str) -> None:
        self.kept[key] = payload

    def recall(self, key: str) -> str | None:
        return self.kept.get(key)


def channel(polls: Polls | None = None) -> WireChannel:
    return WireChannel(TOKEN, polls or Polls(), clock=lambda: NOW)


def parse(name: str, polls: Polls | None = None) -> list:
    return channel(polls).parse((DATA / name).read_bytes())


def test_only_the_service_token_is_accepted():
    wire = channel()
    wire.verify({"Authorization": f"Bearer {TOKEN}"}, b"{}")
    for headers, status in [
        ({}, 401),
        ({"Authorization": "Bearer nope"}, 403),
        ({"Authorization": TOKEN}, 403),
    ]:
        with pytest.raises(WebhookRejected) as refused:
            wire.verify(headers, b"{}")
        assert refused.value.status == status


def test_events_become_what_the_engine_understands():
    [request] = parse("bot_request.json")
    assert isinstance(request, MessageInbound) and request.event == StartInput()
    assert request.conversation_token == "eyJhbGciOiJIUzM4NCJ9.long-lived"
    assert request.conversation_id == f"wire:{BOT}" and request.locale == "en-US"
    [init] = parse("init.json")
    assert isinstance(init, StatusInbound)  # greeted on bot_request already
    [text] = parse("new_text.json")
    assert text.event == TextInput(text="Hi everybody!")
    assert text.reply_token == "eyJhbGciOiJIUzM4NCJ9.event"
    assert text.reply_token_expires == NOW + timedelta(seconds=15)
    [image] = parse("image_preview.json")
    assert image.event == ImageInput()
    for name, media in (("file_preview.json", "file"), ("audio_preview.json", "audio")):
        [other] = parse(name)
        assert other.event == MediaInput(media=media) and other.meta["mime_type"]


def test_a_poll_press_is_the_payload_of_the_button_pressed_and_is_confirmed():
    polls = Polls()
    wire = channel(polls)
    [call] = wire.render(
        BOT,
        [TextReply("Who is it for?", (Choice("A child", "child"), Choice("An adult", "adult")))],
        RenderContext(now=NOW),
    )
    poll = call.payload["message"]
    assert poll["type"] == "poll" and poll["poll"]["buttons"] == ["A child", "An adult"]
    press = json.loads((DATA / "poll_action.json").read_text())
    press["poll"]["id"] = poll["poll"]["id"]
    [inbound] = wire.parse(json.dumps(press).encode())
    assert inbound.event == ChoiceInput(payload="adult")  # offset 1
    confirm = wire.confirm(inbound)
    assert confirm is not None and confirm.payload["message"]["poll"] == {
        "id": poll["poll"]["id"],
        "type": "confirmation",
        "offset": 1,
        "userId": "4dfc5c70-dcc8-4d9e-82be-a3cbe6661107",
    }
    [unknown] = parse("poll_action.json", polls)  # a poll that is not ours
    assert isinstance(unknown, UnknownInbound)


def test_products_are_pictures_captions_and_a_poll_to_pick():
    cards = ProductCards(
        (
            ProductCard(
                "a",
                "Fire Station",
                "",
                "PLN189.99",
                "https://img.test/a.jpg",
                "https://shop.test/a",
                Choice("Choose", "a"),
            ),
            ProductCard("b", "Shuttle", "", "PLN249.99", None, None, Choice("Choose", "b")),
        )
    )
    calls = channel().render(BOT, [cards], RenderContext(now=NOW))
    kinds = [c.payload["message"]["type"] for c in calls]
    assert kinds == ["attachment", "text", "text", "poll"]
    assert calls[0].payload["message"]["attachment"] == {"url": "https://img.test/a.jpg"}
    assert calls[1].payload["message"]["text"]["data"] == (
        "1. Fire Station\nPLN189.99\nhttps://shop.test/a"
    )
    assert calls[3].payload["message"]["poll"]["buttons"] == ["Fire Station", "Shuttle"]


class Roman:
    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "GET":
            return httpx.Response(
                200, content=b"\xff\xd8jpeg", headers={"content-type": "image/jpeg"}
            )
        return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]


async def no_sleep(_delay: float) -> None:
    return None


def sender(roman: Roman, now: float, kept: str | None = "long-lived") -> WireSender:
    async def tokens(bot: str) -> str | None:
        assert bot == BOT
        return kept

    client = httpx.AsyncClient(transport=httpx.MockTransport(roman))
    return WireSender(
        client, tokens, api_base="https://roman.test", clock=lambda: now, sleep=no_sleep
    )


def text_call(token_until: float | None) -> OutboundCall:
    payload = {"bot": BOT, "message": {"type": "text", "text": {"data": "hi"}}}
    if token_until is not None:
        payload.update(token="event-token", token_until=token_until)
    return OutboundCall("text", payload, f"wire:{BOT}")


async def test_the_event_token_while_fresh_then_the_conversations_token():
    roman = Roman(httpx.Response(200, json={"messageId": "m1"}))
    assert (await sender(roman, now=10.0).send(text_call(20.0))).ok
    assert (await sender(roman, now=30.0).send(text_call(20.0))).ok
    assert [r.headers["Authorization"] for r in roman.requests] == [
        "Bearer event-token",
        "Bearer long-lived",
    ]
    assert roman.requests[0].url == "https://roman.test/api/conversation"
    assert json.loads(roman.requests[0].content) == {"type": "text", "text": {"data": "hi"}}
    nothing = await sender(Roman(httpx.Response(200)), now=30.0, kept=None).send(text_call(None))
    assert nothing.permanent


async def test_a_removed_bot_is_unreachable_and_a_403_tries_the_kept_token():
    gone = await sender(Roman(httpx.Response(409, json={"message": "Unknown bot"})), 10.0).send(
        text_call(20.0)
    )
    assert gone.unreachable
    roman = Roman(
        httpx.Response(403, json={"message": "Not authenticated"}),
        httpx.Response(200, json={"messageId": "m2"}),
    )
    assert (await sender(roman, now=10.0).send(text_call(20.0))).ok
    assert roman.requests[-1].headers["Authorization"] == "Bearer long-lived"


async def test_pictures_are_sent_as_bytes_and_unfetchable_ones_as_links():
    roman = Roman(httpx.Response(200, json={"messageId": "m3"}))
    call = OutboundCall(
        "attachment",
        {
            "bot": BOT,
            "message": {"type": "attachment", "attachment": {"url": "https://img.test/a.jpg"}},
        },
        f"wire:{BOT}",
    )
    assert (await sender(roman, now=0.0).send(call)).ok
    posted = json.loads(roman.requests[-1].content)
    assert posted == {
        "type": "attachment",
        "attachment": {
            "mimeType": "image/jpeg",
            "size": 6,
            "data": base64.b64encode(b"\xff\xd8jpeg").decode(),
        },
    }

    def refuse(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(404)
        roman.requests.append(request)
        return httpx.Response(200, json={})

    async def tokens(_bot: str) -> str:
        return "long-lived"

    client = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    assert (await WireSender(client, tokens, api_base="https://roman.test").send(call)).ok
    assert json.loads(roman.requests[-1].content) == {
        "type": "text",
        "text": {"data": "https://img.test/a.jpg"},
    }
