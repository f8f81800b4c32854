"""The funnel: a fixed set of conversations gives exact numbers in the report and /metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from bot.cli import app as cli
from customers.funnel import funnel
from tests.support.channels import Shopper
from tests.support.shopping import order

from .test_customer_record import pay, running


def to_cart(shopper: Shopper) -> None:
    shopper.say("hi")
    shopper.press("Find a gift")
    shopper.press("A child")
    shopper.say("8")
    shopper.say("200")
    shopper.press("LEGO")
    shopper.pick("Fire Station Building Bricks Set")
    shopper.press("Add to cart")


def test_four_chats_three_carts_two_orders_one_paid(tmp_path, monkeypatch):
    with running(tmp_path) as shop:
        shop.telegram(first_name="Just", chat_id=1).say("hi")  # looks, buys nothing
        to_cart(shop.telegram(first_name="Cart", chat_id=2))  # leaves a cart
        pay(
            shop,
            order(
                shop.telegram(first_name="Paid", chat_id=3),
                "Ann Lee",
                "a@example.com",
                "ul. Długa 5, Kraków",
            ),
        )
        order(
            shop.whatsapp(wa_id="48600000004", name="Unpaid"),
            "Bo Lee",
            "b@example.com",
            "ul. Krótka 1, Gdańsk",
        )

        with shop.client.app.state.store.connection() as conn:
            since = datetime.now(UTC) - timedelta(days=1)
            found = funnel(conn, since, by="channel")
            total = funnel(conn, since)["all"]
        assert total.counts == {"chats": 4, "carts": 3, "orders": 2, "paid": 1}
        assert total.revenue == {"PLN": 18999 + 1499}  # the set and the courier
        assert total.rate("paid") == 0.25
        assert found["telegram"].counts == {"chats": 3, "carts": 2, "orders": 1, "paid": 1}
        assert found["whatsapp"].counts == {"chats": 1, "carts": 1, "orders": 1, "paid": 0}

        metrics = shop.client.get("/metrics").text
        assert 'shopchat_funnel_conversations{channel="telegram",stage="paid"} 1.0' in metrics
        assert 'shopchat_funnel_revenue_minor_units{channel="telegram",currency="PLN"} 20498.0' in (
            metrics
        )

    monkeypatch.setenv("SHOPCHAT_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    done = CliRunner().invoke(cli, ["report", "funnel", "--since", "2d", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["all"]["paid"] == 1
    table = CliRunner().invoke(cli, ["report", "funnel", "--by", "channel"])
    assert "telegram" in table.output and "3 (100%)" not in table.output
    assert "PLN\xa0204.98" in table.output or "PLN 204.98" in table.output
    bad = CliRunner().invoke(cli, ["report", "funnel", "--since", "soon"])
    assert bad.exit_code == 2 and "not a duration" in bad.output


def test_the_console_metrics_page_draws_the_funnel(tmp_path):
    from tests.support.console import console_shop, login
    from tests.support.shopping import order as place

    with console_shop(tmp_path) as console:
        shop = console.shop
        shop.telegram(first_name="Just", chat_id=1).say("hi")
        place(shop.telegram(first_name="Bo", chat_id=2), "Bo Lee", "b@example.com", "ul. Krótka 1")
        login(console.client, "alice")
        page = console.client.get("/agent/metrics").text
        assert "Sales funnel, last 7 days" in page
        assert '<span class="funnel-label">chats</span>' in page
        assert '<span style="width: 50%"></span></span>\n      <span class="num">1 (50%)' in page
