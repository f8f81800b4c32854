"""Carts, codes and orders through the flow actions, with an offer source the test controls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.settings import Settings
from catalog.records import Availability, Offer
from checkout import (
    TRANSITIONS,
    Checkout,
    CheckoutConfig,
    CheckoutConfigError,
    Database,
    IllegalTransition,
    OrderBook,
    SignatureInvalid,
    register_checkout_actions,
    sign,
    verify_signature,
)
from flows.actions import ActionContext, ActionError, ActionRegistry

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


class Shelf:
    """Offers the test can change between steps: prices, stock, availability."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str | None], dict[str, Any]] = {
            ("kite", None): {"title": "Kite", "price": 5000, "quantity": 10},
            ("tee", "tee-m"): {"title": "T-shirt – M", "price": 3000, "quantity": None},
        }

    def offer(self, product_id: str, variant_id: str | None, *, locale: str, now: datetime):
        found = self.items.get((product_id, variant_id))
        if found is None:
            return None
        return Offer(
            product_id=product_id,
            variant_id=variant_id,
            title=found["title"],
            price=found["price"],
            regular_price=found["price"],
            currency="PLN",
            availability=found.get("availability", Availability.IN_STOCK),
            quantity=found["quantity"],
        )


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


CONFIG = {
    "order_prefix": "TG",
    "shipping": [{"id": "post", "label": "Post", "price": 1000, "free_over": 10000}],
    "discounts": [
        {"code": "TENOFF", "percent": 10, "min_order": 5000, "max_uses_per_customer": 1},
        {"code": "ONCE", "amount": 500, "max_uses": 1},
        {"code": "OLD", "percent": 50, "ends": "2025-12-31T23:59:59Z"},
        {"code": "LATER", "percent": 50, "starts": "2026-06-01T00:00:00Z"},
    ],
}


@pytest.fixture
def shop():
    shelf, clock = Shelf(), Clock()
    book = OrderBook(shelf, CheckoutConfig.model_validate(CONFIG), shop_currency="PLN")
    checkout = Checkout(book, Database.in_memory(), clock=clock)
    registry = ActionRegistry()
    register_checkout_actions(registry, checkout)

    def act(action: str, cid: str = "web:ana", /, **args: Any) -> Any:
        spec = registry.get(action)
        assert spec is not None
        return spec.func(ActionContext(cid, "en", "PLN"), **args)

    return act, shelf, clock, checkout


def details(**more: Any) -> dict[str, Any]:
    return {"name": "Ana", "contact": "ana@example.com", "address": "Długa 5, Warszawa", **more}


def ordered(act, cid: str = "web:ana", **more: Any) -> dict[str, Any]:
    act("cart.set_shipping", cid, option="post")
    placed = act("checkout.start", cid, **details(**more))
    assert placed["ok"], placed
    return placed


@pytest.mark.parametrize("quantity", [0, -1, 10**9, "abc", "1.5", None, True])
def test_silly_quantities_are_refused_and_the_cart_stays_as_it_was(shop, quantity):
    act, *_ = shop
    added = act("cart.add", product_id="kite", quantity=quantity)
    assert added == {**added, "ok": False, "problem": "bad_quantity"}
    assert act("cart.show")["empty"]


def test_quantities_add_up_change_and_are_bounded_by_stock(shop):
    act, shelf, *_ = shop
    assert act("cart.add", product_id="kite", quantity=3)["ok"]
    again = act("cart.add", product_id="kite", quantity="2")
    assert again["cart"]["lines"][0]["quantity"] == 5
    assert act("cart.add", product_id="kite", quantity=6)["problem"] == "short"
    assert act("cart.update", item="kite", quantity=11)["problem"] == "short"
    assert act("cart.update", item="kite", quantity=-1)["problem"] == "bad_quantity"
    assert act("cart.update", item="kite", quantity=2)["cart"]["subtotal"] == 10000
    assert act("cart.update", item="kite", quantity=0)["cart"]["empty"]


def test_variants_are_lines_of_their_own_and_unknown_products_are_refused(shop):
    act, *_ = shop
    assert act("cart.add", product_id="tee", variant_id="tee-m")["ok"]
    assert act("cart.add", product_id="tee")["problem"] == "gone"
    assert act("cart.add", product_id="nope")["problem"] == "gone"
    cart = act("cart.show")
    assert [line["id"] for line in cart["lines"]] == ["tee~tee-m"]
    assert cart["lines"][0]["price_text"] == "1 × PLN30.00"
    assert act("cart.remove", item="tee~tee-m")["cart"]["empty"]


def test_totals_show_subtotal_discount_shipping_and_total_formatted_for_the_locale(shop):
    act, *_ = shop
    act("cart.add", product_id="kite", quantity=1)
    act("cart.set_shipping", option="post")
    cart = act("cart.apply_code", code=" tenoff ")["cart"]
    assert (cart["subtotal"], cart["discount"], cart["shipping"], cart["total"]) == (
        5000,
        500,
        1000,
        5500,
    )
    assert cart["total_text"] == "PLN55.00"


@pytest.mark.parametrize(
    ("code", "problem"),
    [("OLD", "expired"), ("LATER", "not_yet"), ("NOPE", "unknown"), ("", "unknown")],
)
def test_codes_outside_their_window_or_unknown_are_refused(shop, code, problem):
    act, *_ = shop
    act("cart.add", product_id="kite")
    assert act("cart.apply_code", code=code)["problem"] == problem


def test_a_code_below_its_minimum_order_is_refused(shop):
    act, *_ = shop
    act("cart.add", product_id="tee", variant_id="tee-m")
    assert act("cart.apply_code", code="TENOFF")["problem"] == "min_order"


def test_a_used_up_code_is_refused_overall_and_per_customer(shop):
    act, *_ = shop
    act("cart.add", product_id="kite")
    assert act("cart.apply_code", code="ONCE")["ok"]
    ordered(act)
    act("cart.add", "web:bob", product_id="kite")
    assert act("cart.apply_code", "web:bob", code="ONCE")["problem"] == "used_up"
    # TENOFF once per customer (by email), whichever chat they use.
    act("cart.add", "web:ana2", product_id="kite")
    act("cart.apply_code", "web:ana2", code="TENOFF")
    ordered(act, "web:ana2")
    act("cart.add", "telegram:9", product_id="kite")
    assert act("cart.apply_code", "telegram:9", code="TENOFF")["ok"]  # not known yet
    act("cart.set_shipping", "telegram:9", option="post")
    refused = act("checkout.start", "telegram:9", **details(contact="ANA@example.com"))
    assert refused["problem"] == "code" and refused["code_problem"] == "used_by_you"
    assert refused["cart"]["code"] is None  # removed; the shopper reviews the new total


@pytest.fixture
def polish_shop():
    """A shop in Poland: phone numbers without +48 are Polish."""
    shelf, clock = Shelf(), Clock()
    config = CheckoutConfig.model_validate(CONFIG)
    book = OrderBook(shelf, config, shop_currency="PLN", region="PL")
    checkout = Checkout(book, Database.in_memory(), clock=clock)
    registry = ActionRegistry()
    register_checkout_actions(registry, checkout)

    def act(action: str, cid: str, /, **args: Any) -> Any:
        spec = registry.get(action)
        assert spec is not None
        return spec.func(ActionContext(cid, "en", "PLN"), **args)

    return act


def checkout_with_code(act, cid: str, contact: str) -> dict[str, Any]:
    act("cart.add", cid, product_id="kite")
    act("cart.apply_code", cid, code="TENOFF")
    act("cart.set_shipping", cid, option="post")
    return act("checkout.start", cid, **details(contact=contact))


@pytest.mark.parametrize(
    "first, again",
    [
        ("dee@example.com", "dee+1@example.com"),
        ("dee@example.com", "d.ee@example.com"),
        ("dee@example.com", "DEE@Example.COM"),
        ("d.ee+shop@example.com", "dee@EXAMPLE.com"),
        ("+48 600 123 456", "600123456"),
        ("+48 600 123 456", "0048 600-123-456"),
        ("600 123 456", "+48600123456"),
    ],
)
def test_a_per_customer_code_is_not_beaten_by_writing_the_contact_differently(
    polish_shop, first, again
):
    act = polish_shop
    assert checkout_with_code(act, "web:first", first)["ok"]
    refused = checkout_with_code(act, "telegram:other", again)
    assert refused["problem"] == "code" and refused["code_problem"] == "used_by_you"


def test_a_per_customer_code_is_not_beaten_by_switching_from_email_to_phone(polish_shop):
    act = polish_shop
    assert checkout_with_code(act, "whatsapp:1", "dee@example.com")["ok"]
    act("cart.add", "whatsapp:1", product_id="kite")  # the same chat, a new cart
    assert act("cart.apply_code", "whatsapp:1", code="TENOFF")["problem"] == "used_by_you"
    # Someone else entirely still gets it.
    assert checkout_with_code(act, "whatsapp:2", "ola@example.com")["ok"]


def test_a_code_that_expires_between_cart_and_checkout_is_removed(shop):
    act, shelf, clock, _ = shop
    book_config = CONFIG["discounts"][2]
    assert book_config["code"] == "OLD"
    act("cart.add", product_id="kite")
    clock.now = datetime(2025, 12, 31, 12, tzinfo=UTC)
    assert act("cart.apply_code", code="OLD")["ok"]
    clock.now = T0
    act("cart.set_shipping", option="post")
    assert act("checkout.start", **details())["problem"] == "code"


def test_a_price_change_between_cart_and_checkout_is_shown_before_ordering(shop):
    act, shelf, *_ = shop
    act("cart.add", product_id="kite")
    act("cart.set_shipping", option="post")
    shelf.items[("kite", None)]["price"] = 6000
    changed = act("checkout.start", **details())
    assert changed["problem"] == "price_changed" and changed["order"] is None
    assert changed["cart"]["subtotal"] == 6000
    placed = act("checkout.start", **details())
    assert placed["ok"] and placed["order"]["total"] == 7000


def test_a_product_that_sells_out_mid_checkout_is_taken_out_of_the_cart(shop):
    act, shelf, *_ = shop
    act("cart.add", product_id="kite")
    act("cart.add", product_id="tee", variant_id="tee-m")
    act("cart.set_shipping", option="post")
    shelf.items[("kite", None)]["availability"] = Availability.OUT_OF_STOCK
    refused = act("checkout.start", **details())
    assert refused["problem"] == "sold_out" and refused["titles"] == ["Kite"]
    assert [line["title"] for line in refused["cart"]["lines"]] == ["T-shirt – M"]


def test_a_shipping_option_is_needed_when_the_shop_has_them(shop):
    act, *_ = shop
    act("cart.add", product_id="kite")
    assert act("checkout.start", **details())["problem"] == "shipping"
    assert act("cart.shipping_options") == [{"value": "post", "label": "Post: PLN10.00"}]


def test_checking_out_twice_gives_the_same_order_and_the_cart_then_reads_empty(shop):
    act, *_ = shop
    act("cart.add", product_id="kite", quantity=2)
    first = ordered(act)
    second = act("checkout.start", **details())
    assert second["order"]["number"] == first["order"]["number"]
    assert act("cart.show")["empty"]
    assert len(act("orders.list")) == 1
    act("cart.add", product_id="kite")
    third = ordered(act)
    assert third["order"]["number"] != first["order"]["number"]
    assert first["order"]["number"].startswith("TG-")


def test_paying_refuses_an_order_whose_price_changed_or_sold_out_since(shop):
    act, shelf, *_ = shop
    act("cart.add", product_id="kite")
    number = ordered(act)["order"]["number"]
    shelf.items[("kite", None)]["price"] = 4000
    paid = act("checkout.pay", number=number, method="transfer")
    assert paid["problem"] == "price_changed"
    shelf.items[("kite", None)]["price"] = 5000
    shelf.items[("kite", None)]["quantity"] = 0
    assert act("checkout.pay", number=number, method="transfer")["problem"] == "sold_out"
    shelf.items[("kite", None)]["quantity"] = 3
    assert act("checkout.pay", number=number, method="stripe")["problem"] == "method"
    assert act("checkout.pay", "web:eve", number=number, method="cod")["problem"] == "unknown"
    assert act("checkout.pay", number=number, method="cod")["ok"]


def test_lookup_gives_the_same_answer_for_a_wrong_number_or_contact_and_is_rate_limited(shop):
    act, *_ = shop
    act("cart.add", product_id="kite")
    number = ordered(act)["order"]["number"]
    found = act(
        "orders.lookup", "web:x", number=number.lower().replace("-", " "), contact="ANA@example.com"
    )
    assert found["number"] == number
    assert act("orders.lookup", "web:x", number=number, contact="eve@example.com") is None
    assert act("orders.lookup", "web:x", number="TG-000000", contact="ana@example.com") is None
    for _ in range(3):
        act("orders.lookup", "web:x", number="TG-111111", contact="ana@example.com")
    with pytest.raises(ActionError):
        act("orders.lookup", "web:x", number=number, contact="ana@example.com")
    assert act("orders.lookup", "web:y", number=number, contact="ana@example.com")


def test_order_statuses_move_only_forward_along_the_allowed_transitions(shop):
    act, _, clock, checkout = shop
    act("cart.add", product_id="kite")
    number = ordered(act)["order"]["number"]
    book = checkout.book
    with checkout.db.transaction() as conn:
        with pytest.raises(IllegalTransition):
            book.set_status(conn, number, "delivered", now=clock())
        book.set_status(conn, number, "paid", now=clock())
        with pytest.raises(IllegalTransition):
            book.set_status(conn, number, "shipped", now=clock())  # no tracking yet
        book.set_status(conn, number, "shipped", now=clock(), carrier="DPD", tracking_number="1")
        book.set_status(conn, number, "delivered", now=clock())
        book.set_status(conn, number, "refunded", now=clock())
        assert [h["status"] for h in book.history(conn, number)] == [
            "pending_payment",
            "paid",
            "shipped",
            "delivered",
            "refunded",
        ]
    assert TRANSITIONS["cancelled"] == frozenset() == TRANSITIONS["refunded"]


def test_a_payment_event_is_applied_once_and_a_wrong_amount_is_flagged(shop):
    act, _, clock, checkout = shop
    act("cart.add", product_id="kite")
    number = ordered(act)["order"]["number"]
    book = checkout.book
    with checkout.db.transaction() as conn:
        order = book.order(conn, number)
        wrong = book.apply_payment(
            conn,
            provider="stripe",
            event_id="e1",
            kind="x",
            order=order,
            amount=1,
            currency="PLN",
            now=clock(),
        )
        assert wrong.outcome == "mismatch"
        assert book.order(conn, number).flag
        kwargs = dict(provider="stripe", kind="x", amount=6000, currency="pln", now=clock())
        assert book.apply_payment(conn, event_id="e2", order=order, **kwargs).outcome == "paid"
        assert book.apply_payment(conn, event_id="e2", order=order, **kwargs).outcome == "duplicate"
        assert book.order(conn, number).status == "paid"


# -- configuration and signatures ---------------------------------------------------------


def test_a_bad_checkout_yaml_names_the_file_and_the_field(tmp_path: Path):
    path = tmp_path / "checkout.yaml"
    path.write_text("discounts:\n  - code: X1\n    percent: 10\n    amount: 5\n")
    with pytest.raises(CheckoutConfigError, match=r"checkout.yaml: discounts.0.*exactly one"):
        CheckoutConfig.load(path)
    path.write_text("shipping:\n  - id: post\n    label: Post\n    price: 9.99\n")
    with pytest.raises(CheckoutConfigError, match="shipping.0.price"):
        CheckoutConfig.load(path)
    assert CheckoutConfig.load(tmp_path / "missing.yaml") == CheckoutConfig()


def test_settings_refuse_a_publishable_stripe_key_and_a_short_api_token():
    with pytest.raises(ValidationError, match="secret key"):
        Settings(_env_file=None, stripe_secret_key="pk_live_123")
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(_env_file=None, orders_api_token="short")


def test_stripe_signatures_are_checked_in_full():
    body, secret = b'{"id": "evt_1"}', "whsec_1"
    header = sign(body, secret, T0)
    verify_signature(header, body, secret, now=T0 + timedelta(seconds=299))
    verify_signature("v1=deadbeef," + header, body, secret, now=T0)  # any v1 may match
    for bad_header, at in [
        (header, T0 + timedelta(seconds=301)),
        (header, T0 - timedelta(seconds=301)),
        (header.replace("v1=", "v0="), T0),
        ("t=abc,v1=00", T0),
        ("", T0),
    ]:
        with pytest.raises(SignatureInvalid):
            verify_signature(bad_header, body, secret, now=at)
    with pytest.raises(SignatureInvalid):
        verify_signature(header, body + b" ", secret, now=T0)
