"""Ready means a write would go through: a locked database is not ready, and on PostgreSQL a
statement that hangs on a lock or runs away is cancelled instead of holding a request."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot.app import create_app
from bot.storage import SessionStore, StorageError
from tests.test_app import make_project, settings


@contextlib.contextmanager
def write_locked(url: str) -> Iterator[None]:
    """Another connection holds the lock a write needs, as a stuck writer would."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        other = sqlite3.connect(parsed.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection, connection.begin():
            connection.exec_driver_sql("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        engine.dispose()


def test_a_database_locked_by_another_writer_is_not_ready(store_url):
    store = SessionStore(store_url, statement_timeout=5, lock_timeout=1)
    store.migrate()
    try:
        assert store.can_write(1.0)
        with write_locked(store_url):
            assert store.ping()  # it still answers SELECT 1 ...
            assert not store.can_write(0.2)  # ... but cannot take a write
        assert store.can_write(1.0)
    finally:
        store.close()


def test_a_statement_past_the_timeout_is_cancelled(store_url):
    if make_url(store_url).get_backend_name() != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's; SQLite has busy_timeout for locks")
    store = SessionStore(store_url, statement_timeout=0.2, lock_timeout=0.2)
    store.migrate()  # runs without the timeouts
    try:
        with pytest.raises(StorageError), store.transaction() as connection:
            connection.exec_driver_sql("SELECT pg_sleep(3)")
        with write_locked(store_url), pytest.raises(StorageError), store.transaction() as c:
            c.exec_driver_sql("UPDATE sessions SET version = version")
    finally:
        store.close()


def test_readyz_fails_while_the_database_cannot_take_a_write(tmp_path):
    app = create_app(make_project(tmp_path), settings(tmp_path, ready_timeout=0.2), typing_delay=60)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        with write_locked(f"sqlite:///{tmp_path}/app.db"):
            answer = client.get("/readyz")
            assert answer.status_code == 503
            assert answer.json() == {"status": "storage unavailable"}
        assert client.get("/readyz").status_code == 200
