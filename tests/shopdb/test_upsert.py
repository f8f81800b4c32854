"""``upsert`` and ``dialect_insert`` behave the same on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from shopdb import dialect_insert, upsert

metadata = sa.MetaData()
stock = sa.Table(
    "stock",
    metadata,
    sa.Column("shop", sa.String(16), primary_key=True),
    sa.Column("sku", sa.String(16), primary_key=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("note", sa.String(32), nullable=False),
)


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(store_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def rows(conn: sa.Connection) -> list[tuple[str, str, int, str]]:
    found = conn.execute(sa.select(stock).order_by(stock.c.shop, stock.c.sku))
    return [(r.shop, r.sku, r.quantity, r.note) for r in found]


def test_upsert_updates_a_conflicting_row_and_inserts_a_new_one(engine: sa.Engine) -> None:
    keys = ["shop", "sku"]
    with engine.begin() as conn:
        conn.execute(
            upsert(conn, stock, {"shop": "a", "sku": "mug", "quantity": 1, "note": "x"}, keys=keys)
        )
        conn.execute(
            upsert(conn, stock, {"shop": "a", "sku": "mug", "quantity": 5, "note": "y"}, keys=keys)
        )
        conn.execute(
            upsert(conn, stock, {"shop": "a", "sku": "tee", "quantity": 2, "note": "z"}, keys=keys)
        )
        # Same sku, other shop: the key is both columns, so this is a new row.
        conn.execute(
            upsert(conn, stock, {"shop": "b", "sku": "mug", "quantity": 7, "note": "w"}, keys=keys)
        )
        assert rows(conn) == [("a", "mug", 5, "y"), ("a", "tee", 2, "z"), ("b", "mug", 7, "w")]


def test_upsert_where_leaves_a_row_it_does_not_match(engine: sa.Engine) -> None:
    keys = ["shop", "sku"]
    small = stock.c.quantity < 3
    with engine.begin() as conn:
        conn.execute(
            upsert(conn, stock, {"shop": "a", "sku": "mug", "quantity": 1, "note": "x"}, keys=keys)
        )
        conn.execute(
            upsert(conn, stock, {"shop": "a", "sku": "tee", "quantity": 9, "note": "x"}, keys=keys)
        )
        for sku in ("mug", "tee"):
            row = {"shop": "a", "sku": sku, "quantity": 4, "note": "new"}
            changed = conn.execute(
                upsert(conn, stock, row, keys=keys, where=small).returning(stock.c.sku)
            ).first()
            assert (changed is not None) == (sku == "mug")
        assert rows(conn) == [("a", "mug", 4, "new"), ("a", "tee", 9, "x")]


def test_dialect_insert_takes_on_conflict_do_nothing(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for bind, quantity in ((conn, 1), (engine, 2)):  # a Connection or an Engine
            stmt = dialect_insert(bind, stock).values(
                shop="a", sku="mug", quantity=quantity, note="x"
            )
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["shop", "sku"]))
        assert rows(conn) == [("a", "mug", 1, "x")]
