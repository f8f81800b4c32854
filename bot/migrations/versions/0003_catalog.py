"""The catalog's tables: moved to the catalog's own migrations (catalog_0001).

This revision made them until each package's tables migrated with the package. It stays, empty,
so that a database stamped with any revision of the old single chain still has a known history.

Revision ID: 0003
Revises: 0002
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
