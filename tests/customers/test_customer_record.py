"""One customer across channels: she is linked by what she proves, remembered, and greeted.

Ola pays for an order on WhatsApp; later she writes on Telegram, and when she gives that
order's email at checkout her two chats become one customer with one set of facts, so the
next "hi" on either channel welcomes her back by name and remembers who she shops for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from adapters.base import MessageInbound
from bot.app import create_app
from bot.inbox import loading
from bot.later import collecting, stop_collecting
from bot.rawsql import raw_sql
from bot.storage import SessionStore
from customers import CustomerBook, CustomerHook, UnknownCustomer, aged
from customers.tables import audit, contacts
from flows import SessionState, TextInput
from tests.handoff_support import make_shop
from tests.support.channels import Platform, Shop, shop_settings
from tests.support.shopping import order

ORDERS_TOKEN = "merchant-token-0123456789"
EMAIL = "ola.nowak@example.com"


@contextlib.contextmanager
def running(tmp_path: Path) -> Iterator[Shop]:
    platform = Platform()
    settings = shop_settings(tmp_path)
    settings.orders_api_token = ORDERS_TOKEN
    app = create_app(make_shop(tmp_path), settings, transport=httpx.MockTransport(platform.handler))
    with TestClient(app) as client, contextlib.ExitStack() as sockets:
        yield Shop(client, platform, sockets)


def pay(shop: Shop, number: str) -> None:
    answer = shop.client.post(
        f"/api/orders/{number}/status",
        json={"status": "paid"},
        headers={"Authorization": f"Bearer {ORDERS_TOKEN}"},
    )
    assert answer.status_code == 200, answer.text


def customer_of(shop: Shop, conversation_id: str) -> int | None:
    book: CustomerBook = shop.client.app.state.customers
    with shop.client.app.state.store.connection() as conn:
        return book.customer_id(conn, conversation_id)


def test_she_pays_on_whatsapp_gives_the_email_on_telegram_and_is_one_customer(tmp_path):
    with running(tmp_path) as shop:
        whatsapp = shop.whatsapp(wa_id="48600555111", name="Ola")
        pay(shop, order(whatsapp, "Ola Nowak", EMAIL, "ul. Lipowa 3, Kraków"))
        assert "Welcome back, Ola!" in whatsapp.say("hi").said

        telegram = shop.telegram(first_name="Aleksandra", chat_id=5150)
        first = telegram.say("hi")
        assert "Welcome back" not in first.said  # nothing proves who she is yet
        assert customer_of(shop, "telegram:5150") != customer_of(shop, "whatsapp:48600555111")

        order(telegram, "Ola N.", "  Ola.Nowak+shop@Example.com ", "ul. Lipowa 3, Kraków")
        assert customer_of(shop, "telegram:5150") == customer_of(shop, "whatsapp:48600555111")

        back = telegram.say("hi")
        assert "Welcome back, Ola!" in back.said
        assert "They're 8 now." in back.said
        assert "Welcome back, Ola!" in whatsapp.say("hi").said

        book: CustomerBook = shop.client.app.state.customers
        with shop.client.app.state.store.connection() as conn:
            ola = book.customer(conn, book.find(conn, EMAIL))
        assert {c[0] for c in ola.conversations} == {"whatsapp:48600555111", "telegram:5150"}
        assert ola.facts["recipient"] == "child" and ola.facts["interest"] == "lego"
        assert "email:olanowak@example.com" in ola.identities
        assert [line.action for line in ola.audit] == ["merge"]


def test_an_email_without_a_paid_order_links_no_one(tmp_path):
    with running(tmp_path) as shop:
        whatsapp = shop.whatsapp(wa_id="48600555111", name="Ola")
        order(whatsapp, "Ola Nowak", EMAIL, "ul. Lipowa 3, Kraków")  # placed, never paid
        telegram = shop.telegram(first_name="Eve", chat_id=666)
        order(telegram, "Eve", EMAIL, "somewhere")
        assert customer_of(shop, "telegram:666") != customer_of(shop, "whatsapp:48600555111")
        assert "Welcome back, Eve!" in telegram.say("hi").said  # her own name, not Ola's


def test_a_whatsapp_number_that_paid_an_order_is_that_customer(tmp_path):
    with running(tmp_path) as shop:
        telegram = shop.telegram(first_name="Kasia", chat_id=77)
        pay(shop, order(telegram, "Kasia Wrona", "+48 512 000 777", "ul. Polna 1"))
        whatsapp = shop.whatsapp(wa_id="48512000777", name="K")
        assert "Welcome back, Kasia!" in whatsapp.say("hi").said
        assert customer_of(shop, "whatsapp:48512000777") == customer_of(shop, "telegram:77")


T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_an_agent_merges_two_customers_and_undoes_it(store_url):
    store = SessionStore(store_url)
    store.migrate()
    book = CustomerBook()
    with store.transaction() as conn:
        ola = book.remember(conn, "telegram:1", "telegram", {"name": "Ola"}, T0)
        other = book.remember(conn, "web:abc", "web", {"name": "Ola W.", "recipient_age": 8}, T0)
        line = book.merge(conn, ola, other, actor="marta", now=T0 + timedelta(minutes=1))
    with store.connection() as conn:
        assert book.customer_id(conn, "web:abc") == ola
        merged = book.customer(conn, ola, T0)
        assert merged.facts == {"name": "Ola", "recipient_age": 8}  # hers kept where both had one
        assert [(a.actor, a.action) for a in merged.audit] == [("marta", "merge")]
    with store.transaction() as conn:
        again = book.undo_merge(conn, line, actor="marta")
    with store.connection() as conn:
        assert book.customer_id(conn, "web:abc") == again != ola
        assert book.customer(conn, again, T0).facts == {"name": "Ola W.", "recipient_age": 8}
        assert book.customer(conn, ola, T0).facts == {"name": "Ola"}
        assert [a.action for a in book.customer(conn, ola).audit] == ["merge", "undo merge"]
        rows = conn.execute(select(audit.c.actor)).scalars().all()
        assert set(rows) == {"marta"}
    with store.transaction() as conn, pytest.raises(UnknownCustomer, match="undone already"):
        book.undo_merge(conn, line, actor="marta")
    with store.transaction() as conn:
        alone = book.split(conn, "telegram:1", actor="marta")
    with store.connection() as conn:
        assert (
            conn.execute(
                select(contacts.c.customer_id).where(contacts.c.conversation_id == "telegram:1")
            ).scalar()
            == alone
        )
    store.close()


def test_an_age_grows_with_the_years_since_it_was_remembered():
    said = datetime(2025, 6, 10, tzinfo=UTC)
    assert aged("recipient_age", 8, said, datetime(2026, 6, 9, tzinfo=UTC)) == 8
    assert aged("recipient_age", 8, said, datetime(2026, 6, 10, tzinfo=UTC)) == 9
    assert aged("age", 30, said, datetime(2028, 1, 1, tzinfo=UTC)) == 32
    assert aged("budget", 8, said, datetime(2030, 1, 1, tzinfo=UTC)) == 8


def test_finding_a_customer_by_something_no_one_gave_says_what_to_give(store_url):
    store = SessionStore(store_url)
    store.migrate()
    with store.connection() as conn, pytest.raises(UnknownCustomer, match="conversation id"):
        CustomerBook().find(conn, "nobody@example.com")
    store.close()


def test_a_turn_reads_the_same_customer_and_facts_as_the_book(store_url):
    """The hook's one-statement read (every uncached turn) agrees with the book, on both
    backends: a new conversation gets a customer once, a known one its grown facts."""
    store = SessionStore(store_url)
    store.migrate()
    book = CustomerBook()
    hook = CustomerHook(book)
    inbound = MessageInbound(
        channel="telegram",
        event_id="1",
        conversation_id="telegram:42",
        recipient="42",
        event=TextInput(text="hi"),
    )
    cid = inbound.conversation_id
    state = SessionState("telegram:42", "en")
    with store.transaction() as conn:
        hook.prepare(conn, inbound, state, T0)
        new = book.customer_id(conn, cid)
        assert new is not None and state.customer == {}
        book.remember(conn, cid, "telegram", {"name": "Ola", "recipient_age": 8}, T0)
    later = SessionState("telegram:42", "en")
    with store.transaction() as conn:
        hook.prepare(conn, inbound, later, T0 + timedelta(days=400))
        assert book.customer_id(conn, cid) == new  # not a second customer
        assert later.customer == book.facts(conn, new, T0 + timedelta(days=400))
    assert later.customer == {"name": "Ola", "recipient_age": 9}
    store.close()


def test_the_turn_loads_of_a_transaction_read_and_create_their_customers_together(
    store_url, monkeypatch
):
    """On PostgreSQL a committer transaction's turn loads (bot/inbox.py ``loading``) read
    their customers and facts in one statement and create the new ones in another; each
    conversation gets what reading alone gives it, on both backends."""
    store = SessionStore(store_url)
    store.migrate()
    book = CustomerBook()
    hook = CustomerHook(book)
    cids = [f"telegram:{n}" for n in (40, 41, 42, 43)]
    with store.transaction() as conn:  # 41 is known, with a fact; the others are new
        hook.prepare(conn, _hi(cids[1]), SessionState(cids[1], "en"), T0)
        book.remember(conn, cids[1], "telegram", {"name": "Ola"}, T0)
    hook = CustomerHook(book)  # nothing cached
    sql = raw_sql(store.engine.dialect)
    statements: list[str] = []
    real = sql.execute

    def counted(*args, **kwargs):
        statements.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(sql, "execute", counted)
    states = {cid: SessionState(cid, "en") for cid in cids}
    with store.transaction() as conn:
        rows = collecting(conn)
        try:
            loading(conn).update(cids)
            for cid in cids:
                hook.prepare(conn, _hi(cid), states[cid], T0)
            if rows is not None:
                rows.run_all()
        finally:
            stop_collecting(conn)
    monkeypatch.undo()
    assert states[cids[1]].customer == {"name": "Ola"}
    assert [states[c].customer for c in cids if c != cids[1]] == [{}, {}, {}]
    with store.connection() as conn:
        customers = [book.customer_id(conn, cid) for cid in cids]
    assert None not in customers and len(set(customers)) == 4
    postgresql = store.engine.dialect.name == "postgresql"
    # PostgreSQL: one read, one insert; SQLite: a read each, a customer and a contact row
    # each new one.
    assert len(statements) == (2 if postgresql else 4 + 3 * 2)
    store.close()


def _hi(cid: str) -> MessageInbound:
    return MessageInbound(
        channel="telegram",
        event_id=cid,
        conversation_id=cid,
        recipient=cid.split(":")[1],
        event=TextInput(text="hi"),
    )
