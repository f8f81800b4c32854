"""A turn's unit of work: what its actions write is applied once per inbox event.

An action's database jobs (a cart line, an order) run during *think*, each a short job of
its own, and commit before the turn does; a crash between one of them and the turn's commit
runs the turn again on restart, and the action again. So every job a turn's actions run is
recorded, in the transaction that commits its writes, under the inbox event's id and its
place in the turn (the *n*-th job, and which function it was): when the turn runs again, a
job already recorded is not run again, its recorded result is returned instead, so
``cart.add`` adds once however often the turn is thought. The records are deleted when the
turn commits (they are never read after that), in the same transaction.

Results are kept with :mod:`pickle` (actions' jobs return rows, carts and orders, not JSON);
they are written and read by this process's own code only. A result that cannot be pickled
is recorded without one: its job runs again on a replay (a warning says so). A record made
by a different function at that place (the turn went another way on replay) and the ones
after it are dropped, and the jobs run.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
)

from shopdb import UTCDateTime

log = logging.getLogger("shopchat.turnwork")

T = TypeVar("T")
Submit = Callable[[Callable[[Connection], Any]], Awaitable[Any]]

metadata = MetaData()
turn_writes_table = Table(
    "turn_writes",
    metadata,
    Column("inbox_id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("job", String(255), nullable=False),
    Column("result", LargeBinary),
    Column("created_at", UTCDateTime, nullable=False),
)
_t = turn_writes_table


def _name(job: Callable[..., Any]) -> str:
    name = getattr(job, "__qualname__", None) or type(job).__qualname__
    module = getattr(job, "__module__", None) or ""
    return f"{module}:{name}"[-255:]


class TurnWork:
    """``ActionContext.db`` in a server turn: short jobs on the committer (never a
    transaction held across the action's I/O), each applied once per inbox event (see the
    module docstring).

    ``run`` is for plain actions, which run in a worker thread: it blocks that thread, never
    the event loop (calling it on the loop's thread is refused, it would deadlock).
    """

    def __init__(self, submit: Submit, loop: asyncio.AbstractEventLoop, inbox_id: int) -> None:
        self.submit = submit  # runs a job on the conversation's database thread
        self.loop = loop
        self.inbox_id = inbox_id
        self._seq = 0
        self._lock = threading.Lock()  # plain actions run in worker threads
        self.recorded = False  # whether anything may be recorded for this event

    def _next(self) -> int:
        with self._lock:
            self._seq += 1
            self.recorded = True
            return self._seq

    def _once(self, job: Callable[[Connection], T]) -> Callable[[Connection], T]:
        seq, name = self._next(), _name(job)

        def applied_once(conn: Connection) -> T:
            where = (_t.c.inbox_id == self.inbox_id) & (_t.c.seq == seq)
            row = conn.execute(select(_t.c.job, _t.c.result).where(where)).first()
            if row is not None:
                if row.job == name and row.result is not None:
                    value: T = pickle.loads(row.result)
                    return value
                if row.job == name:
                    log.warning("inbox %s: job %s runs again on replay", self.inbox_id, name)
                conn.execute(delete(_t).where((_t.c.inbox_id == self.inbox_id) & (_t.c.seq >= seq)))
            value = job(conn)
            try:
                result: bytes | None = pickle.dumps(value)
            except Exception as exc:
                log.warning("a result of %s cannot be kept (%s): not replayable", name, exc)
                result = None
            conn.execute(
                insert(_t).values(
                    inbox_id=self.inbox_id,
                    seq=seq,
                    job=name,
                    result=result,
                    created_at=datetime.now(UTC),
                )
            )
            return value

        return applied_once

    def run(self, job: Callable[[Connection], T]) -> T:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            raise RuntimeError("TurnWork.run() on the event loop: await arun() instead")
        once = self._once(job)
        return asyncio.run_coroutine_threadsafe(self._arun(once), self.loop).result()

    async def arun(self, job: Callable[[Connection], T]) -> T:
        return await self._arun(self._once(job))

    async def _arun(self, job: Callable[[Connection], T]) -> T:
        value: T = await self.submit(job)
        return value


def forget(conn: Connection, inbox_id: int) -> None:
    """Drop an event's records (its turn has committed, or failed for good)."""
    conn.execute(delete(_t).where(_t.c.inbox_id == inbox_id))


__all__ = ["TurnWork", "forget", "metadata", "turn_writes_table"]
