"""Every statement a message runs finds its rows through an index, on SQLite and PostgreSQL,
with tables the size of a shop that has been busy for a while (bot/plans.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from bot.plans import HOT, explain, explain_all
from bot.rawsql import raw_sql
from bot.storage import SessionStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CONVERSATIONS = 2000
PER_CONVERSATION = 10


def fill(store: SessionStore) -> None:
    """A shop after 20,000 messages: processed inbox entries, sent replies, sessions,
    contacts, transcripts and a (resolved) ticket per conversation."""
    with store.transaction() as conn:
        sql = raw_sql(conn.dialect)
        at = sql.time(T0)
        cids = [f"telegram:{n}" for n in range(CONVERSATIONS)]
        events = [
            (("telegram", f"{c}-{m}", cid, "message", "{}", "done", at))
            for c, cid in enumerate(cids)
            for m in range(PER_CONVERSATION)
        ]
        for start in range(0, len(events), 500):
            sql.insert_rows(
                conn,
                "INSERT INTO inbox (channel, event_id, conversation_id, kind, body, status,"
                " received_at)",
                events[start : start + 500],
            )
            sql.insert_rows(
                conn,
                "INSERT INTO outbox (channel, conversation_id, method, payload, status,"
                " attempts, created_at)",
                [
                    ("telegram", e[2], "sendMessage", "{}", "sent", 1, at)
                    for e in events[start : start + 500]
                ],
            )
            sql.insert_rows(
                conn,
                "INSERT INTO handoff_messages (conversation_id, at, direction, text, source)",
                [
                    (e[2], at, "shopper", "hi", f"telegram:{e[1]}")
                    for e in events[start : start + 500]
                ],
            )
        sql.insert_rows(
            conn,
            "INSERT INTO sessions (conversation_id, data, version, updated_at)",
            [(cid, "{}", 1, at) for cid in cids],
        )
        sql.insert_rows(
            conn,
            "INSERT INTO contacts (conversation_id, channel, recipient, unreachable)",
            [(cid, "telegram", cid.split(":")[1], False) for cid in cids],
        )
        sql.insert_rows(
            conn,
            "INSERT INTO handoff_tickets (conversation_id, channel, reason, priority, state,"
            " away, reopened, created_at, waiting_since, updated_at)",
            [(cid, "telegram", "ask", 0, "resolved", False, 0, at, at, at) for cid in cids],
        )
    with store.transaction() as conn:
        conn.execute(text("ANALYZE"))


def test_every_hot_statement_uses_an_index(store: SessionStore) -> None:
    fill(store)
    with store.connection() as conn:
        plans = explain_all(conn)
    report = "\n\n".join(str(plan) for plan in plans)
    print(report)  # pytest -s shows every plan
    sqlite = store.engine.dialect.name == "sqlite"
    expected = [s.name for s in HOT if not (sqlite and s.postgresql_only)]
    assert [p.statement.name for p in plans] == expected
    assert [p.statement.name for p in plans if not p.uses_index] == [], report


def test_a_turn_reads_only_the_conversations_pending_events(
    store: SessionStore,
) -> None:
    fill(store)
    pending = next(s for s in HOT if s.name.startswith("inbox pending of a conversation"))
    with store.connection() as conn:
        plan = explain(conn, pending)
    assert "ix_inbox_pending_conversation" in "\n".join(plan.lines), plan


def test_a_claim_finds_its_entries_by_conversation_and_id(store: SessionStore) -> None:
    """By id alone, a claim walks the whole pending index, dead entries too (they pile up
    between vacuums): the conversation narrows it to the entry."""
    fill(store)
    claims = [s for s in HOT if s.name.startswith("inbox claim")]
    with store.connection() as conn:
        plans = [
            explain(conn, s)
            for s in claims
            if not (conn.dialect.name == "sqlite" and s.postgresql_only)
        ]
    for plan in plans:
        text_ = "\n".join(plan.lines)
        if plan.dialect == "sqlite":
            assert "conversation_id=?" in text_ or "rowid=?" in text_, plan
        else:
            cond = [line for line in plan.lines if "Index Cond" in line]
            assert cond and "conversation_id" in cond[0] and "id" in cond[0], plan
