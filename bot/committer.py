"""Group commit: many small database jobs from many conversations, one transaction.

Every job the chat service has (accept a webhook's events, run a turn and save it, mark
replies sent) is a function of a connection. Jobs submitted while the database thread is
busy are run together in the next transaction, so under load the cost of a commit is shared
by dozens of jobs, and a single database thread means SQLite writers never wait on each
other's locks. A job that fails makes its batch roll back; the batch's jobs are then run one
by one, each in its own transaction, so one bad job never takes the others down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection

from .storage import SessionStore

log = logging.getLogger("shopchat.db")

T = TypeVar("T")
Job = Callable[[Connection], Any]
_AFTER_COMMIT = "shopchat.after_commit"


def after_commit(conn: Connection, callback: Callable[[], None]) -> bool:
    """Call ``callback`` once the committer's transaction on ``conn`` has committed.

    Returns False (and never calls it) when ``conn`` is not a committer transaction, so a
    caller keeping a cache of what it wrote knows not to trust it.
    """
    callbacks = conn.info.get(_AFTER_COMMIT)
    if callbacks is None:
        return False
    callbacks.append(callback)
    return True


class Committer:
    """Runs database jobs on one thread, many to a transaction (see the module docstring)."""

    def __init__(self, store: SessionStore, *, max_batch: int = 256) -> None:
        self.store = store
        self.max_batch = max_batch
        self._pending: list[tuple[Job, asyncio.Future[Any]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="shopchat-db")
        self.batches = 0
        self.jobs = 0

    async def run(self, job: Callable[[Connection], T], *, first: bool = False) -> T:
        """Run ``job(connection)`` in a transaction (shared with concurrent jobs); ``first``
        puts it ahead of the jobs waiting, in the next transaction (recording a reply as sent:
        until it commits, a crash would send that reply again)."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        if first:
            self._pending.insert(0, (job, future))
        else:
            self._pending.append((job, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())
        return await future

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            outcomes = await loop.run_in_executor(
                self._thread, self._execute, [j for j, _ in batch]
            )
            self.batches += 1
            self.jobs += len(batch)
            for (_job, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _execute(self, jobs: list[Job]) -> list[tuple[bool, Any]]:
        try:
            return [(True, value) for value in self._transaction(jobs)]
        except Exception as exc:
            if len(jobs) == 1:
                return [(False, exc)]
            log.info("a batch of %d jobs failed (%s); running them one by one", len(jobs), exc)
        outcomes: list[tuple[bool, Any]] = []
        for job in jobs:
            try:
                outcomes.append((True, self._transaction([job])[0]))
            except Exception as exc:
                outcomes.append((False, exc))
        return outcomes

    def _transaction(self, jobs: list[Job]) -> list[Any]:
        callbacks: list[Callable[[], None]] = []
        with self.store.transaction() as conn:
            conn.info[_AFTER_COMMIT] = callbacks
            try:
                values = [job(conn) for job in jobs]
            finally:
                conn.info.pop(_AFTER_COMMIT, None)
        for callback in callbacks:
            callback()
        return values

    def close(self) -> None:
        self._thread.shutdown(wait=True)


class Runner(Protocol):
    """What runs database jobs: a :class:`Committer`, or several (bot/lanes.py)."""

    async def run(self, job: Callable[[Connection], T], *, first: bool = False) -> T: ...


class CommitterWork:
    """The unit of work a turn's actions get (``ActionContext.db``): each ``run`` is a short
    job of its own on the committer, never a transaction held across the action's I/O.

    ``run`` is for plain actions, which run in a worker thread: it blocks that thread, never
    the event loop (calling it on the loop's thread is refused, it would deadlock).
    """

    def __init__(self, committer: Runner, loop: asyncio.AbstractEventLoop) -> None:
        self.committer = committer
        self.loop = loop

    def run(self, job: Callable[[Connection], T]) -> T:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            raise RuntimeError("CommitterWork.run() on the event loop: await arun() instead")
        return asyncio.run_coroutine_threadsafe(self.committer.run(job), self.loop).result()

    async def arun(self, job: Callable[[Connection], T]) -> T:
        return await self.committer.run(job)


class InTransaction:
    """A unit of work over a transaction the caller already holds (a flow run from inside a
    database job: the desk handing a conversation back, a comment's private message)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def run(self, job: Callable[[Connection], T]) -> T:
        return job(self.conn)

    async def arun(self, job: Callable[[Connection], T]) -> T:
        return job(self.conn)


__all__ = ["Committer", "CommitterWork", "InTransaction", "Runner", "after_commit"]
