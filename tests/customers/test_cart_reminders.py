"""Abandoned carts: one reminder with the cart's items and a way back to checkout, within the
platform's rules, and none for who bought, said STOP or was reminded already."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from customers.reminders import plan_reminders, send_reminders
from customers.templates import load_templates
from tests.support.shopping import order

from .test_customer_record import running
from .test_funnel import to_cart


def test_one_reminder_per_abandoned_cart_with_its_items(tmp_path):
    with running(tmp_path) as shop:
        app = shop.client.app
        to_cart(shop.telegram(first_name="Ana", chat_id=31))
        to_cart(
            shop.whatsapp(wa_id="48600000032", name="Wera")
        )  # window closes before the reminder
        stopper = shop.telegram(first_name="Stefan", chat_id=33)
        to_cart(stopper)
        stopper.say("STOP")
        order(
            shop.telegram(first_name="Bea", chat_id=34),
            "Bea Nowak",
            "b@example.com",
            "ul. Długa 1, Kraków",
        )

        templates, _ = load_templates(app.state.project.root, app.state.project.locales)
        book = app.state.checkout.book

        def titles(conn, cid, locale, at):  # type: ignore[no-untyped-def]
            cart = book.cart(conn, cid, locale=locale, now=at)
            return [f"{line.quantity} × {line.offer.title}" for line in cart.lines if line.offer]

        def remind(later: timedelta):  # type: ignore[no-untyped-def]
            now = datetime.now(UTC) + later
            with app.state.store.connection() as conn:
                planned = plan_reminders(conn, now, templates, titles)
            links = app.state.service.links

            async def go():  # type: ignore[no-untyped-def]
                return await send_reminders(app.state.store.engine, planned, links, now)

            return planned, shop.client.portal.call(go)

        start = shop.platform.count()
        planned, counts = remind(timedelta(hours=30))
        outcomes = {r.planned.recipient.conversation_id: r.planned.outcome for r in planned}
        assert outcomes == {
            "telegram:31": "free-form",
            "whatsapp:48600000032": "no consent",  # outside the window, never opted in
            "telegram:33": "no consent",  # said STOP
        }  # Bea's cart became an order: not abandoned
        assert counts == {"sent": 1, "skipped: no consent": 2}
        sent = [
            body for _h, path, body in shop.platform.since(start) if path.endswith("/sendMessage")
        ]
        assert len(sent) == 1 and sent[0]["chat_id"] == 31
        assert "You left this in your cart: 1 × Fire Station Building Bricks Set" in sent[0]["text"]
        buttons = [b["text"] for row in sent[0]["reply_markup"]["inline_keyboard"] for b in row]
        assert buttons == ["Check out"]

        again, _ = remind(timedelta(hours=31))
        assert again == []  # each cart is reminded once


def test_a_cart_touched_recently_is_not_abandoned(tmp_path):
    with running(tmp_path) as shop:
        app = shop.client.app
        to_cart(shop.telegram(first_name="Ana", chat_id=41))
        templates, _ = load_templates(app.state.project.root, [])
        with app.state.store.connection() as conn:
            soon = datetime.now(UTC) + timedelta(minutes=30)
            assert plan_reminders(conn, soon, templates, lambda *a: []) == []
