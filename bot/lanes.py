"""Several database threads on PostgreSQL: one conversation's jobs always on the same one.

One committer (bot/committer.py) runs its jobs one after another on one thread and one
connection. On SQLite that is the point: one writer at a time. On PostgreSQL most of that
thread's time is spent waiting for the server's answer to one statement before it sends the
next, while the server sits idle; row locks and the session's version guard already make
concurrent transactions safe (``serve --workers`` runs them from several processes). So on
PostgreSQL the chat service spreads its jobs over several committers, each with its own
thread and connection: the jobs of one conversation go to the same committer (hashed by
conversation id), so they still commit in the order they were submitted; jobs of no
conversation go to the least busy one.

Since a transaction's writes are collected into one statement each (bot/later.py), one
thread's bigger transactions cost less CPU per message than several threads' smaller ones,
so ``SHOPCHAT_DATABASE_THREADS`` is 1 by default; more help when jobs wait on row locks or
the server is far away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection

from .committer import Committer
from .later import Later
from .storage import SessionStore

T = TypeVar("T")


class Lanes:
    """``lanes`` committers over one store, with the committer's ``run``."""

    def __init__(self, store: SessionStore, *, lanes: int = 1) -> None:
        if lanes < 1:
            raise ValueError(f"lanes must be at least 1, got {lanes}")
        if store.engine.dialect.name == "sqlite":
            lanes = 1  # one writer at a time: more threads would only queue for its lock
        self.store = store
        self.committers = [Committer(store) for _ in range(lanes)]

    def lane(self, key: str | None) -> Committer:
        committers = self.committers
        if len(committers) == 1:
            return committers[0]
        if key is None:
            return min(committers, key=lambda c: len(c._pending))
        return committers[hash(key) % len(committers)]

    async def run(
        self, job: Callable[[Connection], T], *, first: bool = False, key: str | None = None
    ) -> T:
        """Run ``job`` like :meth:`Committer.run`, on the committer of conversation ``key``."""
        return await self.lane(key).run(job, first=first)

    async def run_later(
        self, job: Callable[[Connection], Later[T]], *, first: bool = False, key: str | None = None
    ) -> T:
        """:meth:`Committer.run_later` on the committer of conversation ``key``."""
        return await self.lane(key).run_later(job, first=first)

    def urgent_wait(self, quantile: float) -> float:
        """The slowest committer's :meth:`Committer.urgent_wait`."""
        return max(c.urgent_wait(quantile) for c in self.committers)

    @property
    def batches(self) -> int:
        return sum(c.batches for c in self.committers)

    @property
    def jobs(self) -> int:
        return sum(c.jobs for c in self.committers)

    @property
    def collected_statements(self) -> int:
        return sum(c.statements for c in self.committers)

    @property
    def collected_rows(self) -> int:
        return sum(c.rows for c in self.committers)

    @property
    def joined(self) -> int:
        return sum(c.joined for c in self.committers)

    def close(self) -> None:
        for committer in self.committers:
            committer.close()


__all__ = ["Lanes"]
