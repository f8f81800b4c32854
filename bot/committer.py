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
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

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
    """Runs database jobs on one thread, many to a transaction (see the module docstring).

    Urgent jobs (recording a reply as sent: until that commits, a crash would send the reply
    again) take a lane of their own: the database thread looks at it after every job, cuts
    the running batch short (commits what it has done, puts the rest back at the front) and
    commits the urgent jobs next, without a round trip through the event loop. A sent-mark
    so waits for one job and a commit, not for a burst's turns.
    """

    def __init__(self, store: SessionStore, *, max_batch: int = 256) -> None:
        self.store = store
        self.max_batch = max_batch
        self._pending: list[tuple[Job, asyncio.Future[Any]]] = []
        # Appended on the loop, emptied on the database thread (deque ops are atomic).
        self._urgent: deque[tuple[Job, asyncio.Future[Any], float]] = deque()
        # Seconds from submit_first to commit, of the last few thousand urgent jobs.
        self.urgent_waits: deque[float] = deque(maxlen=4096)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="shopchat-db")
        self.batches = 0
        self.jobs = 0

    async def run(self, job: Callable[[Connection], T], *, first: bool = False) -> T:
        """Run ``job(connection)`` in a transaction (shared with concurrent jobs); ``first``
        runs it in the urgent lane (see the class docstring)."""
        if first:
            return await self.submit_first(job)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((job, future))
        self._wake()
        return await future

    def submit_first(self, job: Callable[[Connection], T]) -> asyncio.Future[T]:
        """Queue ``job`` in the urgent lane at once (no task, no await: callable from a
        callback); the future resolves once it has committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._urgent.append((job, future, time.perf_counter()))
        self._wake()
        return future

    def _wake(self) -> None:
        if self._worker is None or self._worker.done():
            self._loop = asyncio.get_running_loop()
            self._worker = self._loop.create_task(self._work())

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending or self._urgent:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            outcomes = await loop.run_in_executor(
                self._thread, self._execute, [j for j, _ in batch]
            )
            # A batch cut short by urgent jobs: the rest go back to the front, in order.
            self._pending[:0] = batch[len(outcomes) :]
            self.batches += 1
            self.jobs += len(outcomes)
            for (_job, future), (ok, value) in zip(batch, outcomes, strict=False):
                _settle(future, ok, value)

    # -- on the database thread ---------------------------------------------------------------
    def _execute(self, jobs: list[Job]) -> list[tuple[bool, Any]]:
        """Run urgent jobs, then ``jobs`` (or the part of them done before an urgent job came),
        then urgent jobs again; return the outcomes of the part of ``jobs`` that ran."""
        self._run_urgent()
        outcomes = self._batch(jobs)
        self._run_urgent()
        return outcomes

    def _run_urgent(self) -> None:
        while self._urgent:
            taken: list[tuple[Job, asyncio.Future[Any], float]] = []
            while self._urgent:
                taken.append(self._urgent.popleft())
            outcomes = self._batch([j for j, _, _ in taken], preemptible=False)
            committed = time.perf_counter()
            loop = self._loop
            assert loop is not None
            for (_job, future, submitted), (ok, value) in zip(taken, outcomes, strict=True):
                self.urgent_waits.append(committed - submitted)
                loop.call_soon_threadsafe(_settle, future, ok, value)

    def _batch(self, jobs: list[Job], *, preemptible: bool = True) -> list[tuple[bool, Any]]:
        if not jobs:
            return []
        try:
            return [(True, value) for value in self._transaction(jobs, preemptible)]
        except Exception as exc:
            if len(jobs) == 1:
                return [(False, exc)]
            log.info("a batch of %d jobs failed (%s); running them one by one", len(jobs), exc)
        outcomes: list[tuple[bool, Any]] = []
        for job in jobs:
            try:
                outcomes.append((True, self._transaction([job], False)[0]))
            except Exception as exc:
                outcomes.append((False, exc))
            if preemptible and self._urgent:
                break
        return outcomes

    def _transaction(self, jobs: list[Job], preemptible: bool) -> list[Any]:
        callbacks: list[Callable[[], None]] = []
        values: list[Any] = []
        with self.store.transaction() as conn:
            conn.info[_AFTER_COMMIT] = callbacks
            try:
                for job in jobs:
                    values.append(job(conn))
                    if preemptible and self._urgent:
                        break  # commit what ran; the urgent jobs go next
            finally:
                conn.info.pop(_AFTER_COMMIT, None)
        for callback in callbacks:
            callback()
        return values

    def urgent_wait(self, quantile: float) -> float:
        """Seconds an urgent job waited from submit to commit, at ``quantile`` (0.5, 0.99)
        of the last few thousand; 0 before any."""
        waits = sorted(self.urgent_waits)
        return waits[min(len(waits) - 1, int(len(waits) * quantile))] if waits else 0.0

    def close(self) -> None:
        self._thread.shutdown(wait=True)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class CommitterWork:
    """The unit of work a turn's actions get (``ActionContext.db``): each ``run`` is a short
    job of its own on the committer, never a transaction held across the action's I/O.

    ``run`` is for plain actions, which run in a worker thread: it blocks that thread, never
    the event loop (calling it on the loop's thread is refused, it would deadlock).
    """

    def __init__(self, committer: Committer, loop: asyncio.AbstractEventLoop) -> None:
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


__all__ = ["Committer", "CommitterWork", "InTransaction", "after_commit"]
