"""Agent accounts, console sessions and API tokens.

Also the console's canned responses and the failed-login log its rate limit reads.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", name="uq_agents_name"),
    )
    op.create_table(
        "agent_sessions",
        # sha256 of the cookie value: a leaked table does not let anyone log in.
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "agent_id", sa.Integer(), sa.ForeignKey("agents.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("csrf_secret", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flash", sa.Text(), nullable=True),
    )
    op.create_index("ix_agent_sessions_expires", "agent_sessions", ["expires_at"])
    op.create_table(
        "agent_api_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "agent_id", sa.Integer(), sa.ForeignKey("agents.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "agent_canned_responses",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("shop", sa.String(255), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("shop", "title", name="uq_agent_canned_shop_title"),
    )
    op.create_table(
        "agent_login_failures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("agent_name", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_agent_login_failures_name_at", "agent_login_failures", ["agent_name", "at"])
    op.create_index("ix_agent_login_failures_ip_at", "agent_login_failures", ["ip", "at"])


def downgrade() -> None:
    op.drop_table("agent_login_failures")
    op.drop_table("agent_canned_responses")
    op.drop_table("agent_api_tokens")
    op.drop_index("ix_agent_sessions_expires", table_name="agent_sessions")
    op.drop_table("agent_sessions")
    op.drop_table("agents")
