"""``shopchat serve --workers N``: several processes on one PostgreSQL database, as one bot.

Each worker is a whole app (uvicorn starts them and shares the port). They agree through the
database alone: an event is claimed by one worker in the transaction that answers it, a
ticket's owner, a contact's window and a conversation's unsent replies are read from their
tables, and a worker that dies leaves nothing another one needs. SQLite allows one writer,
so it refuses more than one worker.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from flows import start_action_threads

from .app import create_app, warm_up
from .heap import settle_heap
from .settings import Settings

PROJECT_ENV = "SHOPCHAT_PROJECT_DIR"


def workers_problem(database_url: str, workers: int) -> str | None:
    """Why ``workers`` processes cannot serve ``database_url`` (None: they can)."""
    if workers < 1:
        return f"--workers must be at least 1, got {workers}"
    if workers == 1:
        return None
    try:
        backend = make_url(database_url).get_backend_name()
    except ArgumentError:
        return f"--workers {workers} needs a PostgreSQL database URL"
    if backend != "postgresql":
        return (
            f"--workers {workers} needs PostgreSQL (SHOPCHAT_DATABASE_URL=postgresql://...): "
            f"{backend} lets one process write at a time; serve one worker on it"
        )
    return None


def app_from_environment() -> FastAPI:
    """The app of the project named by ``SHOPCHAT_PROJECT_DIR`` (uvicorn's factory)."""
    app = create_app(os.environ[PROJECT_ENV], Settings())
    warm_up(app)  # not on the first shoppers' messages
    settle_heap()  # each worker is a serving process (bot/heap.py)
    start_action_threads()  # a burst of slow actions must not wait for new threads
    return app


__all__ = ["PROJECT_ENV", "app_from_environment", "workers_problem"]
