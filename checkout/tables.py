"""The checkout tables (SQLAlchemy Core). checkout/migrations creates them; this mirrors it.

Idempotency lives in unique constraints: one order per cart (``orders.checkout_key``), one
application per payment event (``payment_events`` on provider + event id), one discount use
per order.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from shopdb import UTCDateTime

metadata = MetaData()

carts = Table(
    "checkout_carts",
    metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("token", String(64), nullable=False, unique=True),  # becomes the order's checkout_key
    Column("discount_code", String(64), nullable=True),
    Column("shipping_option", String(64), nullable=True),
    Column("order_number", String(32), nullable=True),  # set once the cart became an order
    Column("updated_at", UTCDateTime, nullable=False),
)

cart_lines = Table(
    "checkout_cart_lines",
    metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("product_id", String(100), primary_key=True),
    Column("variant_id", String(100), primary_key=True),  # "" for a product without variants
    Column("quantity", Integer, nullable=False),
    Column("price_seen", Integer, nullable=False),  # what the shopper was shown last
    Column("currency", String(3), nullable=False),
    Column("position", Integer, nullable=False),
)

orders = Table(
    "checkout_orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("checkout_key", String(64), nullable=True, unique=True),
    Column("conversation_id", String(255), nullable=True, index=True),
    Column("locale", String(16), nullable=False, default="en"),
    Column("status", String(24), nullable=False),
    Column("payment_status", String(16), nullable=False),
    Column("payment_method", String(16), nullable=False),
    Column("payment_ref", String(255), nullable=True, index=True),  # Stripe session id
    Column("payment_link", Text, nullable=True),
    Column("name", Text, nullable=False, default=""),
    Column("email", Text, nullable=False, default=""),
    Column("phone", Text, nullable=False, default=""),
    Column("address", Text, nullable=False, default=""),
    Column("items", Text, nullable=False),  # JSON, frozen at order time
    Column("currency", String(3), nullable=False),
    Column("subtotal", Integer, nullable=False),
    Column("discount", Integer, nullable=False, default=0),
    Column("discount_code", String(64), nullable=True),
    Column("shipping", Integer, nullable=False, default=0),
    Column("shipping_option", String(64), nullable=True),
    Column("total", Integer, nullable=False),
    Column("carrier", Text, nullable=True),
    Column("tracking_number", Text, nullable=True),
    Column("tracking_url", Text, nullable=True),
    Column("flag", Text, nullable=True),  # why a person should look (amount mismatch...)
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

order_events = Table(
    "checkout_order_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_number", String(32), nullable=False, index=True),
    Column("status", String(24), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("at", UTCDateTime, nullable=False),
)

payment_events = Table(
    "checkout_payment_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(16), nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("order_number", String(32), nullable=True),
    Column("kind", String(64), nullable=False),
    Column("amount", Integer, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("outcome", String(24), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("provider", "event_id", name="uq_checkout_payment_event"),
)

discount_uses = Table(
    "checkout_discount_uses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, index=True),
    Column("customer", String(255), nullable=False),
    Column("order_number", String(32), nullable=False, unique=True),
    Column("at", UTCDateTime, nullable=False),
)

# Every identity a discount use counts under (checkout/identity.py): the email's, the phone's
# and the conversation's, so a per-customer limit holds however the shopper writes them.
discount_use_keys = Table(
    "checkout_discount_use_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False),
    Column("customer", String(255), nullable=False),
    Column("order_number", String(32), nullable=False),
    Index("ix_checkout_discount_use_keys_code_customer", "code", "customer"),
)

# One-time codes an agent gave one shopper from the console (bot/console/orders.py): usable
# only in that conversation, once, until ``expires_at``; ``agent`` says who gave it.
agent_codes = Table(
    "checkout_agent_codes",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("percent", Integer, nullable=True),
    Column("amount", Integer, nullable=True),
    Column("cap", Integer, nullable=True),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("agent", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

lookup_failures = Table(
    "checkout_lookup_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("who", String(255), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
)

__all__ = [
    "cart_lines",
    "carts",
    "discount_use_keys",
    "discount_uses",
    "lookup_failures",
    "metadata",
    "order_events",
    "orders",
    "payment_events",
]
