"""Channels: comments answered (each at most once) and conversations' long-lived send tokens.

``answered_comments``: one row per public comment the bot answered, written in the same
transaction as the answers it queued, so a duplicated or concurrent delivery of the comment
finds it and answers nothing. ``conversation_tokens``: a credential to post into one
conversation (Wire's bot_request token), kept while the conversation lasts.

Revision ID: 0007_channels
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_channels"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answered_comments",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("comment_id", sa.String(128), primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("rule", sa.String(64), nullable=True),
        sa.Column("public_reply", sa.Boolean(), nullable=False),
        sa.Column("private_reply", sa.Boolean(), nullable=False),
        sa.Column("handed_off", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "conversation_tokens",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("conversation_tokens")
    op.drop_table("answered_comments")
