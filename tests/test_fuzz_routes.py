"""Every route in /openapi.json, webhooks included, fuzzed with hostile input: never a 5xx.

Hypothesis picks a route and fills its path and query parameters, headers and body with
junk a stranger might send: numbers ``int()`` refuses or a database cannot hold, Unicode
digits, deep JSON, bytes that are not JSON, sometimes with valid credentials (a console
token, the merchant token, correctly signed webhook bodies) so the parsers behind the
signature checks are reached too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkout import sign
from tests.support.channels import APP_SECRET, TELEGRAM_SECRET
from tests.support.console import console_shop

STRIPE_SECRET = "whsec_fuzz"
ORDERS_TOKEN = "orders-token-0123456789"
STREAMING = {"/agent/events"}  # server-sent events: a GET that never ends by design


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with console_shop(
        tmp_path_factory.mktemp("fuzz"),
        stripe_webhook_secret=STRIPE_SECRET,
        orders_api_token=ORDERS_TOKEN,
    ) as console:
        client = console.client
        spec = client.get("/openapi.json").json()
        routes = [
            (path, method.upper(), operation)
            for path, item in spec["paths"].items()
            for method, operation in item.items()
            if path not in STREAMING
        ]
        yield client, routes, client.app.state.agents.new_token("alice")


def test_the_webhooks_are_in_the_openapi_document(shop):
    _, routes, _ = shop
    posts = {path for path, method, _ in routes if method == "POST"}
    assert {"/webhooks/telegram", "/webhooks/whatsapp", "/webhooks/stripe"} <= posts


numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["²", "٣", "１２", "1e3", "-0", "0x10", " 1", "1_0", "NaN", "", "9" * 25]),
)
texts = st.one_of(numbers, st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40))
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    numbers,
)
json_values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.text(st.characters(blacklist_categories=("Cs",)), max_size=12), inner, max_size=4
        ),
    ),
    max_leaves=20,
)


def deep(depth: int) -> bytes:
    return b'{"a": ' * depth + b"1" + b"}" * depth


bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.integers(min_value=100, max_value=5000).map(deep),
    st.just(b"[" * 3000),
)


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_route_answers_a_5xx_to_junk(shop, data):
    client, routes, token = shop
    path, method, operation = data.draw(st.sampled_from(routes), label="route")
    url = re.sub(r"\{[^}]+\}", lambda _: quote(data.draw(texts, label="path"), safe=""), path)
    query: dict[str, Any] = {}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and data.draw(st.booleans()):
            query[parameter["name"]] = data.draw(texts, label=parameter["name"])
    body = data.draw(bodies, label="body") if method in ("POST", "PUT", "PATCH") else b""
    headers = {
        "content-type": data.draw(
            st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"])
        )
    }
    credentials = data.draw(st.sampled_from(["none", "valid", "junk"]), label="credentials")
    if credentials == "valid":
        headers["Authorization"] = f"Bearer {ORDERS_TOKEN if path.startswith('/api/') else token}"
        headers["X-Telegram-Bot-Api-Secret-Token"] = TELEGRAM_SECRET
        digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature-256"] = f"sha256={digest}"
        headers["Stripe-Signature"] = sign(body, STRIPE_SECRET, client.app.state.service.clock())
    elif credentials == "junk":
        junk = data.draw(texts, label="header")
        for name in ("Authorization", "Stripe-Signature", "X-Hub-Signature-256"):
            headers[name] = f"t={junk},v1=00" if name == "Stripe-Signature" else junk
    encoded = {k: v.encode() for k, v in headers.items()}
    response = client.request(method, url, params=query, content=body, headers=encoded)
    assert response.status_code < 500, (method, url, query, body[:200], response.text[:500])
