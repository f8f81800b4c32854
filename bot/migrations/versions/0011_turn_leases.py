"""Which process is thinking a hook's flow (a comment's private reply) for an inbox event,
until when: another process leaves the event to it (bot/turnlease.py). Rows live from the
load job to the commit.

Revision ID: 0011_turn_leases
Revises: 0010_turn_writes
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_turn_leases"
down_revision = "0010_turn_writes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "turn_leases",
        sa.Column("inbox_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("turn_leases")
