"""Hostile bodies: 200 MB to every route that takes one is refused after reading at most its
cap, and a route that needs credentials refuses a stranger before reading any of it.

The body is streamed to the app chunk by chunk (as uvicorn does with a chunked upload), one
64 KiB chunk object reused, so the test itself holds no copy of it. What we assert is what the
server reads and how much its memory grows.
"""

from __future__ import annotations

import gc
import os
from typing import Any

import pytest

from tests.support.channels import TELEGRAM_SECRET
from tests.support.console import Console, console_shop

CHUNK = b"x" * 65536
HUGE = 200 * 1024 * 1024
STRIPE_SECRET = "whsec_bodies"
ORDERS_TOKEN = "orders-token-0123456789"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    with console_shop(
        tmp_path_factory.mktemp("bodies"),
        stripe_webhook_secret=STRIPE_SECRET,
        orders_api_token=ORDERS_TOKEN,
    ) as console:
        yield console


def rss() -> int:
    """This process's resident memory in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def post_huge(
    console: Console, path: str, headers: dict[str, str], *, declare: bool = False
) -> tuple[int, int, dict[str, Any]]:
    """POST a 200 MB body straight into the ASGI app: (status, bytes the app read, answer)."""
    client = console.client
    read = 0
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-type", b"application/json"))
    if declare:
        raw.append((b"content-length", str(HUGE).encode()))
    else:
        raw.append((b"transfer-encoding", b"chunked"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *raw],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read >= HUGE:
            return {"type": "http.disconnect"}
        read += len(CHUNK)
        return {"type": "http.request", "body": CHUNK, "more_body": read < HUGE}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    client.portal.call(client.app, scope, receive, send)
    return answer["status"], read, answer


def agent_token(console: Console) -> str:
    return console.client.app.state.agents.new_token("alice")


ROUTES = [
    # (path, headers, expected status, bytes the route may read)
    ("/webhooks/telegram", {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, 413, 1 << 20),
    ("/webhooks/whatsapp", {"X-Hub-Signature-256": "sha256=00"}, 413, 1 << 20),
    ("/webhooks/stripe", {"Stripe-Signature": "t=1,v1=00"}, 413, 256 << 10),
    ("/api/orders/TG-000001/status", {}, 401, 0),
    ("/api/orders/TG-000001/status", {"Authorization": f"Bearer {ORDERS_TOKEN}"}, 413, 64 << 10),
    ("/agent/api/tickets/1/reply", {}, 401, 0),
    ("/agent/api/tickets/1/reply", {"Authorization": "Bearer nobody"}, 401, 0),
    ("/agent/api/tickets/1/reply", {"Authorization": "Bearer {agent}"}, 413, 64 << 10),
    ("/agent/api/canned", {"Authorization": "Bearer {agent}"}, 413, 64 << 10),
    ("/agent/login", {}, 413, 64 << 10),
    ("/agent/tickets/1/reply", {}, 413, 64 << 10),
]


@pytest.mark.parametrize("declare", [False, True], ids=["chunked", "content-length"])
@pytest.mark.parametrize(("path", "headers", "status", "cap"), ROUTES)
def test_a_200_mb_body_is_refused_having_read_at_most_the_route_s_cap(
    console, path, headers, status, cap, declare
):
    token = agent_token(console)
    headers = {k: v.replace("{agent}", token) for k, v in headers.items()}
    gc.collect()
    before = rss()
    got, read, answer = post_huge(console, path, headers, declare=declare)
    grown = rss() - before
    assert got == status, answer["body"][:300]
    # One chunk past the cap at most; nothing at all when the length is declared or the
    # credentials are wrong.
    assert read <= (0 if declare or status == 401 else cap + len(CHUNK))
    assert grown < 50 * 1024 * 1024


def test_a_body_within_the_cap_still_reaches_the_route(console):
    token = agent_token(console)
    created = console.client.post(
        "/agent/api/canned",
        json={"title": "Hello", "body": "Hi {{ customer_name }}"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["title"] == "Hello"
