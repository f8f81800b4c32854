"""The customers package's tables as Alembic revisions in ``versions/`` (docs/migrations.md)."""

from pathlib import Path

from shopdb import Migrations

MIGRATIONS = Migrations(
    "customers", Path(__file__).with_name("versions"), "customers_alembic_version"
)

__all__ = ["MIGRATIONS"]
