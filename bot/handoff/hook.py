"""The desk's side of every turn (a :class:`bot.turnhook.TurnHook`).

- ``take_over``: while a person owns the conversation the bot does not run; the shopper's
  message goes to the transcript and the agent (a live event). A message soon after a ticket
  was resolved re-opens it.
- ``reshape``: a hand-off in this turn (the engine's, or an angry message, or too many
  misunderstood messages in a row) gets the desk's acknowledgement instead of the engine's
  generic text: the shopper's first name and the expected wait, or, outside business hours,
  when someone will answer and that the bot can help meanwhile.
- ``commit``: every bot turn goes to the transcript; a hand-off opens a ticket.

Who owns a conversation: a ticket assigned to an agent, or waiting within business hours.
A ticket opened outside business hours lets the bot carry on until an agent claims it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_datetime
from sqlalchemy import Connection

from adapters.base import Inbound, MessageInbound, OutboundCall, RenderContext
from bot.service import ChannelLink
from flows import (
    CatalogOrderInput,
    ChoiceInput,
    ContactInput,
    Handoff,
    ImageInput,
    LocationInput,
    Project,
    Reply,
    SessionState,
    StartInput,
    TextInput,
    TextReply,
    start_handoff,
)
from flows.replies import ImageReply, ProductCards

from ..logsafe import conversation_ref
from ..turnhook import TurnHookBase
from . import queue
from .config import HandoffConfig
from .events import DeskEvents
from .models import OPEN_STATES, DeskEvent, TicketSummary, TranscriptLine
from .mood import AngerDetector
from .notify import Notifier

log = logging.getLogger("shopchat.handoff")


def event_text(inbound: MessageInbound) -> str:
    """What the shopper sent, as a line of the transcript."""
    e = inbound.event
    if isinstance(e, TextInput):
        return e.text
    if isinstance(e, ChoiceInput):
        return e.label or e.payload
    if isinstance(e, ImageInput):
        return f"[image] {e.caption or ''}".strip()
    if isinstance(e, ContactInput):
        return f"[contact] {e.phone}"
    if isinstance(e, LocationInput):
        return f"[location] {e.address or f'{e.latitude},{e.longitude}'}"
    if isinstance(e, StartInput):
        return f"[start] {e.payload or ''}".strip()
    if isinstance(e, CatalogOrderInput):
        # What the shopper picked in the platform's catalog, as they sent it.
        items = ", ".join(f"{i.quantity} × {i.retailer_id}" for i in e.items)
        return f"[catalog order] {items}{f' — {e.text}' if e.text else ''}"
    return f"[{type(e).__name__}]"


def reply_text(reply: Reply) -> str:
    if isinstance(reply, TextReply):
        if reply.choices:
            return reply.text + "\n" + " | ".join(f"[{c.label}]" for c in reply.choices)
        return reply.text
    if isinstance(reply, ImageReply):
        return f"[image] {reply.caption or reply.url}"
    if isinstance(reply, ProductCards):
        return "[products] " + "; ".join(f"{c.title} {c.price}".strip() for c in reply.cards)
    return str(reply)


def _source(inbound: Inbound) -> str:
    """The transcript's key for an inbound event, so it is kept once however often it comes."""
    return f"{inbound.channel}:{inbound.event_id}"


def first_name(user: dict[str, Any] | None, fallback: str | None = None) -> str:
    user = user or {}
    name = user.get("first_name") or user.get("name") or fallback or ""
    return str(name).split()[0] if str(name).strip() else ""


_UNREAD = object()  # a conversation whose newest ticket this turn has not read


class HandoffHook(TurnHookBase):
    def __init__(
        self,
        project: Project,
        config: HandoffConfig,
        notifier: Notifier,
        events: DeskEvents,
    ) -> None:
        self.project = project
        self.config = config
        self.notifier = notifier
        self.events = events
        self.detector = AngerDetector(config.angry)
        # Called (from the database thread) when a ticket opens: the desk delivers its
        # notifications right after the turn commits instead of at the next sweep.
        self.nudge: Callable[[], None] | None = None
        self.counters = {"handoffs": 0, "messages_to_agents": 0, "reopened": 0}
        # The newest ticket of each conversation, read once per database job of a turn
        # (reshape and commit both ask): dropped when a job starts and in end_turn, so a
        # ticket an agent claimed while the turn was thought out is seen at its commit.
        self._tickets: dict[str, TicketSummary | None] = {}

    def _latest(self, conn: Connection, cid: str) -> TicketSummary | None:
        if cid not in self._tickets:
            found = queue.latest_id_state(conn, cid)
            self._tickets[cid] = queue.get(conn, found[0]) if found is not None else None
        return self._tickets[cid]

    def _open_for(self, conn: Connection, cid: str) -> TicketSummary | None:
        ticket = self._latest(conn, cid)
        return ticket if ticket is not None and ticket.state in OPEN_STATES else None

    def forget(self, conversation_ids: Iterable[str]) -> None:
        """Erased conversations (bot/privacy.py): their tickets are closed, no one owns them."""
        for cid in conversation_ids:
            self._tickets.pop(cid, None)

    def end_turn(self, conversation_id: str) -> None:
        self._tickets.pop(conversation_id, None)

    # -- ownership --------------------------------------------------------------------------
    def owned(self, ticket: TicketSummary | None) -> bool:
        return ticket is not None and (ticket.state == "assigned" or not ticket.away)

    # -- before the bot ---------------------------------------------------------------------
    def take_over(
        self, conn: Connection, link: ChannelLink, inbound: Inbound, now: datetime
    ) -> list[OutboundCall] | None:
        cid = inbound.conversation_id
        if not self.config.enabled or not isinstance(inbound, MessageInbound) or not cid:
            return None
        self._tickets.pop(cid, None)
        ticket = self._open_for(conn, cid)
        answer: list[Reply] = []
        if ticket is None:
            ticket = self._reopen(conn, cid, now)
            if ticket is None:
                return None
            contact_name = ticket.customer_name
            answer = [
                TextReply(
                    self._text(
                        "handoff_queued", inbound, name=first_name(inbound.user, contact_name)
                    )
                )
            ]
        elif not self.owned(ticket):
            return None  # outside hours, nobody has it yet: the bot carries on
        self._keep_inbound(conn, inbound, ticket, now)
        self.counters["messages_to_agents"] += 1
        calls = list(link.acknowledge(inbound))  # a pressed button stops spinning; no words
        if answer:
            self._keep_replies(conn, cid, answer, ticket.id, now, None)
            ctx = RenderContext(
                now=now,
                locale=ticket.locale or self._locale(inbound),
                last_inbound_at=now,
                reply_to=inbound,
            )
            calls += link.adapter.render(inbound.recipient, list(answer), ctx)
        return calls

    def comment_ticket(
        self, conn: Connection, inbound: Inbound, text: str, link: str, now: datetime
    ) -> TicketSummary | None:
        """A ticket for an angry public comment, with the comment and its link in the
        transcript; the commenter's open ticket if there is one."""
        if not self.config.enabled or not inbound.conversation_id:
            return None
        cid = inbound.conversation_id
        ticket = self._open_for(conn, cid)
        if ticket is None:
            ticket = self._open(conn, inbound, Handoff(reason="angry_comment"), now)
            self._tickets[cid] = ticket
        line = queue.record(
            conn,
            conversation_id=cid,
            direction="shopper",
            text=f"[comment] {text}" + (f"\n{link}" if link else ""),
            at=now,
            ticket_id=ticket.id,
            source=_source(inbound),
        )
        self._announce(line, ticket, cid)
        return ticket

    def _reopen(self, conn: Connection, cid: str, now: datetime) -> TicketSummary | None:
        within = self.config.reopen_within
        last = self._latest(conn, cid)
        if within is None or last is None or last.state != "resolved" or last.resolved_at is None:
            return None
        if now - last.resolved_at > within:
            return None
        away = not self.config.hours.is_open(now)
        if not queue.transition(
            conn,
            last.id,
            when_state=["resolved"],
            state="waiting",
            agent=None,
            away=away,
            reopened=last.reopened + 1,
            waiting_since=now,
            assigned_at=None,
            resolved_at=None,
            updated_at=now,
        ):
            return None
        self.counters["reopened"] += 1
        ticket = self._tickets[cid] = queue.get(conn, last.id)
        if ticket is not None:
            self.events.publish(DeskEvent("ticket_changed", ticket.id, cid, ticket.state, None))
        return ticket

    # -- the bot's replies ------------------------------------------------------------------
    def reshape(
        self,
        conn: Connection,
        inbound: MessageInbound,
        state: SessionState,
        replies: list[Reply],
        effects: list[Any],
        now: datetime,
    ) -> list[Reply]:
        if not self.config.enabled or not inbound.conversation_id:
            return replies
        cid = inbound.conversation_id
        if self._tickets.get(cid, _UNREAD) is not None:
            self._tickets.pop(cid, None)  # the commit job reads afresh
        # else the load found no ticket at all. Only a turn's commit opens one, and that turn
        # saved the session too: this commit's version check refuses to save over it, and the
        # turn is loaded and thought again. So the commit skips a statement every turn.
        handoff = next((e for e in effects if isinstance(e, Handoff)), None)
        existing = self._open_for(conn, cid)
        if handoff is None and existing is None:
            handoff = self._trigger(inbound, state)
            if handoff is not None:
                effects.append(handoff)
        if handoff is None:
            return replies
        name = first_name(state.user)
        is_open = self.config.hours.is_open(now)
        away = existing.away if existing is not None else not is_open
        # Out of hours the bot carries on (and keeps its offers); otherwise a person answers.
        start_handoff(state, person_answers=not away)
        if existing is not None and not away:
            text = self.system("handoff_queued", state.locale, name=name)
        elif away:
            opens = self.config.hours.next_opening(now)
            text = self.system(
                "handoff_away", state.locale, name=name, opens=self.when(opens, state.locale)
            )
        else:
            minutes = self.expected_minutes(conn, now)
            if handoff.custom_text and handoff.reply is not None and handoff.reply < len(replies):
                said = replies[handoff.reply]
                wait = self.system("handoff_wait", state.locale, minutes=minutes)
                text = f"{said.text}\n\n{wait}" if isinstance(said, TextReply) else wait
            else:
                text = self.system("handoff_ack", state.locale, name=name, minutes=minutes)
        index = (
            handoff.reply if handoff.reply is not None and handoff.reply < len(replies) else None
        )
        if away:
            # The bot carries on: keep what it said after the hand-off (the "shall we
            # continue?" offer), or offer it when the engine did not.
            if index is None:
                return [TextReply(f"{text} {self.system('handoff_resume', state.locale)}")]
            after = replies[index + 1 :]
            if not after:
                text = f"{text} {self.system('handoff_resume', state.locale)}"
            return [*replies[:index], TextReply(text), *after]
        # A person will answer: the bot says nothing more (start_handoff withdrew its offers).
        before = replies[:index] if index is not None else []
        return [*before, TextReply(text)]

    def _trigger(self, inbound: MessageInbound, state: SessionState) -> Handoff | None:
        frame = state.frame
        flow, step = (frame.flow, frame.step_id) if frame else (None, None)
        e = inbound.event
        if isinstance(e, TextInput) and self.detector.is_angry(e.text):
            return Handoff(reason="angry", flow=flow, step=step)
        if self.config.fallbacks and state.fallbacks >= self.config.fallbacks:
            return Handoff(reason="fallbacks", flow=flow, step=step)
        return None

    # -- after the bot ----------------------------------------------------------------------
    def commit(
        self,
        conn: Connection,
        inbound: MessageInbound,
        state: SessionState,
        replies: Sequence[Reply],
        effects: Sequence[Any],
        now: datetime,
    ) -> list[OutboundCall] | None:
        cid = inbound.conversation_id
        if not self.config.enabled or not cid:
            return None
        ticket = self._open_for(conn, cid)
        handoff = next((e for e in effects if isinstance(e, Handoff)), None)
        created = False
        if handoff is not None and ticket is None:
            ticket = self._tickets[cid] = self._open(conn, inbound, handoff, now)
            created = True
        frame = state.frame
        flow = frame.flow if frame else None
        if ticket is None:
            # Most turns: no ticket, nobody watching live; the whole turn in one statement.
            queue.record_untracked(
                conn,
                cid,
                (event_text(inbound), _source(inbound)),
                [reply_text(r) for r in replies],
                now,
                flow,
            )
        else:
            self._keep_inbound(conn, inbound, ticket, now)
            self._keep_replies(conn, cid, list(replies), ticket.id, now, flow)
        if created and ticket is not None:
            if self.config.auto_assign:
                agent = queue.least_busy(
                    conn, now, self.config.presence_ttl, cap=self.config.max_per_agent
                )
                if agent is not None and queue.transition(
                    conn,
                    ticket.id,
                    when_state=["waiting"],
                    state="assigned",
                    agent=agent,
                    assigned_at=now,
                    updated_at=now,
                ):
                    ticket = self._tickets[cid] = queue.get(conn, ticket.id) or ticket
            self.events.publish(
                DeskEvent("ticket_created", ticket.id, cid, ticket.state, ticket.agent)
            )
            if self.nudge is not None:
                self.nudge()
        return None

    def _open(
        self, conn: Connection, inbound: Inbound, handoff: Handoff, now: datetime
    ) -> TicketSummary:
        p = self.config.priorities
        priority = max(p.get(handoff.reason, 0), p.get(handoff.flow or "", 0), 0)
        ticket_id = queue.open_ticket(
            conn,
            conversation_id=inbound.conversation_id,
            channel=inbound.channel,
            reason=handoff.reason,
            priority=priority,
            flow=handoff.flow,
            step=handoff.step,
            away=not self.config.hours.is_open(now),
            now=now,
        )
        ticket = queue.get(conn, ticket_id)
        assert ticket is not None
        if ticket.customer_name is None:
            # The contact row is written after the hooks on a shopper's first message.
            name = inbound.user.get("name") or inbound.user.get("first_name")
            ticket = _with_name(ticket, name)
        self.notifier.enqueue(conn, ticket, "ticket_created", now)
        self.counters["handoffs"] += 1
        log.info(
            "ticket #%s opened for %s (%s)",
            ticket_id,
            conversation_ref(inbound.conversation_id),
            handoff.reason,
        )
        return ticket

    # -- transcript ---------------------------------------------------------------------------
    def _keep_inbound(
        self, conn: Connection, inbound: MessageInbound, ticket: TicketSummary | None, now: datetime
    ) -> None:
        line = queue.record(
            conn,
            conversation_id=inbound.conversation_id,
            direction="shopper",
            text=event_text(inbound),
            at=now,
            ticket_id=ticket.id if ticket else None,
            source=_source(inbound),
        )
        self._announce(line, ticket, inbound.conversation_id)

    def _keep_replies(
        self,
        conn: Connection,
        cid: str,
        replies: list[Reply],
        ticket_id: int,
        now: datetime,
        flow: str | None,
        *,
        author: str | None = None,
    ) -> None:
        """The bot's lines on a ticket, each announced to the agents watching it (turns with
        no ticket are kept by ``queue.record_untracked``)."""
        for reply in replies:
            line = queue.record(
                conn,
                conversation_id=cid,
                direction="bot",
                text=reply_text(reply),
                at=now,
                ticket_id=ticket_id,
                author=author,
                flow=flow,
            )
            self.events.publish(DeskEvent("message", ticket_id, cid, message=line))

    def _announce(
        self, line: TranscriptLine | None, ticket: TicketSummary | None, cid: str
    ) -> None:
        if line is not None and ticket is not None:
            self.events.publish(
                DeskEvent("message", ticket.id, cid, ticket.state, ticket.agent, line)
            )

    # -- texts --------------------------------------------------------------------------------
    def system(self, key: str, locale: str, **values: Any) -> str:
        text = self.project.system[key].render(locale, values)
        return " ".join(text.split()) if "\n" not in text else text

    def _locale(self, inbound: Inbound) -> str:
        return self.project.pick_locale(inbound.locale)

    def _text(self, key: str, inbound: Inbound, **values: Any) -> str:
        return self.system(key, self._locale(inbound), **values)

    def when(self, moment: datetime | None, locale: str) -> str:
        """The next opening as the shopper reads it, in the shop's time zone."""
        if moment is None:
            return "?"
        local = moment.astimezone(self.config.hours.tz)
        try:
            return format_datetime(local, "EEEE d MMMM, HH:mm", locale=locale)
        except Exception:  # an unknown locale to babel: fall back to English
            return format_datetime(local, "EEEE d MMMM, HH:mm", locale="en")

    def expected_minutes(self, conn: Connection, now: datetime) -> int:
        """The wait to announce: the median of recent waits (or the configured figure),
        longer when others are already waiting and few agents are online."""
        waits = sorted(queue.recent_waits(conn))
        base = waits[len(waits) // 2] if len(waits) >= 3 else self.config.expected_wait
        ahead = queue.waiting_count(conn)
        online = len(queue.online_agents(conn, now, self.config.presence_ttl))
        estimate = base * (1 + ahead / max(online, 1)) if ahead else base
        return max(1, round(estimate / timedelta(minutes=1)))


def _with_name(ticket: TicketSummary, name: Any) -> TicketSummary:
    from dataclasses import replace

    return replace(ticket, customer_name=str(name) if name else None)


__all__ = ["HandoffHook", "event_text", "first_name", "reply_text"]
