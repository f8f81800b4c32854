"""What the console needs from the hand-off desk, and the console's own view of its records.

The desk (``app.state.handoff``) owns tickets; the console only shows them and forwards an
agent's actions. Its records are read here, in one place, into small view types the pages and
the JSON API share, so a renamed field on the desk's side is a one-line change here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


class Desk(Protocol):
    """The hand-off desk's interface, as the console calls it."""

    async def tickets(self, *, state: str | None = None, agent: str | None = None) -> list[Any]: ...
    async def ticket(self, ticket_id: int) -> Any: ...
    async def claim(self, ticket_id: int, agent: str) -> Any: ...
    async def reply(self, ticket_id: int, agent: str, text: str) -> None: ...
    async def note(self, ticket_id: int, agent: str, text: str) -> None: ...
    async def transfer(self, ticket_id: int, agent: str, to_agent: str) -> None: ...
    async def resolve(self, ticket_id: int, agent: str) -> None: ...
    async def return_to_bot(self, ticket_id: int, agent: str, flow: str | None = None) -> None: ...
    async def set_online(self, agent: str, online: bool) -> None: ...
    def subscribe(self) -> AsyncIterator[Any]: ...
    async def metrics(self) -> Any: ...


# The desk's error tree (bot.handoff): HandoffError -> TicketTaken, NotYourTicket,
# UnknownTicket, UnknownFlow, TicketClosed. Matched by class name so the console does not
# import the desk's internals; each maps to an HTTP status and a sentence for the agent.
_STATUS = {
    "TicketTaken": 409,
    "NotYourTicket": 403,
    "UnknownTicket": 404,
    "UnknownFlow": 422,
    "TicketClosed": 409,
}


@dataclass(frozen=True)
class DeskRefusal:
    status: int
    kind: str
    message: str


def refusal(exc: BaseException, ticket_id: int | None = None) -> DeskRefusal | None:
    """The status and message for a desk error, or None when it is not one."""
    names = [k.__name__ for k in type(exc).__mro__]
    if "HandoffError" not in names and not any(n in _STATUS for n in names):
        return None
    kind = next((n for n in names if n in _STATUS), "HandoffError")
    status = _STATUS.get(kind, 409)
    what = f"Ticket #{ticket_id}" if ticket_id is not None else "This ticket"
    holder = _first(exc, "holder", "agent", "by", "assigned_to")
    text = str(exc).strip()
    if kind == "TicketTaken":
        message = (
            f"{what} is already claimed by {holder}." if holder else f"{what} is already claimed."
        )
    elif kind == "NotYourTicket":
        message = (
            f"{what} is held by {holder}; claim it or ask them to transfer it."
            if holder
            else f"{what} is not yours: claim it first."
        )
    elif kind == "UnknownTicket":
        message = f"{what} does not exist."
    elif kind == "TicketClosed":
        message = f"{what} is already closed (resolved or back with the bot)."
    elif kind == "UnknownFlow":
        message = text or "There is no such flow."
    else:
        message = text or "The hand-off desk refused that."
    return DeskRefusal(status, kind, message)


# -- views ---------------------------------------------------------------------------------
@dataclass
class Card:
    """A ticket as a queue row."""

    id: int
    state: str
    reason: str
    channel: str
    customer: str
    priority: int
    agent: str | None
    waiting_since: datetime | None
    preview: str
    conversation_id: str

    @property
    def urgent(self) -> bool:
        return self.priority > 0


@dataclass
class Line:
    """One transcript entry: who (shopper, bot, agent, note, system), when and what."""

    author: str
    text: str
    at: datetime | None
    agent: str | None = None


@dataclass
class Detail:
    card: Card
    lines: list[Line]
    customer_name: str
    first_name: str
    locale: str
    channel: str
    past: list[Card] = field(default_factory=list)
    cart: list[str] = field(default_factory=list)
    orders: list[dict[str, str]] = field(default_factory=list)
    flow: str | None = None
    step: str | None = None


_MISSING = object()


def _first(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = (
            obj.get(name, _MISSING) if isinstance(obj, Mapping) else getattr(obj, name, _MISSING)
        )
        if value is not _MISSING and value is not None:
            return value
    return default


def _aware(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def card(summary: Any) -> Card:
    """Read a desk ticket summary."""
    cid = str(_first(summary, "conversation_id", "conversation", default=""))
    return Card(
        id=int(_first(summary, "id", "ticket_id", default=0)),
        state=str(_first(summary, "state", "status", default="waiting")),
        reason=str(_first(summary, "reason", default="") or ""),
        channel=str(_first(summary, "channel", default=cid.split(":", 1)[0] or "?")),
        customer=str(_first(summary, "customer_name", "customer", "name", default="") or "")
        or "Shopper",
        priority=int(_first(summary, "priority", default=0) or 0),
        agent=_first(summary, "agent", "assigned_to", "assignee"),
        waiting_since=_aware(_first(summary, "waiting_since", "opened_at", "created_at")),
        preview=str(_first(summary, "last_message", "preview", default="") or ""),
        conversation_id=cid,
    )


def _line(entry: Any) -> Line:
    author = str(_first(entry, "author", "role", "sender", "kind", default="system"))
    author = {"user": "shopper", "customer": "shopper", "human": "agent"}.get(author, author)
    return Line(
        author=author,
        text=str(_first(entry, "text", "body", default="")),
        at=_aware(_first(entry, "at", "created_at", "time")),
        agent=_first(entry, "agent", "agent_name"),
    )


def detail(view: Any) -> Detail:
    """Read a desk ticket view: the ticket, its transcript and notes, the shopper's context."""
    summary = _first(view, "ticket", "summary", default=view)
    base = card(summary)
    lines = [_line(e) for e in _first(view, "transcript", "messages", default=[])]
    for note in _first(view, "notes", default=[]):
        line = _line(note)
        line.author = "note"
        lines.append(line)
    epoch = datetime.min.replace(tzinfo=UTC)
    lines.sort(key=lambda line: line.at or epoch)
    profile = _first(view, "profile", "context", "customer", default=view)
    name = str(_first(profile, "name", "customer_name", default=base.customer) or base.customer)
    past = [
        card(t)
        for t in _first(profile, "past_tickets", default=_first(view, "past_tickets", default=[]))
    ]
    cart = [
        str(item)
        for item in _first(profile, "cart", default=_first(view, "cart", default=[])) or []
    ]
    orders = [
        _order(o)
        for o in _first(profile, "orders", default=_first(view, "orders", default=[])) or []
    ]
    position = _first(view, "flow_position", "position", default=None)
    flow = _first(position, "flow", default=None) if position is not None else _first(view, "flow")
    step = _first(position, "step", default=None) if position is not None else _first(view, "step")
    return Detail(
        card=base,
        lines=lines,
        customer_name=name,
        first_name=str(_first(profile, "first_name", default=name.split(" ")[0] if name else "")),
        locale=str(_first(profile, "locale", default=_first(view, "locale", default="")) or ""),
        channel=str(_first(profile, "channel", default=base.channel)),
        past=[p for p in past if p.id != base.id],
        cart=cart,
        orders=orders,
        flow=str(flow) if flow else None,
        step=str(step) if step else None,
    )


def _order(order: Any) -> dict[str, str]:
    if isinstance(order, str):
        return {"number": order, "status": ""}
    return {
        "number": str(_first(order, "number", "id", "order_id", default="?")),
        "status": str(_first(order, "status", default="")),
        "total": str(_first(order, "total", default="")),
    }


def event_ticket_id(event: Any) -> int | None:
    value = _first(event, "ticket_id", "id")
    if value is None:
        ticket = _first(event, "ticket")
        value = _first(ticket, "id") if ticket is not None else None
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def event_kind(event: Any) -> str:
    return str(_first(event, "kind", "type", "name", default="changed"))


def jsonable(value: Any) -> Any:
    """A desk record (dataclass, pydantic model, mapping) as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump())
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def metric_rows(metrics: Any) -> list[tuple[str, str]]:
    """The desk's metrics as (label, value) rows, whatever fields it has."""
    data = jsonable(metrics)
    if not isinstance(data, dict):
        return [("metrics", str(data))]
    rows: list[tuple[str, str]] = []
    for key, value in data.items():
        label = key.replace("_", " ").capitalize()
        if isinstance(value, float):
            shown = f"{value:.1f}"
            if key.endswith(("_seconds", "_s")):
                shown = _duration(value)
        elif isinstance(value, dict):
            shown = ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
        elif isinstance(value, list):
            shown = ", ".join(str(v) for v in value) or "—"
        elif value is None:
            shown = "—"
        else:
            shown = _duration(value) if key.endswith(("_seconds", "_s")) else str(value)
        rows.append((label, shown))
    return rows


def _duration(seconds: Any) -> str:
    try:
        s = int(float(seconds))
    except (TypeError, ValueError):
        return str(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


__all__ = [
    "Card",
    "Desk",
    "DeskRefusal",
    "Detail",
    "Line",
    "card",
    "detail",
    "event_kind",
    "event_ticket_id",
    "jsonable",
    "metric_rows",
    "refusal",
]
