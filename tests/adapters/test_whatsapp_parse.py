"""WhatsApp webhooks as the dispatcher sees them: verified, parsed into events, in order."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import (
    BadPayload,
    Inbound,
    MessageInbound,
    StatusInbound,
    UnknownInbound,
    WebhookRejected,
    inbound_from_json,
)
from adapters.whatsapp import WhatsAppChannel
from flows import (
    CatalogOrderInput,
    ChoiceInput,
    ContactInput,
    ImageInput,
    LocationInput,
    MediaInput,
    OrderedItem,
    TextInput,
)

DATA = Path(__file__).parent.parent / "data" / "whatsapp"
SECRET = "whatsapp-app-secret"
PHONE_NUMBER_ID = "106540352242922"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def parse(name: str, phone_number_id: str | None = PHONE_NUMBER_ID) -> list[Inbound]:
    return WhatsAppChannel(SECRET, phone_number_id).parse(sample(name))


def make_body(
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> bytes:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
    }
    if messages is not None:
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


def test_a_signed_webhook_is_accepted_and_a_forged_one_rejected() -> None:
    channel = WhatsAppChannel(SECRET, PHONE_NUMBER_ID)
    body = sample("text.json")
    good = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    channel.verify({"x-hub-signature-256": good}, body)
    with pytest.raises(WebhookRejected) as caught:
        channel.verify({"x-hub-signature-256": good}, body.replace(b"caf", b"CAF"))
    assert caught.value.status == 403
    with pytest.raises(WebhookRejected) as caught:
        channel.verify({}, body)
    assert caught.value.status == 401


def test_a_text_message() -> None:
    [event] = parse("text.json")
    assert event.channel == "whatsapp"
    assert isinstance(event, MessageInbound)
    assert event.event_id == "wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQTRBNjVFNzY5QjlGRjBGNkM0NQA="
    assert event.conversation_id == "whatsapp:33612345678"
    assert event.recipient == "33612345678"
    assert event.event == TextInput(text="Un café crème, s'il vous plaît 😀")
    assert event.user == {"id": "33612345678", "name": "Renée Dupré", "first_name": "Renée"}
    assert event.sent_at == datetime(2025, 6, 8, 20, 59, 43, tzinfo=UTC)
    assert event.meta["phone_number_id"] == PHONE_NUMBER_ID


def test_a_pressed_reply_button_is_a_choice() -> None:
    [event] = parse("interactive_button_reply.json")
    assert isinstance(event, MessageInbound)
    assert event.event == ChoiceInput(payload="size:m", label="Medium")
    assert event.reply_to == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQUIyRkM0NTNFQjg3ODEwRUMA"


def test_a_picked_list_row_is_a_choice() -> None:
    [event] = parse("interactive_list_reply.json")
    assert isinstance(event, MessageInbound)
    assert event.event == ChoiceInput(payload="sku-4411", label="Ceramic mug, speckl…")
    assert event.meta["description"] == "Ceramic mug, speckled glaze, 350 ml"


def test_a_template_quick_reply_is_a_choice() -> None:
    [event] = parse("button_template_reply.json")
    assert isinstance(event, MessageInbound)
    assert event.event == ChoiceInput(payload="resume_order", label="Yes, continue")


def test_a_shared_location() -> None:
    [event] = parse("location.json")
    assert isinstance(event, MessageInbound)
    assert event.event == LocationInput(
        latitude=37.483307,
        longitude=-122.148981,
        name="Meta Headquarters",
        address="1 Hacker Way, Menlo Park, CA 94025",
    )


def test_a_photo_with_a_caption() -> None:
    [event] = parse("image.json")
    assert isinstance(event, MessageInbound)
    assert event.event == ImageInput(url=None, caption="Do you have this in blue?")
    assert event.meta["media_id"] == "1003383421387256"
    assert event.meta["mime_type"] == "image/jpeg"


def test_a_shared_contact_card() -> None:
    [event] = parse("contacts.json")
    assert isinstance(event, MessageInbound)
    assert event.event == ContactInput(phone="+1 (650) 555-6789", name="Barbara J. Johnson")


def test_a_catalog_order_is_a_cart_for_the_engine_with_the_prices_the_shopper_saw() -> None:
    [event] = parse("order.json")
    assert isinstance(event, MessageInbound)
    assert event.conversation_id == "whatsapp:16505551234"
    assert event.event == CatalogOrderInput(
        items=(
            OrderedItem(
                retailer_id="di9ozbzfi4", quantity=2, price=Decimal("30.5"), currency="USD"
            ),
            OrderedItem(retailer_id="nqryix03ez", quantity=1, price=Decimal("25"), currency="USD"),
        ),
        text="Gift wrap please",
        catalog_id="194836987003835",
    )
    # What the inbox stores reads back as the same event (prices as exact decimals).
    assert inbound_from_json(event.model_dump_json()) == event


def test_a_catalog_order_with_quantities_as_strings_and_no_note() -> None:
    message = {
        "from": "48600123456",
        "id": "wamid.ORDER2",
        "timestamp": "1750091600",
        "type": "order",
        "order": {
            "catalog_id": "1",
            "product_items": [
                {
                    "product_retailer_id": "kite",
                    "quantity": "3",
                    "item_price": "12.50",
                    "currency": "pln",
                }
            ],
        },
    }
    [event] = WhatsAppChannel(SECRET, PHONE_NUMBER_ID).parse(make_body([message]))
    assert isinstance(event, MessageInbound)
    assert event.event == CatalogOrderInput(
        items=(
            OrderedItem(retailer_id="kite", quantity=3, price=Decimal("12.50"), currency="PLN"),
        ),
        catalog_id="1",
    )


def test_a_catalog_order_item_without_price_or_currency_is_still_an_order() -> None:
    message = {
        "from": "48600123456",
        "id": "wamid.ORDER3",
        "timestamp": "1750091600",
        "type": "order",
        "order": {"product_items": [{"product_retailer_id": "kite", "item_price": "NaN"}]},
    }
    [event] = WhatsAppChannel(SECRET, PHONE_NUMBER_ID).parse(make_body([message]))
    assert isinstance(event, MessageInbound)
    assert event.event == CatalogOrderInput(items=(OrderedItem(retailer_id="kite", quantity=1),))


def test_an_unsupported_message_is_answered_with_what_the_shop_can_do() -> None:
    [event] = parse("unsupported.json")
    assert isinstance(event, MessageInbound)
    assert event.event == MediaInput(media="other")
    assert event.conversation_id == "whatsapp:16505551234"


def test_sent_delivered_and_read_of_one_message_are_three_distinct_events() -> None:
    events = parse("statuses.json")
    assert all(isinstance(e, StatusInbound) for e in events)
    assert [e.status for e in events if isinstance(e, StatusInbound)] == [
        "sent",
        "delivered",
        "read",
        "failed",
    ]
    assert len({e.event_id for e in events}) == 4
    wamid = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA"
    assert events[0].event_id == f"{wamid}:sent"
    assert events[0].meta["recipient_id"] == "16505551234"
    assert events[0].meta["errors"] == []
    assert events[0].conversation_id == "whatsapp:16505551234"
    assert events[0].reachable is None  # a receipt says nothing about blocking
    assert events[2].sent_at == datetime.fromtimestamp(1750263790, UTC)


def test_a_failed_status_outside_the_window_says_so() -> None:
    failed = parse("statuses.json")[-1]
    assert isinstance(failed, StatusInbound)
    assert failed.status == "failed"
    assert failed.window_closed is True
    assert failed.reachable is None  # the shopper can still write and reopen the window
    assert failed.meta["errors"][0]["code"] == 131047
    assert "24 hours" in failed.meta["errors"][0]["details"]


def test_a_failed_status_for_a_number_that_cannot_receive_marks_it_unreachable() -> None:
    status = {
        "id": "wamid.gone",
        "status": "failed",
        "timestamp": "1750263800",
        "recipient_id": "16505551234",
        "errors": [{"code": 131026, "title": "Message undeliverable"}],
    }
    [failed] = WhatsAppChannel(SECRET).parse(make_body(statuses=[status]))
    assert isinstance(failed, StatusInbound)
    assert failed.unreachable and failed.reachable is False
    assert failed.message_id == "wamid.gone"


def test_a_batched_body_yields_every_event_in_order() -> None:
    events = parse("batched.json")
    assert [e.event_id for e in events] == [
        "wamid.batch.1",
        "wamid.batch.2",
        "wamid.batch.3",
        "wamid.out.1:delivered",
        "wamid.batch.4",
    ]
    assert events[0].user["name"] == "Ana María"
    assert events[1].user["name"] == "Jörg"
    said = [e.event if isinstance(e, MessageInbound) else None for e in events]
    assert said[1] == TextInput(text="Grüß Gott")
    assert said[2] == ChoiceInput(payload="yes", label="Sí")
    assert said[4] == LocationInput(latitude=40.4168, longitude=-3.7038)


def test_events_for_another_business_number_are_dropped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="shopchat.adapters.whatsapp"):
        events = parse("batched.json")
    assert "wamid.other.1" not in {e.event_id for e in events}
    assert "999999999999999" in caplog.text


def test_a_channel_without_a_number_accepts_every_number() -> None:
    events = parse("batched.json", phone_number_id=None)
    assert "wamid.other.1" in [e.event_id for e in events]


def test_a_reaction_or_other_new_type_is_unknown_not_an_error() -> None:
    body = make_body(
        [
            {
                "from": "16505551234",
                "id": "wamid.reaction",
                "timestamp": "1750091701",
                "type": "reaction",
                "reaction": {"message_id": "wamid.x", "emoji": "👍"},
                "brand_new_field": {"anything": [1, 2, 3]},
            }
        ]
    )
    [event] = WhatsAppChannel(SECRET).parse(body)
    assert isinstance(event, MessageInbound)
    assert event.event == MediaInput(media="reaction")
    assert event.meta["type"] == "reaction"
    # A reaction taken back (empty emoji) and a type nobody knows yet are only acknowledged.
    for message in (
        {"type": "reaction", "reaction": {"message_id": "wamid.x", "emoji": ""}},
        {"type": "brand_new_type", "brand_new_type": {}},
    ):
        raw = {"from": "16505551234", "id": "wamid.y", "timestamp": "1750091702", **message}
        [event] = WhatsAppChannel(SECRET).parse(make_body([raw]))
        assert isinstance(event, UnknownInbound)


def test_events_are_json_serialisable_for_the_inbox() -> None:
    for path in sorted(DATA.glob("*.json")):
        for event in WhatsAppChannel(SECRET, PHONE_NUMBER_ID).parse(path.read_bytes()):
            assert inbound_from_json(event.model_dump_json()) == event


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'"whatsapp_business_account"',
        b'{"object": "page", "entry": []}',
        b'{"object": "whatsapp_business_account"}',
        b'{"object": "whatsapp_business_account", "entry": {}}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": "x"}]}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",'
        b' "value": {"messages": []}}]}]}',
        make_body([{"from": "1", "timestamp": "1", "type": "text", "text": {"body": "no id"}}]),
        make_body(
            [
                {
                    "id": "w",
                    "from": "1",
                    "timestamp": "yesterday",
                    "type": "text",
                    "text": {"body": "x"},
                }
            ]
        ),
        make_body(
            [{"id": "w", "from": "1", "timestamp": "9" * 30, "type": "text", "text": {"body": "x"}}]
        ),
        make_body(
            [
                {
                    "id": "w",
                    "from": "1",
                    "type": "location",
                    "location": {"latitude": 200, "longitude": 0},
                }
            ]
        ),
        make_body(statuses=[{"status": "read"}]),
        b'{"object": "whatsapp_business_account", "entry": [' * 2000,
    ],
)
def test_a_malformed_body_is_a_bad_payload(body: bytes) -> None:
    with pytest.raises(BadPayload):
        WhatsAppChannel(SECRET).parse(body)


# -- any input: BadPayload or events, never a crash -----------------------------------------
KEYS = [
    "object",
    "entry",
    "id",
    "changes",
    "field",
    "value",
    "metadata",
    "phone_number_id",
    "contacts",
    "profile",
    "name",
    "wa_id",
    "messages",
    "statuses",
    "from",
    "timestamp",
    "type",
    "text",
    "body",
    "interactive",
    "button_reply",
    "list_reply",
    "title",
    "description",
    "button",
    "payload",
    "location",
    "latitude",
    "longitude",
    "image",
    "caption",
    "order",
    "product_items",
    "item_price",
    "quantity",
    "currency",
    "product_retailer_id",
    "errors",
    "code",
    "status",
    "recipient_id",
    "context",
    "phones",
    "phone",
    "formatted_name",
]
WORDS = [
    "whatsapp_business_account",
    "messages",
    "text",
    "interactive",
    "button_reply",
    "list_reply",
    "button",
    "location",
    "image",
    "contacts",
    "order",
    "unsupported",
    "1750091701",
    PHONE_NUMBER_ID,
    "read",
    "failed",
]
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
    """``data`` with the node reached by following ``path`` (indices mod size) replaced."""
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
    json_ish.map(
        lambda v: json.dumps({"object": "whatsapp_business_account", "entry": v}).encode()
    ),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def test_parse_raises_nothing_but_bad_payload(body: bytes) -> None:
    try:
        events = WhatsAppChannel(SECRET).parse(body)
    except BadPayload:
        return
    for event in events:
        event.model_dump_json()
