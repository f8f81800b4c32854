"""Which process accepted an inbox event (its name, bot/instance.py): another process leaves
the event, and what follows it in its conversation, to that one for a while (bot/service.py),
so one shopper's turn is thought by one process.

Revision ID: 0012_inbox_accepted_by
Revises: 0011_turn_leases
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_inbox_accepted_by"
down_revision = "0011_turn_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: PostgreSQL adds it without rewriting the table. Rows accepted
    # before it (NULL) are anyone's.
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("accepted_by", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("accepted_by")
