"""Logs carry conversation references, never a shopper's phone, email, name, words or tokens.

The example shop runs under a real uvicorn server (its access log included) with every
logger at DEBUG; a Telegram shopper orders with her name, email and address, a WhatsApp
shopper writes from her phone number, an agent reads her ticket and the admin API is called
with her email in the URL. The whole log output is then searched for any of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bot.app import create_app
from bot.logsafe import conversation_ref, install_log_redaction, redact
from tests.handoff_support import make_shop
from tests.support.channels import (
    APP_SECRET,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    Platform,
    Shop,
    shop_settings,
)
from tests.support.shopping import order

NAME = "Halina Zawadzka"
EMAIL = "halina.zawadzka@example.org"
PHONE = "+48 698 410 227"
WA_ID = "48698410227"
ADDRESS = "ul. Jaśminowa 7, 60-101 Poznań"
WORDS = "please leave it with my neighbour at number 9"
SECRETS = [TELEGRAM_TOKEN, TELEGRAM_SECRET, APP_SECRET, "ABC-shop"]


class Portal:
    """What tests/support/channels.py needs of a TestClient's portal, for a live server."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def call(self, fn: Any, *args: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(fn(*args), self.loop).result(timeout=60)


class LiveClient(httpx.Client):
    """An HTTP client of the running server that the test shoppers can post with."""

    app: Any
    portal: Portal


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served(tmp_path: Path) -> Iterator[tuple[Shop, LiveClient]]:
    platform = Platform()
    app = create_app(
        make_shop(tmp_path),
        shop_settings(tmp_path),
        transport=httpx.MockTransport(platform.handler),
        typing_delay=60,
    )
    port = _free_port()
    # log_config=None: uvicorn's loggers propagate to the root, where the test listens.
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_config=None, log_level="debug"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),))
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.02)
        assert server.started, "the server did not start"
        client = LiveClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
        client.app = app
        client.portal = Portal(loop)
        with client, contextlib.ExitStack() as stack:
            yield Shop(client, platform, stack), client  # type: ignore[arg-type]
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        loop.close()


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything every logger says, at DEBUG, as text."""
    install_log_redaction()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    names = [*logging.root.manager.loggerDict, "httpx", "uvicorn.access", "sqlalchemy.engine"]
    levels = {name: logging.getLogger(name).level for name in names}
    # An earlier in-process uvicorn run may have applied its default logging config, which
    # gives uvicorn's loggers their own stderr handlers and stops them propagating to the root.
    uvicorns = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    kept = [(lg, lg.handlers[:], lg.propagate, lg.disabled) for lg in uvicorns]
    for lg in uvicorns:
        lg.handlers, lg.propagate, lg.disabled = [], True, False
    old_root = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    # SQL echo on, as far as it goes without dumping result rows (bot/logsafe.py says why).
    for name in [n for n in levels if n.startswith("sqlalchemy")]:
        logging.getLogger(name).setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(old_root)
        for lg, handlers, propagate, disabled in kept:
            lg.handlers, lg.propagate, lg.disabled = handlers, propagate, disabled
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def test_a_full_conversation_at_debug_logs_none_of_the_shoppers_details(tmp_path, debug_log):
    with served(tmp_path) as (shop, client):
        agents = client.app.state.agents
        agents.add("alice", "correct horse battery", "Alice Smith", admin=True)
        alice = {"Authorization": f"Bearer {agents.new_token('alice')}"}

        telegram = shop.telegram(first_name="Halina", chat_id=7309)
        number = order(telegram, NAME, EMAIL, ADDRESS)
        telegram.say("human")
        telegram.say(WORDS)
        tickets = client.get("/agent/api/tickets", headers=alice).json()["tickets"]
        assert any(t["conversation_id"] == "telegram:7309" for t in tickets)

        whatsapp = shop.whatsapp(wa_id=WA_ID, name="Halina Z.")
        assert whatsapp.say("hi").texts
        whatsapp.say(f"{WORDS}, or call {PHONE}")

        assert client.get(f"/agent/api/customers/{EMAIL}", headers=alice).status_code == 200
        assert client.delete(f"/agent/api/customers/{PHONE}", headers=alice).status_code == 200
    log = debug_log.getvalue()

    # The run logged plenty (requests, SQL-free app lines), so silence is not why it passes.
    assert "uvicorn" in log and '"POST /webhooks/telegram HTTP/1.1" 200' in log, log[:2000]
    assert "INSERT INTO checkout_orders" in log  # the SQL echo, without its parameters
    assert "/agent/api/customers/[email]" in log and "/agent/api/customers/[phone]" in log
    leaks = {
        "name": re.compile(r"zawadzk|halina", re.I),
        "email": re.compile(re.escape(EMAIL), re.I),
        "phone": re.compile(r"698[\s.%20-]*410[\s.%20-]*227"),
        "address": re.compile(r"jaśminowa|ja%C5%9Bminowa", re.I),
        "words": re.compile(r"neighbour"),
        "chat id": re.compile(r"\b7309\b"),
        **{f"secret {s}": re.compile(re.escape(s)) for s in SECRETS},
    }
    found = {what: m.group(0) for what, pattern in leaks.items() if (m := pattern.search(log))}
    assert not found, found
    assert number  # her order was placed (and its number may be logged: it names no one)


def test_redaction_keeps_what_operators_need_and_drops_what_names_a_shopper():
    assert redact("ticket #12 for whatsapp:48600123456") == (
        f"ticket #12 for {conversation_ref('whatsapp:48600123456')}"
    )
    assert conversation_ref("whatsapp:48600123456").startswith("whatsapp:~")
    assert "48600123456" not in conversation_ref("whatsapp:48600123456")
    assert redact("order TG-104233 at 2026-01-05 10:00:00 from 10.0.12.7, took 0.25s") == (
        "order TG-104233 at 2026-01-05 10:00:00 from 10.0.12.7, took 0.25s"
    )
    assert redact("call 601 234 567 or +48 (22) 555-12-34") == "call [phone] or [phone]"
    # Meta's 15-digit ids stay readable: they tell an operator which number or page it was.
    assert redact("for phone_number_id 106540352242922") == "for phone_number_id 106540352242922"
    assert redact("from Dee.X+1@Example.com") == "from [email]"
    assert redact("GET https://api.telegram.org/bot7312345678:AAHk9x2F/getMe") == (
        "GET https://api.telegram.org/bot[secret]/getMe"
    )
    assert redact("?access_token=EAAB123&x=1 Authorization: Bearer sca_xyz") == (
        "?access_token=[secret]&x=1 Authorization: Bearer [secret]"
    )


def test_a_record_with_arguments_of_any_kind_is_redacted_and_still_formats(debug_log):
    log = logging.getLogger("shopchat.test")
    log.info("from %s: %r (%d)", "dee@example.com", {"phone": "+48 600 123 456"}, 3)
    log.info("path %s", "/agent/api/customers/%2B48%20600%20123%20456")
    try:
        raise ValueError("bad email dee@example.com")
    except ValueError:
        log.exception("turn failed in conversation %s", "whatsapp:48600123456")
    text = debug_log.getvalue()
    assert "from [email]: {'phone': '[phone]'} (3)" in text
    assert "path /agent/api/customers/[phone]" in text
    assert "ValueError: bad email [email]" in text
    assert "48600123456" not in text and "dee@" not in text
