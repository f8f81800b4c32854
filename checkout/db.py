"""The checkout's own database, for work outside a server turn.

In the server, checkout's actions write through the unit of work of their turn
(``ActionContext.db``: short jobs on the chat service's database thread). Outside it
(conversation tests, the terminal chat, the merchant API) they use this: each job a
transaction of its own on the checkout's engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import StaticPool

from checkout.tables import metadata

T = TypeVar("T")


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def in_memory(cls) -> Database:
        """A private SQLite database with the checkout tables, for tests and the CLI."""
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        metadata.create_all(engine)
        return cls(engine)

    def use(self, engine: Engine) -> None:
        """Switch to the application's database (its migrations made the tables)."""
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def run(self, job: Callable[[Connection], T]) -> T:
        """Run ``job`` in a transaction of its own (a ``flows.UnitOfWork``)."""
        with self.engine.begin() as conn:
            return job(conn)

    async def arun(self, job: Callable[[Connection], T]) -> T:
        return await asyncio.to_thread(self.run, job)


__all__ = ["Database"]
