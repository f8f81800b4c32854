"""A shopper goes from the gift finder to a paid order on each channel, then tracks it.

The real app over ``examples/shop``; Telegram and Meta are a recording fake transport, Stripe
is mocked with respx. Telegram's payment calls are checked against the Bot API spec.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from adapters.base import OutboundCall
from bot.app import create_app
from checkout import sign
from tests.adapters.test_telegram_oracle import assert_valid_calls, require_spec
from tests.support.channels import (
    NOW,
    Platform,
    Shop,
    Shopper,
    TelegramShopper,
    settle,
    shop_settings,
)

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
STRIPE_BASE = "https://stripe.test"
WEBHOOK_SECRET = "whsec_test_secret"
ORDERS_TOKEN = "orders-token-0123456789"
NUMBER = re.compile(r"TG-\d{6}")


@pytest.fixture
def stripe():
    with respx.mock(base_url=STRIPE_BASE, assert_all_called=False) as mock:
        sessions = iter(range(1, 100))

        def create(request: httpx.Request) -> httpx.Response:
            n = next(sessions)
            return httpx.Response(
                200,
                json={
                    "id": f"cs_test_{n}",
                    "url": f"https://checkout.stripe.test/c/pay/cs_test_{n}",
                },
            )

        mock.post("/v1/checkout/sessions").mock(side_effect=create)
        yield mock


def make_shop(tmp_path: Path, **overrides: Any) -> tuple[TestClient, Platform]:
    settings = shop_settings(tmp_path).model_copy(
        update={
            "stripe_secret_key": "sk_test_123",
            "stripe_api_base": STRIPE_BASE,
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "telegram_payment_provider_token": "284685063:TEST:provider",
            "orders_api_token": ORDERS_TOKEN,
            **overrides,
        }
    )
    platform = Platform()
    app = create_app(
        SHOP, settings, transport=httpx.MockTransport(platform.handler), typing_delay=60
    )
    return TestClient(app), platform


@pytest.fixture
def shop(tmp_path, stripe):
    client, platform = make_shop(tmp_path)
    with client, contextlib.ExitStack() as sockets:
        yield Shop(client, platform, sockets)


def to_payment(shopper: Shopper) -> str:
    """Gift finder -> cart -> checkout, up to the payment question; returns the order number."""
    shopper.say("/gift")
    shopper.press("A child")
    shopper.say("8")
    shopper.say("200")
    shopper.press("LEGO")
    shopper.pick("Fire Station Building Bricks Set")
    added = shopper.press("Add to cart")
    assert "Added Fire Station Building Bricks Set to your cart" in added.said
    delivery = shopper.press("Check out")
    assert "How should we deliver it?" in delivery.said
    shopper.press(next(label for label in delivery.labels if label.startswith("Courier")))
    shopper.say("Ana Kowalska")
    review = shopper.say("ana@example.com")
    if "delivery address" in review.said:  # not on Telegram: its invoice asks for it
        review = shopper.say("ul. Długa 5, 00-001 Warszawa")
    assert "Total: PLN\xa0204.98" in review.said  # 189.99 + 14.99 courier
    pay = shopper.press("Place order")
    found = NUMBER.search(pay.said)
    assert found, pay.said
    return found.group()


def track(shopper: Shopper, number: str, contact: str = "ana@example.com") -> str:
    shopper.say("/track")
    shopper.say(number)
    return shopper.say(contact).said


def stripe_event(kind: str, session: str, number: str, amount: int, **more: Any) -> bytes:
    obj = {
        "id": session,
        "object": "checkout.session",
        "amount_total": amount,
        "currency": "pln",
        "client_reference_id": number,
        "payment_status": "paid",
        **more,
    }
    event = {"id": f"evt_{session}_{kind}", "type": kind, "data": {"object": obj}}
    return json.dumps(event).encode()


def post_stripe(
    client: TestClient, body: bytes, *, at: datetime | None = None, secret: str = WEBHOOK_SECRET
) -> httpx.Response:
    header = sign(body, secret, at or datetime.now(UTC))
    return client.post(
        "/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": header, "content-type": "application/json"},
    )


def texts_since(platform: Platform, start: int) -> str:
    return "\n".join(json.dumps(body, ensure_ascii=False) for _h, _p, body in platform.since(start))


# -- Telegram: an invoice, pre-checkout, successful_payment ----------------------------------


def telegram_payment_update(shopper: TelegramShopper, update_id: int, **payment: Any) -> dict:
    message = {
        "message_id": update_id,
        "from": shopper.user,
        "chat": {"id": shopper.chat_id, "first_name": "Ana", "type": "private"},
        "date": NOW,
        "successful_payment": payment,
    }
    return {"update_id": update_id, "message": message}


def pre_checkout(shopper: TelegramShopper, update_id: int, payload: str, amount: int) -> dict:
    query = {
        "id": f"pcq-{update_id}",
        "from": shopper.user,
        "currency": "PLN",
        "total_amount": amount,
        "invoice_payload": payload,
    }
    return {"update_id": update_id, "pre_checkout_query": query}


def telegram_calls(platform: Platform, start: int, method: str) -> list[dict[str, Any]]:
    return [body for _h, path, body in platform.since(start) if path.endswith("/" + method)]


def test_telegram_gift_to_paid_order_by_invoice_then_tracking(shop):
    spec = require_spec()
    ana = shop.telegram()
    number = to_payment(ana)
    assert ana.last.labels == [
        "Pay in Telegram",
        "Card (payment link)",
        "Bank transfer",
        "Cash on delivery",
    ]
    paying = ana.press("Pay in Telegram")
    assert f"Here's the invoice for order {number}" in paying.said
    [invoice] = paying.bodies("sendInvoice")
    assert invoice["payload"] == f"order:{number}"
    assert invoice["currency"] == "PLN"
    assert sum(p["amount"] for p in invoice["prices"]) == 20498
    assert_valid_calls(spec, [OutboundCall("sendInvoice", invoice)])

    start = shop.platform.count()
    ana.post(pre_checkout(ana, 9001, f"order:{number}", 20498))
    settle(shop.client)
    [answer] = telegram_calls(shop.platform, start, "answerPreCheckoutQuery")
    assert answer == {"pre_checkout_query_id": "pcq-9001", "ok": True}
    assert_valid_calls(spec, [OutboundCall("answerPreCheckoutQuery", answer)])

    assert invoice["need_shipping_address"] is True
    paid = dict(
        currency="PLN",
        total_amount=20498,
        invoice_payload=f"order:{number}",
        telegram_payment_charge_id="tg-charge-1",
        provider_payment_charge_id="prov-1",
        order_info={
            "name": "Ana Kowalska",
            "shipping_address": {
                "country_code": "PL",
                "state": "",
                "city": "Warszawa",
                "street_line1": "ul. Długa 5",
                "street_line2": "",
                "post_code": "00-001",
            },
        },
    )
    start = shop.platform.count()
    ana.post(telegram_payment_update(ana, 9002, **paid))
    ana.post(telegram_payment_update(ana, 9003, **paid))  # the same payment again
    settle(shop.client)
    confirmations = [
        b for b in telegram_calls(shop.platform, start, "sendMessage") if number in b["text"]
    ]
    assert len(confirmations) == 1
    assert "We've received the payment for order" in confirmations[0]["text"]

    assert f"Order {number} is paid and we're getting it ready" in track(ana, number)
    order = shop.client.get(
        f"/api/orders/{number}", headers={"Authorization": f"Bearer {ORDERS_TOKEN}"}
    ).json()
    assert order["address"] == "Ana Kowalska, ul. Długa 5, 00-001 Warszawa, PL"


def test_on_telegram_a_manual_payment_asks_for_the_address_the_invoice_would_have(shop):
    ana = shop.telegram(chat_id=5151)
    number = to_payment(ana)
    asked = ana.press("Cash on delivery")
    assert "delivery address" in asked.said
    done = ana.say("ul. Krótka 1, 30-001 Kraków")
    assert f"Order {number} is placed. You'll pay PLN\xa0204.98 to the courier" in done.said
    order = shop.client.get(
        f"/api/orders/{number}", headers={"Authorization": f"Bearer {ORDERS_TOKEN}"}
    ).json()
    assert order["address"] == "ul. Krótka 1, 30-001 Kraków"


def test_telegram_pre_checkout_is_refused_for_an_unknown_invoice_and_a_changed_total(shop):
    spec = require_spec()
    ana = shop.telegram()
    number = to_payment(ana)
    ana.press("Pay in Telegram")
    start = shop.platform.count()
    ana.post(pre_checkout(ana, 9101, "order:TG-000000", 20498))
    ana.post(pre_checkout(ana, 9102, "something else", 100))
    ana.post(pre_checkout(ana, 9103, f"order:{number}", 100))
    settle(shop.client)
    answers = telegram_calls(shop.platform, start, "answerPreCheckoutQuery")
    assert [a["ok"] for a in answers] == [False, False, False]
    assert "no longer valid" in answers[0]["error_message"]
    assert "price" in answers[2]["error_message"]
    assert_valid_calls(spec, [OutboundCall("answerPreCheckoutQuery", a) for a in answers])


def test_a_telegram_payment_of_the_wrong_amount_is_refused_and_flagged(shop):
    ana = shop.telegram()
    number = to_payment(ana)
    ana.press("Pay in Telegram")
    start = shop.platform.count()
    ana.post(
        telegram_payment_update(
            ana,
            9201,
            currency="PLN",
            total_amount=1,
            invoice_payload=f"order:{number}",
            telegram_payment_charge_id="tg-charge-x",
        )
    )
    settle(shop.client)
    assert "needs a quick check by a colleague" in texts_since(shop.platform, start)
    order = shop.client.get(
        f"/api/orders/{number}", headers={"Authorization": f"Bearer {ORDERS_TOKEN}"}
    ).json()
    assert order["status"] == "pending_payment"
    assert "paid 1 PLN" in order["flag"]


# -- WhatsApp: a Stripe link, paid by the webhook -----------------------------------------


@pytest.mark.parametrize("channel", ["whatsapp", "messenger", "web", "instagram", "line", "wire"])
def test_gift_to_paid_order_by_stripe_link_then_tracking(shop, stripe, channel):
    shopper = shop.shopper(channel)
    number = to_payment(shopper)
    assert shopper.last.labels == ["Card (payment link)", "Bank transfer", "Cash on delivery"]
    link = shopper.press("Card (payment link)")
    assert "https://checkout.stripe.test/c/pay/cs_test_1" in link.said
    [request] = stripe.calls
    form = dict(httpx.QueryParams(request.request.content.decode()))
    assert request.request.headers["Idempotency-Key"] == f"shopchat-{number}-1"
    assert request.request.headers["Authorization"] == "Bearer sk_test_123"
    assert form["line_items[0][price_data][unit_amount]"] == "20498"
    assert form["line_items[0][price_data][currency]"] == "pln"
    assert form["client_reference_id"] == number

    start = shop.platform.count()
    response = post_stripe(
        shop.client, stripe_event("checkout.session.completed", "cs_test_1", number, 20498)
    )
    assert response.status_code == 200 and response.json()["outcome"] == "paid"
    if channel == "web":
        told = json.dumps(shopper._until_barrier(), ensure_ascii=False)
    else:
        told = texts_since(shop.platform, start)
    assert f"We've received the payment for order {number}" in told
    assert f"Order {number} is paid" in track(shopper, number, "ana@example.com")


def test_a_resent_link_for_an_open_session_is_the_same_link(shop, stripe):
    zofia = shop.whatsapp()
    number = to_payment(zofia)
    zofia.press("Card (payment link)")
    zofia.say("/payment")
    zofia.press("Resend payment link")
    zofia.say(number)
    again = zofia.say("ana@example.com")
    assert "https://checkout.stripe.test/c/pay/cs_test_1" in again.said
    assert len(stripe.calls) == 1


def test_payment_help_sends_a_fresh_link_once_the_last_one_expired(shop, stripe):
    zofia = shop.whatsapp()
    number = to_payment(zofia)
    zofia.press("Card (payment link)")
    expired = stripe_event(
        "checkout.session.expired", "cs_test_1", number, 20498, payment_status="unpaid"
    )
    assert post_stripe(shop.client, expired).status_code == 200
    zofia.say("/payment")
    zofia.press("Resend payment link")
    zofia.say(number)
    again = zofia.say("ana@example.com")
    assert "https://checkout.stripe.test/c/pay/cs_test_2" in again.said
    assert stripe.calls[-1].request.headers["Idempotency-Key"] == f"shopchat-{number}-2"
    # The old session still pays the order if the shopper completes it after all.
    late = stripe_event("checkout.session.completed", "cs_test_1", number, 20498)
    assert post_stripe(shop.client, late).json()["outcome"] == "paid"


def test_payment_help_explains_the_configured_ways_and_resends_a_telegram_invoice(shop):
    ana = shop.telegram()
    number = to_payment(ana)
    ana.press("Pay in Telegram")
    ana.say("/payment")
    ways = ana.press("Ways to pay")
    assert "In Telegram: pay by card" in ways.said and "Cash on delivery" in ways.said
    ana.press("Another question")
    ana.press("Resend payment link")
    ana.say(number)
    again = ana.say("ana@example.com")
    assert f"I've sent you the invoice for order {number} again" in again.said
    assert [b["payload"] for b in again.bodies("sendInvoice")] == [f"order:{number}"]


def test_payment_help_hands_over_when_someone_else_asks_for_the_link(shop, stripe):
    number = stripe_order(shop)
    stranger = shop.messenger()
    stranger.say("/payment")
    stranger.press("Resend payment link")
    stranger.say(number)
    answer = stranger.say("ana@example.com")
    assert "I can't sort out the payment" in answer.said
    assert "checkout.stripe.test" not in answer.said


# -- Stripe webhooks: verified, idempotent, never a 5xx -----------------------------------


def stripe_order(shop: Shop) -> str:
    zofia = shop.whatsapp()
    number = to_payment(zofia)
    zofia.press("Card (payment link)")
    return number


def test_forged_stale_and_unsigned_stripe_webhooks_are_refused(shop):
    number = stripe_order(shop)
    body = stripe_event("checkout.session.completed", "cs_test_1", number, 20498)
    assert post_stripe(shop.client, body, secret="whsec_forged").status_code == 400
    stale = datetime.fromtimestamp(datetime.now(UTC).timestamp() - 301, UTC)
    assert post_stripe(shop.client, body, at=stale).status_code == 400
    unsigned = shop.client.post("/webhooks/stripe", content=body)
    assert unsigned.status_code == 400
    tampered = body.replace(b"20498", b"20499")
    header = sign(body, WEBHOOK_SECRET, datetime.now(UTC))
    response = shop.client.post(
        "/webhooks/stripe", content=tampered, headers={"Stripe-Signature": header}
    )
    assert response.status_code == 400
    order = shop.client.get(
        f"/api/orders/{number}", headers={"Authorization": f"Bearer {ORDERS_TOKEN}"}
    ).json()
    assert order["status"] == "pending_payment"


def test_a_signed_webhook_for_an_unknown_session_is_acknowledged(shop):
    body = stripe_event("checkout.session.completed", "cs_unknown", "TG-999999", 100)
    response = post_stripe(shop.client, body)
    assert response.status_code == 200 and response.json()["outcome"] == "unknown"
    assert (
        post_stripe(shop.client, b'{"id": "evt_x", "type": "customer.created"}').status_code == 200
    )


def test_a_stripe_amount_that_does_not_match_is_refused_and_flagged(shop):
    number = stripe_order(shop)
    body = stripe_event("checkout.session.completed", "cs_test_1", number, 100)
    response = post_stripe(shop.client, body)
    assert response.status_code == 200 and response.json()["outcome"] == "mismatch"
    order = shop.client.get(
        f"/api/orders/{number}", headers={"Authorization": f"Bearer {ORDERS_TOKEN}"}
    ).json()
    assert order["status"] == "pending_payment" and order["flag"]


def test_replayed_and_concurrent_duplicate_webhooks_pay_once_and_message_once(shop):
    number = stripe_order(shop)
    start = shop.platform.count()
    body = stripe_event("checkout.session.completed", "cs_test_1", number, 20498)
    outcomes: list[str] = []
    lock = threading.Lock()

    def deliver(payload: bytes) -> None:
        response = post_stripe(shop.client, payload)
        assert response.status_code == 200
        with lock:
            outcomes.append(response.json()["outcome"])

    succeeded = stripe_event("checkout.session.async_payment_succeeded", "cs_test_1", number, 20498)
    threads = [threading.Thread(target=deliver, args=(body,)) for _ in range(6)]
    threads += [threading.Thread(target=deliver, args=(succeeded,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["duplicate"] * 7 + ["paid"]
    deliver(body)  # a replay later
    said = texts_since(shop.platform, start)
    assert said.count("We've received the payment") == 1
    order = shop.client.get(
        f"/api/orders/{number}", headers={"Authorization": f"Bearer {ORDERS_TOKEN}"}
    ).json()
    assert [h["status"] for h in order["history"]].count("paid") == 1


def test_a_failed_async_payment_tells_the_shopper_and_an_expired_link_is_not_resent(shop, stripe):
    number = stripe_order(shop)
    start = shop.platform.count()
    failed = stripe_event(
        "checkout.session.async_payment_failed", "cs_test_1", number, 20498, payment_status="unpaid"
    )
    assert post_stripe(shop.client, failed).status_code == 200
    assert post_stripe(shop.client, failed).json()["outcome"] == "duplicate"
    assert texts_since(shop.platform, start).count("didn't go through") == 1
    expired = stripe_event(
        "checkout.session.expired", "cs_test_1", number, 20498, payment_status="unpaid"
    )
    assert post_stripe(shop.client, expired).status_code == 200
    order = shop.client.get(
        f"/api/orders/{number}", headers={"Authorization": f"Bearer {ORDERS_TOKEN}"}
    ).json()
    assert order["payment_status"] == "failed" and order["payment_link"] is None


# -- the web chat: manual payment, confirmed by the merchant -------------------------------


def test_web_chat_manual_payment_then_the_merchant_ships_and_tracking_shows_it(tmp_path):
    client, platform = make_shop(
        tmp_path, stripe_secret_key=None, telegram_payment_provider_token=None
    )
    with client, contextlib.ExitStack() as sockets:
        shop = Shop(client, platform, sockets)
        web = shop.web()
        number = to_payment(web)
        assert web.last.labels == ["Bank transfer", "Cash on delivery"]
        placed = web.press("Bank transfer")
        assert f"Thank you! Order {number} is placed." in placed.said
        assert "IBAN" in placed.said
        auth = {"Authorization": f"Bearer {ORDERS_TOKEN}"}
        assert client.get("/api/orders").status_code == 401
        assert (
            client.get("/api/orders", headers={"Authorization": "Bearer nope"}).status_code == 401
        )
        listed = client.get("/api/orders?status=pending_payment", headers=auth).json()["orders"]
        assert number in [o["number"] for o in listed]
        illegal = client.post(
            f"/api/orders/{number}/status", json={"status": "shipped"}, headers=auth
        )
        assert illegal.status_code == 409
        bad = client.post(f"/api/orders/{number}/status", json={"status": "lost"}, headers=auth)
        assert bad.status_code == 422
        assert (
            client.post(f"/api/orders/{number}/status", content=b"{", headers=auth).status_code
            == 422
        )
        assert (
            client.post(
                "/api/orders/TG-000001/status", json={"status": "paid"}, headers=auth
            ).status_code
            == 404
        )
        paid = client.post(f"/api/orders/{number}/status", json={"status": "paid"}, headers=auth)
        assert paid.status_code == 200, paid.text
        no_tracking = client.post(
            f"/api/orders/{number}/status", json={"status": "shipped"}, headers=auth
        )
        assert no_tracking.status_code == 409
        shipped = client.post(
            f"/api/orders/{number}/status",
            json={"status": "shipped", "carrier": "InPost", "tracking_number": "620000111"},
            headers=auth,
        )
        assert shipped.status_code == 200 and shipped.json()["notified"] >= 1
        said = track(web, number)
        assert f"Order {number} is on its way with InPost" in said
        history = client.get(f"/api/orders/{number}", headers=auth).json()["history"]
        assert [h["status"] for h in history] == ["pending_payment", "paid", "shipped"]


def test_a_payment_confirmation_committed_with_the_payment_survives_a_crash(shop, stripe):
    # The process dies right after the payment commits, before the confirmation is sent:
    # the confirmation was queued in the same transaction, so a restart sends it.
    zofia = shop.whatsapp()
    number = to_payment(zofia)
    zofia.press("Card (payment link)")
    service = shop.client.app.state.service

    async def crash(_pushed: object) -> None:
        raise RuntimeError("killed after the commit")

    start = shop.platform.count()
    service.deliver = crash
    with pytest.raises(RuntimeError, match="killed"):
        post_stripe(
            shop.client, stripe_event("checkout.session.completed", "cs_test_1", number, 20498)
        )
    del service.deliver
    assert f"payment for order {number}" not in texts_since(shop.platform, start)
    shop.client.portal.call(service.recover)  # what a restart runs first
    settle(shop.client)
    assert f"We've received the payment for order {number}" in texts_since(shop.platform, start)
    assert f"Order {number} is paid" in track(zofia, number, "ana@example.com")


class Watching(Platform):
    """The platform fake, telling when a given Telegram chat gets a message."""

    def __init__(self, chat_id: int) -> None:
        super().__init__()
        self.chat_id = chat_id
        self.answered = threading.Event()

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/sendMessage") and json.loads(request.content)["chat_id"] == self.chat_id:
            self.answered.set()
        return super().handler(request)


def test_a_slow_stripe_delays_only_the_shopper_paying_by_card(tmp_path):
    platform = Watching(chat_id=7)
    stripe_waited: list[bool] = []
    with respx.mock(base_url=STRIPE_BASE, assert_all_called=False) as stripe:

        def create(request: httpx.Request) -> httpx.Response:
            # Stripe answers only once another shopper has had a reply: on a runtime that
            # calls Stripe inside the database thread that reply can never come first.
            stripe_waited.append(platform.answered.wait(20))
            return httpx.Response(
                200, json={"id": "cs_test_1", "url": "https://checkout.stripe.test/c/pay/1"}
            )

        stripe.post("/v1/checkout/sessions").mock(side_effect=create)
        settings = shop_settings(tmp_path).model_copy(
            update={"stripe_secret_key": "sk_test_123", "stripe_api_base": STRIPE_BASE}
        )
        app = create_app(
            SHOP, settings, transport=httpx.MockTransport(platform.handler), typing_delay=60
        )
        with TestClient(app) as client, contextlib.ExitStack() as sockets:
            shop = Shop(client, platform, sockets)
            zofia, ben = shop.whatsapp(), shop.telegram(chat_id=7)
            to_payment(zofia)
            zofia.send_press(zofia.last.option("Card (payment link)"))  # Stripe is called...
            ben.send_text("hi")  # ...and meanwhile another shopper writes: acknowledged,
            assert platform.answered.wait(20), "another shopper waited for Stripe"  # answered
            settle(client)
            to_zofia = [b for _h, p, b in platform.requests if p.endswith("/messages")]
    assert stripe_waited == [True]
    assert "https://checkout.stripe.test/c/pay/1" in json.dumps(to_zofia)
