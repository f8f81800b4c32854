"""Checkout's tables: moved to checkout's own migrations (checkout_0001).

This revision made them until each package's tables migrated with the package. It stays, empty,
so that a database stamped with any revision of the old single chain still has a known history.

Revision ID: 0004
Revises: 0003
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
