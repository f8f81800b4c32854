"""The checkout hook on its own: invoices per the Bot API spec, pre-checkout re-checks."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.base import PreCheckoutInbound
from adapters.telegram import TelegramChannel
from bot.checkout_hook import CheckoutHook, send_invoice
from bot.service import ChannelLink
from catalog.records import Availability
from checkout import Checkout, CheckoutConfig, Database, Order, OrderBook
from tests.adapters.test_telegram_oracle import assert_valid_calls, require_spec
from tests.checkout.test_cart_and_orders import Shelf

NOW = datetime(2026, 1, 5, 10, tzinfo=UTC)


def make_order(**more) -> Order:
    data = {
        "number": "TG-123456",
        "email": "ana@example.com",
        "status": "pending_payment",
        "payment_status": "pending",
        "payment_method": "telegram",
        "items": [{"product_id": "kite", "title": "Kite", "quantity": 2, "price": 5000}],
        "shipping": 1000,
        "total": 11000,
        "currency": "PLN",
        "created_at": NOW,
        "conversation_id": "telegram:42",
        **more,
    }
    return Order.model_validate(data)


def test_invoices_are_valid_bot_api_calls_for_goods_and_for_stars():
    spec = require_spec()
    goods = send_invoice(make_order(address="Długa 5"), "42", "284685063:TEST:x")
    assert goods.payload["prices"] == [
        {"label": "Kite × 2", "amount": 10000},
        {"label": "Shipping", "amount": 1000},
    ]
    assert "need_shipping_address" not in goods.payload
    no_address = send_invoice(make_order(), "42", "284685063:TEST:x")
    assert no_address.payload["need_shipping_address"] is True
    discounted = send_invoice(
        make_order(discount=1000, total=10000, address="x"), "42", "284685063:TEST:x"
    )
    assert discounted.payload["prices"] == [{"label": "Order TG-123456", "amount": 10000}]
    stars = send_invoice(
        make_order(
            currency="XTR",
            items=[{"product_id": "e", "title": "E-book", "quantity": 1, "price": 50}],
            shipping=0,
            total=50,
        ),
        "42",
        None,
    )
    assert "provider_token" not in stars.payload and len(stars.payload["prices"]) == 1
    assert_valid_calls(spec, [goods, no_address, discounted, stars])


def hook_with_order(shelf: Shelf) -> tuple[CheckoutHook, Checkout, ChannelLink]:
    checkout = Checkout(
        OrderBook(shelf, CheckoutConfig(), shop_currency="PLN"), Database.in_memory()
    )
    with checkout.db.transaction() as conn:
        checkout.book.seed(conn, [make_order(locale="pl")], NOW)
    link = ChannelLink("telegram", TelegramChannel("secret"), sender=None)  # type: ignore[arg-type]
    return CheckoutHook(checkout), checkout, link


def pre_checkout(total: int = 11000) -> PreCheckoutInbound:
    return PreCheckoutInbound(
        channel="telegram",
        event_id="7",
        locale="pl",
        conversation_id="telegram:42",
        recipient="42",
        query_id="q1",
        currency="PLN",
        total_amount=total,
        invoice_payload="order:TG-123456",
    )


def test_pre_checkout_rechecks_stock_and_price_at_the_moment_of_paying():
    shelf = Shelf()
    hook, checkout, link = hook_with_order(shelf)
    with checkout.db.transaction() as conn:
        [ok] = hook.take_over(conn, link, pre_checkout(), NOW)
        assert ok.payload == {"pre_checkout_query_id": "q1", "ok": True}
        shelf.items[("kite", None)]["availability"] = Availability.OUT_OF_STOCK
        [sold_out] = hook.take_over(conn, link, pre_checkout(), NOW)
        assert sold_out.payload["ok"] is False
        assert "wyprzedało" in sold_out.payload["error_message"]  # in the order's language
        shelf.items[("kite", None)]["availability"] = Availability.IN_STOCK
        shelf.items[("kite", None)]["price"] = 5500
        [repriced] = hook.take_over(conn, link, pre_checkout(), NOW)
        assert repriced.payload["ok"] is False and "cena" in repriced.payload["error_message"]
