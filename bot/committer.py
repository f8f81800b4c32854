"""Group commit: many small database jobs from many conversations, one transaction.

Every job the chat service has (accept a webhook's events, run a turn and save it, mark
replies sent) is a function of a connection. Jobs submitted while the database thread is
busy are run together in the next transaction, so under load the cost of a commit is shared
by dozens of jobs, and a single database thread means SQLite writers never wait on each
other's locks. A job that fails makes its batch roll back; the batch's jobs are then run one
by one, each in its own transaction, so one bad job never takes the others down.

Some jobs have someone waiting on their commit: a webhook's 200 (the platform holds a
connection for it) and recording a reply as sent (until it commits, a crash sends that reply
again). They go in the *urgent* lane: the transaction running when one is submitted stops
taking its batch's next jobs (they go back to the front of the queue), takes the urgent ones
in and commits; when none is running, the next transaction runs them first. So an
acknowledgement or a sent-mark waits for the job under way and one commit, never behind a
queue of turns nor the rest of a batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection

from .later import Later, collecting, resolve, stop_collecting
from .storage import SessionStore

log = logging.getLogger("shopchat.db")

T = TypeVar("T")
Job = Callable[[Connection], Any]
Waiting = tuple[Job, "asyncio.Future[Any]"]
_AFTER_COMMIT = "shopchat.after_commit"
# A batch cut short by urgent jobs has run at least this many of its other jobs.
MIN_RUN = 8


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
        # Collected writes (bot/later.py): statements run, and the rows they wrote.
        self.statements = 0
        self.rows = 0
        # Seconds from submitting an urgent job to its commit, the last few thousand.
        self.urgent_waits: deque[float] = deque(maxlen=4096)

    async def run(self, job: Callable[[Connection], T], *, first: bool = False) -> T:
        """Run ``job(connection)`` in a transaction (shared with concurrent jobs); ``first``
        puts it in the urgent lane (see the module docstring): a webhook's acknowledgement,
        a reply recorded as sent."""
        if first:
            return await self.submit_first(job)
        future: asyncio.Future[T] = self._loop().create_future()
        self._pending.append((job, future))
        self._wake()
        return await future

    async def run_later(self, job: Callable[[Connection], Later[T]], *, first: bool = False) -> T:
        """:meth:`run` for a job whose value is a :class:`~bot.later.Later` (resolved once
        the transaction's collected writes ran)."""
        value: T = await self.run(job, first=first)  # type: ignore[arg-type]
        return value

    def submit_first(self, job: Callable[[Connection], T]) -> asyncio.Future[T]:
        """Put ``job`` in the urgent lane now (no task, no await: callable from a callback);
        the future resolves once it has committed."""
        future: asyncio.Future[T] = self._loop().create_future()
        self._urgent.append((_Timed(job), future))
        self._wake()
        return future

    def _loop(self) -> asyncio.AbstractEventLoop:
        """The running loop. While the worker runs it is the worker's (the jobs' futures are
        resolved there), which costs no get_running_loop(): a system call (getpid) each."""
        worker = self._worker
        if worker is not None and not worker.done():
            return worker.get_loop()
        return asyncio.get_running_loop()

    def _wake(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work())

    def urgent_wait(self, quantile: float) -> float:
        """Seconds an urgent job waited from submit to commit at ``quantile`` (0.5, 0.99) of
        the last few thousand; 0 before any."""
        waits = sorted(self.urgent_waits)
        return waits[min(len(waits) - 1, int(len(waits) * quantile))] if waits else 0.0

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending or self._urgent:
            batch = self._take_urgent()
            # Urgent jobs may cut the batch short, but not before this many of its jobs ran:
            # a steady stream of acknowledgements must not starve the turns.
            keep = len(batch) + MIN_RUN
            room = max(0, self.max_batch - len(batch))
            batch += self._pending[:room]
            del self._pending[:room]
            outcomes, cut = await loop.run_in_executor(self._thread, self._execute, batch, keep)
            self._pending[:0] = cut  # cut short by urgent jobs: next, in their order
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

    def _execute(
        self, batch: list[Waiting], keep: int
    ) -> tuple[list[tuple[bool, Any]], list[Waiting]]:
        """Run ``batch`` in one transaction, on the database thread. Urgent jobs submitted
        meanwhile cut it short and join it before it commits: the jobs cut off are returned
        (to run next), the urgent ones appended to ``batch``, whose futures the event loop
        resolves once this returns. The first ``keep`` jobs always run."""
        cut: list[Waiting] = []
        try:
            values = self._transaction(batch, cut=cut, keep=keep)
            return [(True, value) for value in values], cut
        except Exception as exc:
            if len(batch) == 1:
                return [(False, exc)], cut
            log.info("a batch of %d jobs failed (%s); running them one by one", len(batch), exc)
        outcomes: list[tuple[bool, Any]] = []
        for waiting in batch:
            try:
                outcomes.append((True, self._transaction([waiting])[0]))
            except Exception as exc:
                outcomes.append((False, exc))
        return outcomes, cut

    def _transaction(
        self, batch: list[Waiting], *, cut: list[Waiting] | None = None, keep: int = 0
    ) -> list[Any]:
        """Run ``batch`` in a transaction; with ``cut``, urgent jobs join it (see
        :meth:`_execute`)."""
        callbacks: list[Callable[[], None]] = []
        join = cut is not None
        with self.store.transaction() as conn:
            conn.info[_AFTER_COMMIT] = callbacks
            collected = collecting(conn)
            try:
                values = []
                for job, _future in batch:
                    values.append(job(conn))
                    if join and self._urgent and keep <= len(values) < len(batch):
                        assert cut is not None
                        cut += batch[len(values) :]
                        del batch[len(values) :]
                        break
                while join and self._urgent and len(batch) < 2 * self.max_batch:
                    late = self._take_urgent()
                    self.joined += len(late)
                    batch += late  # before running them: a failure re-runs them one by one
                    values += [job(conn) for job, _future in late]
                if collected is not None:
                    # The writes the jobs collected, one statement each (bot/later.py); a
                    # failure they report is raised by resolve(), before the commit.
                    collected.run_all()
                    self.statements += collected.statements
                    self.rows += collected.rows
                values = [resolve(value) for value in values]
            finally:
                conn.info.pop(_AFTER_COMMIT, None)
                stop_collecting(conn)
        committed = time.perf_counter()
        for job, _future in batch:
            if isinstance(job, _Timed):
                self.urgent_waits.append(committed - job.submitted)
        for callback in callbacks:
            callback()
        return values

    def close(self) -> None:
        self._thread.shutdown(wait=True)


class _Timed:
    """An urgent job, with when it was submitted (for :meth:`Committer.urgent_wait`)."""

    __slots__ = ("job", "submitted")

    def __init__(self, job: Job) -> None:
        self.job = job
        self.submitted = time.perf_counter()

    def __call__(self, conn: Connection) -> Any:
        return self.job(conn)


class Runner(Protocol):
    """What runs database jobs: a :class:`Committer`, or several (bot/lanes.py)."""

    async def run(self, job: Callable[[Connection], T], *, first: bool = False) -> T: ...


__all__ = ["Committer", "Runner", "after_commit"]
