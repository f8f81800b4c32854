"""Checkout's tables as Alembic revisions in ``versions/`` (see docs/migrations.md)."""

from pathlib import Path

from shopdb import Migrations

MIGRATIONS = Migrations(
    "checkout", Path(__file__).with_name("versions"), "checkout_alembic_version"
)

__all__ = ["MIGRATIONS"]
