"""Which connection checkout's actions write with.

In the server every turn runs inside the chat service's transaction (one database thread,
group commit); the checkout hook binds that connection for the turn, so cart and order
changes commit with the turn, exactly once. Outside the server (conversation tests, the
terminal chat) actions get a transaction of their own on the checkout's engine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import StaticPool

from checkout.tables import metadata


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._bound = threading.local()

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

    def bind(self, conn: Connection | None) -> None:
        """Make ``conn`` this thread's transaction for actions (None unbinds)."""
        self._bound.conn = conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        bound: Connection | None = getattr(self._bound, "conn", None)
        if bound is not None:
            yield bound
            return
        with self.engine.begin() as conn:
            yield conn


__all__ = ["Database"]
