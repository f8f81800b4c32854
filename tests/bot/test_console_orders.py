"""An agent fixes an order from the console: payment link, cancel, refund; with her rights."""

from __future__ import annotations

import pytest

from tests.handoff_support import running_shop
from tests.support.channels import settle
from tests.support.console import PASSWORD
from tests.support.shopping import order


@pytest.fixture
def shop(tmp_path):
    with running_shop(tmp_path) as shop:  # the real checkout tells the desk about orders
        agents = shop.client.app.state.agents
        agents.add("alice", PASSWORD, "Alice Smith")
        agents.add("bob", PASSWORD, "Bob Jones")
        yield shop


def bearer(shop, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {shop.client.app.state.agents.new_token(name)}"}


def sent_texts(shop) -> list[str]:
    settle(shop.client)
    return [b["text"] for _h, p, b in shop.platform.since(0) if p.endswith("/sendMessage")]


def test_the_holder_sends_the_payment_link_and_cancels_an_unpaid_order(shop):
    jan = shop.telegram(first_name="", chat_id=77)
    number = order(jan, "Jan Kowalski", "jan@example.com", "ul. Polna 1, 00-001 Warszawa")
    jan.say("human")
    c = shop.client
    alice, bob = bearer(shop, "alice"), bearer(shop, "bob")
    [ticket] = c.get("/agent/api/tickets?state=waiting", headers=alice).json()["tickets"]
    tid = ticket["id"]
    base = f"/agent/api/tickets/{tid}/orders/{number}"

    # Before claiming, nobody acts on the order.
    refused = c.post(f"{base}/cancel", headers=alice)
    assert refused.status_code == 403 and set(refused.json()) == {"error", "detail"}
    assert c.post(f"/agent/api/tickets/{tid}/claim", headers=alice).status_code == 200
    assert c.post(f"{base}/cancel", headers=bob).status_code == 403  # not bob's ticket

    # The panel knows her from checkout, not as "Shopper".
    panel = c.get(f"/agent/api/tickets/{tid}", headers=alice).json()
    assert panel["customer_name"] == "Jan Kowalski" and "jan@example.com" in panel["contact"]

    sent = c.post(f"{base}/payment-link", headers=alice)
    assert sent.status_code == 200 and sent.json()["told"] is True
    assert f"https://toys.example/pay/{number}" in sent_texts(shop)[-1]

    cancelled = c.post(f"{base}/cancel", headers=alice)
    assert cancelled.status_code == 200 and cancelled.json()["order"]["status"] == "cancelled"
    assert number in sent_texts(shop)[-1]
    again = c.post(f"{base}/cancel", headers=alice)
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    assert c.post(f"{base}/refund", headers=alice).status_code == 409  # nothing was paid
    assert c.post(f"{base}/payment-link", headers=alice).status_code == 409

    # Another shopper's order is not this ticket's to touch, nor to see.
    other = f"/agent/api/tickets/{tid}/orders/TG-999999/cancel"
    assert c.post(other, headers=alice).json()["error"] == "unknown_order"
    assert c.post(f"{base}/explode", headers=alice).status_code == 404


def test_a_one_time_discount_code_goes_on_her_cart_and_only_she_can_use_it(shop):
    ana = shop.telegram(first_name="Ana", chat_id=81)
    ana.say("hi")
    ana.press("Find a gift")
    ana.press("A child")
    ana.say("8")
    ana.say("200")
    ana.press("LEGO")
    ana.pick("Fire Station Building Bricks Set")
    ana.press("Add to cart")
    ana.say("human")
    c = shop.client
    alice = bearer(shop, "alice")
    [ticket] = c.get("/agent/api/tickets?state=waiting", headers=alice).json()["tickets"]
    tid = ticket["id"]
    assert (
        c.post(
            f"/agent/api/tickets/{tid}/discount", json={"percent": 10}, headers=alice
        ).status_code
        == 403
    )
    c.post(f"/agent/api/tickets/{tid}/claim", headers=alice)
    too_much = c.post(f"/agent/api/tickets/{tid}/discount", json={"percent": 90}, headers=alice)
    assert too_much.status_code == 422 and set(too_much.json()) == {"error", "detail"}
    given = c.post(
        f"/agent/api/tickets/{tid}/discount", json={"percent": 10, "cap": 1000}, headers=alice
    ).json()
    assert given["applied"] is True and given["told"] is True
    told = sent_texts(shop)[-1]
    assert given["code"] in told and "Alice Smith" in told and "applied to your cart" in told

    # Her cart is 10% off, capped at 10.00; the order book knows which agent gave it.
    state = shop.client.app.state
    checkout = state.checkout

    def totals(cid: str):
        with checkout.db.transaction() as conn:
            cart = checkout.book.cart(conn, cid, locale="en", now=state.service.clock())
            return checkout.book.totals(conn, cart, now=state.service.clock())

    mine = totals("telegram:81")
    assert mine.discount == 1000 and mine.code == given["code"]  # 10% of 189.99 capped at 10.00
    # Someone else typing her code gets nothing.
    with checkout.db.transaction() as conn:
        assert checkout.book.discount(conn, given["code"], "telegram:82") is None
        assert checkout.book.discount(conn, given["code"], "telegram:81") is not None
