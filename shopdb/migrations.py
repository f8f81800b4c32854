"""Each package's tables migrate with the package: its own Alembic revisions, its own version table.

    bot/migrations/versions/        0001_sessions.py ...         version table alembic_version
    catalog/migrations/versions/    catalog_0001_tables.py ...   catalog_alembic_version
    checkout/migrations/versions/   checkout_0001_tables.py ...  checkout_alembic_version

A package declares its chain as a :class:`Migrations` in ``<package>/migrations/__init__.py``
(``MIGRATIONS``). The chains are independent (no revision refers to another package's), so
catalog and checkout can be migrated and used without ``bot``; ``bot``'s
``SessionStore.migrate()`` runs all three. They share one Alembic environment
(``shopdb/alembic_env/env.py``), so a package holds nothing but its revision files. See
docs/migrations.md for adding a revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

_ENV = Path(__file__).with_name("alembic_env")
# Workers or replicas starting together would race to create the same tables; the lock makes
# the rest wait, then find the schema at head. The number is arbitrary, shopchat's own.
_PG_LOCK = text("SELECT pg_advisory_xact_lock(7408150421)")


@dataclass(frozen=True)
class Migrations:
    """One package's Alembic revisions and the table that records how far they have run."""

    package: str
    versions: Path  # the directory of revision files
    version_table: str

    def config(self, connection: Connection | None = None) -> Config:
        """An Alembic config for this chain, running on ``connection`` when given."""
        config = Config()
        # Paths, not "package:dir" resource names: under pytest those can resolve to
        # tests/bot or tests/catalog, which shadow the real packages on sys.path.
        config.set_main_option("script_location", str(_ENV))
        config.set_main_option("path_separator", "newline")
        config.set_main_option("version_locations", str(self.versions))
        config.attributes["version_table"] = self.version_table
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def head(self) -> str | None:
        """The newest revision of the chain."""
        return ScriptDirectory.from_config(self.config()).get_current_head()

    def current(self, connection: Connection) -> str | None:
        """The revision the database is at (None: this package's tables were never made)."""
        context = MigrationContext.configure(connection, opts={"version_table": self.version_table})
        return context.get_current_revision()


def upgrade(connection: Connection, migrations: Migrations, revision: str = "head") -> None:
    """Run ``migrations`` up to ``revision`` inside the caller's transaction."""
    command.upgrade(migrations.config(connection), revision)


def downgrade(connection: Connection, migrations: Migrations, revision: str) -> None:
    """Take ``migrations`` back to ``revision`` ("base": none) inside the caller's transaction."""
    command.downgrade(migrations.config(connection), revision)


def migrate(engine: Engine, *chains: Migrations) -> None:
    """Bring every chain to its head in one transaction; safe to run on every start.

    Concurrent callers queue: PostgreSQL takes an advisory lock, SQLite the write lock.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(_PG_LOCK)
        elif connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        for chain in chains:
            upgrade(connection, chain)


__all__ = ["Migrations", "downgrade", "migrate", "upgrade"]
