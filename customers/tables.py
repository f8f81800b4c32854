"""The customers package's tables (made by ``customers/migrations``; docs/migrations.md)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text

from shopdb import UTCDateTime

metadata = MetaData()

customers = Table(
    "customers_customers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
# Each channel conversation belongs to exactly one customer.
contacts = Table(
    "customers_contacts",
    metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("customer_id", Integer, nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("linked_at", UTCDateTime, nullable=False),
    Column("source", String(32), nullable=False),  # first message, email, phone, link, agent
)
facts = Table(
    "customers_facts",
    metadata,
    Column("customer_id", Integer, primary_key=True),
    Column("fact", String(64), primary_key=True),
    Column("value", Text, nullable=False),  # JSON
    Column("remembered_at", UTCDateTime, nullable=False),
)
# Normalised emails and phones ("email:…", "phone:+…") she gave (checkout.identity).
identities = Table(
    "customers_identities",
    metadata,
    Column("identity", String(255), primary_key=True),
    Column("customer_id", Integer, nullable=False, index=True),
    Column("source", String(32), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
)
audit = Table(
    "customers_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("customer_id", Integer, nullable=False, index=True),
    Column("detail", Text, nullable=False),  # JSON
)
consent = Table(
    "customers_consent",
    metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("purpose", String(16), primary_key=True),  # marketing, updates
    Column("granted", Boolean, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("source", String(64), nullable=False),
)
broadcasts = Table(
    "customers_broadcasts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("purpose", String(16), nullable=False),
    Column("message", Text, nullable=False),  # JSON: texts per locale, template
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
# One row per broadcast and recipient, written before the send: a rerun sends nothing twice.
broadcast_sends = Table(
    "customers_broadcast_sends",
    metadata,
    Column("broadcast_id", Integer, primary_key=True),
    Column("conversation_id", String(255), primary_key=True),
    Column("outcome", String(24), nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("message_id", String(255), nullable=True),
    Column("error", Text, nullable=True),
)
cart_reminders = Table(
    "customers_cart_reminders",
    metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("cart_token", String(64), primary_key=True),
    Column("outcome", String(24), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
events = Table(
    "customers_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("locale", String(35), nullable=False),
    Column("flow", String(64), nullable=False),
    Column("flow_version", String(32), nullable=False),
    Column("amount", Integer, nullable=True),
    Column("currency", String(3), nullable=True),
)

__all__ = [
    "audit",
    "broadcast_sends",
    "broadcasts",
    "cart_reminders",
    "consent",
    "contacts",
    "customers",
    "events",
    "facts",
    "identities",
    "metadata",
]
