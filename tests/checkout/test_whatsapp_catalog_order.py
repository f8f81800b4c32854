"""A WhatsApp catalog order, posted as Meta posts it, ends in a shopchat checkout.

The real app over ``examples/shop``: the webhook (tests/data/whatsapp/order_shop.json) is
signed with the app secret, parsed into a CatalogOrderInput, re-priced against the demo
catalog and answered through the recording fake Graph API.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from tests.checkout.test_checkout_channels import NUMBER, make_shop
from tests.support.channels import APP_SECRET, PHONE_NUMBER_ID, Shop, WhatsAppShopper, settle

ORDER = Path(__file__).resolve().parents[1] / "data" / "whatsapp" / "order_shop.json"
CID = "whatsapp:48600123456"


@pytest.fixture
def shop(tmp_path):
    client, platform = make_shop(tmp_path)
    with client, contextlib.ExitStack() as sockets:
        yield Shop(client, platform, sockets)


def post_order(shop: Shop, body: bytes) -> WhatsAppShopper:
    """Post ``body`` as WhatsApp does and read the answer as the shopper sees it."""
    shopper = shop.whatsapp(wa_id="48600123456", name="Zofia Nowak")

    def send() -> None:
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        response = shop.client.post(
            "/webhooks/whatsapp",
            content=body,
            headers={"X-Hub-Signature-256": signature, "content-type": "application/json"},
        )
        assert response.status_code == 200, response.text

    shopper._turn(send)
    return shopper


def with_items(items: list[dict[str, Any]], message_id: str = "wamid.ORDER-2") -> bytes:
    data = json.loads(ORDER.read_bytes())
    message = data["entry"][0]["changes"][0]["value"]["messages"][0]
    message["order"]["product_items"] = items
    message["id"] = message_id
    return json.dumps(data).encode()


def cart(shop: Shop) -> list[tuple[str, str | None, int, int]]:
    checkout = shop.client.app.state.checkout
    with checkout.db.transaction() as conn:
        found = checkout.book.cart(conn, CID, locale="en", now=checkout.clock())
    return [
        (line.product_id, line.variant_id, line.quantity, line.price_seen) for line in found.lines
    ]


def test_a_catalog_order_becomes_a_repriced_cart_then_a_checkout_then_an_order(shop):
    shopper = post_order(shop, ORDER.read_bytes())
    said = shopper.last.said
    # Two lines are sellable: a product by its id, a variant by its own id.
    assert cart(shop) == [
        ("bw-fire-station", None, 1, 18999),
        ("pl-bunny", "pl-bunny-pink", 2, 5999),
    ]
    assert "Thank you for your order!" in said
    assert [c.title for c in shopper.last.cards] == [
        "Fire Station Building Bricks Set",
        "Soft Bunny Plush, 30 cm – pink",
    ]
    # What differs from what the shopper picked in WhatsApp is named.
    assert (
        "Not available, so not in your cart: Medieval Castle Building Bricks Set, "
        "xmas-sweater-2019." in said
    )
    assert (
        "Prices have changed since you picked them: "
        "Fire Station Building Bricks Set: PLN\xa0179.99 → PLN\xa0189.99." in said
    )
    assert "Pink: 2" not in said  # nothing was reduced
    assert "Subtotal: PLN\xa0309.97" in said  # 189.99 + 2 × 59.99
    # ... and the shop's checkout has started.
    assert "How should we deliver it?" in said
    shopper.press(next(label for label in shopper.last.labels if label.startswith("Courier")))
    shopper.say("Zofia Nowak")
    review = shopper.say("zofia@example.com")
    if "delivery address" in review.said:
        review = shopper.say("ul. Długa 5, 00-001 Warszawa")
    assert "Total: PLN\xa0324.96" in review.said  # 309.97 + 14.99 courier
    placed = shopper.press("Place order")
    number = NUMBER.search(placed.said)
    assert number, placed.said
    checkout = shop.client.app.state.checkout
    with checkout.db.transaction() as conn:
        order = checkout.book.order(conn, number.group())
    assert order is not None and order.total == 32496
    assert [(i.product_id, i.quantity) for i in order.items] == [
        ("bw-fire-station", 1),
        ("pl-bunny", 2),
    ]


def test_a_repeated_order_webhook_is_answered_once(shop):
    first = post_order(shop, ORDER.read_bytes())
    assert "Thank you for your order!" in first.last.said
    again = post_order(shop, ORDER.read_bytes())
    assert again.last.texts == []
    assert cart(shop)[0] == ("bw-fire-station", None, 1, 18999)


def test_an_order_of_nothing_sellable_says_so_and_leaves_no_cart(shop):
    shopper = post_order(
        shop,
        with_items(
            [
                {
                    "product_retailer_id": "bw-castle",
                    "quantity": 1,
                    "item_price": 399,
                    "currency": "PLN",
                },
                {
                    "product_retailer_id": "gone-1",
                    "quantity": 2,
                    "item_price": 5,
                    "currency": "PLN",
                },
            ]
        ),
    )
    said = shopper.last.said
    assert (
        "Sorry, none of the items in your order can be bought right now: "
        "Medieval Castle Building Bricks Set, gone-1." in said
    )
    assert "Shall we find something else?" in said
    assert "How should we deliver it?" not in said
    assert cart(shop) == []


def test_a_polish_shopper_reads_the_summary_in_polish(shop):
    shopper = shop.whatsapp(wa_id="48600123456", name="Zofia Nowak")
    shopper.say("Cześć! Szukam prezentu dla córki")
    shopper = post_order(
        shop,
        with_items(
            [
                {
                    "product_retailer_id": "bw-fire-station",
                    "quantity": 1,
                    "item_price": 179.99,
                    "currency": "PLN",
                },
                {
                    "product_retailer_id": "bw-castle",
                    "quantity": 1,
                    "item_price": 399,
                    "currency": "PLN",
                },
            ]
        ),
    )
    said = shopper.last.said
    assert "Dziękujemy za zamówienie!" in said
    assert "Niedostępne, więc nie ma ich w koszyku: Klocki Średniowieczny zamek." in said
    assert "Klocki Remiza strażacka: 179,99\xa0zł → 189,99\xa0zł" in said


def test_the_shop_answers_an_order_for_another_number_not_at_all(shop):
    data = json.loads(ORDER.read_bytes())
    other = copy.deepcopy(data)
    other["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    assert PHONE_NUMBER_ID != "999"
    shopper = post_order(shop, json.dumps(other).encode())
    settle(shop.client)
    assert shopper.last.texts == []
    assert cart(shop) == []
