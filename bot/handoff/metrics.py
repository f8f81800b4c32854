"""Desk metrics, and their Prometheus text exposition (format 0.0.4) for ``GET /metrics``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, distinct, func, select

from . import queue
from .config import HandoffConfig
from .models import CLOSED_STATES, DeskMetrics
from .notify import Notifier
from .tables import messages, tickets

T = tickets.c


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def collect(
    conn: Connection, now: datetime, config: HandoffConfig, counters: Mapping[str, int]
) -> DeskMetrics:
    by_state = {
        str(state): int(n)
        for state, n in conn.execute(select(T.state, func.count()).group_by(T.state)).all()
    }
    rows = conn.execute(
        select(
            T.created_at,
            T.waiting_since,
            T.assigned_at,
            T.first_response_at,
            T.resolved_at,
            T.state,
        )
    ).all()
    first = [
        (r.first_response_at - r.created_at).total_seconds() for r in rows if r.first_response_at
    ]
    waits = [(r.assigned_at - r.waiting_since).total_seconds() for r in rows if r.assigned_at]
    resolution = [
        (r.resolved_at - r.created_at).total_seconds()
        for r in rows
        if r.resolved_at and r.state == "resolved"
    ]
    closed = [r for r in rows if r.state in CLOSED_STATES]
    answered = sum(1 for r in closed if r.first_response_at)
    handoffs: dict[Any, Any] = dict(
        conn.execute(select(T.flow, func.count()).group_by(T.flow)).all()
    )
    ran: dict[Any, Any] = dict(
        conn.execute(
            select(messages.c.flow, func.count(distinct(messages.c.conversation_id)))
            .where(messages.c.flow.is_not(None))
            .group_by(messages.c.flow)
        ).all()
    )
    rate = {
        str(flow): min(1.0, n / ran[flow]) for flow, n in handoffs.items() if flow and ran.get(flow)
    }
    reasons = {
        str(k): int(v)
        for k, v in conn.execute(select(T.reason, func.count()).group_by(T.reason)).all()
    }
    return DeskMetrics(
        tickets=by_state,
        waiting_now=by_state.get("waiting", 0),
        agents_online=len(queue.online_agents(conn, now, config.presence_ttl)),
        first_response_seconds=_mean(first),
        waiting_seconds=_mean(waits),
        resolution_seconds=_mean(resolution),
        response_rate=answered / len(closed) if closed else None,
        handoff_rate_by_flow=rate,
        handoffs_by_reason=reasons,
        notifications_pending=Notifier.pending(conn),
        counters=dict(counters),
    )


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class _Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(
        self, name: str, kind: str, help_: str, samples: list[tuple[dict[str, str], Any]]
    ) -> None:
        self.lines.append(f"# HELP {name} {help_}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            if value is None:
                continue
            label = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            shown = repr(float(value)) if isinstance(value, float) else str(int(value))
            self.lines.append(f"{name}{{{label}}} {shown}" if label else f"{name} {shown}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def prometheus(m: DeskMetrics, extra: Mapping[str, float] | None = None) -> str:
    """The metrics in the Prometheus text format; ``extra``: runtime gauges by name."""
    out = _Exposition()
    p = "shopchat_handoff_"
    states = ("waiting", "assigned", "resolved", "returned")
    out.metric(
        f"{p}tickets",
        "gauge",
        "Tickets by state.",
        [({"state": s}, m.tickets.get(s, 0)) for s in states],
    )
    out.metric(f"{p}agents_online", "gauge", "Agents online now.", [({}, m.agents_online)])
    out.metric(
        f"{p}first_response_seconds_mean",
        "gauge",
        "Mean time from a ticket's creation to an agent's first reply.",
        [({}, m.first_response_seconds)],
    )
    out.metric(
        f"{p}waiting_seconds_mean",
        "gauge",
        "Mean time a ticket waited before an agent had it.",
        [({}, m.waiting_seconds)],
    )
    out.metric(
        f"{p}resolution_seconds_mean",
        "gauge",
        "Mean time from a ticket's creation to its resolution.",
        [({}, m.resolution_seconds)],
    )
    out.metric(
        f"{p}response_rate",
        "gauge",
        "Share of closed tickets an agent answered.",
        [({}, m.response_rate)],
    )
    out.metric(
        f"{p}rate",
        "gauge",
        "Hand-offs per conversation that ran the flow.",
        [({"flow": f}, r) for f, r in sorted(m.handoff_rate_by_flow.items())],
    )
    out.metric(
        f"{p}created_total",
        "counter",
        "Tickets opened, by reason.",
        [({"reason": r}, n) for r, n in sorted(m.handoffs_by_reason.items())],
    )
    out.metric(
        f"{p}notifications_pending",
        "gauge",
        "Notifications not delivered yet.",
        [({}, m.notifications_pending)],
    )
    for name, count in sorted(m.counters.items()):
        out.metric(
            f"{p}{name}_since_start_total",
            "counter",
            f"{name.replace('_', ' ').capitalize()} since this process started.",
            [({}, count)],
        )
    for name, value in sorted((extra or {}).items()):
        out.metric(
            f"shopchat_{name}", "gauge", f"{name.replace('_', ' ').capitalize()}.", [({}, value)]
        )
    return out.text()


__all__ = ["collect", "prometheus"]
