"""A turn's unit of work: what its actions write is applied once per inbox event.

An action's database jobs (a cart line, an order) run during *think*, each a short job of
its own, and commit before the turn does; a crash between one of them and the turn's commit
runs the turn again on restart, and the action again. So every job a turn's actions run is
recorded, in the transaction that commits its writes, under the inbox event's id and its
place in the turn (the *n*-th job, and which function it was): when the turn runs again, a
job already recorded is not run again, its recorded result is returned instead, so
``cart.add`` adds once however often the turn is thought. The records are deleted when the
turn commits (they are never read after that), in the same transaction.

Results are kept with :mod:`pickle`, read back by a restricted unpickler. Not JSON: the jobs
return carts, orders and payment steps (dataclasses and pydantic models holding Decimals,
datetimes, enums), and a project's actions their own types; JSON would hand a replay dicts
where the first run had objects. Not plain ``pickle.loads`` either: a row of this table would
then be code to run, for anyone who can write to the database. The reader
(:func:`loads`) builds only plain values (numbers, text, containers, datetimes, Decimals,
UUIDs) and the data classes of shopchat's packages and of the project's actions (dataclasses,
pydantic models, enums, named tuples); anything else is refused. A result that cannot be
kept that way is recorded without one: its job runs again on a replay (a warning says so,
at the first run). A record made by a different function at that place (the turn went
another way on replay) and the ones after it are dropped, and the jobs run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import io
import logging
import pickle
import sys
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
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


# Plain values a result may hold, by module: the names pickle asks for.
_PLAIN = {
    "builtins": {"dict", "list", "tuple", "set", "frozenset", "bytearray", "complex", "slice"},
    "datetime": {"date", "datetime", "time", "timedelta", "timezone"},
    "decimal": {"Decimal"},
    "uuid": {"UUID", "SafeUUID"},
    "collections": {"OrderedDict", "deque", "Counter"},
    "fractions": {"Fraction"},
}
# Packages whose data classes a result may hold: shopchat's, and the project's actions
# (bot/project.py imports them under this prefix).
_OURS = (
    "adapters",
    "bot",
    "catalog",
    "checkout",
    "customers",
    "flows",
    "shopdb",
    "shoplinks",
    "shoptext",
    "understanding",
)
_PROJECT_ACTIONS = "shopchat_project_actions_"


def _data_class(found: object) -> bool:
    return isinstance(found, type) and (
        dataclasses.is_dataclass(found)
        or issubclass(found, (BaseModel, enum.Enum))
        or (issubclass(found, tuple) and hasattr(found, "_fields"))  # a NamedTuple
    )


class _Reader(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if name in _PLAIN.get(module, ()):
            return super().find_class(module, name)
        ours = module.split(".")[0] in _OURS or module.startswith(_PROJECT_ACTIONS)
        if ours and module in sys.modules and "." not in name:  # imported already: no import
            found = getattr(sys.modules[module], name, None)
            if _data_class(found):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a value a job's result may hold")


def loads(data: bytes) -> Any:
    """A recorded result, built only of plain values and data classes (module docstring)."""
    return _Reader(io.BytesIO(data)).load()


class _Writer(pickle.Pickler):
    def reducer_override(self, obj: object) -> Any:
        if isinstance(obj, enum.Enum):  # by value: pickle's own way goes through getattr
            return type(obj), (obj.value,)
        return NotImplemented


def dumps(value: object) -> bytes:
    """``value`` recorded; raises when :func:`loads` would refuse to read it back."""
    out = io.BytesIO()
    _Writer(out).dump(value)
    data = out.getvalue()
    loads(data)
    return data


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
                    try:
                        value: T = loads(row.result)
                    except Exception as exc:
                        log.warning(
                            "inbox %s: the record of %s is refused: %s", self.inbox_id, name, exc
                        )
                    else:
                        return value
                if row.job == name:
                    log.warning("inbox %s: job %s runs again on replay", self.inbox_id, name)
                conn.execute(delete(_t).where((_t.c.inbox_id == self.inbox_id) & (_t.c.seq >= seq)))
            value = job(conn)
            try:
                result: bytes | None = dumps(value)
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
