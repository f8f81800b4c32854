"""Junk from strangers gets a clean refusal, never a 500: numbers that ``str.isdigit`` accepts
and ``int()`` refuses, numbers past the database's range, JSON nested past any sane depth."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from checkout import sign
from shoptext import parse_ascii_int
from tests.support.channels import APP_SECRET, PHONE_NUMBER_ID
from tests.support.console import console_shop, login

STRIPE_SECRET = "whsec_hostile"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    with console_shop(
        tmp_path_factory.mktemp("hostile"), stripe_webhook_secret=STRIPE_SECRET
    ) as console:
        yield console


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0", 0),
        ("42", 42),
        ("²", None),
        ("٣", None),
        ("１", None),
        ("+1", None),
        (" 1", None),
        ("1_0", None),
        ("", None),
        ("9" * 20, None),
        (None, None),
        (7, None),
    ],
)
def test_only_ascii_digits_within_bounds_are_numbers(text, number):
    assert parse_ascii_int(text) == number


@pytest.mark.parametrize(
    "header", ["t=99999999999999999999,v1=00", "t=²,v1=00", "t=-5,v1=00", "t=,v1=", "garbage"]
)
def test_a_junk_stripe_signature_is_400(console, header):
    response = console.client.post(
        "/webhooks/stripe", content=b"{}", headers={"Stripe-Signature": header.encode()}
    )
    assert response.status_code == 400, response.text


def test_a_deeply_nested_signed_stripe_body_is_400(console):
    body = b'{"type": "checkout.session.completed", "data": ' + b"[" * 100_000 + b"]" * 100_000
    body = body[: 200 * 1024] + b"}"
    now = console.client.app.state.service.clock()
    response = console.client.post(
        "/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": sign(body, STRIPE_SECRET, now)},
    )
    assert response.status_code == 400, response.text


def test_a_signed_whatsapp_timestamp_in_superscript_digits_is_400(console):
    message = {
        "from": "48600111222",
        "id": "wamid.X1",
        "timestamp": "²",
        "type": "text",
        "text": {"body": "hi"},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "48600000000", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Dee"}, "wa_id": "48600111222"}],
        "messages": [message],
    }
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = console.client.post(
        "/webhooks/whatsapp", content=body, headers={"X-Hub-Signature-256": signature}
    )
    assert response.status_code == 400, response.text


@pytest.mark.parametrize("ticket", ["9" * 20, "99999999999999999", "²", "-1", "1e3"])
def test_a_ticket_id_no_ticket_can_have_is_404_on_the_api_and_the_page(console, ticket):
    token = console.client.app.state.agents.new_token("alice")
    api = console.client.get(
        f"/agent/api/tickets/{ticket}", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 404, api.text
    assert set(api.json()) == {"error", "detail"}
    login(console.client, "alice")
    page = console.client.get(f"/agent/tickets/{ticket}", follow_redirects=False)
    if ticket == "99999999999999999":  # a possible id: the page says there is no such ticket
        assert page.status_code == 200 and "Pick a ticket" in page.text
    else:
        assert page.status_code == 404, page.text
