"""The bot's own tables (sessions, channels, hand-off, agents): Alembic revisions in versions/.

Catalog and checkout keep theirs in their own packages; ``SessionStore.migrate()`` runs all of
them (see shopdb/migrations.py and docs/migrations.md).
"""

from pathlib import Path

from shopdb import Migrations

# The version table keeps Alembic's default name: databases made before the split use it.
MIGRATIONS = Migrations("bot", Path(__file__).with_name("versions"), "alembic_version")

__all__ = ["MIGRATIONS"]
