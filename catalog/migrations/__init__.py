"""The catalog's tables as Alembic revisions in ``versions/`` (see docs/migrations.md)."""

from pathlib import Path

from shopdb import Migrations

MIGRATIONS = Migrations("catalog", Path(__file__).with_name("versions"), "catalog_alembic_version")

__all__ = ["MIGRATIONS"]
