"""Fixtures for the catalog tests: a migrated database per backend and item factories."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.storage import SessionStore
from catalog import Catalog, FeedItem

EXAMPLE_FEED = Path(__file__).resolve().parents[2] / "examples" / "shop" / "catalog.jsonl"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def make_item(id: str = "teddy", **overrides: Any) -> FeedItem:
    """A valid feed item; override any field."""
    fields: dict[str, Any] = {
        "id": id,
        "group_id": id,
        "title": "Teddy Bear",
        "price": 4999,
        "currency": "PLN",
        "description": "A soft bear.",
        "brand": "Cuddle & Co",
        "categories": ("Toys", "Plush"),
        "tags": ("plush",),
    }
    fields.update(overrides)
    return FeedItem(**fields)


@pytest.fixture
def database_url(store_url: str) -> str:
    """URL of an empty, migrated database: a SQLite file, or a throwaway PostgreSQL schema."""
    store = SessionStore(store_url)
    store.migrate()
    store.close()
    return store_url


@pytest.fixture
def open_catalog() -> Iterator[Callable[..., Catalog]]:
    """Open a Catalog on a URL (a fake clock at NOW, no index caching); closed afterwards."""
    stores: list[SessionStore] = []

    def open_(url: str, **kwargs: Any) -> Catalog:
        store = SessionStore(url)
        stores.append(store)
        kwargs.setdefault("clock", lambda: NOW)
        kwargs.setdefault("refresh_seconds", 0.0)
        return Catalog(store.engine, **kwargs)

    yield open_
    for store in stores:
        store.close()


@pytest.fixture
def catalog(database_url: str, open_catalog: Callable[..., Catalog]) -> Catalog:
    """An empty catalog on each backend."""
    return open_catalog(database_url)


@pytest.fixture
def sqlite_catalog(tmp_path: Path, open_catalog: Callable[..., Catalog]) -> Catalog:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    store = SessionStore(url)
    store.migrate()
    store.close()
    return open_catalog(url)


@pytest.fixture(scope="session")
def shop_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    """The example shop's catalog, imported once into SQLite."""
    url = f"sqlite:///{tmp_path_factory.mktemp('shop') / 'catalog.db'}"
    store = SessionStore(url)
    store.migrate()
    catalog = Catalog(store.engine, clock=lambda: NOW)
    report = catalog.import_path(EXAMPLE_FEED)
    assert report.rejected == []
    yield catalog
    store.close()


def make_row(id: str = "teddy", **overrides: Any) -> dict[str, Any]:
    """A valid example-shop JSONL row; override any field."""
    row: dict[str, Any] = {
        "id": id,
        "title": {"en": "Teddy Bear", "pl": "Miś"},
        "description": {"en": "A soft bear.", "pl": "Miękki miś."},
        "brand": "Cuddle & Co",
        "category": "plush",
        "tags": ["plush", "animals"],
        "price": 4999,
        "currency": "PLN",
        "age_min": 0,
        "age_max": 99,
        "gender": "any",
        "availability": "in_stock",
        "image": f"https://picsum.photos/seed/{id}/600/400",
        "url": f"https://toys.example/p/{id}",
    }
    row.update(overrides)
    return row


@pytest.fixture
def write_feed(tmp_path: Path) -> Callable[[list[Any]], Path]:
    """Write rows (dicts become JSON, strings are written as they are) to a .jsonl file."""

    def write(rows: list[Any], name: str = "feed.jsonl") -> Path:
        path = tmp_path / name
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write
