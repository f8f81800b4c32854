"""Discount uses count under every identity of the shopper (email, phone, conversation).

Existing uses are copied over under the one key they were recorded with.

Revision ID: checkout_0002
Revises: checkout_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "checkout_0002"
down_revision = "checkout_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkout_discount_use_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("customer", sa.String(255), nullable=False),
        sa.Column("order_number", sa.String(32), nullable=False),
    )
    op.create_index(
        "ix_checkout_discount_use_keys_code_customer",
        "checkout_discount_use_keys",
        ["code", "customer"],
    )
    op.execute(
        "INSERT INTO checkout_discount_use_keys (code, customer, order_number) "
        "SELECT code, customer, order_number FROM checkout_discount_uses"
    )


def downgrade() -> None:
    op.drop_index(
        "ix_checkout_discount_use_keys_code_customer", table_name="checkout_discount_use_keys"
    )
    op.drop_table("checkout_discount_use_keys")
