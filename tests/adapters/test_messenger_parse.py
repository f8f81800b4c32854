"""Messenger webhooks as the dispatcher sees them: verified, parsed into events, in order."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import (
    BadPayload,
    EchoInbound,
    Inbound,
    MessageInbound,
    StatusInbound,
    WebhookRejected,
    inbound_from_json,
)
from adapters.messenger import MessengerChannel
from flows import ChoiceInput, ImageInput, LocationInput, MediaInput, StartInput, TextInput

DATA = Path(__file__).parent.parent / "data" / "messenger"
SECRET = "messenger-app-secret"
PAGE = "107392638845910"
PSID = "6998441213545698"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def parse(name: str, page_id: str | None = PAGE) -> list[Inbound]:
    return MessengerChannel(SECRET, page_id).parse(sample(name))


def make_body(*messaging: dict[str, Any]) -> bytes:
    return json.dumps(
        {"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": list(messaging)}]}
    ).encode()


def test_a_signed_webhook_is_accepted_and_a_forged_one_rejected() -> None:
    channel = MessengerChannel(SECRET)
    body = sample("image.json")
    good = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    channel.verify({"X-Hub-Signature-256": good}, body)
    # The same JSON without Meta's escaped slashes is a different body.
    with pytest.raises(WebhookRejected) as caught:
        channel.verify({"X-Hub-Signature-256": good}, body.replace(b"\\/", b"/"))
    assert caught.value.status == 403
    with pytest.raises(WebhookRejected) as caught:
        channel.verify({"X-Hub-Signature-256": "sha256=xyz"}, body)
    assert caught.value.status == 401


def test_a_text_message() -> None:
    [event] = parse("text.json")
    assert event.channel == "messenger"
    assert isinstance(event, MessageInbound)
    assert event.event_id.startswith("m_rSMlvsTr7NYB0")
    assert event.conversation_id == f"messenger:{PSID}"
    assert event.recipient == PSID
    assert event.user == {"id": PSID}
    assert event.event == TextInput(text="Je voudrais un café crème ☕ à emporter")
    assert event.sent_at == datetime(2025, 6, 8, 20, 59, 43, 109000, tzinfo=UTC)


def test_a_tapped_quick_reply_is_a_choice() -> None:
    [event] = parse("quick_reply.json")
    assert event.event == ChoiceInput(payload="size:m", label="Medium")


def test_a_pressed_postback_button_is_a_choice_deduplicated_on_its_mid() -> None:
    [event] = parse("postback.json")
    assert isinstance(event, MessageInbound)
    assert event.event == ChoiceInput(payload="sku-4411", label="Choose")
    assert event.event_id.startswith("m_1FpOeX0dP4u3")


def test_get_started_after_a_link_starts_with_the_links_ref() -> None:
    [event] = parse("postback_referral.json")
    assert event.event == StartInput(payload="summer-sale")
    assert event.meta["referral_source"] == "SHORTLINK"
    assert event.meta["postback_payload"] == "GET_STARTED"


def test_following_a_link_in_an_open_thread_starts_with_its_ref() -> None:
    [event] = parse("referral.json")
    assert isinstance(event, MessageInbound)
    assert event.event == StartInput(payload="gift-finder")
    assert event.event_id == f"referral:{PSID}:1749416799000"


def test_a_photo() -> None:
    [event] = parse("image.json")
    assert isinstance(event.event, ImageInput)
    assert event.event.url is not None
    assert event.event.url.startswith("https://scontent.xx.fbcdn.net/v/t1.15752-9/")


def test_a_shared_location() -> None:
    [event] = parse("location.json")
    assert event.event == LocationInput(latitude=48.8584, longitude=2.2945, name="Pinned Location")


def test_a_delivery_receipt_without_timestamp_is_a_status() -> None:
    [event] = parse("delivery.json")
    assert isinstance(event, StatusInbound)
    assert event.event_id == f"delivery:{PSID}:1749417099000"
    assert event.sent_at is None
    assert event.status == "delivered"
    assert event.meta["watermark"] == 1749417099000
    assert len(event.meta["mids"]) == 1


def test_a_read_receipt_is_a_status_distinct_from_the_delivery() -> None:
    [read] = parse("read.json")
    [delivery] = parse("delivery.json")
    assert isinstance(read, StatusInbound)
    assert read.event_id == f"read:{PSID}:1749417190000"
    assert read.status == "read"
    assert read.event_id != delivery.event_id


def test_the_pages_own_message_is_an_echo_in_the_shoppers_conversation() -> None:
    [event] = parse("echo.json")
    assert isinstance(event, EchoInbound)
    assert event.conversation_id == f"messenger:{PSID}"
    assert event.recipient == PSID
    assert event.app_id == 263902037430900
    assert event.text is not None and event.text.startswith("Hi, this is Marta")


def test_a_reaction_is_a_message_the_shop_answers_with_a_stable_id() -> None:
    [first] = parse("reaction.json")
    [again] = parse("reaction.json")
    assert isinstance(first, MessageInbound)
    assert first.event == MediaInput(media="reaction")
    assert first.event_id == again.event_id


def test_a_batched_body_yields_every_event_in_order() -> None:
    events = parse("batched.json")
    assert [(e.event_id, e.kind) for e in events] == [
        ("m_batch_1", "message"),
        ("m_batch_2", "message"),
        (f"delivery:{PSID}:1749417999003", "status"),
        ("m_batch_3", "echo"),
        ("m_batch_4", "message"),
    ]
    assert events[1].conversation_id == "messenger:7123456789012345"
    assert isinstance(events[4], MessageInbound)
    assert events[4].event == ChoiceInput(payload="next", label="Et après ?")


def test_events_for_another_page_are_dropped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="shopchat.adapters.messenger"):
        events = parse("batched.json")
    assert "m_other_page_1" not in {e.event_id for e in events}
    assert "555000111222333" in caplog.text
    assert "m_other_page_1" in {e.event_id for e in parse("batched.json", page_id=None)}


def test_unknown_fields_are_ignored() -> None:
    body = make_body(
        {
            "sender": {"id": PSID, "user_ref": "x"},
            "recipient": {"id": PAGE},
            "timestamp": 1749416383109,
            "message": {"mid": "m_new", "text": "hi", "nlp": {"entities": {}}, "commands": []},
            "brand_new": True,
        }
    )
    [event] = MessengerChannel(SECRET).parse(body)
    assert event.event == TextInput(text="hi")


def test_events_are_json_serialisable_for_the_inbox() -> None:
    for path in sorted(DATA.glob("*.json")):
        for event in MessengerChannel(SECRET, PAGE).parse(path.read_bytes()):
            assert inbound_from_json(event.model_dump_json()) == event


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'{"object": "instagram", "entry": []}',
        b'{"object": "whatsapp_business_account", "entry": []}',
        b'{"object": "page"}',
        b'{"object": "page", "entry": [{"messaging": []}]}',
        b'{"object": "page", "entry": [{"id": "1", "messaging": "no"}]}',
        make_body({"recipient": {"id": PAGE}, "message": {"mid": "m", "text": "no sender"}}),
        make_body(
            {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "message": {"text": "no mid"}}
        ),
        make_body(
            {
                "sender": {"id": PSID},
                "recipient": {"id": PAGE},
                "timestamp": 10**30,
                "message": {"mid": "m", "text": "far future"},
            }
        ),
        make_body(
            {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "read": {"watermark": "soon"}}
        ),
    ],
)
def test_a_malformed_body_is_a_bad_payload(body: bytes) -> None:
    with pytest.raises(BadPayload):
        MessengerChannel(SECRET).parse(body)


# -- any input: BadPayload or events, never a crash -----------------------------------------
KEYS = [
    "object",
    "entry",
    "id",
    "time",
    "messaging",
    "sender",
    "recipient",
    "timestamp",
    "message",
    "mid",
    "text",
    "quick_reply",
    "payload",
    "attachments",
    "type",
    "url",
    "coordinates",
    "lat",
    "long",
    "sticker_id",
    "is_echo",
    "app_id",
    "postback",
    "title",
    "referral",
    "ref",
    "source",
    "delivery",
    "mids",
    "watermark",
    "read",
    "reply_to",
]
WORDS = ["page", "image", "location", "fallback", PAGE, PSID, "m_1"]
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from(WORDS)
)
json_ish = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=5)
    ),
    max_leaves=40,
)


def _mutate(data: Any, path: list[int], replacement: Any) -> Any:
    if not path or not isinstance(data, dict | list) or not data:
        return replacement
    if isinstance(data, dict):
        key = sorted(data)[path[0] % len(data)]
        return {**data, key: _mutate(data[key], path[1:], replacement)}
    i = path[0] % len(data)
    return [*data[:i], _mutate(data[i], path[1:], replacement), *data[i + 1 :]]


SAMPLES = [json.loads(p.read_bytes()) for p in sorted(DATA.glob("*.json"))]
mutated_samples = st.builds(
    lambda s, path, v: json.dumps(_mutate(s, path, v)).encode(),
    st.sampled_from(SAMPLES),
    st.lists(st.integers(min_value=0, max_value=50), min_size=5, max_size=14),
    leaves | json_ish,
)
bodies = st.one_of(
    mutated_samples,
    mutated_samples,
    st.binary(max_size=64),
    json_ish.map(lambda v: json.dumps(v).encode()),
    json_ish.map(lambda v: json.dumps({"object": "page", "entry": v}).encode()),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def test_parse_raises_nothing_but_bad_payload(body: bytes) -> None:
    try:
        events = MessengerChannel(SECRET).parse(body)
    except BadPayload:
        return
    for event in events:
        event.model_dump_json()
