"""What the console needs from the hand-off desk, and the console's own view of its records.

The desk (``app.state.handoff``) owns tickets; the console only shows them and forwards an
agent's actions. Its records are read here, in one place, into small view types the pages and
the JSON API share, so a renamed field on the desk's side is a one-line change here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from babel import Locale, UnknownLocaleError

from flows.money import format_money

from ..handoff import (
    DeskEvent,
    DeskMetrics,
    HandoffError,
    NotYourTicket,
    TicketClosed,
    TicketSummary,
    TicketTaken,
    TicketView,
    TranscriptLine,
    UnknownFlow,
    UnknownTicket,
    WindowClosed,
)
from .orders import OrderRefused


class Desk(Protocol):
    """The hand-off desk's interface, as the console calls it."""

    async def tickets(
        self, *, state: str | None = None, agent: str | None = None
    ) -> list[TicketSummary]: ...
    async def ticket(self, ticket_id: int) -> TicketView: ...
    async def claim(self, ticket_id: int, agent: str) -> TicketSummary: ...
    async def reply(self, ticket_id: int, agent: str, text: str) -> None: ...
    async def note(self, ticket_id: int, agent: str, text: str) -> None: ...
    async def transfer(self, ticket_id: int, agent: str, to_agent: str) -> None: ...
    async def resolve(self, ticket_id: int, agent: str) -> None: ...
    async def return_to_bot(self, ticket_id: int, agent: str, flow: str | None = None) -> None: ...
    async def set_online(self, agent: str, online: bool) -> None: ...
    def subscribe(self) -> AsyncIterator[DeskEvent]: ...
    async def metrics(self) -> DeskMetrics: ...


# The desk's errors as HTTP statuses and sentences for the agent.
_STATUS: dict[type[HandoffError], int] = {
    TicketTaken: 409,
    NotYourTicket: 403,
    UnknownTicket: 404,
    UnknownFlow: 422,
    TicketClosed: 409,
    WindowClosed: 409,
}


@dataclass(frozen=True)
class DeskRefusal:
    status: int
    kind: str
    message: str


def refusal(exc: BaseException, ticket_id: int | None = None) -> DeskRefusal | None:
    """The status and message for a desk error or a refused order action, or None when it
    is neither."""
    if isinstance(exc, OrderRefused):
        return DeskRefusal(exc.status, exc.kind, exc.message)
    if not isinstance(exc, HandoffError):
        return None
    what = f"Ticket #{ticket_id}" if ticket_id is not None else "This ticket"
    if isinstance(exc, TicketTaken):
        message = (
            f"{what} is already claimed by {exc.agent}."
            if exc.agent
            else f"{what} is already claimed."
        )
    elif isinstance(exc, NotYourTicket):
        message = (
            f"{what} is held by {exc.holder}; ask them to transfer it to you."
            if exc.holder
            else f"{what} is not assigned to anyone: claim it first."
        )
    elif isinstance(exc, UnknownTicket):
        message = f"{what} does not exist."
    elif isinstance(exc, WindowClosed):
        message = (
            f"Nothing was sent: {exc.channel} allows no message to this shopper now (their "
            "messaging window is closed). Wait for them to write again."
        )
    elif isinstance(exc, TicketClosed):
        done = "back with the bot" if exc.state == "returned" else exc.state
        message = f"{what} is already closed ({done}): nothing more can be done with it."
    else:
        text = str(exc).strip()
        message = (text[:1].upper() + text[1:]) if text else "The hand-off desk refused that."
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 409)
    return DeskRefusal(status, type(exc).__name__, message)


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
    away: bool = False

    @property
    def urgent(self) -> bool:
        return self.priority > 0  # 0 normal, 1 payment, 2 angry or a complaint


@dataclass
class Line:
    """One transcript entry: who (shopper, bot, agent, note), when and what."""

    author: str
    text: str
    at: datetime | None
    agent: str | None = None


@dataclass
class Detail:
    card: Card
    lines: list[Line]
    customer_name: str  # for showing: "Shopper" when the channel gave no name
    known_name: str  # for templates: "" when unknown
    first_name: str
    locale: str
    channel: str
    past: list[Card] = field(default_factory=list)
    facts: list[tuple[str, list[str]]] = field(default_factory=list)  # orders, cart, ...
    orders: list[dict[str, str]] = field(default_factory=list)
    flow: str | None = None
    step: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    window: str = ""  # whether an agent's answer can reach the shopper now, and how long
    language: str = ""  # the conversation's language now, in words: "Persian (fa)"
    contact: str = ""  # the email or phone checkout collected
    position: str = ""  # the flow and step in words: "Gift finder › asking for budget"
    notice: str = ""  # above the composer: what happens to a reply sent now
    can_send: bool = True  # False: the channel delivers nothing now


REASONS = {
    "shopper_request": "asked for a person",
    "fallbacks": "the bot did not understand",
    "angry": "upset shopper",
    "angry_comment": "angry comment under a post",
}

#: channels that only deliver within a time after the shopper's last message: (anyone's
#: window, an agent's window with the HUMAN_AGENT tag). Others (Telegram, LINE by push,
#: Wire with the conversation's token, the web chat) have none.
WINDOWS: dict[str, tuple[timedelta, timedelta]] = {
    "whatsapp": (timedelta(hours=24), timedelta(hours=24)),
    "messenger": (timedelta(hours=24), timedelta(days=7)),
    "instagram": (timedelta(hours=24), timedelta(days=7)),
}


def window_state(channel: str, last_shopper_at: datetime | None, now: datetime) -> str:
    """'open, 5 h left', 'agents only, 3 d left', 'closed' or '' (no window on the channel)."""
    windows = WINDOWS.get(channel)
    if windows is None:
        return ""
    if last_shopper_at is None:
        return "closed"
    for label, span in (("open", windows[0]), ("agents only", windows[1])):
        left = last_shopper_at + span - now
        if left > timedelta(0):
            hours = left.total_seconds() / 3600
            amount = f"{hours / 24:.0f} d" if hours >= 48 else f"{max(hours, 1):.0f} h"
            return f"{label}, {amount} left"
    return "closed"


def card(t: TicketSummary) -> Card:
    """A desk ticket summary as a queue row."""
    return Card(
        id=t.id,
        state=t.state,
        reason=REASONS.get(t.reason, t.reason.replace("_", " ")),
        channel=t.channel,
        customer=t.customer_name or "Shopper",
        priority=t.priority,
        agent=t.agent,
        waiting_since=t.waiting_since,
        preview=t.last_message or "",
        conversation_id=t.conversation_id,
        away=t.away,
    )


def _line(entry: TranscriptLine) -> Line:
    return Line(entry.author, entry.text, entry.at, entry.agent)


def composer_notice(channel: str, window: str, template: str | None) -> tuple[str, bool]:
    """What an agent's reply would do now on a channel with a messaging window, before she
    writes it: (the sentence, whether anything can be sent)."""
    name = {"whatsapp": "WhatsApp", "messenger": "Messenger", "instagram": "Instagram"}.get(
        channel, channel
    )
    if not window or window.startswith("open"):
        return "", True
    if window.startswith("agents only"):
        left = window.split(",", 1)[1].strip() if "," in window else ""
        return (
            f"{name}'s 24-hour window is closed: your reply goes with the human-agent tag "
            f"({left}).",
            True,
        )
    if channel == "whatsapp" and template:
        return (
            f"WhatsApp's 24-hour window is closed: your text cannot be sent. The approved "
            f"template '{template}' goes instead, asking the shopper to write back.",
            True,
        )
    return (
        f"{name}'s messaging window is closed: nothing can be sent until the shopper writes again.",
        False,
    )


def language_name(code: str) -> str:
    """``fa`` -> ``Persian (fa)``; the code itself when Babel does not know it."""
    if not code:
        return ""
    try:
        return f"{Locale.parse(code.replace('-', '_')).get_display_name('en')} ({code})"
    except (UnknownLocaleError, ValueError):
        return code


def slot_text(value: Any, kind: str, currency: str, locale: str) -> str:
    """A collected value as a person reads it: money as money, products by title."""
    if kind == "money" and isinstance(value, int | float) and not isinstance(value, bool):
        return format_money(int(value), currency, locale or "en")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping) and value.get("title"):
        price = value.get("price_text")
        return f"{value['title']} ({price})" if price else str(value["title"])
    if isinstance(value, list | tuple):
        return "; ".join(slot_text(v, kind, currency, locale) for v in value[:10]) + (
            f"; and {len(value) - 10} more" if len(value) > 10 else ""
        )
    return _fact(value)


def detail_args(state: Any) -> tuple[Any, str | None]:
    """What ``detail`` needs from the app's state: the project, WhatsApp's window template."""
    settings = getattr(state, "settings", None)
    return getattr(state, "project", None), getattr(settings, "whatsapp_window_template", None)


def detail(view: TicketView, project: Any = None, template: str | None = None) -> Detail:
    """A desk ticket view: the ticket, its transcript and notes, the shopper's context.

    ``project`` (the bot's) names flows and steps and types the collected values;
    ``template`` is WhatsApp's window template, for the composer's notice."""
    base = card(view.ticket)
    lines = [_line(e) for e in view.transcript]
    lines += [Line("note", n.text, n.at, n.agent) for n in view.notes]
    epoch = datetime.min.replace(tzinfo=UTC)
    lines.sort(key=lambda line: line.at or epoch)
    profile = view.profile
    context = dict(profile.context)
    found = context.get("customer")
    buyer: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    name = profile.name or str(buyer.get("name") or "")  # the platform's, else checkout's
    contact = ", ".join(str(buyer[k]) for k in ("email", "phone") if buyer.get(k))
    orders = [_order(o) for o in _as_list(context.get("orders"))]
    facts = [
        (key.replace("_", " ").capitalize(), [_fact(v) for v in _as_list(value)])
        for key, value in context.items()
        if key not in ("orders", "customer") and value not in (None, "", [], {})
    ]
    kinds: dict[str, str] = {}
    currency = "USD"
    position = ""
    if project is not None:
        currency = project.shop.currency
        for flow in project.flows.values():
            for step in flow.steps:
                if step.slot:
                    kinds.setdefault(step.slot, step.slot_type)
        flow = project.flows.get(view.flow) if view.flow else None
        if flow is not None:
            position = flow.description or flow.id.replace("_", " ").capitalize()
            step = next((st for st in flow.steps if st.id == view.step), None)
            if step is not None:
                doing = f"asking for {step.slot.replace('_', ' ')}" if step.slot else step.id
                position += f" › {doing.replace('_', ' ')}"
    window = window_state(
        profile.channel,
        # A public comment opens no window: only what the shopper wrote privately does.
        max(
            (
                e.at
                for e in view.transcript
                if e.author == "shopper" and not e.text.startswith("[comment] ")
            ),
            default=None,
        ),
        datetime.now(UTC),
    )
    notice, can_send = composer_notice(profile.channel, window, template)
    locale = profile.locale or ""
    return Detail(
        card=base,
        lines=lines,
        customer_name=name or base.customer,
        known_name=name,
        first_name=name.split(" ")[0] if name else "",
        locale=profile.locale or "",
        channel=profile.channel,
        past=[card(p) for p in profile.past_tickets if p.id != base.id],
        facts=facts,
        orders=orders,
        flow=view.flow,
        step=view.step,
        slots={
            str(k).replace("_", " "): slot_text(v, kinds.get(str(k), ""), currency, locale)
            for k, v in view.slots.items()
            if not str(k).startswith("_")
        },
        window=window,
        language=language_name(locale),
        contact=contact,
        position=position,
        notice=notice,
        can_send=can_send,
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _fact(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _order(order: Any) -> dict[str, str]:
    if not isinstance(order, Mapping):
        return {"number": str(order), "status": "", "total": ""}
    number = next((order[k] for k in ("number", "id", "order_id") if order.get(k)), "?")
    return {
        "number": str(number),
        "status": str(order.get("status") or ""),
        "total": str(order.get("total") or ""),
    }


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


@dataclass
class MetricsView:
    tiles: list[tuple[str, str]]  # headline figures: (value, label)
    tables: list[tuple[str, list[tuple[str, str]]]]  # (title, rows)


def metrics_view(m: DeskMetrics) -> MetricsView:
    """The desk's figures as a person reads them: durations, percentages, sorted tables."""

    def seconds(value: float | None) -> str:
        return "—" if value is None else _duration(value)

    def share(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.0f}%"

    tiles = [
        (str(m.waiting_now), "waiting now"),
        (str(m.tickets.get("assigned", 0)), "with an agent"),
        (str(m.agents_online), "agents online"),
        (seconds(m.first_response_seconds), "mean time to first answer"),
        (seconds(m.waiting_seconds), "mean wait before an agent took it"),
        (seconds(m.resolution_seconds), "mean time to close"),
        (share(m.response_rate), "closed tickets an agent answered"),
        (str(m.notifications_pending), "notifications not yet sent"),
    ]

    def by_count(data: dict[str, int]) -> list[tuple[str, str]]:
        return [(k, str(v)) for k, v in sorted(data.items(), key=lambda kv: (-kv[1], kv[0]))]

    rates = sorted(m.handoff_rate_by_flow.items(), key=lambda kv: (-kv[1], kv[0]))
    reasons = [(REASONS.get(k, k), v) for k, v in by_count(m.handoffs_by_reason)]
    counters = [(k.replace("_", " "), v) for k, v in by_count(m.counters)]
    tables = [
        ("Tickets by state", by_count(m.tickets)),
        ("Hand-offs by reason", reasons),
        ("Hand-off rate by flow", [(k, share(v)) for k, v in rates]),
        ("Since the server started", counters),
    ]
    return MetricsView(tiles, tables)


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
    "detail_args",
    "jsonable",
    "MetricsView",
    "metrics_view",
    "refusal",
]
