from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog import Product, SampleCatalog

EXAMPLE_FEED = Path(__file__).resolve().parents[2] / "examples" / "shop" / "catalog.jsonl"


def make_row(id: str = "teddy", **overrides: Any) -> dict[str, Any]:
    """A valid feed row; override any field."""
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


def make_product(id: str = "teddy", **overrides: Any) -> Product:
    return Product.model_validate(make_row(id, **overrides))


@pytest.fixture(scope="session")
def shop_catalog() -> SampleCatalog:
    return SampleCatalog.from_jsonl(EXAMPLE_FEED)


@pytest.fixture
def write_feed(tmp_path: Path) -> Callable[[list[Any]], Path]:
    """Write rows (dicts become JSON, strings are written as they are) to a .jsonl file."""

    def write(rows: list[Any]) -> Path:
        path = tmp_path / "feed.jsonl"
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write
