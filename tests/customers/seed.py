"""Seeded customers for broadcast tests and bench/broadcast.py: a fixed mix of channels,
messaging windows, consent, reachability and languages."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, insert

from bot.contacts import contacts_table
from customers.tables import consent

CHANNELS = ("telegram", "whatsapp", "messenger", "web")


def person(i: int, now: datetime) -> dict[str, object]:
    channel = CHANNELS[i % 4]
    return {
        "conversation_id": f"{channel}:{100000 + i}",
        "channel": channel,
        "recipient": str(100000 + i),
        "name": None,
        "locale": "de" if i % 7 == 0 else "pl",  # the shop has no German template
        "last_inbound_at": now - (timedelta(hours=1) if i % 3 == 0 else timedelta(days=3)),
        "unreachable": i % 50 == 7,
    }


def marketing(i: int) -> bool | None:
    return True if i % 5 == 0 else False if i % 5 == 1 else None


def seed(engine: Engine, n: int, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(insert(contacts_table), [person(i, now) for i in range(n)])
        rows = [
            {
                "conversation_id": person(i, now)["conversation_id"],
                "purpose": "marketing",
                "granted": marketing(i),
                "at": now,
                "source": "test",
            }
            for i in range(n)
            if marketing(i) is not None
        ]
        conn.execute(insert(consent), rows)


def expected(n: int, purpose: str, now: datetime) -> dict[str, int]:
    """The plan's counts, from the platforms' rules spelled out case by case."""
    counts: dict[str, int] = {}
    for i in range(n):
        p = person(i, now)
        inside = i % 3 == 0
        if p["unreachable"]:
            outcome = "unreachable"
        elif purpose == "marketing" and marketing(i) is not True:
            outcome = "no consent"
        elif p["channel"] in ("telegram", "web") or inside:
            outcome = "free-form"
        elif p["channel"] == "whatsapp":
            outcome = "no template" if p["locale"] == "de" else "template"
        else:  # messenger outside the window: the ACCOUNT_UPDATE tag, never for marketing
            outcome = "tagged" if purpose == "service" else "no template"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
