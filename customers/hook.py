"""The customer book's part in every turn: her facts in, what the flow remembered out.

``prepare`` puts the customer's facts on the session before the engine runs (templates read
them as ``customer.*``); ``commit`` keeps the facts the turn's ``remember:`` steps
produced. Facts are cached per conversation for ``refresh`` (a minute): another process's
change (an agent's edit, the same customer writing on another channel) shows within it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from adapters.base import MessageInbound, RenderContext
from bot.later import Collected, Later
from bot.turnhook import TurnHookBase
from flows import ChoiceInput, Remember, SessionState, StartInput, TextInput, TextReply

from .book import CustomerBook, aged
from .consent import ACKNOWLEDGEMENT, UNSUBSCRIBE_PAYLOAD, set_consent, stop_language
from .links import verify_code

_REMEMBER = 100_000  # conversations cached; then start over
# The tables of customers/tables.py, for the hot path of prepare().
_CUSTOMER_AND_FACTS = """
    SELECT c.customer_id, f.fact, f.value, f.remembered_at
    FROM customers_contacts c LEFT JOIN customers_facts f ON f.customer_id = c.customer_id
    WHERE c.conversation_id = :cid
"""
_NEW_CUSTOMER = (
    "INSERT INTO customers_customers (created_at, updated_at) VALUES (:at, :at) RETURNING id"
)
_NEW_CONTACT = """
    INSERT INTO customers_contacts (conversation_id, customer_id, channel, linked_at, source)
    VALUES (:cid, :customer, :channel, :at, 'first message')
"""
# Both in one round trip, on PostgreSQL (SQLite has no INSERT in a WITH).
_NEW_CUSTOMER_AND_CONTACT = """
    WITH customer AS (
        INSERT INTO customers_customers (created_at, updated_at) VALUES (:at, :at) RETURNING id)
    INSERT INTO customers_contacts (conversation_id, customer_id, channel, linked_at, source)
    SELECT :cid, id, :channel, :at, 'first message' FROM customer
    RETURNING customer_id
"""

# For all the conversations whose turn loads a transaction reads together (PostgreSQL,
# bot/inbox.py ``loading``): their customers and facts in one statement, and the new
# customers of a transaction's first messages, with their contacts, in another (bot/later.py).
_CUSTOMERS_AND_FACTS = """
    SELECT c.conversation_id, c.customer_id, f.fact, f.value, f.remembered_at
    FROM customers_contacts c LEFT JOIN customers_facts f ON f.customer_id = c.customer_id
    WHERE c.conversation_id = ANY(CAST(:cids AS varchar[]))
"""
# The customers' ids follow the rows' order (ORDER BY the ordinality): numbered by id, each
# is its row's.
_NEW_CUSTOMERS_AND_CONTACTS = """
    WITH v AS (
        SELECT * FROM unnest(CAST(:cid AS varchar[]), CAST(:channel AS varchar[]),
            CAST(:at AS timestamptz[])) WITH ORDINALITY AS v(cid, channel, at, n)),
    customer AS (
        INSERT INTO customers_customers (created_at, updated_at)
        SELECT at, at FROM v ORDER BY n RETURNING id),
    numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customer)
    INSERT INTO customers_contacts (conversation_id, customer_id, channel, linked_at, source)
    SELECT v.cid, numbered.id, v.channel, v.at, 'first message'
    FROM v JOIN numbered ON numbered.n = v.n
    RETURNING conversation_id, customer_id
"""


def _new_customer(conn: Connection, row: tuple[str, str, Any]) -> int:
    """A new conversation's customer and contact row; the customer's id."""
    from bot.rawsql import raw_sql

    sql = raw_sql(conn.dialect)
    cid, channel, when = row
    if not sql.sqlite:
        both = {"cid": cid, "channel": channel, "at": when}
        new = sql.one(conn, _NEW_CUSTOMER_AND_CONTACT, both)
        assert new is not None
        return int(new[0])
    new = sql.one(conn, _NEW_CUSTOMER, {"at": when})
    assert new is not None
    sql.run(conn, _NEW_CONTACT, {"cid": cid, "customer": new[0], "channel": channel, "at": when})
    return int(new[0])


def _new_customers_send(conn: Connection, rows: list[tuple[str, str, Any]]) -> Any:
    from bot.rawsql import raw_sql

    first = {row[0]: row for row in reversed(rows)}  # a conversation twice: one customer
    params = {name: [row[n] for row in first.values()] for n, name in enumerate(_NEW_ROW)}
    return raw_sql(conn.dialect).execute(conn, _NEW_CUSTOMERS_AND_CONTACTS, params, binary=True)


def _new_customers_read(cursor: Any, rows: list[tuple[str, str, Any]]) -> list[int]:
    from bot.rawsql import fetched

    ids = {str(cid): int(customer) for cid, customer in fetched(cursor)}
    return [ids[row[0]] for row in rows]


_NEW_ROW = ("cid", "channel", "at")
_NEW_CUSTOMERS = Collected(
    "new customer", _new_customer, send=_new_customers_send, read=_new_customers_read
)


class CustomerHook(TurnHookBase):
    """A chat-service turn hook (bot/turnhook.py) for the customer book."""

    def __init__(
        self,
        book: CustomerBook,
        *,
        refresh: timedelta = timedelta(seconds=60),
        link_secret: str | None = None,
    ) -> None:
        self.book = book
        self.link_secret = link_secret  # customer_link_secret: signed link codes (links.py)
        self.refresh = refresh
        self._cache: dict[str, tuple[int, dict[str, Any], datetime]] = {}
        # Unsubscribe answers, per conversation, from a turn's load to its commit.
        self._acks: dict[str, list[Any]] = {}

    def forget(self, conversation_ids: Iterable[str]) -> None:
        """Drop what this process remembers of erased conversations (bot/privacy.py)."""
        for cid in conversation_ids:
            self._cache.pop(cid, None)

    def take_over(
        self, conn: Connection, link: Any, inbound: Any, now: datetime
    ) -> list[Any] | None:
        """A stop word or the UNSUBSCRIBE button: withdraw marketing consent, say so once.

        The bot still runs ("stop" also cancels what she was doing); the acknowledgement
        follows its replies (``commit``). Withdrawing consent commits with the load job: it
        stands even if the turn then fails."""
        if not isinstance(inbound, MessageInbound):
            return None
        event = inbound.event
        if isinstance(event, StartInput) and self.link_secret:
            # A chat opened from a signed link the shop sent her: she is that customer.
            customer = verify_code(self.link_secret, event.payload, now)
            if customer is not None:
                cid = inbound.conversation_id
                self.book.join(conn, cid, inbound.channel, customer, source="link", now=now)
                self._cache.pop(cid, None)
            return None
        language: str | None = None
        if isinstance(event, TextInput):
            language = stop_language(event.text)
        elif isinstance(event, ChoiceInput) and event.payload == UNSUBSCRIBE_PAYLOAD:
            language = (inbound.locale or "en").split("-", 1)[0]
        if language is None:
            return None
        cid = inbound.conversation_id
        self.book.customer_of(conn, cid, inbound.channel, now)
        changed = set_consent(conn, cid, "marketing", False, source="stop word", now=now)
        if changed:  # told once: a repeated STOP is not acknowledged again
            text = ACKNOWLEDGEMENT.get(language) or ACKNOWLEDGEMENT["en"]
            ctx = RenderContext(now=now, locale=language, last_inbound_at=now)
            self._acks[cid] = link.adapter.render(inbound.recipient, [TextReply(text)], ctx)
        return None

    def end_turn(self, conversation_id: str) -> None:
        self._acks.pop(conversation_id, None)

    def prepare(self, conn: Connection, inbound: Any, state: SessionState, now: datetime) -> None:
        cid = inbound.conversation_id
        cached = self._cache.get(cid)
        if cached is None or self._stale(cached, now):
            customer, facts = self._customer_and_facts(conn, cid, inbound.channel, now)
            self._keep(conn, cid, customer, facts, now)
        else:
            facts = cached[1]
        state.customer = dict(facts)

    def commit(
        self,
        conn: Connection,
        inbound: Any,
        state: SessionState,
        replies: Sequence[Any],
        effects: Sequence[Any],
        now: datetime,
    ) -> list[Any] | None:
        remembered: dict[str, Any] = {}
        for effect in effects:
            if isinstance(effect, Remember):
                remembered.update(effect.facts)
        if remembered:
            cid = inbound.conversation_id
            self.book.remember(conn, cid, inbound.channel, remembered, now)
            # Read again next turn (the facts may have joined another customer's); this also
            # runs after the cache entry this turn's prepare() set at commit.
            self._cache.pop(cid, None)
            _after_commit(conn, lambda: self._cache.pop(cid, None))
        return self._acks.pop(inbound.conversation_id, None)

    def _stale(self, cached: tuple[int, dict[str, Any], datetime] | None, now: datetime) -> bool:
        return cached is None or now - cached[2] > self.refresh or now < cached[2]

    def _customer_and_facts(
        self, conn: Connection, cid: str, channel: str, now: datetime
    ) -> tuple[Later[int], dict[str, Any]]:
        """The conversation's customer and her facts, as ``book.customer_of`` and ``book.facts``
        give them. Every uncached turn reads them, so a known conversation is one plain SQL
        statement (bot/rawsql.py) and a new one, two (three on SQLite); on PostgreSQL the
        turn loads of a transaction read theirs together, and their new customers are
        written together (bot/later.py). A new WhatsApp number, which may join a paid
        order's customer, goes through the book."""
        from bot.rawsql import raw_sql

        sql = raw_sql(conn.dialect)
        rows = self._read(conn, cid, now)
        if rows:
            facts = {
                fact: aged(fact, json.loads(value), sql.read_time(at) or now, now)
                for _customer, fact, value, at in rows
                if fact is not None
            }
            return Later.now(int(rows[0][0])), facts
        if channel == "whatsapp":
            customer = self.book.customer_of(conn, cid, channel, now)
            return Later.now(customer), self.book.facts(conn, customer, now)
        return _NEW_CUSTOMERS.add(conn, (cid, channel, sql.time(now))), {}

    def _read(self, conn: Connection, cid: str, now: datetime) -> list[Any]:
        """The rows of ``_CUSTOMER_AND_FACTS`` for ``cid``: read with those of the other
        conversations the transaction's turn loads read together (bot/inbox.py) whose
        cache entries are stale, or alone."""
        from bot.inbox import loading
        from bot.later import collected
        from bot.rawsql import raw_sql

        sql = raw_sql(conn.dialect)
        together = loading(conn)
        rows = collected(conn)
        if cid not in together or rows is None:
            return sql.all(conn, _CUSTOMER_AND_FACTS, {"cid": cid})
        read: dict[str, list[Any]] = rows.scratch.setdefault("customers", {})
        if cid not in read:
            cache = self._cache
            cids = [c for c in together if c not in read and self._stale(cache.get(c), now)]
            cids.append(cid)
            for c in cids:
                read[c] = []
            params = {"cids": list(dict.fromkeys(cids))}
            # Planned for its array each time, like the turn loads' statement.
            for c, *row in sql.all(conn, _CUSTOMERS_AND_FACTS, params, binary=True, prepare=False):
                read[c].append(row)
        return read[cid]

    def _keep(
        self, conn: Connection, cid: str, customer: Later[int], facts: dict[str, Any], now: datetime
    ) -> None:
        if len(self._cache) > _REMEMBER:
            self._cache.clear()
        # After the commit, when a new customer's collected insert has given her id.
        _after_commit(conn, lambda: self._cache.__setitem__(cid, (customer.get(), facts, now)))


def _after_commit(conn: Connection, callback: Any) -> None:
    from bot.committer import after_commit  # the hook runs in the bot's transactions

    after_commit(conn, callback)


__all__ = ["CustomerHook"]
