"""Notifications about tickets (Slack, a signed webhook), through an outbox: exactly once.

Each notification is a row keyed by (ticket, kind, target), inserted in the transaction that
makes it due, so triggering it twice stores it once. A delivery loop sends due rows and marks
them sent; a failed send is retried with exponential backoff (30 s doubling, at most 1 h),
also after a restart, since the row waits in the database. A row is leased (its next attempt
pushed a minute ahead) before it is sent, so two workers never send it together.

The generic webhook (``SHOPCHAT_HANDOFF_WEBHOOK_URL``) receives ``POST`` with a JSON body::

    {"event": "ticket_created" | "first_response_due", "delivery": "<ticket>:<kind>",
     "ticket": {"id", "conversation_id", "channel", "reason", "priority", "state", "agent",
                "customer_name", "flow", "step", "created_at"}, "due_at": "<ISO 8601>"|null}

and headers ``X-Shopchat-Delivery`` (the same id, to drop a repeat after a lost answer),
``X-Shopchat-Timestamp`` (Unix seconds) and ``X-Shopchat-Signature: sha256=<hex>``, the
HMAC-SHA256 with ``SHOPCHAT_HANDOFF_WEBHOOK_SECRET`` of ``"<timestamp>.<raw body>"``.
Receivers should refuse timestamps more than 5 minutes old. A 2xx answer is delivered; a 4xx
other than 408/429 is permanent (the row is marked failed); anything else is retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import Connection, and_, func, select, update

from shopdb import dialect_insert

from .models import TicketSummary
from .tables import notifications

log = logging.getLogger("shopchat.handoff.notify")

LEASE = timedelta(seconds=60)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)

N = notifications.c


@dataclass(frozen=True)
class NotifyTargets:
    slack_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None

    def names(self) -> list[str]:
        return [n for n, url in (("slack", self.slack_url), ("webhook", self.webhook_url)) if url]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Shopchat-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


class Notifier:
    def __init__(
        self,
        targets: NotifyTargets,
        client: httpx.AsyncClient | None,
        *,
        shop_name: str = "shopchat",
        console_url: str | None = None,
    ) -> None:
        self.targets = targets
        self.client = client
        self.shop_name = shop_name
        self.console_url = console_url
        self._lock = asyncio.Lock()
        self.sent = 0
        self.failures = 0

    # -- due (inside the caller's transaction) --------------------------------------------
    def enqueue(
        self,
        conn: Connection,
        ticket: TicketSummary,
        kind: str,
        now: datetime,
        *,
        due_at: datetime | None = None,
    ) -> int:
        """Store the notification for every configured target; once per (ticket, kind, target)."""
        stored = 0
        for target in self.targets.names():
            payload = self._payload(ticket, kind, due_at)
            stmt = (
                dialect_insert(conn, notifications)
                .values(
                    ticket_id=ticket.id,
                    kind=kind,
                    target=target,
                    payload=orjson.dumps(payload).decode(),
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["ticket_id", "kind", "target"])
            )
            stored += conn.execute(stmt).rowcount
        return stored

    def _payload(self, t: TicketSummary, kind: str, due_at: datetime | None) -> dict[str, Any]:
        return {
            "event": kind,
            "delivery": f"{t.id}:{kind}",
            "ticket": {
                "id": t.id,
                "conversation_id": t.conversation_id,
                "channel": t.channel,
                "reason": t.reason,
                "priority": t.priority,
                "state": t.state,
                "agent": t.agent,
                "customer_name": t.customer_name,
                "flow": t.flow,
                "step": t.step,
                "created_at": t.created_at.isoformat(),
            },
            "due_at": due_at.isoformat() if due_at else None,
        }

    def slack_text(self, payload: dict[str, Any]) -> str:
        t = payload["ticket"]
        who = t["customer_name"] or t["conversation_id"]
        where = f" in {t['flow']}" if t["flow"] else ""
        link = f" <{self.console_url}/tickets/{t['id']}|open>" if self.console_url else ""
        if payload["event"] == "first_response_due":
            return (
                f":hourglass: {self.shop_name}: ticket #{t['id']} ({who}, {t['channel']}) "
                f"has no answer yet and is due at {payload['due_at']}{link}"
            )
        urgent = ":rotating_light: " if t["priority"] >= 2 else ""
        return (
            f"{urgent}{self.shop_name}: {who} on {t['channel']} wants a person "
            f"(ticket #{t['id']}, {t['reason']}{where}){link}"
        )

    # -- delivery -------------------------------------------------------------------------
    def due(self, conn: Connection, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
        """Lease and return the rows due now."""
        rows = conn.execute(
            select(notifications)
            .where(N.status == "pending", N.next_attempt_at <= now)
            .order_by(N.id)
            .limit(limit)
        ).all()
        leased = []
        for r in rows:
            won = conn.execute(
                update(notifications)
                .where(
                    and_(
                        N.id == r.id, N.status == "pending", N.next_attempt_at == r.next_attempt_at
                    )
                )
                .values(next_attempt_at=now + LEASE)
            ).rowcount
            if won:
                leased.append(dict(r._mapping))
        return leased

    async def send(self, row: dict[str, Any], now: datetime) -> tuple[bool, bool, str | None]:
        """Send one row: (delivered, permanent failure, error)."""
        if self.client is None:
            return False, False, "no HTTP client"
        payload = orjson.loads(row["payload"])
        try:
            if row["target"] == "slack" and self.targets.slack_url:
                response = await self.client.post(
                    self.targets.slack_url, json={"text": self.slack_text(payload)}
                )
            elif row["target"] == "webhook" and self.targets.webhook_url:
                body = row["payload"].encode()
                stamp = int(now.timestamp())
                headers = {
                    "Content-Type": "application/json",
                    "X-Shopchat-Delivery": payload["delivery"],
                    "X-Shopchat-Timestamp": str(stamp),
                }
                if self.targets.webhook_secret:
                    headers["X-Shopchat-Signature"] = sign(self.targets.webhook_secret, stamp, body)
                response = await self.client.post(
                    self.targets.webhook_url, content=body, headers=headers
                )
            else:
                return False, True, f"target {row['target']} is no longer configured"
        except httpx.HTTPError as exc:
            return False, False, f"{type(exc).__name__}: {exc}"
        if response.is_success:
            return True, False, None
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        return False, permanent, f"HTTP {response.status_code}"

    @staticmethod
    def record(
        conn: Connection,
        outcomes: list[tuple[dict[str, Any], bool, bool, str | None]],
        now: datetime,
    ) -> None:
        for row, ok, permanent, error in outcomes:
            attempts = row["attempts"] + 1
            if ok:
                values: dict[str, Any] = {"status": "sent", "sent_at": now, "attempts": attempts}
            elif permanent:
                values = {"status": "failed", "error": error, "attempts": attempts}
            else:
                values = {
                    "attempts": attempts,
                    "error": error,
                    "next_attempt_at": now + backoff(attempts),
                }
            conn.execute(update(notifications).where(N.id == row["id"]).values(**values))

    async def deliver(self, run: Callable[..., Any], now: datetime) -> int:
        """Send what is due (``run`` is the service's ``db.run``); return how many arrived."""
        async with self._lock:
            rows = await run(lambda conn: self.due(conn, now))
            if not rows:
                return 0
            outcomes = []
            for row in rows:
                ok, permanent, error = await self.send(row, now)
                if not ok:
                    self.failures += 1
                    log.warning(
                        "handoff notification %s for ticket %s not delivered: %s",
                        row["target"],
                        row["ticket_id"],
                        error,
                    )
                outcomes.append((row, ok, permanent, error))
            await run(lambda conn: self.record(conn, outcomes, now))
            delivered = sum(1 for _r, ok, _p, _e in outcomes if ok)
            self.sent += delivered
            return delivered

    @staticmethod
    def pending(conn: Connection) -> int:
        return int(conn.execute(select(func.count()).where(N.status == "pending")).scalar_one())


__all__ = ["NotifyTargets", "Notifier", "backoff", "sign"]
