"""The sales funnel: how many chats became carts, orders and paid orders, with revenue.

Read from what the runtime already keeps (no extra writes per message): a chat is a
conversation that wrote in the period (the inbox), a cart one whose cart changed or that
ordered, an order one placed in the period, paid the orders among them that are paid.
Grouped by channel or by the chat's language.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Connection

from checkout.tables import carts, orders

STAGES = ("chats", "carts", "orders", "paid")
By = Literal["channel", "locale"] | None

# The bot's tables, named here rather than imported: the customers package does not need bot.
_inbox = sa.table(
    "inbox",
    sa.column("conversation_id"),
    sa.column("channel"),
    sa.column("kind"),
    sa.column("received_at"),
)
_contacts = sa.table("contacts", sa.column("conversation_id"), sa.column("locale"))


@dataclass
class Funnel:
    """One group's funnel: conversations at each stage and paid revenue per currency."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    revenue: dict[str, int] = field(default_factory=dict)  # minor units per currency

    def rate(self, stage: str) -> float | None:
        """The share of chats that reached ``stage`` (None without chats)."""
        chats = self.counts["chats"]
        return self.counts[stage] / chats if chats else None

    def as_json(self) -> dict[str, Any]:
        return {
            **self.counts,
            "conversion": {s: self.rate(s) for s in STAGES[1:]},
            "revenue": dict(sorted(self.revenue.items())),
        }


def funnel(conn: Connection, since: datetime, by: By = None) -> dict[str, Funnel]:
    """The funnel per group (``"all"`` when not grouped), for chats since ``since``."""
    locales = {
        row[0]: row[1] or "?"
        for row in conn.execute(sa.select(_contacts.c.conversation_id, _contacts.c.locale))
    }

    def group(cid: str, locale: str | None = None) -> str:
        if by == "channel":
            return cid.split(":", 1)[0]
        if by == "locale":
            return (locale or locales.get(cid) or "?").split("-", 1)[0]
        return "all"

    i = _inbox.c
    chats = {
        row[0]
        for row in conn.execute(
            sa.select(i.conversation_id)
            .where(i.kind == "message", i.received_at >= since)
            .distinct()
        )
    }
    o = orders.c
    placed = conn.execute(
        sa.select(o.conversation_id, o.locale, o.payment_status, o.total, o.currency).where(
            o.created_at >= since, o.conversation_id.is_not(None)
        )
    ).all()
    c = carts.c
    with_cart = set(
        conn.execute(sa.select(c.conversation_id).where(c.updated_at >= since)).scalars()
    )
    out: dict[str, Funnel] = defaultdict(Funnel)
    order_locale = {row[0]: row[1] for row in placed}
    ordered = {row[0] for row in placed}
    paid = {row[0] for row in placed if row[2] == "paid"}
    for cid in chats:
        f = out[group(cid, order_locale.get(cid))]
        f.counts["chats"] += 1
        f.counts["carts"] += cid in with_cart or cid in ordered
        f.counts["orders"] += cid in ordered
        f.counts["paid"] += cid in paid
    for cid, locale, status, total, currency in placed:
        if status == "paid" and cid in chats:
            f = out[group(cid, locale)]
            f.revenue[currency] = f.revenue.get(currency, 0) + int(total)
    return dict(sorted(out.items()))


def funnel_metrics(found: dict[str, Funnel]) -> str:
    """The funnel in Prometheus' text format (by channel), for ``/metrics``."""
    registry = CollectorRegistry(auto_describe=False)

    class _Collector:
        def collect(self) -> Any:
            stage = GaugeMetricFamily(
                "shopchat_funnel_conversations",
                "Conversations at each funnel stage over the last 7 days",
                labels=["channel", "stage"],
            )
            revenue = GaugeMetricFamily(
                "shopchat_funnel_revenue_minor_units",
                "Paid revenue in minor units over the last 7 days",
                labels=["channel", "currency"],
            )
            for channel, f in found.items():
                for name in STAGES:
                    stage.add_metric([channel, name], f.counts[name])
                for currency, amount in f.revenue.items():
                    revenue.add_metric([channel, currency], amount)
            yield stage
            yield revenue

    registry.register(_Collector())  # type: ignore[arg-type]
    return generate_latest(registry).decode()


__all__ = ["STAGES", "Funnel", "funnel", "funnel_metrics"]
