"""Checkout on every storage backend: the migrated tables carry a whole order's life."""

from __future__ import annotations

from typing import Any

from bot.storage import SessionStore
from checkout import Checkout, CheckoutConfig, Database, OrderBook, register_checkout_actions
from flows.actions import ActionContext, ActionRegistry
from tests.checkout.test_cart_and_orders import CONFIG, Clock, Shelf


def test_cart_order_payment_and_status_on_each_backend(store: SessionStore) -> None:
    clock = Clock()
    book = OrderBook(Shelf(), CheckoutConfig.model_validate(CONFIG), shop_currency="PLN")
    checkout = Checkout(book, Database(store.engine), clock=clock)
    registry = ActionRegistry()
    register_checkout_actions(registry, checkout)

    def act(action: str, /, **args: Any) -> Any:
        spec = registry.get(action)
        assert spec is not None
        return spec.func(ActionContext("web:pg", "pl", "PLN"), **args)

    assert act("cart.add", product_id="kite", quantity=2)["ok"]
    assert act("cart.apply_code", code="TENOFF")["ok"]
    act("cart.set_shipping", option="post")
    placed = act("checkout.start", name="Ana", contact="ana@example.com", address="Długa 5")
    assert placed["ok"] and placed["order"]["total"] == 9000 + 1000
    assert placed["order"]["total_text"] == "100,00\u00a0zł"
    number = placed["order"]["number"]
    assert act("checkout.start", name="Ana", contact="ana@example.com")["order"]["number"] == number
    with store.transaction() as conn:
        order = book.order(conn, number)
        args = dict(provider="stripe", kind="x", amount=10000, currency="PLN", now=clock())
        assert book.apply_payment(conn, event_id="cs_1:paid", order=order, **args).outcome == "paid"
        again = book.apply_payment(conn, event_id="cs_1:paid", order=order, **args)
        assert again.outcome == "duplicate"
        book.set_status(conn, number, "shipped", now=clock(), carrier="DPD", tracking_number="9")
    found = act("orders.lookup", number=number.replace("-", " ").lower(), contact="ANA@example.com")
    assert found["status"] == "shipped" and found["carrier"] == "DPD"
    with store.transaction() as conn:
        assert [h["status"] for h in book.history(conn, number)] == [
            "pending_payment",
            "paid",
            "shipped",
        ]
