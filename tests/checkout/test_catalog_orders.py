"""A cart sent from the platform's catalog (a WhatsApp order) re-priced and stock-checked.

The action ``cart.from_catalog_order`` over an offer source the test controls; the real
WhatsApp webhook through the app is in tests/checkout/test_whatsapp_catalog_order.py.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from catalog.records import Availability, Offer
from checkout import Checkout, CheckoutConfig, Database, OrderBook, register_checkout_actions
from checkout.catalog_orders import minor_units
from flows.actions import ActionContext, ActionRegistry
from tests.checkout.test_cart_and_orders import CONFIG, Clock


class Shelf:
    """Offers by retailer id: products and variants, as a WhatsApp catalog names them."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {
            "kite": {"product": "kite", "title": "Kite", "price": 5000, "quantity": 10},
            "tee-m": {
                "product": "tee",
                "variant": "tee-m",
                "title": "T-shirt – M",
                "price": 3000,
                "quantity": None,
            },
            "bear": {"product": "bear", "title": "Bear", "price": 9900, "quantity": 2},
            "lamp": {
                "product": "lamp",
                "title": "Lamp",
                "price": 4000,
                "quantity": 0,
                "availability": Availability.OUT_OF_STOCK,
            },
        }

    def _offer(self, found: dict[str, Any]) -> Offer:
        return Offer(
            product_id=found["product"],
            variant_id=found.get("variant"),
            title=found["title"],
            price=found["price"],
            regular_price=found["price"],
            currency="PLN",
            availability=found.get("availability", Availability.IN_STOCK),
            quantity=found["quantity"],
        )

    def offer(self, product_id: str, variant_id: str | None, *, locale: str, now: datetime):
        for found in self.items.values():
            if found["product"] == product_id and found.get("variant") == variant_id:
                return self._offer(found)
        return None

    def retailer_offer(self, retailer_id: str, *, locale: str, now: datetime):
        found = self.items.get(retailer_id)
        return None if found is None else self._offer(found)


@pytest.fixture
def shop():
    shelf = Shelf()
    book = OrderBook(shelf, CheckoutConfig.model_validate(CONFIG), shop_currency="PLN")
    checkout = Checkout(book, Database.in_memory(), clock=Clock())
    registry = ActionRegistry()
    register_checkout_actions(registry, checkout)

    def act(action: str, locale: str = "en", /, **args: Any) -> Any:
        spec = registry.get(action)
        assert spec is not None
        return spec.func(ActionContext("whatsapp:48600", locale, "PLN"), **args)

    return act, shelf


def order(*items: tuple[str, int, str | None, str | None], text: str | None = None) -> dict:
    """The slot the engine fills from a CatalogOrderInput."""
    return {
        "items": [
            {"retailer_id": rid, "quantity": q, "price": price, "currency": currency}
            for rid, q, price, currency in items
        ],
        "text": text,
        "catalog_id": "194836987003835",
    }


def cart_lines(result: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(i["id"], i["quantity"], i["price"]) for i in result["cart"]["lines"]]


def test_products_and_variants_are_put_in_the_cart_at_the_shops_price(shop):
    act, _ = shop
    result = act(
        "cart.from_catalog_order",
        order=order(("kite", 2, "50.00", "PLN"), ("tee-m", 1, "30", "PLN"), text="Gift wrap"),
    )
    assert result["ok"] and not result["changed"]
    assert cart_lines(result) == [("kite", 2, 5000), ("tee~tee-m", 1, 3000)]
    assert result["cart"]["subtotal"] == 13000
    assert result["note"] == "Gift wrap"
    assert act("cart.show")["total"] == 13000


def test_a_changed_price_is_named_with_both_prices_and_the_cart_charges_todays(shop):
    act, _ = shop
    result = act("cart.from_catalog_order", order=order(("kite", 1, "45.5", "PLN")))
    assert cart_lines(result) == [("kite", 1, 5000)]
    assert result["changed"]
    assert result["price_changes"] == ["Kite: PLN\xa045.50 → PLN\xa050.00"]


def test_prices_and_changes_are_written_for_the_shoppers_locale(shop):
    act, _ = shop
    result = act("cart.from_catalog_order", "pl", order=order(("kite", 1, "45.5", "PLN")))
    assert result["price_changes"] == ["Kite: 45,50\xa0zł → 50,00\xa0zł"]
    assert result["cart"]["subtotal_text"] == "50,00\xa0zł"


def test_a_catalog_in_another_currency_is_a_price_change_even_at_the_same_number(shop):
    act, _ = shop
    result = act("cart.from_catalog_order", order=order(("kite", 1, "50", "EUR")))
    assert cart_lines(result) == [("kite", 1, 5000)]
    assert result["price_changes"] == ["Kite: €50.00 → PLN\xa050.00"]


def test_unknown_and_sold_out_items_are_named_and_left_out(shop):
    act, _ = shop
    result = act(
        "cart.from_catalog_order",
        order=order(
            ("nope-42", 1, "10", "PLN"), ("lamp", 1, "40", "PLN"), ("kite", 1, "50", "PLN")
        ),
    )
    assert cart_lines(result) == [("kite", 1, 5000)]
    assert result["unavailable"] == ["nope-42", "Lamp"]
    assert result["changed"] and result["ok"]


def test_more_than_in_stock_takes_what_there_is_and_says_so(shop):
    act, _ = shop
    result = act("cart.from_catalog_order", order=order(("bear", 5, "99", "PLN")))
    assert cart_lines(result) == [("bear", 2, 9900)]
    assert result["reduced"] == ["Bear: 5 → 2"]
    assert result["price_changes"] == []


def test_a_repeated_item_is_one_line_with_the_quantities_added(shop):
    act, _ = shop
    result = act(
        "cart.from_catalog_order", order=order(("kite", 1, "50", "PLN"), ("kite", 2, "50", "PLN"))
    )
    assert cart_lines(result) == [("kite", 3, 5000)]


def test_the_order_replaces_the_open_cart(shop):
    act, _ = shop
    act("cart.add", product_id="bear", quantity=1)
    act("cart.apply_code", code="TENOFF")
    result = act("cart.from_catalog_order", order=order(("kite", 1, "50", "PLN")))
    assert cart_lines(result) == [("kite", 1, 5000)]
    assert result["cart"]["code"] is None


@pytest.mark.parametrize(
    "slot",
    [
        None,
        "not an order",
        {"items": "nope"},
        {"items": [None, {"retailer_id": "", "quantity": 1}, {"retailer_id": "kite"}]},
        order(("lamp", 1, "40", "PLN")),
        order(("kite", 0, "50", "PLN")),
    ],
)
def test_nothing_sellable_is_said_never_an_error_and_the_cart_stays_as_it_was(shop, slot):
    act, _ = shop
    act("cart.add", product_id="bear", quantity=1)
    result = act("cart.from_catalog_order", order=slot)
    assert not result["ok"]
    assert [line["id"] for line in result["cart"]["lines"]] == ["bear"]
    assert [line["id"] for line in act("cart.show")["lines"]] == ["bear"]


def test_a_bad_price_from_the_platform_is_ignored_not_trusted(shop):
    act, _ = shop
    result = act("cart.from_catalog_order", order=order(("kite", 1, "a lot", "PLN")))
    assert cart_lines(result) == [("kite", 1, 5000)]
    assert result["price_changes"] == []


@pytest.mark.parametrize(
    ("price", "currency", "minor"),
    [
        ("30.5", "USD", 3050),
        ("25", "USD", 2500),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("NaN", "USD", None),
        ("-1", "USD", None),
        ("10", None, None),
    ],
)
def test_platform_prices_in_minor_units_of_their_currency(price, currency, minor):
    assert minor_units(Decimal(price), currency) == minor
