"""Agents: an admin flag, for the actions only an admin may take (erasing a customer's data).

Revision ID: 0008_agent_admin
Revises: 0007_channels
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_agent_admin"
down_revision = "0007_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(
            sa.Column("admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("admin")
