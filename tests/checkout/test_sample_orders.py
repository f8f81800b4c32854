"""Finding an order by its number and the shopper's email or phone, and nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checkout import OrderFileError, SampleOrders, register_order_actions
from flows.actions import ActionContext, ActionRegistry

from .conftest import make_order_row

ORDER_KEYS = {
    "number",
    "status",
    "payment_status",
    "payment_method",
    "carrier",
    "tracking_number",
    "tracking_url",
    "total",
    "currency",
    "total_text",
    "items",
    "payment_link",
}


@pytest.mark.parametrize(
    ("number", "contact"),
    [
        ("TG-10234", "anna.kowalska@example.com"),
        ("tg-10234", " Anna.Kowalska@EXAMPLE.com "),
        ("#TG 10234", "+48 601 234 567"),
        ("TG10234", "601-234-567"),  # without the country code
        ("TG-10234", "0048 (601) 234 567"),
    ],
)
def test_the_right_number_and_email_or_phone_find_the_order(shop_orders, number, contact):
    order = shop_orders.lookup(number, contact)
    assert order is not None and order.number == "TG-10234"


@pytest.mark.parametrize(
    ("number", "contact"),
    [
        ("TG-99999", "anna.kowalska@example.com"),  # wrong number
        ("TG-10234", "someone.else@example.com"),  # wrong email
        ("TG-10234", "m.nowak@example.pl"),  # another order's email
        ("TG-10234", "+48 512 345 678"),  # another order's phone
        ("TG-10234", "512 345 678"),  # another order's phone, without the country code
        ("TG-10234", "+49 601 234 567"),  # right national number, wrong country
        ("TG-10234", "234 567"),  # too little of the phone
        ("TG-10234", ""),
        ("", "anna.kowalska@example.com"),
    ],
)
def test_a_wrong_number_or_contact_gets_the_same_none(shop_orders, number, contact):
    assert shop_orders.lookup(number, contact) is None


def test_the_example_orders_load_cleanly_and_cover_every_status(shop_orders):
    assert shop_orders.rejected == []
    orders = list(shop_orders)
    assert len(orders) >= 8
    assert {o.status for o in orders} >= {
        "pending_payment",
        "paid",
        "packed",
        "shipped",
        "delivered",
        "cancelled",
        "refunded",
    }
    assert {o.payment_method for o in orders} == {"card", "blik", "transfer", "cod"}
    assert {o.payment_status for o in orders} == {"paid", "pending", "failed"}


def test_bad_order_rows_are_reported_with_their_line_and_skipped(write_orders):
    path = write_orders(
        [
            make_order_row("TG-1"),
            make_order_row("TG-2", total=9999),
            make_order_row("TG-3", status="shipped"),
            "not json",
            make_order_row("tg 1"),
            make_order_row("TG-4", created_at="2025-11-03T10:14:00"),
        ]
    )
    orders = SampleOrders.from_jsonl(path)
    assert [o.number for o in orders] == ["TG-1"]
    problems = {p.line: p.reason for p in orders.rejected}
    assert set(problems) == {2, 3, 4, 5, 6}
    assert "total 9999 is not items 2000 + shipping 500" in problems[2]
    assert "carrier and tracking_number" in problems[3]
    assert "not valid JSON" in problems[4]
    assert "duplicate order number" in problems[5]
    assert "time zone" in problems[6]
    assert str(orders.rejected[0]).startswith(f"{path}:2: order 'TG-2':")


def test_times_are_kept_in_utc(write_orders):
    [order] = SampleOrders.from_jsonl(write_orders([make_order_row()]))
    assert order.created_at == datetime(2025, 11, 3, 9, 14, tzinfo=UTC)


def test_a_missing_orders_file_is_a_clear_error(tmp_path):
    with pytest.raises(OrderFileError, match="not found"):
        SampleOrders.from_jsonl(tmp_path / "orders.jsonl")


@pytest.fixture(scope="module")
def lookup(shop_orders):
    registry = ActionRegistry()
    register_order_actions(registry, shop_orders)
    spec = registry.get("orders.lookup")
    assert spec is not None
    assert {name for name, p in spec.params.items() if p.required} == {"number", "contact"}

    def call(locale: str = "en", **args):
        return spec.func(ActionContext("conv-1", locale, "PLN"), **args)

    return call


def test_the_lookup_action_describes_a_shipped_order(lookup):
    order = lookup("pl-PL", number="tg-10235", contact="m.nowak@example.pl")
    assert set(order) == ORDER_KEYS
    assert order["status"] == "shipped" and order["carrier"] == "DPD"
    assert order["tracking_url"].startswith("https://")
    assert order["total"] == 20998 and order["currency"] == "PLN"
    assert order["total_text"].replace("\xa0", " ") == "209,98 zł"
    assert order["items"] == [
        {"title": "Mikroskop dla młodego badacza, 100x–1200x", "quantity": 1},
        {"title": "Pluszowy króliczek, 30 cm – Różowy", "quantity": 1},
    ]
    assert order["payment_link"] is None


def test_only_orders_awaiting_online_payment_get_a_payment_link(lookup):
    failed = lookup(number="TG-10237", contact="olga.ivanova@example.com")
    pending = lookup(number="TG-10236", contact="+34 612 345 678")
    cash_on_delivery = lookup(number="TG-10242", contact="lucia.martinez@example.es")
    cancelled = lookup(number="TG-10239", contact="jan.wisniewski@example.pl")
    assert failed["payment_link"].startswith("https://") and "TG-10237" in failed["payment_link"]
    assert pending["payment_link"].startswith("https://")
    assert cash_on_delivery["payment_status"] == "pending"
    assert cash_on_delivery["payment_link"] is None
    assert cancelled["payment_link"] is None


def test_the_lookup_action_gives_none_for_a_wrong_contact(lookup):
    assert lookup(number="TG-10235", contact="anna.kowalska@example.com") is None
    assert lookup(number="TG-00000", contact="m.nowak@example.pl") is None
    assert lookup(number=None, contact=None) is None


def test_item_titles_fall_back_to_english(lookup):
    order = lookup("de", number="TG-10241", contact="dmitry.petrov@example.com")
    assert order["items"] == [{"title": "Technic Race Car Building Kit", "quantity": 1}]


def test_cash_on_delivery_never_gets_a_payment_link(write_orders):
    row = make_order_row(status="pending_payment", payment_status="pending", payment_method="cod")
    orders = SampleOrders.from_jsonl(write_orders([row]))
    registry = ActionRegistry()
    register_order_actions(registry, orders)
    spec = registry.get("orders.lookup")
    order = spec.func(ActionContext("c", "en", "PLN"), number="TG-1", contact="ana@example.com")
    assert order["status"] == "pending_payment" and order["payment_link"] is None


def test_a_row_with_bad_bytes_is_skipped_and_the_other_orders_still_load(write_orders):
    path = write_orders([make_order_row("TG-1"), make_order_row("TG-2"), "[]"])
    data = path.read_bytes().replace(b'"TG-2"', b'"TG-\xff2"')
    path.write_bytes(data)
    orders = SampleOrders.from_jsonl(path)
    assert [o.number for o in orders] == ["TG-1"]
    assert [str(p) for p in orders.rejected] == [
        f"{path}:2: invalid UTF-8 bytes; save the file as UTF-8",
        f"{path}:3: expected a JSON object, got an array",
    ]
