"""One-time discount codes an agent gives one shopper from the console.

Revision ID: checkout_0003
Revises: checkout_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "checkout_0003"
down_revision = "checkout_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkout_agent_codes",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_checkout_agent_codes_conversation_id", "checkout_agent_codes", ["conversation_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_checkout_agent_codes_conversation_id", table_name="checkout_agent_codes")
    op.drop_table("checkout_agent_codes")
