"""What a turn's actions wrote, per inbox event: a job recorded here is not run again when
the turn is (after a crash between the action's write and the turn's commit), see
bot/turnwork.py. Rows live from an action's write to its turn's commit.

Revision ID: 0010_turn_writes
Revises: 0009_inbox_claim_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_turn_writes"
down_revision = "0009_inbox_claim_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "turn_writes",
        sa.Column("inbox_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("job", sa.String(255), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("turn_writes")
