"""Who is thinking a hook's flow for an inbox event: one process at a time.

An event is claimed (pending -> done) only by the job that commits what it produced, so two
processes can both take up one pending event: the one it was delivered to, and another that
loads the conversation for a later event (or recovers at its start). For a shopper's turn
that costs a second thought whose commit is thrown away; for a comment whose private reply
opens a flow, the flow's actions (a payment API call) would run twice. So before a hook's
flow is thought (bot/turnhook.py ``HookTurn``), the load job takes a lease on the event:
a row naming this process until a time. Another process that finds the lease held leaves
the conversation for later (bot/service.py): the holder answers the event, and the other
answers what follows it, in order. A lease whose holder died (a crash, a SIGKILL) runs out
after :data:`LEASE`; then the event is taken up again (at least once). The row is deleted
in the transaction that claims the event, or marks it failed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, delete, select

from shopdb import UTCDateTime, upsert

#: How long a process may think a hook's flow before another may take the event up: long
#: enough for a slow payment API, short enough that a crashed process's comment is answered
#: within minutes by the others (or itself, restarted).
LEASE = timedelta(minutes=2)

metadata = MetaData()
turn_leases_table = Table(
    "turn_leases",
    metadata,
    Column("inbox_id", Integer, primary_key=True, autoincrement=False),
    Column("holder", String(64), nullable=False),
    Column("until", UTCDateTime, nullable=False),
)
_t = turn_leases_table


def take(
    conn: Connection, inbox_id: int, holder: str, now: datetime, lease: timedelta = LEASE
) -> datetime | None:
    """Lease event ``inbox_id`` to ``holder`` from ``now`` for ``lease``: None when it is now
    the holder's (new, already its own, or run out), else when the other holder's lease runs
    out."""
    stmt = upsert(
        conn,
        _t,
        {"inbox_id": inbox_id, "holder": holder, "until": now + lease},
        keys=["inbox_id"],
        where=(_t.c.holder == holder) | (_t.c.until < now),
    ).returning(_t.c.inbox_id)
    if conn.execute(stmt).first() is not None:
        return None
    until = conn.execute(select(_t.c.until).where(_t.c.inbox_id == inbox_id)).scalar()
    # None: the holder let go between the two statements (PostgreSQL); look again soon.
    return until if isinstance(until, datetime) else now


def drop(conn: Connection, inbox_id: int) -> None:
    """The event is answered (or failed): nobody holds it any more."""
    conn.execute(delete(_t).where(_t.c.inbox_id == inbox_id))


__all__ = ["LEASE", "drop", "metadata", "take", "turn_leases_table"]
