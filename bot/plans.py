"""The query plans of the statements every message runs, and whether each uses an index.

A shop's inbox, outbox and transcripts grow by a few rows per message; a statement that reads
them without an index gets slower with every run until the database is all it does (issue
12: the inbox claim read 162 million index entries in 24,004 scans). ``tests/bot/
test_hot_plans.py`` asserts every statement here uses an index on SQLite and PostgreSQL, and
``bench/webhooks.py --explain`` prints the plans against the benchmark's database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from . import contacts, inbox, storage
from .handoff import queue
from .rawsql import raw_sql

__all__ = ["HOT", "HotStatement", "Plan", "explain", "explain_all"]

_AT = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class HotStatement:
    name: str
    sql: str
    params: Mapping[str, Any]
    #: whether it has a WHERE (a plain INSERT reads nothing but its conflict index)
    reads: bool = True
    #: a collected write (bot/later.py), which SQLite never runs
    postgresql_only: bool = False


def _sent(count: int) -> str:
    return inbox._SENT.format(ids=", ".join(f":i{n}" for n in range(count)))


HOT: tuple[HotStatement, ...] = (
    HotStatement(
        "inbox accept",
        inbox._ACCEPT,
        {
            "channel": "telegram",
            "event_id": "1",
            "conversation_id": "telegram:1",
            "kind": "message",
            "body": "{}",
            "status": "pending",
            "received_at": _AT,
            "by": "host/0",
        },
        reads=False,
    ),
    HotStatement(
        "inbox pending of a conversation, with its session, contact and hand-off ticket",
        inbox._PENDING_OF,
        {"cid": "telegram:1", "id": 5},
    ),
    HotStatement(
        "inbox pending of several conversations, with their sessions, contacts and tickets",
        inbox._PENDING_OF_MANY,
        {"cids": ["telegram:1", "telegram:2", "telegram:3"], "ids": [5, 6, 7]},
        postgresql_only=True,
    ),
    HotStatement(
        "inbox claim", inbox._CLAIM, {"done": "done", "at": _AT, "id": 5, "cid": "telegram:1"}
    ),
    HotStatement(
        "outbox queue",
        inbox._QUEUE,
        {
            "channel": "telegram",
            "cid": "telegram:1",
            "method": "sendMessage",
            "payload": "{}",
            "status": "pending",
            "at": _AT,
        },
        reads=False,
    ),
    HotStatement(
        "outbox queue, with the conversation's waiting replies",
        inbox._QUEUE_FIRST,
        {
            "channel": "telegram",
            "cid": "telegram:1",
            "method": "sendMessage",
            "payload": "{}",
            "status": "pending",
            "at": _AT,
        },
    ),
    HotStatement("outbox sent", _sent(3), {"i0": 1, "i1": 2, "i2": 3, "at": _AT, "sent": "sent"}),
    HotStatement(
        "outbox sent, any number",
        inbox._SENT_ANY,
        {"ids": [1, 2, 3], "at": _AT},
        postgresql_only=True,
    ),
    HotStatement("outbox not sent", inbox._NOT_SENT, {"error": "x", "status": "pending", "id": 1}),
    HotStatement(
        "outbox unsent of a conversation",
        "SELECT id, channel, conversation_id, method, payload, attempts FROM outbox"
        " WHERE status = 'pending' AND conversation_id = :cid ORDER BY id",
        {"cid": "telegram:1"},
    ),
    HotStatement("session load", storage._RAW_LOAD, {"cid": "telegram:1"}),
    HotStatement(
        "session insert",
        storage._RAW_INSERT,
        {"cid": "telegram:1", "data": "{}", "at": _AT},
        reads=False,
    ),
    HotStatement(
        "session update",
        storage._RAW_UPDATE,
        {"cid": "telegram:1", "data": "{}", "version": 2, "expected": 1, "at": _AT},
    ),
    HotStatement(
        "contact seen",
        contacts._SEEN,
        {
            "cid": "telegram:1",
            "channel": "telegram",
            "recipient": "1",
            "name": "Ana",
            "locale": "en",
            "at": _AT,
            "stale": _AT,
            "no": False,
        },
        reads=False,
    ),
    HotStatement("latest ticket", queue._LATEST, {"cid": "telegram:1"}),
    HotStatement(
        "contact seen, collected",
        contacts._SEEN_MANY,
        {
            "cid": ["telegram:1", "telegram:2"],
            "channel": ["telegram"] * 2,
            "recipient": ["1", "2"],
            "name": ["Ana", None],
            "locale": ["en", None],
            "at": [_AT] * 2,
            "every": "60 seconds",
        },
        reads=False,
        postgresql_only=True,
    ),
    # The same writes for all the jobs of a transaction (bot/later.py; PostgreSQL only).
    HotStatement(
        "inbox accept, collected",
        inbox._ACCEPT_MANY,
        {
            "channel": ["telegram"] * 2,
            "event_id": ["1", "2"],
            "cid": ["telegram:1", "telegram:2"],
            "kind": ["message"] * 2,
            "body": ["{}"] * 2,
            "status": ["pending"] * 2,
            "at": [_AT] * 2,
            "by": ["host/0"] * 2,
        },
        reads=False,
        postgresql_only=True,
    ),
    HotStatement(
        "inbox claim, collected",
        inbox._CLAIM_MANY,
        {"ids": [5, 6, 7], "cids": ["telegram:1", "telegram:2"], "at": _AT},
        postgresql_only=True,
    ),
    HotStatement(
        "outbox queue, collected",
        inbox._QUEUE_MANY,
        {
            "channel": ["telegram"] * 2,
            "cid": ["telegram:1", "telegram:2"],
            "method": ["sendMessage"] * 2,
            "payload": ["{}"] * 2,
            "at": [_AT] * 2,
        },
        postgresql_only=True,
    ),
    HotStatement(
        "session insert, collected",
        storage._RAW_INSERT_MANY,
        {"cid": ["telegram:1", "telegram:2"], "data": ["{}"] * 2, "at": [_AT] * 2},
        reads=False,
        postgresql_only=True,
    ),
    HotStatement(
        "session update, collected",
        storage._RAW_UPDATE_MANY,
        {
            "cid": ["telegram:1", "telegram:2"],
            "expected": [1, 1],
            "data": ["{}"] * 2,
            "at": [_AT] * 2,
        },
        postgresql_only=True,
    ),
    HotStatement(
        "transcript lines, collected",
        queue._LINES_MANY,
        {
            "cid": ["telegram:1"] * 2,
            "ticket": [None, None],
            "at": [_AT] * 2,
            "direction": ["shopper", "bot"],
            "author": [None, None],
            "text": ["hi", "hello"],
            "source": ["telegram:1", None],
            "flow": [None, None],
        },
        reads=False,
        postgresql_only=True,
    ),
    HotStatement(
        "transcript line",
        queue._RECORD_ONCE,
        {
            "cid": "telegram:1",
            "ticket": None,
            "at": _AT,
            "direction": "bot",
            "author": None,
            "text": "hi",
            "source": "telegram:1",
            "flow": None,
        },
        reads=False,
    ),
)


@dataclass(frozen=True)
class Plan:
    statement: HotStatement
    lines: list[str]
    dialect: str

    @property
    def uses_index(self) -> bool:
        """No table is read whole: every table the statement reads is found through an index
        (a plain INSERT reads only its conflict index, which the plan may not show)."""
        if self.dialect == "sqlite":
            scans = [line for line in self.lines if line.lstrip("|-` ").startswith("SCAN ")]
            searched = any("USING" in line for line in self.lines)
            return not scans and (searched or not self.statement.reads)
        scans = [line for line in self.lines if "Seq Scan" in line]
        indexed = any("Index" in line for line in self.lines)
        # An index read whole, its rows filtered (a hashed subplan does that), is a scan too.
        walked = sum(" Scan using " in line for line in self.lines)
        found = sum("Index Cond:" in line for line in self.lines)
        return not scans and walked <= found and (indexed or not self.statement.reads)

    def __str__(self) -> str:
        mark = "index" if self.uses_index else "NO INDEX"
        return f"-- {self.statement.name} ({mark})\n" + "\n".join(self.lines)


def explain(conn: Connection, statement: HotStatement) -> Plan:
    """The plan the database would use for ``statement`` (not run)."""
    sql = raw_sql(conn.dialect)
    dialect = conn.dialect.name
    params = {k: sql.time(v) if isinstance(v, datetime) else v for k, v in statement.params.items()}
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    rows = sql.all(conn, prefix + statement.sql, params)
    column = 3 if dialect == "sqlite" else 0  # SQLite: (id, parent, notused, detail)
    lines = [str(row[column]) for row in rows]
    return Plan(statement, lines, dialect)


def explain_all(conn: Connection) -> list[Plan]:
    sqlite = conn.dialect.name == "sqlite"
    return [explain(conn, s) for s in HOT if not (sqlite and s.postgresql_only)]
