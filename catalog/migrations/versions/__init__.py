"""Alembic revisions of the catalog's tables, oldest first by `down_revision` chain."""
