"""Customers: one record per person across channels, her facts, consent, broadcasts, funnel.

Revision ID: customers_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "customers_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers_customers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "customers_contacts",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("customer_id", sa.Integer(), nullable=False, index=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
    )
    op.create_table(
        "customers_facts",
        sa.Column("customer_id", sa.Integer(), primary_key=True),
        sa.Column("fact", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("remembered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "customers_identities",
        sa.Column("identity", sa.String(255), primary_key=True),
        sa.Column("customer_id", sa.Integer(), nullable=False, index=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "customers_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False, index=True),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_table(
        "customers_consent",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("purpose", sa.String(16), primary_key=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
    )
    op.create_table(
        "customers_broadcasts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "customers_broadcast_sends",
        sa.Column("broadcast_id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_table(
        "customers_cart_reminders",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("cart_token", sa.String(64), primary_key=True),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "customers_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("flow_version", sa.String(32), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
    )


def downgrade() -> None:
    for table in (
        "customers_events",
        "customers_cart_reminders",
        "customers_broadcast_sends",
        "customers_broadcasts",
        "customers_consent",
        "customers_audit",
        "customers_identities",
        "customers_facts",
        "customers_contacts",
        "customers_customers",
    ):
        op.drop_table(table)
