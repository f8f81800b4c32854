"""Human hand-off: tickets, transcript, notes, notification outbox, agent presence.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_T = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "handoff_tickets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("agent", sa.String(255), nullable=True),
        sa.Column("flow", sa.String(255), nullable=True),
        sa.Column("step", sa.String(255), nullable=True),
        sa.Column("away", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("reopened", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", _T, nullable=False),
        sa.Column("waiting_since", _T, nullable=False),
        sa.Column("assigned_at", _T, nullable=True),
        sa.Column("first_response_at", _T, nullable=True),
        sa.Column("last_agent_reply_at", _T, nullable=True),
        sa.Column("resolved_at", _T, nullable=True),
        sa.Column("updated_at", _T, nullable=False),
    )
    op.create_index("ix_handoff_tickets_conversation", "handoff_tickets", ["conversation_id"])
    op.create_index("ix_handoff_tickets_state", "handoff_tickets", ["state", "priority"])
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("handoff_tickets.id"), nullable=True),
        sa.Column("at", _T, nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("author", sa.String(255), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(300), nullable=True, unique=True),
        sa.Column("flow", sa.String(255), nullable=True),
    )
    op.create_index(
        "ix_handoff_messages_conversation", "handoff_messages", ["conversation_id", "id"]
    )
    op.create_table(
        "handoff_notes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("handoff_tickets.id"), nullable=False),
        sa.Column("agent", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", _T, nullable=False),
    )
    op.create_index("ix_handoff_notes_ticket_id", "handoff_notes", ["ticket_id"])
    op.create_table(
        "handoff_notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("handoff_tickets.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", _T, nullable=False),
        sa.Column("created_at", _T, nullable=False),
        sa.Column("sent_at", _T, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("ticket_id", "kind", "target", name="uq_handoff_notification"),
    )
    op.create_index(
        "ix_handoff_notifications_due", "handoff_notifications", ["status", "next_attempt_at"]
    )
    op.create_table(
        "handoff_presence",
        sa.Column("agent", sa.String(255), primary_key=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("seen_at", _T, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("handoff_presence")
    op.drop_index("ix_handoff_notifications_due", "handoff_notifications")
    op.drop_table("handoff_notifications")
    op.drop_index("ix_handoff_notes_ticket_id", "handoff_notes")
    op.drop_table("handoff_notes")
    op.drop_index("ix_handoff_messages_conversation", "handoff_messages")
    op.drop_table("handoff_messages")
    op.drop_index("ix_handoff_tickets_state", "handoff_tickets")
    op.drop_index("ix_handoff_tickets_conversation", "handoff_tickets")
    op.drop_table("handoff_tickets")
