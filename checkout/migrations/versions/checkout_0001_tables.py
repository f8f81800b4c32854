"""Checkout: carts, discount codes, orders with status history, payments.

Until checkout's tables migrated with checkout, bot's revision 0004 made these same tables; a
database made then already has them, and this revision only records that.

Revision ID: checkout_0001
Revises:
"""

import sqlalchemy as sa
from alembic import context, op

revision = "checkout_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if not context.is_offline_mode() and sa.inspect(op.get_bind()).has_table("checkout_orders"):
        return  # made by bot's 0004 before the move, identical to what follows
    op.create_table(
        "checkout_carts",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("discount_code", sa.String(64), nullable=True),
        sa.Column("shipping_option", sa.String(64), nullable=True),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "checkout_cart_lines",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("product_id", sa.String(100), primary_key=True),
        sa.Column("variant_id", sa.String(100), primary_key=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price_seen", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "checkout_orders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("checkout_key", sa.String(64), nullable=True, unique=True),
        sa.Column("conversation_id", sa.String(255), nullable=True, index=True),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("payment_status", sa.String(16), nullable=False),
        sa.Column("payment_method", sa.String(16), nullable=False),
        sa.Column("payment_ref", sa.String(255), nullable=True, index=True),
        sa.Column("payment_link", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("subtotal", sa.Integer(), nullable=False),
        sa.Column("discount", sa.Integer(), nullable=False),
        sa.Column("discount_code", sa.String(64), nullable=True),
        sa.Column("shipping", sa.Integer(), nullable=False),
        sa.Column("shipping_option", sa.String(64), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.Text(), nullable=True),
        sa.Column("tracking_number", sa.Text(), nullable=True),
        sa.Column("tracking_url", sa.Text(), nullable=True),
        sa.Column("flag", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "checkout_order_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("order_number", sa.String(32), nullable=False, index=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "checkout_payment_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("provider", "event_id", name="uq_checkout_payment_event"),
    )
    op.create_table(
        "checkout_discount_uses",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False, index=True),
        sa.Column("customer", sa.String(255), nullable=False),
        sa.Column("order_number", sa.String(32), nullable=False, unique=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "checkout_lookup_failures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("who", sa.String(255), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("checkout_lookup_failures")
    op.drop_table("checkout_discount_uses")
    op.drop_table("checkout_payment_events")
    op.drop_table("checkout_order_events")
    op.drop_table("checkout_orders")
    op.drop_table("checkout_cart_lines")
    op.drop_table("checkout_carts")
