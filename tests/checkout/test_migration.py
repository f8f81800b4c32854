"""The checkout revision builds what checkout.tables describes, and can be taken back."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from bot.storage import SessionStore
from checkout.tables import metadata

MIGRATIONS = Path(__file__).resolve().parents[2] / "bot" / "migrations"


def test_the_migration_matches_the_tables_and_downgrades_cleanly(tmp_path):
    store = SessionStore(f"sqlite:///{tmp_path}/m.db")
    store.migrate()
    inspector = sa.inspect(store.engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    unique = inspector.get_unique_constraints("checkout_payment_events")
    assert any(set(u["column_names"]) == {"provider", "event_id"} for u in unique)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
    assert not any(
        name.startswith("checkout_") for name in sa.inspect(store.engine).get_table_names()
    )
    store.migrate()
    assert "checkout_orders" in sa.inspect(store.engine).get_table_names()
    store.close()
