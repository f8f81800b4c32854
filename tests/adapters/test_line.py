"""LINE: signature, parsing of each event kind, rendering within LINE's limits, sending."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters.base import (
    BadPayload,
    MessageInbound,
    OutboundCall,
    RenderContext,
    StatusInbound,
    UnknownInbound,
    WebhookRejected,
)
from adapters.line import LineChannel, LineSender
from adapters.line.render import carousels, text_messages
from adapters.line.signature import sign
from flows import (
    Choice,
    ChoiceInput,
    ImageInput,
    LocationInput,
    MediaInput,
    ProductCard,
    StartInput,
    TextInput,
    TextReply,
)

DATA = Path(__file__).parents[1] / "data" / "line"
SECRET = "8c3b3e6a1f2d4e5f8a9b0c1d2e3f4a5b"
USER = "U4af4980629abcdef0123456789abcdef"


def parse(name: str) -> list:
    body = (DATA / name).read_bytes()
    channel = LineChannel(SECRET)
    channel.verify({"x-line-signature": sign(SECRET, body)}, body)
    return channel.parse(body)


def test_the_signature_is_base64_hmac_sha256_of_the_raw_body():
    body = (DATA / "text.json").read_bytes()
    channel = LineChannel(SECRET)
    channel.verify({"X-Line-Signature": sign(SECRET, body)}, body)
    with pytest.raises(WebhookRejected) as wrong:
        channel.verify({"X-Line-Signature": sign("other", body)}, body)
    assert wrong.value.status == 403
    with pytest.raises(WebhookRejected) as missing:
        channel.verify({}, body)
    assert missing.value.status == 401
    respaced = json.dumps(json.loads(body)).encode()  # the same JSON, re-serialised
    with pytest.raises(WebhookRejected):
        channel.verify({"X-Line-Signature": sign(SECRET, body)}, respaced)


def test_each_event_kind_becomes_what_the_engine_understands():
    [text] = parse("text.json")
    assert isinstance(text, MessageInbound) and text.event == TextInput(text="Hello, world")
    assert text.event_id == "01H810YECXQQZ37VAXPF6H9E6T"
    assert text.conversation_id == f"line:{USER}" and text.recipient == USER
    assert text.reply_token == "38ef843bde154d9b91c21320ffd17a0f"
    assert text.reply_token_expires == text.sent_at + timedelta(seconds=50)

    [sticker] = parse("sticker.json")
    assert sticker.event == MediaInput(media="sticker") and sticker.meta["sticker_id"] == "52002734"
    for name, media in (("audio.json", "audio"), ("video.json", "video"), ("file.json", "file")):
        [sent] = parse(name)
        assert sent.event == MediaInput(media=media)
    [image] = parse("image.json")
    assert image.event == ImageInput(url="https://example.com/original.jpg")
    [place] = parse("location.json")
    assert place.event == LocationInput(
        latitude=35.67966,
        longitude=139.73669,
        name="my location",
        address="1-3 Kioicho, Chiyoda-ku, Tokyo, 102-8282, Japan",
    )
    [press] = parse("postback.json")
    assert press.event == ChoiceInput(payload="gift")
    [follow] = parse("follow.json")
    assert follow.event == StartInput()
    [unfollow] = parse("unfollow.json")
    assert isinstance(unfollow, StatusInbound) and unfollow.reachable is False
    assert parse("verify.json") == []


def test_a_redelivered_event_keeps_its_id_and_drops_its_reply_token():
    [first] = parse("text.json")
    [again] = parse("redelivered_text.json")
    assert again.event_id == first.event_id  # the inbox answers it once
    assert again.reply_token is None and again.meta["redelivery"] is True


def test_standby_events_and_unknown_types_are_not_answered():
    body = json.loads((DATA / "text.json").read_text())
    body["events"][0]["mode"] = "standby"
    body["events"].append(
        {
            **body["events"][0],
            "type": "unsend",
            "mode": "active",
            "webhookEventId": "01H810YECXQQZ37VAXPF6H9E70",
        }
    )
    events = LineChannel(SECRET).parse(json.dumps(body).encode())
    assert [type(e) for e in events] == [UnknownInbound, UnknownInbound]


@pytest.mark.parametrize(
    "body",
    [b"[]", b'{"events": [{"type": "message"}]}', b'{"events": "no"}', b"\xff"],
)
def test_unusable_bodies_are_bad_payloads(body):
    with pytest.raises(BadPayload):
        LineChannel(SECRET).parse(body)


def test_quick_replies_and_long_labels_within_limits():
    choices = [Choice(f"Option {n}", f"p{n}") for n in range(13)]
    [message] = text_messages("Pick one", choices)
    items = message["quickReply"]["items"]
    assert len(items) == 13
    assert all(len(i["action"]["label"]) <= 20 for i in items)
    assert all(i["action"]["displayText"] == f"Option {n}" for n, i in enumerate(items))

    long = [Choice("A label far longer than twenty characters", "a"), Choice("Short", "b")]
    [numbered] = text_messages("Pick", long)
    assert "1. A label far longer than twenty characters" in numbered["text"]
    assert [i["action"]["label"] for i in numbered["quickReply"]["items"]] == ["1", "2"]

    many = [Choice(f"O{n}", f"p{n}") for n in range(14)]
    [typed] = text_messages("Pick", many)
    assert "quickReply" not in typed and "14. O13" in typed["text"]

    pieces = text_messages("word " * 2500)
    assert len(pieces) == 3 and all(len(p["text"]) <= 5000 for p in pieces)


def test_products_are_flex_carousels_of_at_most_12_bubbles():
    cards = [
        ProductCard(
            f"sku{n}",
            f"Product {n}",
            "",
            "PLN10.00",
            f"https://img.test/{n}.jpg",
            f"https://shop.test/{n}",
            Choice("Choose", f"sku{n}"),
        )
        for n in range(14)
    ]
    first, second = carousels(cards, "View")
    assert len(first["contents"]["contents"]) == 12 and len(second["contents"]["contents"]) == 2
    assert len(first["altText"]) <= 1500
    bubble = first["contents"]["contents"][0]
    assert bubble["hero"]["url"] == "https://img.test/0.jpg"
    choose, view = bubble["footer"]["contents"]
    assert choose["action"] == {
        "type": "postback",
        "label": "Choose",
        "data": "sku0",
        "displayText": "Product 0",
    }
    assert view["action"]["uri"] == "https://shop.test/0"
    insecure = carousels([ProductCard("x", "X", image_url="http://img.test/x.jpg")], "View")
    assert "hero" not in insecure[0]["contents"]["contents"][0]  # LINE fetches HTTPS only


def test_a_turn_replies_once_with_the_token_and_pushes_the_rest():
    [inbound] = parse("text.json")
    assert isinstance(inbound, MessageInbound)
    now = inbound.sent_at + timedelta(seconds=2)
    replies = [TextReply(f"Message {n}") for n in range(7)]
    calls = LineChannel(SECRET).render(USER, replies, RenderContext(now=now, reply_to=inbound))
    assert [c.method for c in calls] == ["reply", "push"]
    assert calls[0].payload["replyToken"] == inbound.reply_token
    assert [len(c.payload["messages"]) for c in calls] == [5, 2]
    late = LineChannel(SECRET).render(
        USER, replies[:1], RenderContext(now=now + timedelta(minutes=5), reply_to=inbound)
    )
    assert [c.method for c in late] == ["push"]


class Api:
    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]


async def no_sleep(_delay: float) -> None:
    return None


def sender(api: Api, now: float) -> LineSender:
    client = httpx.AsyncClient(transport=httpx.MockTransport(api))
    return LineSender(
        client, "tok", api_base="https://api.line.test", clock=lambda: now, sleep=no_sleep
    )


def reply_call(until: float) -> OutboundCall:
    return OutboundCall(
        "reply",
        {
            "to": USER,
            "messages": [{"type": "text", "text": "hi"}],
            "retry_key": "k-1",
            "replyToken": "rt",
            "reply_until": until,
        },
        f"line:{USER}",
    )


async def test_a_stale_or_refused_reply_token_falls_back_to_push_with_a_retry_key():
    api = Api(httpx.Response(200, json={}))
    result = await sender(api, now=2000.0).send(reply_call(until=1000.0))
    assert result.ok
    [request] = api.requests
    assert request.url.path == "/v2/bot/message/push"
    assert json.loads(request.content) == {"to": USER, "messages": [{"type": "text", "text": "hi"}]}
    assert request.headers["X-Line-Retry-Key"] == "k-1"
    assert request.headers["Authorization"] == "Bearer tok"

    api = Api(
        httpx.Response(400, json={"message": "Invalid reply token"}), httpx.Response(200, json={})
    )
    result = await sender(api, now=10.0).send(reply_call(until=1000.0))
    assert result.ok
    assert [r.url.path for r in api.requests] == ["/v2/bot/message/reply", "/v2/bot/message/push"]


async def test_a_push_already_accepted_counts_as_sent_and_429_is_retried():
    api = Api(
        httpx.Response(429, json={"message": "Too many requests"}),
        httpx.Response(409, json={"message": "The retry key is already accepted"}),
    )
    result = await sender(api, now=10.0).send(reply_call(until=0.0))
    assert result.ok and len(api.requests) == 2
    api = Api(httpx.Response(400, json={"message": "The request body has 1 error(s)"}))
    bad = await sender(api, now=10.0).send(reply_call(until=0.0))
    assert bad.permanent and "1 error" in bad.error


def test_reply_token_expiry_is_measured_from_the_event():
    [inbound] = parse("text.json")
    assert inbound.sent_at == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
