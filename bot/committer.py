"""Group commit: many small database jobs from many conversations, one transaction.

Every job the chat service has (accept a webhook's events, run a turn and save it, mark
replies sent) is a function of a connection. Jobs submitted while the database thread is
busy are run together in the next transaction, so under load the cost of a commit is shared
by dozens of jobs, and a single database thread means SQLite writers never wait on each
other's locks. A job that fails makes its batch roll back; the batch's jobs are then run one
by one, each in its own transaction, so one bad job never takes the others down.

Some jobs have someone waiting on their commit: a webhook's 200 (the platform holds a
connection for it) and recording a reply as sent (until it commits, a crash sends that reply
again). They go in the *urgent* lane: the transaction running when one is submitted takes it
in before it commits, if it is still running its jobs, and the next transaction runs it first
otherwise. So an acknowledgement waits for at most the rest of one transaction, never behind
a queue of turns.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection

from .storage import SessionStore

log = logging.getLogger("shopchat.db")

T = TypeVar("T")
Job = Callable[[Connection], Any]
Waiting = tuple[Job, "asyncio.Future[Any]"]
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
        self._pending: list[Waiting] = []
        # Urgent jobs; the database thread takes them too (deque appends and pops are atomic).
        self._urgent: deque[Waiting] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="shopchat-db")
        self.batches = 0
        self.jobs = 0
        self.joined = 0  # urgent jobs taken into a transaction already running

    async def run(self, job: Callable[[Connection], T], *, first: bool = False) -> T:
        """Run ``job(connection)`` in a transaction (shared with concurrent jobs); ``first``
        puts it in the urgent lane (see the module docstring): a webhook's acknowledgement,
        a reply recorded as sent."""
        worker = self._worker
        if worker is None or worker.done():
            loop = asyncio.get_running_loop()
            worker = self._worker = loop.create_task(self._work())
        else:
            # The worker's loop is this one (its jobs' futures are resolved there), and
            # get_running_loop() costs a system call (getpid) on every job.
            loop = worker.get_loop()
        future: asyncio.Future[T] = loop.create_future()
        if first:
            self._urgent.append((job, future))
        else:
            self._pending.append((job, future))
        return await future

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending or self._urgent:
            batch = self._take_urgent()
            room = max(0, self.max_batch - len(batch))
            batch += self._pending[:room]
            del self._pending[:room]
            outcomes = await loop.run_in_executor(self._thread, self._execute, batch)
            self.batches += 1
            self.jobs += len(batch)  # with the urgent jobs the transaction took in
            for (_job, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _take_urgent(self) -> list[Waiting]:
        taken: list[Waiting] = []
        while self._urgent and len(taken) < self.max_batch:
            try:
                taken.append(self._urgent.popleft())
            except IndexError:  # the other thread took the last one
                break
        return taken

    def _execute(self, batch: list[Waiting]) -> list[tuple[bool, Any]]:
        """Run ``batch`` in one transaction, on the database thread. Urgent jobs submitted
        meanwhile join it before it commits: they are appended to ``batch``, whose futures
        the event loop resolves once this returns."""
        try:
            return [(True, value) for value in self._transaction(batch, join=True)]
        except Exception as exc:
            if len(batch) == 1:
                return [(False, exc)]
            log.info("a batch of %d jobs failed (%s); running them one by one", len(batch), exc)
        outcomes: list[tuple[bool, Any]] = []
        for waiting in batch:
            try:
                outcomes.append((True, self._transaction([waiting])[0]))
            except Exception as exc:
                outcomes.append((False, exc))
        return outcomes

    def _transaction(self, batch: list[Waiting], *, join: bool = False) -> list[Any]:
        callbacks: list[Callable[[], None]] = []
        with self.store.transaction() as conn:
            conn.info[_AFTER_COMMIT] = callbacks
            try:
                values = [job(conn) for job, _future in batch]
                while join and self._urgent and len(batch) < 2 * self.max_batch:
                    late = self._take_urgent()
                    self.joined += len(late)
                    batch += late  # before running them: a failure re-runs them one by one
                    values += [job(conn) for job, _future in late]
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
