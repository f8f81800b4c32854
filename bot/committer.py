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
from typing import Any, TypeVar

from sqlalchemy import Connection

from .storage import SessionStore

log = logging.getLogger("shopchat.db")

T = TypeVar("T")
Job = Callable[[Connection], Any]


class Committer:
    def __init__(self, store: SessionStore, *, max_batch: int = 256) -> None:
        self.store = store
        self.max_batch = max_batch
        self._pending: list[tuple[Job, asyncio.Future[Any]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="shopchat-db")
        self.batches = 0
        self.jobs = 0

    async def run(self, job: Callable[[Connection], T]) -> T:
        """Run ``job(connection)`` in a transaction (shared with concurrent jobs)."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
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
            with self.store.transaction() as conn:
                return [(True, job(conn)) for job in jobs]
        except Exception as exc:
            if len(jobs) == 1:
                return [(False, exc)]
            log.info("a batch of %d jobs failed (%s); running them one by one", len(jobs), exc)
        outcomes: list[tuple[bool, Any]] = []
        for job in jobs:
            try:
                with self.store.transaction() as conn:
                    outcomes.append((True, job(conn)))
            except Exception as exc:
                outcomes.append((False, exc))
        return outcomes

    def close(self) -> None:
        self._thread.shutdown(wait=True)


__all__ = ["Committer"]
