"""Broadcasts: one message to many customers, each within her platform's rules, exactly once.

A broadcast has a name (running the same name again continues it and sends nothing twice), a
purpose (``service``: an outage, a delivery problem, to everyone the platforms allow;
``marketing``: only to who opted in) and a message: texts per locale or a template name.

Sending goes in batches. Before a batch is sent, a row per recipient is committed as
``sending``; after, it becomes ``sent`` or ``failed``. A run that is killed leaves at most one
batch ``sending``: the next run marks those ``interrupted`` and never sends to them again, so
no one gets the message twice (and the report says how many may have missed it). The
platform's own rate limits apply in its sender (adapters/pace.py); ``rate`` caps the whole
broadcast on top.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, insert, select, update

from adapters.base import OutboundCall, RenderContext
from adapters.pace import Gcra, Rate
from checkout.tables import orders
from flows import TextReply, parse_duration
from flows.yamlpos import YamlSyntaxError, load_yaml

from .errors import BroadcastError
from .planner import Planned, Purpose, Recipient, plan_for
from .tables import broadcast_sends, broadcasts, consent, contacts, facts
from .templates import Templates, template_call

# The bot's contacts table (bot/contacts.py), named here: the customers package does not need bot.
_bot_contacts = sa.table(
    "contacts",
    sa.column("conversation_id"),
    sa.column("channel"),
    sa.column("recipient"),
    sa.column("locale"),
    sa.column("last_inbound_at"),
    sa.column("unreachable"),
)
SEGMENT_KEYS = ("channel", "locale", "consent", "interest", "ordered_within", "not_ordered_within")


@dataclass(frozen=True)
class Message:
    """What a broadcast says: texts per locale (the first is the fallback), or a template."""

    texts: dict[str, str] = field(default_factory=dict)
    template: str | None = None

    def text_for(self, locale: str) -> str:
        if not self.texts:
            return ""
        return (
            self.texts.get(locale)
            or self.texts.get(locale.split("-", 1)[0])
            or next(iter(self.texts.values()))
        )

    def to_json(self) -> str:
        return json.dumps({"texts": self.texts, "template": self.template}, ensure_ascii=False)


def load_message(path: Path, default_locale: str) -> Message:
    """A message file: YAML ``{en: ..., pl: ...}``, or plain text in the default locale."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BroadcastError(f"cannot read the message file {path}: {exc.strerror}") from None
    if path.suffix in (".yaml", ".yml"):
        try:
            data = load_yaml(path, text).data
        except YamlSyntaxError as exc:
            raise BroadcastError(f"{path}:{exc.line}:{exc.col}: {exc.message}") from None
        if (
            not isinstance(data, dict)
            or not data
            or not all(
                isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()
            )
        ):
            raise BroadcastError(
                f"{path}: write one text per locale, like `en: Payments are down until 14:00`"
            )
        return Message(texts={k: v.strip() for k, v in data.items()})
    if not text.strip():
        raise BroadcastError(f"{path} is empty: write the message in it")
    return Message(texts={default_locale: text.strip()})


@dataclass(frozen=True)
class Segment:
    """Which customers: ``channel=whatsapp,telegram; locale=pl; consent=marketing;
    interest=lego; ordered_within=30d; not_ordered_within=90d`` (all optional, all must hold)."""

    channels: frozenset[str] = frozenset()
    locales: frozenset[str] = frozenset()
    consent: bool = False
    interests: frozenset[str] = frozenset()
    ordered_within: timedelta | None = None
    not_ordered_within: timedelta | None = None

    @classmethod
    def parse(cls, expr: str | None) -> Segment:
        if not expr or not expr.strip():
            return cls()
        values: dict[str, Any] = {}
        for part in expr.split(";"):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or key not in SEGMENT_KEYS or not value:
                raise BroadcastError(
                    f"segment {part.strip()!r}: write key=value pairs separated by ';', keys "
                    f"{', '.join(SEGMENT_KEYS)} (e.g. 'channel=whatsapp; locale=pl')"
                )
            items = frozenset(v.strip() for v in value.split(",") if v.strip())
            if key == "channel":
                values["channels"] = items
            elif key == "locale":
                values["locales"] = items
            elif key == "interest":
                values["interests"] = items
            elif key == "consent":
                if value != "marketing":
                    raise BroadcastError("segment consent=...: the only value is 'marketing'")
                values["consent"] = True
            else:
                try:
                    values[key] = parse_duration(value)
                except ValueError:
                    raise BroadcastError(
                        f"segment {key}={value!r}: write a duration like 30d"
                    ) from None
        return cls(**values)


def recipients(conn: Connection, segment: Segment, now: datetime) -> list[Recipient]:
    """Every channel contact in the segment, with her consent."""
    b = _bot_contacts.c
    query = select(
        b.conversation_id, b.channel, b.recipient, b.locale, b.last_inbound_at, b.unreachable
    )
    if segment.channels:
        query = query.where(b.channel.in_(sorted(segment.channels)))
    c = consent.c
    marketing = {
        row[0]: bool(row[1])
        for row in conn.execute(
            select(c.conversation_id, c.granted).where(c.purpose == "marketing")
        )
    }
    wanted: set[str] | None = None
    if segment.interests:
        f, k = facts.c, contacts.c
        rows = conn.execute(
            select(k.conversation_id, f.value)
            .join(facts, f.customer_id == k.customer_id)
            .where(f.fact == "interest")
        )
        wanted = {cid for cid, value in rows if json.loads(value) in segment.interests}
    recent: set[str] | None = None
    if segment.ordered_within or segment.not_ordered_within:
        o = orders.c
        window = segment.ordered_within or segment.not_ordered_within
        assert window is not None
        recent = set(
            conn.execute(select(o.conversation_id).where(o.created_at >= now - window)).scalars()
        )
    out: list[Recipient] = []
    for cid, channel, to, locale, last, unreachable in conn.execute(
        query.order_by(b.conversation_id)
    ):
        loc = (locale or "en").replace("_", "-")
        if (
            segment.locales
            and loc.split("-", 1)[0] not in segment.locales
            and loc not in segment.locales
        ):
            continue
        if segment.consent and marketing.get(cid) is not True:
            continue
        if wanted is not None and cid not in wanted:
            continue
        if recent is not None and (cid in recent) != bool(segment.ordered_within):
            continue
        out.append(
            Recipient(
                cid,
                channel,
                to,
                loc,
                _aware(last),
                bool(unreachable),
                marketing.get(cid),
            )
        )
    return out


def _aware(moment: Any) -> datetime | None:
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment  # type: ignore[no-any-return]


@dataclass
class Plan:
    """A broadcast's plan: every recipient's outcome, and who had it already."""

    broadcast_id: int
    planned: list[Planned]
    done_before: set[str]

    def counts(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for p in self.planned:
            counts[
                "already sent" if p.recipient.conversation_id in self.done_before else p.outcome
            ] += 1
        return counts

    def to_send(self) -> list[Planned]:
        return [
            p
            for p in self.planned
            if p.sends and p.recipient.conversation_id not in self.done_before
        ]


def open_broadcast(
    conn: Connection, name: str, purpose: Purpose, message: Message, *, actor: str, now: datetime
) -> int:
    """The broadcast called ``name``: created, or the one a previous run started."""
    if purpose not in ("service", "marketing"):
        raise BroadcastError(f"purpose {purpose!r}: use service or marketing")
    if not message.texts and not message.template:
        raise BroadcastError("a broadcast needs a message (--message FILE) or a template")
    row = conn.execute(select(broadcasts).where(broadcasts.c.name == name)).first()
    if row is not None:
        if row.purpose != purpose or row.message != message.to_json():
            raise BroadcastError(
                f"a broadcast called {name!r} was started with another message or purpose: "
                "give this one another --name"
            )
        return int(row.id)
    return int(
        conn.execute(
            insert(broadcasts)
            .values(
                name=name[:100],
                purpose=purpose,
                message=message.to_json(),
                created_by=actor[:64],
                created_at=now,
            )
            .returning(broadcasts.c.id)
        ).scalar_one()
    )


def default_name(purpose: str, message: Message, segment: str | None) -> str:
    """The same message, purpose and segment: the same broadcast (so a rerun continues it)."""
    digest = hashlib.sha256(f"{purpose}|{message.to_json()}|{segment or ''}".encode()).hexdigest()
    return f"{purpose}-{digest[:16]}"


def make_plan(
    conn: Connection,
    broadcast_id: int,
    purpose: Purpose,
    message: Message,
    segment: Segment,
    templates: Templates,
    now: datetime,
) -> Plan:
    if message.template and templates.named(message.template) is None:
        raise BroadcastError(
            f"no template called {message.template!r} in templates.yaml: add it there first"
        )
    s = broadcast_sends.c
    # A run killed mid-batch: who was being sent to may have got it; they never get it again.
    conn.execute(
        update(broadcast_sends)
        .where(s.broadcast_id == broadcast_id, s.outcome == "sending")
        .values(outcome="interrupted")
    )
    done = set(
        conn.execute(select(s.conversation_id).where(s.broadcast_id == broadcast_id)).scalars()
    )
    planned = []
    for r in recipients(conn, segment, now):
        p = plan_for(r, purpose=purpose, event="broadcast", templates=templates, now=now)
        if message.template and p.outcome == "template":
            t = templates.named(message.template)
            assert t is not None
            code = t.languages.get(r.locale) or t.languages.get(r.locale.split("-", 1)[0])
            if code is None:
                p = Planned(r, "no template")
            else:
                from .templates import ChosenTemplate

                p = Planned(
                    r, "template", template=ChosenTemplate(t.name, code, tuple(t.parameters))
                )
        planned.append(p)
    return Plan(broadcast_id, planned, done)


def calls_for(p: Planned, message: Message, link: Any, now: datetime) -> list[OutboundCall]:
    """The platform calls that deliver ``message`` to one planned recipient."""
    r = p.recipient
    text = message.text_for(r.locale)
    if p.outcome == "template" and p.template is not None:
        payload = template_call(r.recipient, p.template, {"message": text})
        return [OutboundCall("messages", payload, r.conversation_id)]
    window_open = now if p.outcome == "tagged" else r.last_inbound_at
    ctx = RenderContext(now=now, locale=r.locale, last_inbound_at=window_open)
    rendered = link.adapter.render(r.recipient, [TextReply(text)], ctx)
    calls = [OutboundCall(c.method, dict(c.payload), r.conversation_id) for c in rendered]
    if p.outcome == "tagged":
        for call in calls:
            call.payload.update({"messaging_type": "MESSAGE_TAG", "tag": p.tag})
    return calls


class _Pacer:
    """At most ``rate`` sends a second: each waits for its slot after the previous one's
    (a late wake-up makes the next slot later, never two sends closer than the interval)."""

    def __init__(self, rate: float) -> None:
        self.gcra = Gcra(Rate(rate, burst=1))
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self.lock:
            delay = self.gcra.reserve("broadcast", time.monotonic())
            if delay:
                await asyncio.sleep(delay)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    errors: Counter[str] = field(default_factory=Counter)


async def send_plan(
    engine: Engine,
    plan: Plan,
    message: Message,
    links: Mapping[str, Any],
    *,
    now: Callable[[], datetime],
    rate: float | None = None,
    batch: int = 500,
    on_batch: Callable[[int, int], None] | None = None,
) -> SendReport:
    """Send to everyone the plan says may get it and who did not get it before."""
    report = SendReport()
    pending = [p for p in plan.to_send() if p.recipient.channel in links]
    limiter = _Pacer(rate) if rate else None
    for start in range(0, len(pending), batch):
        chunk = pending[start : start + batch]
        await asyncio.to_thread(_claim, engine, plan.broadcast_id, chunk)
        results = await asyncio.gather(*(_send_one(p, message, links, now, limiter) for p in chunk))
        await asyncio.to_thread(_record, engine, plan.broadcast_id, results, now())
        for _cid, ok, error in results:
            if ok:
                report.sent += 1
            else:
                report.failed += 1
                report.errors[error] += 1
        if on_batch is not None:
            on_batch(start + len(chunk), len(pending))
    return report


async def _send_one(
    p: Planned,
    message: Message,
    links: Mapping[str, Any],
    now: Callable[[], datetime],
    limiter: _Pacer | None,
) -> tuple[str, bool, str]:
    cid = p.recipient.conversation_id
    link = links[p.recipient.channel]
    if limiter is not None:
        await limiter.wait()
    try:
        calls = calls_for(p, message, link, now())
        if not calls:
            return cid, False, "nothing to send"
        for call in calls:
            result = await link.sender.send(call)
            if not result.ok:
                return cid, False, (result.error or f"HTTP {result.status}")[:200]
    except Exception as exc:  # one recipient's failure is reported, never ends the broadcast
        return cid, False, f"{type(exc).__name__}: {exc}"[:200]
    return cid, True, ""


def _claim(engine: Engine, broadcast_id: int, chunk: Sequence[Planned]) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(broadcast_sends),
            [
                {
                    "broadcast_id": broadcast_id,
                    "conversation_id": p.recipient.conversation_id,
                    "outcome": "sending",
                }
                for p in chunk
            ],
        )


def _record(
    engine: Engine, broadcast_id: int, results: Sequence[tuple[str, bool, str]], at: datetime
) -> None:
    s = broadcast_sends.c
    with engine.begin() as conn:
        for outcome in ("sent", "failed"):
            rows = [(cid, err) for cid, ok, err in results if ok == (outcome == "sent")]
            if not rows:
                continue
            conn.execute(
                update(broadcast_sends)
                .where(
                    s.broadcast_id == sa.bindparam("b_id"),
                    s.conversation_id == sa.bindparam("b_cid"),
                )
                .values(outcome=outcome, sent_at=at, error=sa.bindparam("b_err")),
                [{"b_id": broadcast_id, "b_cid": cid, "b_err": err or None} for cid, err in rows],
            )


def outcomes(conn: Connection, broadcast_id: int) -> Counter[str]:
    """How the broadcast went so far: recipients per recorded outcome."""
    s = broadcast_sends.c
    rows = conn.execute(
        select(s.outcome, sa.func.count()).where(s.broadcast_id == broadcast_id).group_by(s.outcome)
    )
    return Counter({row[0]: int(row[1]) for row in rows})


__all__ = [
    "Message",
    "Plan",
    "SendReport",
    "Segment",
    "calls_for",
    "default_name",
    "load_message",
    "make_plan",
    "open_broadcast",
    "outcomes",
    "recipients",
    "send_plan",
]
