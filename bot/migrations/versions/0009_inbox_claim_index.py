"""The inbox claim's index: a conversation's pending events, by id (and the outbox's alike).

The claim (bot/inbox.py ``_CLAIM_UPTO``) asks for one conversation's pending events up to an
id. ``ix_inbox_status_id (status, id)`` served it by walking every pending entry (and, on
PostgreSQL, every dead entry the claims left behind until a vacuum), so each run on one
database was slower than the last. These partial indexes hold only pending rows, led by the
conversation; they replace the (status, ...) ones, which nothing else needs (recovery reads
the few pending rows through them too).

Revision ID: 0009_inbox_claim_index
Revises: 0008_agent_admin
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_inbox_claim_index"
down_revision = "0008_agent_admin"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    for table in ("inbox", "outbox"):
        op.create_index(
            f"ix_{table}_pending_conversation",
            table,
            ["conversation_id", "id"],
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )
    op.drop_index("ix_inbox_status_id", "inbox")
    op.drop_index("ix_outbox_status_conversation", "outbox")


def downgrade() -> None:
    op.create_index("ix_inbox_status_id", "inbox", ["status", "id"])
    op.create_index("ix_outbox_status_conversation", "outbox", ["status", "conversation_id", "id"])
    op.drop_index("ix_inbox_pending_conversation", "inbox")
    op.drop_index("ix_outbox_pending_conversation", "outbox")
