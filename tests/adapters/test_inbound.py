"""Inbound events as the inbox stores them: one model per kind, and rows stored before that."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.base import (
    EchoInbound,
    Inbound,
    MessageInbound,
    PaymentInbound,
    PreCheckoutInbound,
    StatusInbound,
    UnknownInbound,
    inbound_from_json,
)
from flows import ChoiceInput, TextInput

LEGACY = Path(__file__).parent.parent / "data" / "inbox" / "legacy-rows.jsonl"


def legacy_rows() -> list[Inbound]:
    return [inbound_from_json(line) for line in LEGACY.read_text(encoding="utf-8").splitlines()]


def by_event_id(event_id: str) -> Inbound:
    [found] = [row for row in legacy_rows() if row.event_id == event_id]
    return found


# Kind-specific data that lived in meta before the union; none of it may stay there.
MOVED = {
    "update_id",
    "callback_query_id",
    "reply_to",
    "pre_checkout_query_id",
    "telegram_payment_charge_id",
    "provider_payment_charge_id",
    "total_amount",
    "invoice_payload",
    "blocked",
    "unreachable",
    "window_closed",
    "status",
}


def test_every_stored_row_loads_as_the_model_of_its_kind() -> None:
    kinds = {
        "message": MessageInbound,
        "status": StatusInbound,
        "echo": EchoInbound,
        "pre_checkout": PreCheckoutInbound,
        "payment": PaymentInbound,
        "unknown": UnknownInbound,
    }
    lines = LEGACY.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 17
    for line in lines:
        row = inbound_from_json(line)
        assert type(row) is kinds[json.loads(line)["kind"]]
        if not isinstance(row, EchoInbound):  # an echo's meta was all its own
            assert not MOVED & set(row.meta), row.meta
        assert inbound_from_json(row.model_dump_json()) == row  # and stores again as itself


def test_a_stored_telegram_message_keeps_its_order_and_button_query() -> None:
    text = by_event_id("851203117")
    assert isinstance(text, MessageInbound)
    assert text.event == TextInput(text="Do you have ceramic vases?")
    assert text.order_key == 851203117
    assert text.meta == {"update_type": "message", "message_id": 4021, "chat_type": "private"}
    pressed = by_event_id("851203118")
    assert isinstance(pressed, MessageInbound) and isinstance(pressed.event, ChoiceInput)
    assert pressed.callback_query_id == "530209584313337025"


def test_a_stored_pre_checkout_and_payment_keep_what_checkout_checks() -> None:
    query = by_event_id("851203123")
    assert isinstance(query, PreCheckoutInbound)
    assert query.query_id == "530209586120904177"
    assert (query.total_amount, query.currency, query.invoice_payload) == (
        4590,
        "EUR",
        "order:SC-1042",
    )
    assert query.order_info is not None and query.order_info["name"] == "Leila Karimi"
    paid = by_event_id("851203124")
    assert isinstance(paid, PaymentInbound)
    assert paid.charge_id.startswith("stxUdN")
    assert paid.provider_charge_id == "pi_3PZxYbLkdIwHu7ix1a2b3c4d"
    assert (paid.total_amount, paid.currency) == (4590, "EUR")


def test_stored_statuses_keep_who_can_be_reached() -> None:
    blocked = by_event_id("851203125")
    assert isinstance(blocked, StatusInbound) and blocked.reachable is False
    statuses = [row for row in legacy_rows() if isinstance(row, StatusInbound)]
    assert [s.status for s in statuses if s.channel == "whatsapp"] == [
        "sent",
        "delivered",
        "read",
        "failed",
        "failed",
    ]
    window, undeliverable = [s for s in statuses if s.status == "failed"]
    assert window.window_closed and window.reachable is None  # outside 24 h, still reachable
    assert undeliverable.unreachable and undeliverable.reachable is False
    [delivered] = [s for s in statuses if s.channel == "messenger"]
    assert delivered.status == "delivered" and delivered.meta["watermark"] == 1749417099000


def test_a_stored_echo_keeps_its_text_and_sender() -> None:
    [echo] = [row for row in legacy_rows() if isinstance(row, EchoInbound)]
    assert echo.text is not None and echo.text.startswith("Hi, this is Marta")
    assert echo.app_id == 263902037430900
    assert echo.meta == {"page_id": "107392638845910"}


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "telegram", "event_id": "1", "kind": "message"},  # a message needs its event
        {"channel": "telegram", "event_id": "1", "kind": "pre_checkout", "meta": {}},
        {"channel": "telegram", "event_id": "1", "kind": "teleport"},
        {"channel": "telegram", "event_id": "1"},
    ],
)
def test_a_row_that_is_no_event_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        inbound_from_json(json.dumps(body))
