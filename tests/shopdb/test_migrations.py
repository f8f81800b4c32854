"""Each package's tables migrate with the package, and databases made before the split upgrade.

Until the split, one Alembic chain in bot/ (0001-0006) built every table. A copy of that chain
lives in tests/data/migrations/shopchat-0006, so these tests can build such a database, fill it
and check that today's ``SessionStore.migrate()`` keeps every row.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

import catalog
import checkout
import customers
from bot.console.accounts import AgentStore
from bot.handoff.tables import tickets
from bot.migrations import MIGRATIONS as BOT
from bot.storage import SessionStore, migration_chains
from catalog import Catalog, FeedItem
from catalog.index import IndexBuilder
from catalog.rows import prepare, product_data
from catalog.store import metadata as catalog_metadata
from checkout.tables import metadata as checkout_metadata
from checkout.tables import orders
from customers.tables import metadata as customers_metadata
from shopdb import Migrations, downgrade, migrate

ROOT = Path(__file__).resolve().parents[2]
LEGACY = Migrations(
    "shopchat-0006", ROOT / "tests" / "data" / "migrations" / "shopchat-0006", "alembic_version"
)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
VERSION_TABLES = {
    "alembic_version",
    "catalog_alembic_version",
    "checkout_alembic_version",
    "customers_alembic_version",
}


def tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def order_row(number: str) -> dict[str, object]:
    return {
        "number": number,
        "conversation_id": "telegram:1",
        "locale": "pl",
        "status": "paid",
        "payment_status": "paid",
        "payment_method": "card",
        "name": "Ana",
        "email": "ana@example.com",
        "phone": "",
        "address": "Długa 5",
        "items": "[]",
        "currency": "PLN",
        "subtotal": 9000,
        "discount": 0,
        "shipping": 1000,
        "total": 10000,
        "created_at": NOW,
        "updated_at": NOW,
    }


def test_a_database_made_by_the_single_chain_upgrades_keeping_its_rows(store_url: str) -> None:
    store = SessionStore(store_url, clock=lambda: NOW)
    migrate(store.engine, LEGACY)
    with store.connection() as conn:
        assert BOT.current(conn) == "0006"
        assert catalog.MIGRATIONS.current(conn) is None  # what the split has to adopt
    store.save("telegram:1", '{"step": "cart"}', None)
    # Catalog rows as that release wrote them: one row per product and per variant (a
    # Catalog of today reads them only once migrated into blocks).
    with store.transaction() as conn:
        _legacy_catalog(conn)
    with store.transaction() as conn:
        conn.execute(sa.insert(orders), order_row("TG-1"))
        conn.execute(
            sa.insert(tickets),
            {
                "conversation_id": "telegram:1",
                "channel": "telegram",
                "reason": "asked",
                "priority": 1,
                "state": "waiting",
                "away": False,
                "reopened": 0,
                "created_at": NOW,
                "waiting_since": NOW,
                "updated_at": NOW,
            },
        )
    AgentStore(store, clock=lambda: NOW).add("marta", "a long enough secret 42")

    store.migrate()

    reopened = SessionStore(store_url)
    try:
        with reopened.connection() as conn:
            assert [c.current(conn) for c in migration_chains()] == [
                c.head() for c in migration_chains()
            ]
            assert conn.execute(sa.text("SELECT count(*) FROM catalog_current")).scalar() == 1
            assert conn.execute(sa.select(orders.c.number)).scalars().all() == ["TG-1"]
            assert conn.execute(sa.select(tickets.c.state)).scalars().all() == ["waiting"]
        loaded = reopened.load("telegram:1")
        assert loaded is not None and loaded.data == '{"step": "cart"}'
        after = Catalog(reopened.engine, clock=lambda: NOW, refresh_seconds=0.0)
        assert [hit.product.id for hit in after.search("kite").hits] == ["kite"]
        tee = after.get("tee")
        assert tee is not None and [v.id for v in tee.variants] == ["tee-s", "tee-m"]
        offer = after.retailer_offer("tee-m", locale="en", now=NOW)
        assert offer is not None and offer.price == 2600
        assert AgentStore(reopened).authenticate("marta", "a long enough secret 42") is not None
        with reopened.transaction() as conn:  # the adopted tables take new rows as before
            conn.execute(sa.insert(orders), order_row("TG-2"))
        reopened.migrate()  # and a second start finds nothing to do
    finally:
        reopened.close()
        store.close()


def _legacy_catalog(conn: sa.Connection) -> None:
    """A kite and a tee in two sizes as the catalog's first tables held them."""
    items = [
        FeedItem(id="kite", group_id="kite", title="Kite", price=4500, currency="PLN", line=1),
        FeedItem(id="tee-s", group_id="tee", title="Tee", price=2500, currency="PLN", line=2),
        FeedItem(id="tee-m", group_id="tee", title="Tee", price=2600, currency="PLN", line=3),
    ]
    builder = IndexBuilder()
    products: dict[str, int] = {}
    for item in items:
        prepared = prepare(item)
        if item.group_id not in products:
            seq = builder.add_product(
                titles=(item.title,),
                descriptions=("",),
                brand="",
                categories=(),
                tags=(),
                searchable=True,
            )
            products[item.group_id] = seq
            conn.execute(
                sa.text(
                    "INSERT INTO catalog_products VALUES (1, :seq, :id, 'active', '', '', 'PLN', "
                    ":data)"
                ),
                {"seq": seq, "id": item.group_id, "data": product_data(prepared[6])},
            )
        builder.add_variant(products[item.group_id], prepared[5])  # type: ignore[arg-type]
        conn.execute(
            sa.text(
                "INSERT INTO catalog_variants VALUES (1, :id, :product_id, :line, :status, "
                ":price, :sale_price, :sale_start, :sale_end, :currency, :availability, "
                ":quantity, :data)"
            ),
            dict(zip(LEGACY_VARIANT_COLUMNS, prepared[4], strict=True)),
        )
    conn.execute(
        sa.text(
            "INSERT INTO catalog_generations (id, state, source, started_at, products, "
            "variants, rejected) VALUES (1, 'ready', 'items', :now, 2, 3, 0)"
        ),
        {"now": NOW},
    )
    conn.execute(sa.text("UPDATE catalog_current SET generation = 1 WHERE id = 1"))
    conn.execute(
        sa.text("INSERT INTO catalog_index VALUES (1, 0, :data)"),
        {"data": builder.finish().to_bytes()},
    )


LEGACY_VARIANT_COLUMNS = (
    "id",
    "product_id",
    "line",
    "status",
    "price",
    "sale_price",
    "sale_start",
    "sale_end",
    "currency",
    "availability",
    "quantity",
    "data",
)


def test_each_chain_builds_its_own_packages_tables_and_nothing_else(tmp_path: Path) -> None:
    def alone(chain: Migrations) -> set[str]:
        engine = sa.create_engine(f"sqlite:///{tmp_path / chain.package}.db")
        migrate(engine, chain)
        made = tables(engine)
        engine.dispose()
        return made - {chain.version_table}

    assert alone(catalog.MIGRATIONS) == set(catalog_metadata.tables)
    assert alone(checkout.MIGRATIONS) == set(checkout_metadata.tables)
    assert alone(customers.MIGRATIONS) == set(customers_metadata.tables)
    bot_tables = alone(BOT)
    assert "sessions" in bot_tables and "inbox" in bot_tables
    assert not any(name.startswith(("catalog_", "checkout_", "customers_")) for name in bot_tables)


@pytest.mark.parametrize(
    ("chain", "metadata"),
    [
        (catalog.MIGRATIONS, catalog_metadata),
        (checkout.MIGRATIONS, checkout_metadata),
        (customers.MIGRATIONS, customers_metadata),
    ],
    ids=["catalog", "checkout", "customers"],
)
def test_a_packages_migrations_match_its_tables_and_downgrade_cleanly(
    store_url: str, chain: Migrations, metadata: sa.MetaData
) -> None:
    engine = SessionStore(store_url).engine
    migrate(engine, chain)
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    with engine.begin() as conn:
        downgrade(conn, chain, "base")
    assert tables(engine) == {chain.version_table}
    migrate(engine, chain)
    assert set(metadata.tables) <= tables(engine)
    engine.dispose()


def test_catalog_and_checkout_migrate_and_work_without_bot(tmp_path: Path) -> None:
    script = f"""
        import sys
        import sqlalchemy as sa
        import catalog, checkout, shopdb
        from checkout.tables import carts

        engine = sa.create_engine("sqlite:///{tmp_path / "shop.db"}")
        shopdb.migrate(engine, catalog.MIGRATIONS, checkout.MIGRATIONS)
        shelf = catalog.Catalog(engine)
        item = catalog.FeedItem(id="kite", group_id="kite", title="Kite", price=4500, currency="PLN")
        assert shelf.import_items([item]).rejected == []
        assert [h.product.id for h in shelf.search("kite").hits] == ["kite"]
        with engine.begin() as conn:
            conn.execute(sa.insert(carts), dict(conversation_id="web:1", token="t", updated_at=shelf.now()))
        assert "bot" not in sys.modules, "importing catalog or checkout imported bot"
        print(sorted(sa.inspect(engine).get_table_names()))
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "'sessions'" not in done.stdout and "'checkout_carts'" in done.stdout
