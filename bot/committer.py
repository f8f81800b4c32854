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

On a SQLite file the jobs run on the event loop itself, not on the thread. A job there is a
few function calls into SQLite (tens of microseconds), while handing each transaction to a
thread and back costs two wake-ups and the GIL crossing cores, which cost more CPU per
message than the jobs themselves. The loop runs a transaction's jobs for at most
``INLINE_BUDGET`` seconds, commits and goes back to its sockets; urgent jobs commit in a
transaction of their own, every other one, so a webhook's acknowledgement waits for no turn.
Such a transaction never waits for SQLite's lock: when another process (a ``shopchat``
command, say) holds it, the transaction is rolled back and run on the database thread
instead, which waits for the lock as it always did. Its commits leave the write-ahead log to
grow; every ``CHECKPOINT_EVERY`` of them the database thread copies it back into the
database file (a checkpoint, a disk flush), while the loop serves its sockets and the jobs
submitted meanwhile wait to run together.
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
# On the event loop (SQLite): a transaction takes no more jobs after running this long.
INLINE_BUDGET = 0.001
# On the event loop (SQLite): a checkpoint on the database thread after this many commits.
CHECKPOINT_EVERY = 200


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

    def __init__(
        self, store: SessionStore, *, max_batch: int = 256, inline: bool | None = None
    ) -> None:
        """``inline``: run the jobs on the event loop (see the module docstring); by default
        on a SQLite file, never on PostgreSQL (every statement there is a round trip)."""
        self.store = store
        self.max_batch = max_batch
        self.inline = store.can_run_inline() if inline is None else inline
        # The event loop's own connection (``inline``): never waits for SQLite's lock.
        self._conn: Connection | None = None
        self._commits = 0  # inline commits since the last checkpoint
        self.handed_over = 0  # inline transactions that found the lock taken
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
        alone = False
        while self._pending or self._urgent:
            batch = self._take_urgent()
            # Urgent jobs may cut the batch short, but not before this many of its jobs ran:
            # a steady stream of acknowledgements must not starve the turns.
            keep = len(batch) + MIN_RUN
            room = max(0, self.max_batch - len(batch))
            # On the loop, urgent jobs commit by themselves (no turn's jobs before their
            # commit), every other transaction (nor do they starve the turns).
            alone = self.inline and bool(batch) and not alone
            if alone:
                room = 0
            batch += self._pending[:room]
            del self._pending[:room]
            ran = self._inline(batch, keep) if self.inline else None
            if ran is None:
                ran = await loop.run_in_executor(self._thread, self._execute, batch, keep)
            outcomes, cut = ran
            self._pending[:0] = cut  # cut short by urgent jobs or the budget: next, in order
            self.batches += 1
            self.jobs += len(batch)  # with the urgent jobs the transaction took in
            for (_job, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
            if self.inline:
                if self._commits >= CHECKPOINT_EVERY:
                    # No job runs meanwhile: a log being written to is never copied whole,
                    # and SQLite starts it over only once it was.
                    self._commits = 0
                    await loop.run_in_executor(self._thread, self._checkpoint_now)
                # The loop's turn: sockets, and the jobs' waiters (who may submit more).
                await asyncio.sleep(0)

    def _inline(
        self, batch: list[Waiting], keep: int
    ) -> tuple[list[tuple[bool, Any]], list[Waiting]] | None:
        """Run ``batch`` in one transaction on the event loop, for at most ``INLINE_BUDGET``
        seconds of jobs (the rest is cut off, to run next); None when SQLite's lock is taken
        (nothing was committed: the database thread runs the batch, waiting for the lock).
        A batch that fails otherwise is run one by one on the database thread, as there."""
        conn = self._conn
        if conn is None:
            conn = self._conn = self.store.inline_connection()
        cut: list[Waiting] = []
        try:
            values = self._transaction(batch, cut=cut, keep=keep, conn=conn)
        except Exception as exc:
            batch += cut
            if self.store.is_locked(exc):
                self.handed_over += 1
                return None
            log.info(
                "a batch of %d jobs failed on the loop (%s); retrying on the thread",
                len(batch),
                exc,
            )
            return None
        self._commits += 1
        return [(True, value) for value in values], cut

    def _checkpoint_now(self) -> None:
        try:
            self.store.checkpoint()
        except Exception as exc:  # the next one may succeed; the log only grows meanwhile
            log.warning("checkpoint failed: %s", exc)

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
        self,
        batch: list[Waiting],
        *,
        cut: list[Waiting] | None = None,
        keep: int = 0,
        conn: Connection | None = None,
    ) -> list[Any]:
        """Run ``batch`` in a transaction; with ``cut``, urgent jobs join it (see
        :meth:`_execute`). With ``conn`` (the event loop's), on that connection, and the
        batch is cut once its jobs ran for ``INLINE_BUDGET`` seconds."""
        callbacks: list[Callable[[], None]] = []
        join = cut is not None
        timed = conn is not None
        until = time.perf_counter() + INLINE_BUDGET
        with self.store.transaction(conn) as conn:
            conn.info[_AFTER_COMMIT] = callbacks
            collected = collecting(conn)
            try:
                values = []
                for job, _future in batch:
                    values.append(job(conn))
                    if (
                        join
                        and keep <= len(values) < len(batch)
                        and (self._urgent or (timed and time.perf_counter() > until))
                    ):
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
        if self._conn is not None:
            self._conn.close()
            self._conn = None


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
