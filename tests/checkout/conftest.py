from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checkout import SampleOrders

EXAMPLE_ORDERS = Path(__file__).resolve().parents[2] / "examples" / "shop" / "orders.jsonl"


def make_order_row(number: str = "TG-1", **overrides: Any) -> dict[str, Any]:
    """A valid order row; override any field."""
    row: dict[str, Any] = {
        "number": number,
        "email": "ana@example.com",
        "phone": "+48 600 100 200",
        "status": "paid",
        "payment_status": "paid",
        "payment_method": "card",
        "items": [
            {
                "product_id": "teddy",
                "title": {"en": "Teddy", "pl": "Miś"},
                "quantity": 2,
                "price": 1000,
            }
        ],
        "shipping": 500,
        "total": 2500,
        "currency": "PLN",
        "created_at": "2025-11-03T10:14:00+01:00",
    }
    row.update(overrides)
    return row


@pytest.fixture(scope="session")
def shop_orders() -> SampleOrders:
    return SampleOrders.from_jsonl(EXAMPLE_ORDERS)


@pytest.fixture
def write_orders(tmp_path: Path) -> Callable[[list[Any]], Path]:
    def write(rows: list[Any]) -> Path:
        path = tmp_path / "orders.jsonl"
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write
