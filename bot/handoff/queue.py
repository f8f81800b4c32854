"""The ticket queue in SQL: every function takes the caller's connection (its transaction).

The hook calls these inside the chat service's turn transaction; the desk calls them through
the service's database thread (``service.db.run``). State changes are conditional updates
(``... WHERE state = 'waiting'``), so two agents, or two processes, can never both win.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, func, insert, or_, select, update

from bot.contacts import contacts_table
from bot.inbox import ticket_read
from bot.later import Collected
from bot.rawsql import raw_sql
from shopdb import upsert

from .models import (
    OPEN_STATES,
    Note,
    TicketSummary,
    TranscriptLine,
)
from .tables import messages, notes, presence, tickets

T = tickets.c
_SUMMARY = select(
    tickets,
    contacts_table.c.name,
    contacts_table.c.locale,
).select_from(
    tickets.outerjoin(contacts_table, contacts_table.c.conversation_id == T.conversation_id)
)


def summary(row: Row[Any], last_message: str | None = None) -> TicketSummary:
    m = row._mapping
    return TicketSummary(
        id=m["id"],
        conversation_id=m["conversation_id"],
        channel=m["channel"],
        reason=m["reason"],
        priority=m["priority"],
        state=m["state"],
        agent=m["agent"],
        customer_name=m["name"],
        locale=m["locale"],
        flow=m["flow"],
        step=m["step"],
        away=bool(m["away"]),
        reopened=m["reopened"],
        created_at=m["created_at"],
        waiting_since=m["waiting_since"],
        assigned_at=m["assigned_at"],
        first_response_at=m["first_response_at"],
        resolved_at=m["resolved_at"],
        last_message=last_message,
    )


def get(conn: Connection, ticket_id: int) -> TicketSummary | None:
    row = conn.execute(_SUMMARY.where(T.id == ticket_id)).first()
    return summary(row) if row is not None else None


def find(
    conn: Connection,
    *,
    state: str | None = None,
    agent: str | None = None,
    conversation_id: str | None = None,
) -> list[TicketSummary]:
    """Tickets, most urgent first: open before closed, higher priority, then oldest."""
    query = _SUMMARY
    if state is not None:
        query = query.where(T.state == state)
    if agent is not None:
        query = query.where(T.agent == agent)
    if conversation_id is not None:
        query = query.where(T.conversation_id == conversation_id)
    rows = conn.execute(query.order_by(T.priority.desc(), T.waiting_since, T.id)).all()
    last = _last_messages(conn, {r._mapping["conversation_id"] for r in rows})
    found = [summary(r, last.get(r._mapping["conversation_id"])) for r in rows]
    return sorted(found, key=lambda t: t.state not in OPEN_STATES)


def _last_messages(conn: Connection, cids: set[str]) -> dict[str, str]:
    if not cids:
        return {}
    newest = (
        select(func.max(messages.c.id))
        .where(messages.c.conversation_id.in_(cids), messages.c.direction == "shopper")
        .group_by(messages.c.conversation_id)
    )
    rows = conn.execute(
        select(messages.c.conversation_id, messages.c.text).where(messages.c.id.in_(newest))
    ).all()
    return {r[0]: r[1] for r in rows}


def open_ticket(
    conn: Connection,
    *,
    conversation_id: str,
    channel: str,
    reason: str,
    priority: int,
    flow: str | None,
    step: str | None,
    away: bool,
    now: datetime,
) -> int:
    result = conn.execute(
        insert(tickets).values(
            conversation_id=conversation_id,
            channel=channel,
            reason=reason,
            priority=priority,
            state="waiting",
            flow=flow,
            step=step,
            away=away,
            reopened=0,
            created_at=now,
            waiting_since=now,
            updated_at=now,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def attach_earlier(conn: Connection, conversation_id: str, ticket_id: int, since: datetime) -> None:
    """Link the conversation's unlinked lines since ``since`` to a new ticket."""
    conn.execute(
        update(messages)
        .where(
            messages.c.conversation_id == conversation_id,
            messages.c.ticket_id.is_(None),
            messages.c.at >= since,
        )
        .values(ticket_id=ticket_id)
    )


def transition(
    conn: Connection,
    ticket_id: int,
    *,
    when_state: Iterable[str],
    when_agent: str | None | bool = True,
    **values: Any,
) -> bool:
    """Change a ticket only if it is in one of ``when_state`` (and held by ``when_agent``,
    unless it is True: anyone). True if it changed: the caller won."""
    cond = [T.id == ticket_id, T.state.in_(list(when_state))]
    if when_agent is not True:
        cond.append(T.agent.is_(None) if when_agent is None else T.agent == when_agent)
    result = conn.execute(update(tickets).where(and_(*cond)).values(**values))
    return result.rowcount == 1


def record(
    conn: Connection,
    *,
    conversation_id: str,
    direction: str,
    text: str,
    at: datetime,
    ticket_id: int | None = None,
    author: str | None = None,
    source: str | None = None,
    flow: str | None = None,
) -> TranscriptLine | None:
    """Add a transcript line; a line from an inbound event already kept is not added again.

    Every message the bot handles passes here, so it is plain SQL (bot/rawsql.py).
    """
    sql = raw_sql(conn.dialect)
    row = sql.one(
        conn,
        _RECORD_ONCE if source is not None else _RECORD,
        {
            "cid": conversation_id,
            "ticket": ticket_id,
            "at": sql.time(at),
            "direction": direction,
            "author": author,
            "text": text,
            "source": source,
            "flow": flow,
        },
    )
    if row is None:
        return None
    return TranscriptLine(int(row[0]), at, direction, text, author, ticket_id)  # type: ignore[arg-type]


def record_untracked(
    conn: Connection,
    conversation_id: str,
    shopper: tuple[str, str] | None,
    bot_texts: list[str],
    at: datetime,
    flow: str | None,
) -> None:
    """Keep a turn outside any ticket in one statement: the shopper's line ``(text, source)``
    (skipped if that event was kept before) and the bot's lines."""
    sql = raw_sql(conn.dialect)
    when = sql.time(at)
    rows: list[tuple[Any, ...]] = []
    if shopper is not None:
        rows.append((conversation_id, None, when, "shopper", None, shopper[0], shopper[1], None))
    rows += [(conversation_id, None, when, "bot", None, text, None, flow) for text in bot_texts]
    if rows:
        # With the other turns of the transaction, on PostgreSQL (bot/later.py).
        _UNTRACKED.add(conn, rows)


def _untracked_one(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    raw_sql(conn.dialect).insert_rows(conn, _LINE_HEAD, rows, "ON CONFLICT DO NOTHING")


def _untracked_send(conn: Connection, turns: list[list[tuple[Any, ...]]]) -> Any:
    lines = [line for rows in turns for line in rows]
    names = ("cid", "ticket", "at", "direction", "author", "text", "source", "flow")
    params = {name: [line[n] for line in lines] for n, name in enumerate(names)}
    return raw_sql(conn.dialect).execute(conn, _LINES_MANY, params, binary=True)


def _untracked_read(cursor: Any, turns: list[list[tuple[Any, ...]]]) -> list[None]:
    cursor.close()
    return [None] * len(turns)


# Sent with the transaction's other collected writes, in one round trip (bot/later.py).
_UNTRACKED = Collected(
    "transcript lines", _untracked_one, send=_untracked_send, read=_untracked_read
)


def latest_id_state(conn: Connection, conversation_id: str) -> tuple[int, str] | None:
    """The id and state of the conversation's newest ticket: one indexed read, no join."""
    read, latest = ticket_read(conn, conversation_id)
    if read:  # by the turn's load job, with the conversation's pending events
        return latest
    row = raw_sql(conn.dialect).one(conn, _LATEST, {"cid": conversation_id})
    return (int(row[0]), str(row[1])) if row is not None else None


_LINE_HEAD = """
    INSERT INTO handoff_messages (conversation_id, ticket_id, at, direction, author, text,
                                  source, flow)"""
_LINES_MANY = (
    _LINE_HEAD
    + """
    SELECT * FROM unnest(CAST(:cid AS varchar[]), CAST(:ticket AS integer[]),
        CAST(:at AS timestamptz[]), CAST(:direction AS varchar[]), CAST(:author AS varchar[]),
        CAST(:text AS text[]), CAST(:source AS varchar[]), CAST(:flow AS varchar[]))
    ON CONFLICT DO NOTHING"""
)
_INSERT_LINE = (
    _LINE_HEAD + " VALUES (:cid, :ticket, :at, :direction, :author, :text, :source, :flow)"
)
_RECORD = _INSERT_LINE + " RETURNING id"
_RECORD_ONCE = _INSERT_LINE + " ON CONFLICT DO NOTHING RETURNING id"
_LATEST = """
    SELECT id, state FROM handoff_tickets WHERE conversation_id = :cid
    ORDER BY id DESC LIMIT 1"""


def transcript(conn: Connection, conversation_id: str) -> list[TranscriptLine]:
    rows = conn.execute(
        select(messages)
        .where(messages.c.conversation_id == conversation_id)
        .order_by(messages.c.id)
    ).all()
    return [TranscriptLine(r.id, r.at, r.direction, r.text, r.author, r.ticket_id) for r in rows]


def add_note(conn: Connection, ticket_id: int, agent: str, text: str, at: datetime) -> None:
    conn.execute(insert(notes).values(ticket_id=ticket_id, agent=agent, text=text, at=at))


def notes_of(conn: Connection, ticket_id: int) -> list[Note]:
    rows = conn.execute(select(notes).where(notes.c.ticket_id == ticket_id).order_by(notes.c.id))
    return [Note(r.id, r.agent, r.text, r.at) for r in rows]


# -- presence ---------------------------------------------------------------------------------
def set_presence(conn: Connection, agent: str, online: bool, now: datetime) -> None:
    row = {"agent": agent, "online": online, "seen_at": now}
    conn.execute(upsert(conn, presence, row, keys=["agent"]))


def online_agents(conn: Connection, now: datetime, ttl: timedelta) -> list[str]:
    rows = conn.execute(
        select(presence.c.agent).where(presence.c.online.is_(True), presence.c.seen_at >= now - ttl)
    ).all()
    return sorted(str(r[0]) for r in rows)


def load_by_agent(conn: Connection, agents: list[str]) -> dict[str, int]:
    """How many assigned tickets each agent holds."""
    counts = dict.fromkeys(agents, 0)
    if not agents:
        return counts
    rows = conn.execute(
        select(T.agent, func.count())
        .where(T.state == "assigned", T.agent.in_(agents))
        .group_by(T.agent)
    ).all()
    counts.update({str(r[0]): int(r[1]) for r in rows})
    return counts


def least_busy(
    conn: Connection,
    now: datetime,
    ttl: timedelta,
    exclude: str | None = None,
    cap: int | None = None,
) -> str | None:
    """The online agent with the fewest open tickets (and fewer than ``cap``), or None."""
    load = load_by_agent(conn, [a for a in online_agents(conn, now, ttl) if a != exclude])
    if cap is not None:
        load = {a: n for a, n in load.items() if n < cap}
    if not load:
        return None
    return min(load, key=lambda a: (load[a], a))


def recent_waits(conn: Connection, limit: int = 10) -> list[timedelta]:
    rows = conn.execute(
        select(T.waiting_since, T.assigned_at)
        .where(T.assigned_at.is_not(None), T.assigned_at >= T.waiting_since)
        .order_by(T.assigned_at.desc())
        .limit(limit)
    ).all()
    return [r[1] - r[0] for r in rows]


def waiting_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).where(T.state == "waiting")).scalar_one())


def unanswered_assigned(conn: Connection, before: datetime) -> list[TicketSummary]:
    """Assigned tickets whose agent has not written since ``before`` (nor since assigned)."""
    rows = conn.execute(
        _SUMMARY.where(
            T.state == "assigned",
            T.assigned_at < before,
            or_(T.last_agent_reply_at.is_(None), T.last_agent_reply_at < T.assigned_at),
        )
    ).all()
    return [summary(r) for r in rows]


def unanswered(conn: Connection) -> list[TicketSummary]:
    """Open tickets nobody has answered yet."""
    rows = conn.execute(
        _SUMMARY.where(T.state.in_(OPEN_STATES), T.first_response_at.is_(None))
    ).all()
    return [summary(r) for r in rows]


__all__ = [
    "add_note",
    "find",
    "get",
    "least_busy",
    "notes_of",
    "online_agents",
    "open_ticket",
    "record",
    "recent_waits",
    "set_presence",
    "summary",
    "transcript",
    "transition",
    "unanswered",
    "unanswered_assigned",
    "waiting_count",
]
