"""Fixtures for the bot tests: a migrated store on each backend (URLs from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.storage import SessionStore


@pytest.fixture
def store(store_url: str) -> Iterator[SessionStore]:
    """A migrated store on an empty database of each backend."""
    store = SessionStore(store_url)
    store.migrate()
    yield store
    store.close()
