"""A shipped order outside WhatsApp's 24-hour window goes out as the order_shipped template in
her language; inside the window it is the usual message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.contacts import contacts_table
from tests.support.shopping import order

from .test_customer_record import ORDERS_TOKEN, pay, running


def ship(shop, number: str) -> None:  # type: ignore[no-untyped-def]
    answer = shop.client.post(
        f"/api/orders/{number}/status",
        json={
            "status": "shipped",
            "carrier": "InPost",
            "tracking_number": "6200001",
            "tracking_url": "https://track.example/1",
        },
        headers={"Authorization": f"Bearer {ORDERS_TOKEN}"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["notified"] == 1


def test_a_shipped_order_outside_the_window_is_the_template_in_her_language(tmp_path):
    with running(tmp_path) as shop:
        wera = shop.whatsapp(wa_id="48600000061", name="Wera")
        number = order(wera, "Wera Lis", "wera@example.com", "ul. Długa 5, Kraków")
        pay(shop, number)
        with shop.client.app.state.store.transaction() as conn:  # she last wrote 30 hours ago
            conn.execute(
                update(contacts_table)
                .where(contacts_table.c.conversation_id == "whatsapp:48600000061")
                .values(
                    locale="pl",
                    last_inbound_at=datetime.now(UTC) - timedelta(hours=30),
                )
            )
        shop.client.app.state.service.contacts.forget(["whatsapp:48600000061"])
        start = shop.platform.count()
        ship(shop, number)
        sent = [b for _h, _p, b in shop.platform.since(start)]
        assert [b["type"] for b in sent] == ["template"]
        template = sent[0]["template"]
        assert template["name"] == "order_shipped" and template["language"] == {"code": "pl"}
        assert template["components"][0]["parameters"] == [
            {"type": "text", "text": number},
            {"type": "text", "text": "https://track.example/1"},
        ]


def test_inside_the_window_the_update_is_the_usual_message(tmp_path):
    with running(tmp_path) as shop:
        wera = shop.whatsapp(wa_id="48600000062", name="Wera")
        number = order(wera, "Wera Lis", "wera@example.com", "ul. Długa 5, Kraków")
        pay(shop, number)
        start = shop.platform.count()
        ship(shop, number)
        sent = [b for _h, _p, b in shop.platform.since(start)]
        assert [b["type"] for b in sent] == ["text"]
        assert "InPost" in sent[0]["text"]["body"]
