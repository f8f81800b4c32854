"""Alembic revisions of checkout's tables, oldest first by `down_revision` chain."""
