"""A shopper's right to be forgotten and of access: `shopchat customer erase/export` and the
admin API, over the data real conversations leave behind.

Dorota talks to the example shop on Telegram, WhatsApp and the web chat, orders twice (once
with her email, once with her phone), asks for a person, gets an answer and a note. Then she
is erased, and every column of every table (reflected from the database, so tables added
later are covered without touching this test) is searched for her name, email and phone in
several spellings, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, create_engine, func, select
from typer.testing import CliRunner

from bot.app import create_app
from bot.cli import app as cli
from bot.privacy import PrivacyRegistry, UnknownReference
from tests.handoff_support import make_shop
from tests.support.channels import Platform, Shop, settle, shop_settings
from tests.support.shopping import order

NAME = "Dorota Kwiatkowska"
EMAIL = "dorota.kwiatkowska@example.com"
PHONE = "+48 512 909 873"
WA_ID = "48512909873"
ADDRESS = "ul. Wiśniowa 12, 02-520 Warszawa"
SECRET_TEXT = "the code to my gate is 4471"
# Her details in every spelling they could be stored in.
NEEDLES = [
    re.compile(r"kwiatkowsk", re.I),
    re.compile(r"dorota", re.I),
    re.compile(r"wiśniowa", re.I),
    re.compile(r"gate is 4471"),
    re.compile(r"(?:\+?48[\s.-]?)?512[\s.-]?909[\s.-]?873"),
]
PASSWORD = "correct horse battery"


@contextlib.contextmanager
def running(tmp_path: Path, url: str) -> Iterator[Shop]:
    platform = Platform()
    settings = shop_settings(tmp_path)
    settings.database_url = url
    settings.slack_webhook_url = "https://hooks.slack.test/services/T0/B0/x"
    app = create_app(make_shop(tmp_path), settings, transport=httpx.MockTransport(platform.handler))
    with TestClient(app) as client, contextlib.ExitStack() as sockets:
        yield Shop(client, platform, sockets)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def seed(shop: Shop) -> dict[str, Any]:
    """Dorota on three channels with two orders and a hand-off; Jan beside her."""
    client = shop.client
    agents = client.app.state.agents
    agents.add("alice", PASSWORD, "Alice Smith", admin=True)
    agents.add("bob", PASSWORD, "Bob Jones")
    alice = bearer(agents.new_token("alice"))

    telegram = shop.telegram(first_name="Dorota", chat_id=7001)
    first = order(telegram, NAME, EMAIL, ADDRESS)
    telegram.say("human")
    settle(client)
    ticket = next(
        t
        for t in client.get("/agent/api/tickets", headers=alice).json()["tickets"]
        if t["conversation_id"] == "telegram:7001"
    )
    tid = ticket["id"]
    assert client.post(f"/agent/api/tickets/{tid}/claim", headers=alice).status_code == 200
    answer = {"text": f"Hello {NAME.split()[0]}, I'm looking at your order."}
    assert client.post(f"/agent/api/tickets/{tid}/reply", json=answer, headers=alice).is_success
    telegram.say(f"Thanks! Call me on {PHONE}, {SECRET_TEXT}.")
    note = {"text": f"{NAME} wants a call on {PHONE}"}
    assert client.post(f"/agent/api/tickets/{tid}/note", json=note, headers=alice).is_success

    whatsapp = shop.whatsapp(wa_id=WA_ID, name="Dorota K.")
    whatsapp.say("hi")
    whatsapp.say(f"Is my parcel on its way? {SECRET_TEXT}")

    web = shop.web()
    second = order(web, NAME, "512-909-873", ADDRESS)

    jan = shop.telegram(first_name="Jan", chat_id=8002)
    jans = order(jan, "Jan Nowak", "jan.nowak@example.com", "ul. Krótka 1, 30-001 Kraków")
    shop.whatsapp(wa_id="48700111222", name="Jan N.").say("hi")
    settle(client)
    return {"orders": [first, second], "jan": jans, "ticket": tid, "alice": alice}


def leftovers(url: str) -> list[str]:
    """Every (table.column: value) in the database that still names Dorota."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    found = []
    try:
        meta = MetaData()
        meta.reflect(bind=engine)
        assert "checkout_orders" in meta.tables and "handoff_messages" in meta.tables
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(select(table)):
                    for column, value in row._mapping.items():
                        if value is None:
                            continue
                        if isinstance(value, bytes | memoryview):
                            text = bytes(value).decode("utf-8", "ignore")
                        else:
                            text = str(value)
                        if any(n.search(text) for n in NEEDLES):
                            found.append(f"{table.name}.{column}: {text[:120]!r}")
    finally:
        engine.dispose()
    return found


def count(url: str, table: str, **where: str) -> int:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        meta = MetaData()
        meta.reflect(bind=engine, only=[table])
        t = meta.tables[table]
        query = select(func.count()).select_from(t)
        for column, value in where.items():
            query = query.where(t.c[column] == value)
        with engine.connect() as conn:
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def run_cli(url: str, project: Path, *args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(
        cli,
        ["customer", *args, "--project", str(project)],
        input=input,
        env={"SHOPCHAT_DATABASE_URL": url},
        catch_exceptions=False,
    )


def test_an_erased_shopper_is_nowhere_in_the_database_and_others_are_untouched(tmp_path, store_url):
    with running(tmp_path, store_url) as shop:
        seeded = seed(shop)
    project = tmp_path / "shop"
    before = leftovers(store_url)
    tables = {entry.split(".")[0] for entry in before}
    # The seeding really left her everywhere the erase has to reach.
    assert {
        "sessions",
        "inbox",
        "outbox",
        "contacts",
        "checkout_orders",
        "handoff_messages",
        "handoff_notes",
        "handoff_notifications",
    } <= tables, tables
    orders_before = count(store_url, "checkout_orders")

    # Without --yes it asks first; "no" leaves everything as it was.
    refused = run_cli(store_url, project, "erase", EMAIL.upper(), input="n\n")
    assert refused.exit_code == 1
    assert "not erased" in refused.output
    # What it found, for the operator to check it is the right person.
    assert "telegram:7001" in refused.output
    assert f"order {seeded['orders'][0]}: {NAME}, {EMAIL}" in refused.output
    assert seeded["jan"] not in refused.output
    assert leftovers(store_url) == before

    # Her email (any spelling) finds the Telegram order and chat; her phone (written the
    # way she would say it) her WhatsApp chat and the web order: one person, one run.
    done = run_cli(
        store_url, project, "erase", "Dorota.Kwiatkowska+shop@example.com", "512 909 873", "--yes"
    )
    assert done.exit_code == 0, done.output
    assert "checkout_orders 2" in done.output, done.output
    assert leftovers(store_url) == []

    # Her orders stay for the accounts, anonymised; Jan's are as they were.
    assert count(store_url, "checkout_orders") == orders_before
    for number in seeded["orders"]:
        assert count(store_url, "checkout_orders", number=number, name="", email="") == 1
    assert count(store_url, "checkout_orders", number=seeded["jan"], name="Jan Nowak") == 1
    assert count(store_url, "sessions", conversation_id="telegram:8002") == 1
    assert count(store_url, "contacts", conversation_id="whatsapp:48700111222") == 1
    # The hand-off ticket stays as a timing record, closed and pointing at nobody.
    assert count(store_url, "handoff_tickets", conversation_id=f"erased:{seeded['ticket']}") == 1

    # Erasing again finds nothing and changes nothing.
    again = run_cli(store_url, project, "erase", EMAIL, "--yes")
    assert again.exit_code == 0
    assert "nothing is held" in again.output


def test_export_writes_everything_held_about_her_as_json(tmp_path):
    url = f"sqlite:///{tmp_path}/x.db"
    with running(tmp_path, url) as shop:
        seeded = seed(shop)
    out = tmp_path / "dorota.json"
    result = run_cli(url, tmp_path / "shop", "export", EMAIL, "--out", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "telegram:7001" in data["conversations"]
    orders = data["data"]["checkout"]["orders"]
    assert [o["number"] for o in orders] == [seeded["orders"][0]]
    assert orders[0]["name"] == NAME and orders[0]["address"] == ADDRESS
    said = [m["text"] for m in data["data"]["bot"]["handoff_messages"]]
    assert any(SECRET_TEXT in text for text in said)
    assert [n["text"] for n in data["data"]["bot"]["handoff_notes"]] == [
        f"{NAME} wants a call on {PHONE}"
    ]
    assert data["data"]["bot"]["sessions"][0]["conversation_id"] == "telegram:7001"
    # Jan is not in her export.
    assert "Jan Nowak" not in out.read_text(encoding="utf-8")

    by_phone = run_cli(url, tmp_path / "shop", "export", PHONE)
    exported = json.loads(by_phone.stdout)
    assert f"whatsapp:{WA_ID}" in exported["conversations"]
    assert [o["number"] for o in exported["data"]["checkout"]["orders"]] == [seeded["orders"][1]]


def test_only_an_admin_agent_may_erase_through_the_api_and_erasing_twice_is_harmless(tmp_path):
    url = f"sqlite:///{tmp_path}/x.db"
    with running(tmp_path, url) as shop:
        seeded = seed(shop)
        client = shop.client
        bob = bearer(client.app.state.agents.new_token("bob"))
        refused = client.delete(f"/agent/api/customers/{EMAIL}", headers=bob)
        assert refused.status_code == 403
        assert client.delete(f"/agent/api/customers/{EMAIL}").status_code == 401
        assert client.get(f"/agent/api/customers/{EMAIL}", headers=bob).status_code == 403

        alice = seeded["alice"]
        bad = client.delete("/agent/api/customers/not a reference", headers=alice)
        assert bad.status_code == 422 and bad.json()["error"] == "bad_reference"

        erased = client.delete(f"/agent/api/customers/{EMAIL}", headers=alice)
        assert erased.status_code == 200, erased.text
        assert erased.json()["orders_anonymised"] == 1
        assert erased.json()["erased"]["sessions"] == 1
        phone = client.delete("/agent/api/customers/%2B48%20512%20909%20873", headers=alice)
        assert phone.status_code == 200 and phone.json()["orders_anonymised"] == 1
        again = client.delete(f"/agent/api/customers/{EMAIL}", headers=alice)
        assert again.status_code == 200 and again.json()["erased"] == {}
        # Her ticket is closed and names no one; the desk still lists it for its figures.
        ticket = client.get(f"/agent/api/tickets/{seeded['ticket']}", headers=alice).json()
        assert ticket["card"]["conversation_id"] == f"erased:{seeded['ticket']}", ticket
        assert ticket["card"]["state"] == "resolved"
        assert ticket["lines"] == [] and ticket["orders"] == []
        assert NAME not in json.dumps(ticket) and "4471" not in json.dumps(ticket)
        held = client.get(f"/agent/api/customers/{EMAIL}", headers=alice).json()
        assert held["conversations"] == []
        assert all(not rows for t in held["data"].values() for rows in t.values())

        # She writes again after being erased: she is a new shopper, and the bot answers.
        back = shop.whatsapp(wa_id=WA_ID, name="Dorota K.").say("hi")
        assert back.texts
    # What is left is her new conversation only: nothing from before the erase.
    left = leftovers(url)
    assert left and all("gate is 4471" not in e and "Wiśniowa" not in e for e in left), left
    assert {e.split(".")[0] for e in left} <= {
        "sessions",
        "inbox",
        "outbox",
        "contacts",
        "handoff_messages",
        "customers_contacts",  # the customer book's record of the new conversation
        "customers_identities",  # ... and of its WhatsApp number
    }, left


def test_a_reference_that_names_no_one_is_refused_with_what_to_give():
    registry = PrivacyRegistry(region="PL")
    for ref in ("", "   ", "not an email", "12", "@"):
        with pytest.raises(UnknownReference, match="conversation id"):
            registry.shopper(ref)
    assert registry.shopper("601 234 567").identities == {"phone:+48601234567"}
    assert registry.shopper("D.ee+x@Example.COM").identities == {"email:dee@example.com"}
    assert registry.shopper("whatsapp:48601234567").conversations == {"whatsapp:48601234567"}
