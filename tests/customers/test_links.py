"""A chat opened from a signed link the shop sent joins that customer; a forged or expired code
links nobody."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import httpx
from fastapi.testclient import TestClient

from bot.app import create_app
from customers.links import link_code, verify_code
from tests.handoff_support import make_shop
from tests.support.channels import Platform, Shop, shop_settings
from tests.support.shopping import order

SECRET = "link-secret-0123456789abcdef"
NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def test_a_code_names_its_customer_until_it_expires_and_cannot_be_forged():
    code = link_code(SECRET, 42, NOW + timedelta(days=30))
    assert len(code) < 64 and verify_code(SECRET, code, NOW) == 42
    assert verify_code(SECRET, code, NOW + timedelta(days=31)) is None
    assert verify_code("another secret", code, NOW) is None
    assert verify_code(SECRET, code.replace("c42_", "c43_"), NOW) is None
    assert verify_code(SECRET, "hello", NOW) is None and verify_code(None, code, NOW) is None


def test_telegram_opened_from_the_emailed_link_is_the_same_customer(tmp_path):
    platform = Platform()
    settings = shop_settings(tmp_path)
    settings.customer_link_secret = SECRET
    app = create_app(make_shop(tmp_path), settings, transport=httpx.MockTransport(platform.handler))
    with TestClient(app) as client, contextlib.ExitStack() as sockets:
        shop = Shop(client, platform, sockets)
        order(
            shop.whatsapp(wa_id="48600000071", name="Ola"),
            "Ola Nowak",
            "o@example.com",
            "ul. Długa 5",
        )
        book = client.app.state.customers
        with client.app.state.store.connection() as conn:
            ola = book.customer_id(conn, "whatsapp:48600000071")
        code = link_code(SECRET, ola, datetime.now(UTC) + timedelta(days=1))
        telegram = shop.telegram(first_name="O", chat_id=72)
        greeted = telegram.say(f"/start {code}")
        assert "Welcome back, Ola!" in greeted.said
        forged = shop.telegram(first_name="Eve", chat_id=73).say(f"/start {code[:-2]}xx")
        assert "Welcome back" not in forged.said
        with client.app.state.store.connection() as conn:
            assert book.customer_id(conn, "telegram:72") == ola
            assert book.customer_id(conn, "telegram:73") != ola
