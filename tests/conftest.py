"""Fixtures every suite shares: the test PostgreSQL server and a fresh database per backend.

PostgreSQL cases skip, with the reason, on a machine that has no server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

# The platforms' send rate limits wait in real time (about one Telegram message a second to a
# chat past a burst of 4): tests that are not about them run without. Subprocesses inherit it.
os.environ.setdefault("SHOPCHAT_SEND_RATE_LIMITS", "false")

POSTGRES_URL = os.environ.get(
    "SHOPCHAT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An engine on the test PostgreSQL server; skips the PostgreSQL cases when it is down."""
    url = make_url(POSTGRES_URL)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "no server here"
        engine.dispose()
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        safe = url.render_as_string(hide_password=True)
        pytest.skip(f"PostgreSQL not reachable at {safe}: {reason}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty, unmigrated database: a SQLite file, or a throwaway PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sessions.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    # A schema per test keeps runs isolated and re-runnable; search_path points the store at it.
    schema = f"shopchat_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
