"""The hand-off tables (mirrors revision 0005, which creates them)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shopdb import UTCDateTime

metadata = MetaData()

tickets = Table(
    "handoff_tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("state", String(16), nullable=False),  # waiting | assigned | resolved | returned
    Column("agent", String(255)),
    Column("flow", String(255)),
    Column("step", String(255)),
    Column("away", Boolean, nullable=False),  # opened outside business hours
    Column("reopened", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("waiting_since", UTCDateTime, nullable=False),
    Column("assigned_at", UTCDateTime),
    Column("first_response_at", UTCDateTime),
    Column("last_agent_reply_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

messages = Table(
    "handoff_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), nullable=False),
    Column("ticket_id", Integer, ForeignKey("handoff_tickets.id")),
    Column("at", UTCDateTime, nullable=False),
    Column("direction", String(8), nullable=False),  # shopper | bot | agent
    Column("author", String(255)),
    Column("text", Text, nullable=False),
    Column("source", String(300), unique=True),  # the inbound event, so it is kept once
    Column("flow", String(255)),  # for bot lines: the flow the bot was in (hand-off rate)
)

notes = Table(
    "handoff_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", Integer, ForeignKey("handoff_tickets.id"), nullable=False, index=True),
    Column("agent", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

notifications = Table(
    "handoff_notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", Integer, ForeignKey("handoff_tickets.id"), nullable=False),
    Column("kind", String(32), nullable=False),  # created | first_response_due
    Column("target", String(32), nullable=False),  # slack | webhook
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("error", Text),
    UniqueConstraint("ticket_id", "kind", "target", name="uq_handoff_notification"),
)

presence = Table(
    "handoff_presence",
    metadata,
    Column("agent", String(255), primary_key=True),
    Column("online", Boolean, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
)

__all__ = ["messages", "metadata", "notes", "notifications", "presence", "tickets"]
