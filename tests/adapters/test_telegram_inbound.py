"""Telegram webhooks in: who may post, and what each kind of update becomes."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import (
    BadPayload,
    Inbound,
    MessageInbound,
    PaymentInbound,
    PreCheckoutInbound,
    StatusInbound,
    UnknownInbound,
    WebhookRejected,
    inbound_from_json,
)
from adapters.telegram import SECRET_HEADER, TelegramChannel
from flows import (
    ChoiceInput,
    ContactInput,
    ImageInput,
    LocationInput,
    MediaInput,
    StartInput,
    TextInput,
)
from tests.adapters.test_telegram_oracle import sample_body

SECRET = "s3cret_webhook-token"


class FakePayloadMap:
    """In-memory PayloadMap: long payloads stay here, a short token goes to Telegram."""

    PREFIX = "~p:"

    def __init__(self) -> None:
        self.payloads: dict[str, str] = {}

    def shorten(self, payload: str) -> str:
        for token, known in self.payloads.items():
            if known == payload:
                return token
        token = f"{self.PREFIX}{len(self.payloads) + 1}"
        self.payloads[token] = payload
        return token

    def expand(self, token: str) -> str | None:
        return self.payloads.get(token)


# Payload factories: one realistic default, override what the test is about.


def make_user(user_id: int = 1, first_name: str = "Ana", **fields: Any) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, **fields}


def make_message(
    text: str | None = "hi",
    chat_id: int = 1,
    chat_type: str = "private",
    sender: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = "Ana"
    else:
        chat["title"] = "Ceramics lovers"
    message: dict[str, Any] = {"message_id": 10, "chat": chat, "date": 1781000000, **fields}
    if sender is not None:
        message["from"] = sender
    if text is not None:
        message["text"] = text
    return message


def make_telegram_text(text: str = "hi", user_id: int = 1, update_id: int = 1) -> bytes:
    sender = make_user(user_id, language_code="en")
    return make_update(update_id, message=make_message(text, chat_id=user_id, sender=sender))


def make_update(update_id: int = 1, **body: Any) -> bytes:
    return json.dumps({"update_id": update_id, **body}).encode()


def parse_one(body: bytes, payloads: FakePayloadMap | None = None) -> Inbound:
    inbounds = TelegramChannel(SECRET, payloads=payloads).parse(body)
    assert len(inbounds) == 1
    return inbounds[0]


# verify: only Telegram, proven by the secret token, gets in.


def test_the_right_secret_token_is_accepted() -> None:
    TelegramChannel(SECRET).verify({SECRET_HEADER: SECRET}, b"{}")


def test_header_names_are_matched_whatever_their_case() -> None:
    TelegramChannel(SECRET).verify({SECRET_HEADER.lower(): SECRET}, b"{}")


def test_a_request_without_the_secret_header_is_rejected_as_unauthenticated() -> None:
    with pytest.raises(WebhookRejected) as rejected:
        TelegramChannel(SECRET).verify({"Content-Type": "application/json"}, b"{}")
    assert rejected.value.status == 401


@pytest.mark.parametrize("forged", ["wrong", SECRET + "x", SECRET[:-1], "", "s3cret_wébhook"])
def test_a_forged_secret_is_rejected_as_forbidden(forged: str) -> None:
    with pytest.raises(WebhookRejected) as rejected:
        TelegramChannel(SECRET).verify({SECRET_HEADER: forged}, b"{}")
    assert rejected.value.status == 403


@pytest.mark.parametrize("configured", [None, ""])
def test_without_a_configured_secret_every_request_is_refused(configured: str | None) -> None:
    # An empty header would otherwise "match" an empty secret: a forgeable webhook.
    channel = TelegramChannel(configured)
    for headers in ({}, {SECRET_HEADER: ""}, {SECRET_HEADER: "anything"}):
        with pytest.raises(WebhookRejected) as rejected:
            channel.verify(headers, b"{}")
        assert rejected.value.status == 403


def test_a_secret_telegram_would_refuse_is_reported_at_startup() -> None:
    with pytest.raises(ValueError, match="SHOPCHAT_TELEGRAM_SECRET_TOKEN"):
        TelegramChannel("has spaces in it")


def test_the_secret_does_not_show_in_the_channel_repr() -> None:
    assert SECRET not in repr(TelegramChannel(SECRET))


# parse: unusable bodies are a 400, never a crash.


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[]",
        b'"update"',
        b"{}",
        b'{"message": {"text": "hi"}}',
        b'{"update_id": "851203117", "message": {}}',
        b'{"update_id": true}',
        b'{"update_id": 1.5}',
        b"[" * 100_000,
        b'{"update_id": 7, "message": Infinity}',
    ],
    ids=[
        "empty",
        "broken",
        "not-utf8",
        "array",
        "string",
        "no-update-id",
        "no-update-id-2",
        "string-id",
        "bool-id",
        "float-id",
        "deep",
        "infinity",
    ],
)
def test_a_body_that_is_not_an_update_is_a_bad_payload(body: bytes) -> None:
    with pytest.raises(BadPayload):
        TelegramChannel(SECRET).parse(body)


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_no_body_makes_parse_fail_with_anything_but_bad_payload(body: bytes) -> None:
    with contextlib.suppress(BadPayload):
        TelegramChannel(SECRET).parse(body)


# No NaN or Infinity: they are not JSON, and a body holding them is a 400 (tested above).
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
update_keys = st.sampled_from(
    ["message", "edited_message", "channel_post", "callback_query", "pre_checkout_query"]
    + ["my_chat_member", "poll", "x"]
)


@settings(max_examples=300)
@given(update_keys, json_values)
def test_an_update_with_a_strange_inside_is_acknowledged_not_crashed_on(
    key: str, inner: Any
) -> None:
    # A 400 would make Telegram redeliver it and hold back the updates behind it.
    [inbound] = TelegramChannel(SECRET).parse(make_update(7, **{key: inner}))
    assert inbound.event_id == "7"
    assert inbound.kind in ("message", "unknown", "status", "pre_checkout", "payment")


def test_an_unreadable_message_is_kept_as_unknown_with_the_reason() -> None:
    inbound = parse_one(
        make_update(5, message={"message_id": 1, "date": 1, "text": "hi"})
    )  # no chat
    assert isinstance(inbound, UnknownInbound)
    assert inbound.order_key == 5
    assert "chat" in inbound.meta["reason"]


# parse: each update becomes the event the shopper meant.


def test_a_text_message_becomes_text_from_its_chat() -> None:
    inbound = parse_one(sample_body("text"))
    assert inbound.channel == "telegram"
    assert isinstance(inbound, MessageInbound)
    assert inbound.event == TextInput(text="Do you have ceramic vases?")
    assert inbound.event_id == "851203117"
    assert inbound.conversation_id == "telegram:123456789"
    assert inbound.recipient == "123456789"
    assert inbound.user == {
        "id": 123456789,
        "name": "Leila Karimi",
        "first_name": "Leila",
        "username": "leila_k",
    }
    assert inbound.locale == "fa"
    assert inbound.sent_at == datetime(2026, 6, 9, 10, 13, 20, tzinfo=UTC)
    assert inbound.order_key == 851203117  # the update_id: Telegram's order
    assert inbound.meta["message_id"] == 4021


def test_inbound_events_survive_the_inbox_round_trip() -> None:
    for name in ("text", "callback_query", "pre_checkout_query", "successful_payment"):
        inbound = parse_one(sample_body(name))
        assert inbound_from_json(inbound.model_dump_json()) == inbound


def test_a_deep_link_start_carries_its_payload() -> None:
    inbound = parse_one(sample_body("start_deep_link"))
    assert isinstance(inbound, MessageInbound)
    assert inbound.event == StartInput(payload="spring-sale_2026")


@pytest.mark.parametrize(
    ("text", "event"),
    [
        ("/start", StartInput(payload=None)),
        ("/start   ", StartInput(payload=None)),
        ("/start@ShopchatDemoBot", StartInput(payload=None)),
        ("/start@ShopchatDemoBot ref-42", StartInput(payload="ref-42")),
        ("/starting", TextInput(text="/starting")),
        ("/help", TextInput(text="/help")),
        ("start", TextInput(text="start")),
        ("please /start", TextInput(text="please /start")),
    ],
)
def test_only_the_start_command_opens_a_conversation(text: str, event: Any) -> None:
    inbound = parse_one(make_telegram_text(text))
    assert isinstance(inbound, MessageInbound)
    assert inbound.event == event


def test_a_pressed_button_becomes_a_choice_with_its_label_and_callback_id() -> None:
    inbound = parse_one(sample_body("callback_query"))
    assert isinstance(inbound, MessageInbound)
    assert inbound.event == ChoiceInput(payload="category:vases", label="Vases")
    assert inbound.conversation_id == "telegram:123456789"
    assert inbound.callback_query_id == "530209584313337025"
    assert inbound.meta["message_id"] == 4022
    assert inbound.locale == "fa"


def test_a_button_under_an_inline_message_answers_the_presser_privately() -> None:
    query = {"id": "9", "from": make_user(77), "chat_instance": "1", "data": "yes"}
    inbound = parse_one(make_update(3, callback_query=query))
    assert inbound.recipient == "77"
    assert isinstance(inbound, MessageInbound)
    assert inbound.event == ChoiceInput(payload="yes")


def test_a_callback_without_data_is_still_answerable() -> None:
    query = {"id": "9", "from": make_user(77), "chat_instance": "1", "game_short_name": "g"}
    inbound = parse_one(make_update(3, callback_query=query))
    assert isinstance(inbound, UnknownInbound)
    assert inbound.meta["callback_query_id"] == "9"  # the spinner still needs stopping


def test_a_shared_contact_becomes_a_phone_number() -> None:
    inbound = parse_one(sample_body("contact"))
    assert isinstance(inbound, MessageInbound)
    assert inbound.event == ContactInput(phone="+989121234567", name="Leila Karimi")
    assert inbound.meta["contact_user_id"] == 123456789  # the shopper's own number


def test_a_shared_location_becomes_coordinates() -> None:
    inbound = parse_one(sample_body("location"))
    assert isinstance(inbound, MessageInbound)
    assert inbound.event == LocationInput(latitude=35.699739, longitude=51.338097)


def test_a_shared_venue_keeps_its_name_and_address() -> None:
    venue = {
        "location": {"latitude": 52.52, "longitude": 13.405},
        "title": "Pickup point Mitte",
        "address": "Rosenthaler Str. 1",
    }
    message = make_message(None, sender=make_user(), location=venue["location"], venue=venue)
    inbound = parse_one(make_update(4, message=message))
    assert isinstance(inbound, MessageInbound)
    assert inbound.event == LocationInput(
        latitude=52.52, longitude=13.405, name="Pickup point Mitte", address="Rosenthaler Str. 1"
    )


def test_a_photo_becomes_an_image_with_its_caption_and_largest_file() -> None:
    inbound = parse_one(sample_body("photo_caption"))
    assert isinstance(inbound, MessageInbound)
    assert inbound.event == ImageInput(caption="Do you have this one in blue?")
    assert inbound.meta["file_id"].endswith("A3kAAzUE")  # the 1280x960 size


def test_an_edited_message_is_taken_as_a_new_message() -> None:
    inbound = parse_one(sample_body("edited_message"))
    assert isinstance(inbound, MessageInbound)
    assert isinstance(inbound.event, TextInput) and inbound.event.text
    assert inbound.meta["update_type"] == "edited_message"
    assert inbound.conversation_id == "telegram:123456789"


def test_a_pre_checkout_query_carries_what_must_be_rechecked() -> None:
    inbound = parse_one(sample_body("pre_checkout_query"))
    assert isinstance(inbound, PreCheckoutInbound)
    assert inbound.recipient == "123456789"
    assert inbound.query_id == "530209586120904177"
    assert (inbound.currency, inbound.total_amount) == ("EUR", 4590)
    assert inbound.invoice_payload == "order:SC-1042"
    assert inbound.order_info is not None and inbound.order_info["name"] == "Leila Karimi"


def test_a_successful_payment_carries_its_charge_ids() -> None:
    inbound = parse_one(sample_body("successful_payment"))
    assert isinstance(inbound, PaymentInbound)
    assert (inbound.currency, inbound.total_amount) == ("EUR", 4590)
    assert inbound.invoice_payload == "order:SC-1042"
    assert inbound.charge_id.startswith("stxUdN")
    assert inbound.provider_charge_id == "pi_3PZxYbLkdIwHu7ix1a2b3c4d"
    assert inbound.meta["message_id"] == 4031


def test_a_shopper_blocking_the_bot_is_a_status_marking_them_unreachable() -> None:
    inbound = parse_one(sample_body("my_chat_member_kicked"))
    assert isinstance(inbound, StatusInbound)
    assert inbound.blocked is True
    assert inbound.reachable is False
    assert inbound.conversation_id == "telegram:123456789"


def test_a_shopper_unblocking_the_bot_is_a_status_marking_them_reachable() -> None:
    bot = make_user(7012345678, "Shopchat Demo", is_bot=True)
    change = {
        "chat": {"id": 5, "type": "private", "first_name": "Ana"},
        "from": make_user(5),
        "date": 1781000000,
        "old_chat_member": {"user": bot, "status": "kicked", "until_date": 0},
        "new_chat_member": {"user": bot, "status": "member"},
    }
    inbound = parse_one(make_update(8, my_chat_member=change))
    assert isinstance(inbound, StatusInbound)
    assert inbound.blocked is False
    assert inbound.reachable is True


def test_unknown_fields_anywhere_are_ignored() -> None:
    inbound = parse_one(sample_body("unknown_fields"))
    assert isinstance(inbound, MessageInbound)
    assert inbound.event == TextInput(text="سلام، سفارشم کجاست؟")


def test_an_update_type_we_do_not_handle_is_acknowledged_as_unknown() -> None:
    reaction = {"chat": {"id": 1, "type": "private"}, "message_id": 3, "date": 1}
    inbound = parse_one(make_update(9, message_reaction=reaction))
    assert inbound.kind == "unknown"
    assert inbound.event_id == "9"
    assert inbound.meta["update_type"] == "message_reaction"


@pytest.mark.parametrize(
    ("content", "media"),
    [
        (
            {
                "sticker": {
                    "file_id": "CAACAgI",
                    "file_unique_id": "AgAD",
                    "width": 512,
                    "height": 512,
                }
            },
            "sticker",
        ),
        ({"voice": {"file_id": "AwAD", "file_unique_id": "AgAE", "duration": 3}}, "audio"),
        ({"document": {"file_id": "BQAC", "file_unique_id": "AgAF"}}, "file"),
        (
            {
                "video": {
                    "file_id": "BAAC",
                    "file_unique_id": "AgAG",
                    "width": 1,
                    "height": 1,
                    "duration": 1,
                }
            },
            "video",
        ),
    ],
)
def test_what_the_shop_cannot_read_is_a_message_it_answers(content, media) -> None:
    message = make_message(None, sender=make_user(), **content)
    inbound = parse_one(make_update(6, message=message))
    assert isinstance(inbound, MessageInbound)
    assert inbound.event == MediaInput(media=media)
    assert inbound.meta["content"] == next(iter(content))


def test_a_reaction_in_a_private_chat_is_answered_and_a_removed_one_is_not() -> None:
    raw = {
        "chat": {"id": 42, "type": "private"},
        "message_id": 7,
        "user": {"id": 42, "is_bot": False, "first_name": "Ana"},
        "date": 1750000000,
        "old_reaction": [],
        "new_reaction": [{"type": "emoji", "emoji": "👍"}],
    }
    inbound = parse_one(orjson.dumps({"update_id": 9, "message_reaction": raw}))
    assert isinstance(inbound, MessageInbound) and inbound.event == MediaInput(media="reaction")
    assert inbound.conversation_id == "telegram:42"
    removed = {**raw, "old_reaction": raw["new_reaction"], "new_reaction": []}
    assert parse_one(orjson.dumps({"update_id": 10, "message_reaction": removed})).kind == "unknown"


def test_a_group_message_is_a_conversation_of_the_group() -> None:
    sender = make_user(42, "Bahram", last_name="Nouri", language_code="fa")
    message = make_message("any vases?", chat_id=-1001234567890, chat_type="supergroup")
    message["from"] = sender
    inbound = parse_one(make_update(11, message=message))
    assert inbound.conversation_id == "telegram:-1001234567890"
    assert inbound.recipient == "-1001234567890"
    assert inbound.user["name"] == "Bahram Nouri"


def test_a_channel_post_is_a_conversation_of_the_channel() -> None:
    post = make_message("new stock!", chat_id=-1009876543210, chat_type="channel")
    post["sender_chat"] = post["chat"]
    inbound = parse_one(make_update(12, channel_post=post))
    assert isinstance(inbound, MessageInbound)
    assert inbound.event == TextInput(text="new stock!")
    assert inbound.conversation_id == "telegram:-1009876543210"
    assert inbound.user["name"] == "Ceramics lovers"
    assert inbound.locale is None
