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
