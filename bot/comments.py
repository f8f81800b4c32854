"""Public comments under the shop's posts: one public answer, one private message, once.

```yaml
comments:
  enabled: true                  # default: on when the section is there
  handoff_angry: true            # angry-looking comments also open a hand-off ticket
  rules:                         # the first rule that matches a comment answers it
    - name: complaint
      angry: true                # matches comments that look angry (bot/handoff/mood.py)
      reply: {en: "Sorry to hear that, {name} — we've sent you a message."}
      message: {text: {en: "Hi {name}, I'm sorry! Tell me what happened and I'll help."}}
    - name: price
      keywords: {en: [price, how much, cost], pl: [cena, ile kosztuje]}
      reply: "Thanks {name}! Prices are in your messages 📩"
      message: {flow: gift_finder}   # the flow's opening is the private message
    - name: order
      flows: [order_tracking]    # a comment that would start this flow (its triggers)
      message: {flow: order_tracking}
  otherwise: {message: {flow: main_menu}}   # comments no rule matches; omit: no answer
```

``reply`` is the public answer under the comment (omit: none); ``message`` the private
reply: ``{flow: id}`` runs that flow in the commenter's conversation and sends its opening as
the one message Meta allows (a rule with neither ``flow`` nor ``text`` opens the start flow),
``{text: ...}`` sends a text, ``message: false`` sends nothing privately. Texts are a string
or ``{locale: text}``; ``{name}`` is the commenter's first name.

A private reply that opens a flow is run like a shopper's turn (bot/turnhook.py
``HookTurn``): the flow and its actions, which may do slow I/O, are thought with no
transaction open and hold up no other chat; the comment's answers, its row and the
commenter's session (saved only if no turn of theirs committed meanwhile) commit together.
One process thinks it: another that takes the commenter's conversation up meanwhile (their
private message reached it) waits for the opening's answer, so the flow's actions (a
payment API call) run once (bot/turnlease.py).

Each comment is answered at most once: the ``answered_comments`` row is written in the
transaction that queues the answers, and a second delivery of the comment (a duplicate, or
the same comment arriving concurrently) finds the row and answers nothing. Meta delivers a
private reply only within 7 days of the comment: an older one gets no private message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Boolean, Column, Connection, DateTime, MetaData, String, Table, select

from adapters.base import CommentInbound, Inbound, OutboundCall
from flows import Project, SessionState, StartInput, TextReply
from flows.replies import Reply
from flows.text import words
from shopdb import dialect_insert

from .contacts import Contacts
from .conversations import Conversations
from .handoff import HandoffHook
from .handoff.hook import first_name
from .service import ChannelLink
from .turnhook import HookTurn, TurnHookBase

log = logging.getLogger("shopchat.comments")

PRIVATE_REPLY_WINDOW = timedelta(days=7)

_metadata = MetaData()
answered_table = Table(
    "answered_comments",
    _metadata,
    Column("channel", String(32), primary_key=True),
    Column("comment_id", String(128), primary_key=True),
    Column("conversation_id", String(255), nullable=False),
    Column("rule", String(64)),
    Column("public_reply", Boolean, nullable=False),
    Column("private_reply", Boolean, nullable=False),
    Column("handed_off", Boolean, nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=False),
)

Text = str | dict[str, str]


class CommentsConfigError(Exception):
    """The ``comments:`` section of shop.yaml is wrong; the message says where and why."""


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    flow: str | None = None
    text: Text | None = None


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    angry: bool = False
    keywords: dict[str, list[str]] = {}
    flows: list[str] = []
    reply: Text | None = None
    message: _Message | bool = True


class _Otherwise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reply: Text | None = None
    message: _Message | bool = True


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    handoff_angry: bool = True
    rules: list[_Rule] = Field(default_factory=list)
    otherwise: _Otherwise | None = None

    @field_validator("rules")
    @classmethod
    def _matchable(cls, rules: list[_Rule]) -> list[_Rule]:
        for i, rule in enumerate(rules):
            if not (rule.angry or rule.keywords or rule.flows):
                raise ValueError(
                    f"rule {rule.name or i + 1} matches nothing: give it angry, keywords or flows"
                )
        return rules


@dataclass(frozen=True)
class Answer:
    """What one rule does with a comment it matches."""

    name: str
    reply: Text | None
    private: bool
    flow: str | None  # the flow whose opening is the private message
    text: Text | None  # or this text


@dataclass
class CommentRules:
    enabled: bool = False
    handoff_angry: bool = True
    rules: list[tuple[_Rule, Answer]] = field(default_factory=list)
    otherwise: Answer | None = None

    @classmethod
    def parse(cls, raw: dict[str, Any], project: Project, source: Path) -> CommentRules:
        if not raw:
            return cls()
        try:
            section = _Section.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"comments.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                for e in exc.errors(include_url=False, include_input=False)
            )
            raise CommentsConfigError(f"{source}: {problems}") from None

        def answer(name: str, reply: Text | None, message: _Message | bool) -> Answer:
            if message is False:
                return Answer(name, reply, False, None, None)
            m = message if isinstance(message, _Message) else _Message()
            flow = m.flow or (None if m.text is not None else project.start_flow)
            for flow_id in [flow] if flow else []:
                if flow_id not in project.flows:
                    raise CommentsConfigError(
                        f"{source}: comments rule {name!r}: no flow {flow_id!r}"
                    )
            return Answer(name, reply, True, flow, m.text)

        rules = []
        for i, rule in enumerate(section.rules):
            for flow_id in rule.flows:
                if flow_id not in project.flows:
                    raise CommentsConfigError(
                        f"{source}: comments rule {rule.name or i + 1}: no flow {flow_id!r}"
                    )
            rules.append((rule, answer(rule.name or f"rule {i + 1}", rule.reply, rule.message)))
        otherwise = None
        if section.otherwise is not None:
            o = section.otherwise
            otherwise = answer("otherwise", o.reply, o.message)
        return cls(section.enabled, section.handoff_angry, rules, otherwise)

    def match(self, text: str, angry: bool, project: Project) -> tuple[Answer | None, str | None]:
        """The answer for a comment and the locale its keywords matched in (if any)."""
        folded = f" {' '.join(words(text))} "
        started = project.triggers.match_text(text) if text.strip() else None
        for rule, ans in self.rules:
            if rule.angry and angry:
                return ans, None
            for locale, keywords in rule.keywords.items():
                if any(f" {' '.join(words(k))} " in folded for k in keywords if words(k)):
                    return ans, locale
            if started is not None and started in rule.flows:
                return ans, None
        return self.otherwise, None


@dataclass(frozen=True)
class _Plan:
    """How one comment is to be answered, as its load job decided."""

    answer: Answer | None
    locale: str  # the keywords' locale, or the shop's default
    public: bool
    private: bool
    handoff: bool
    now: datetime


def _text(text: Text | None, locale: str, default_locale: str, name: str) -> str:
    if text is None:
        return ""
    if isinstance(text, str):
        chosen = text
    else:
        chosen = text.get(locale) or text.get(default_locale) or next(iter(text.values()), "")
    return chosen.replace("{name}", name or "").replace(" ,", ",").strip()


class CommentHook(TurnHookBase):
    """Answers ``kind="comment"`` events (a TurnHook placed before the hand-off desk's)."""

    def __init__(
        self,
        rules: CommentRules,
        conversations: Conversations,
        handoff: HandoffHook | None = None,
        contacts: Contacts | None = None,
    ) -> None:
        self.rules = rules
        self.conversations = conversations
        self.handoff = handoff
        self.contacts = contacts
        self.counters = {
            "comments": 0,
            "public_replies": 0,
            "private_replies": 0,
            "comment_handoffs": 0,
        }

    def take_over(
        self, conn: Connection, link: ChannelLink, inbound: Inbound, now: datetime
    ) -> list[OutboundCall] | HookTurn | None:
        if not isinstance(inbound, CommentInbound):
            return None
        text = inbound.text
        if not self.rules.enabled:
            return []
        project = self.conversations.engine.project
        angry = self.handoff is not None and self.handoff.detector.is_angry(text)
        answer, locale = self.rules.match(text, angry, project)
        handoff = angry and self.rules.handoff_angry and self.handoff is not None
        if answer is None and not handoff:
            return []
        sent_at = inbound.sent_at or now
        private = answer is not None and answer.private and now - sent_at <= PRIVATE_REPLY_WINDOW
        public = answer is not None and answer.reply is not None
        plan = _Plan(answer, locale or project.shop.default_locale, public, private, handoff, now)
        if answer is None or not private or answer.flow is None:
            if not self._claim(conn, inbound, plan):
                log.info("comment %s was answered before: not again", inbound.comment_id)
                return []
            return self._answer(conn, link, inbound, plan, self._text_message(plan, inbound))
        if self._answered_before(conn, inbound):  # spares a duplicate its flow's actions
            log.info("comment %s was answered before: not again", inbound.comment_id)
            return []
        # The private reply is a flow's opening: thought like a turn (its actions may do
        # slow I/O, with no transaction open), answered in the commit job (_open).
        convos = self.conversations
        cid = inbound.conversation_id
        state, version = convos.resume(
            convos.store.load_in(conn, cid),
            cid,
            locale=plan.locale,
            user={k: v for k, v in inbound.user.items() if k in ("id", "name")},
            channel=link.name,
        )
        finish = partial(self._open, link, inbound, plan, state, version)
        return HookTurn(state, StartInput(flow=answer.flow), now, finish)

    def _open(
        self,
        link: ChannelLink,
        inbound: CommentInbound,
        plan: _Plan,
        state: SessionState,
        version: int | None,
        conn: Connection,
        replies: list[Reply],
    ) -> list[OutboundCall]:
        """The commit of a comment answered with a flow's opening: the comment is claimed
        and the commenter's session saved (their answer continues that flow) in one job."""
        if not self._claim(conn, inbound, plan):
            log.info("comment %s was answered before: not again", inbound.comment_id)
            return []
        # StaleSessionError: their conversation moved on since the load; the service rolls
        # this job back (the claim too) and thinks the opening again.
        store = self.conversations.store
        store.write_in(conn, inbound.conversation_id, state.to_json(), version)
        return self._answer(conn, link, inbound, plan, replies)

    def _answer(
        self,
        conn: Connection,
        link: ChannelLink,
        inbound: CommentInbound,
        plan: _Plan,
        private_replies: Sequence[Reply],
    ) -> list[OutboundCall]:
        """The calls answering a claimed comment, and the rows that go with them."""
        self.counters["comments"] += 1
        if self.contacts is not None:
            # Their name for the desk; no messaging window until they answer in private.
            self.contacts.introduce(conn, inbound)
        calls: list[OutboundCall] = []
        name = first_name(inbound.user)
        default = self.conversations.engine.project.shop.default_locale
        comment_id, cid = inbound.comment_id, inbound.conversation_id
        answer = plan.answer
        if answer is not None and plan.public:
            reply_text = _text(answer.reply, plan.locale, default, name)
            public_reply = getattr(link.adapter, "public_reply", None)
            if reply_text and public_reply is not None:
                calls.append(public_reply(comment_id, cid, reply_text))
                self.counters["public_replies"] += 1
        if answer is not None and plan.private:
            private_reply = getattr(link.adapter, "private_reply", None)
            call = private_reply(comment_id, cid, private_replies) if private_reply else None
            if call is not None:
                calls.append(call)
                self.counters["private_replies"] += 1
        if plan.handoff and self.handoff is not None:
            self.handoff.comment_ticket(conn, inbound, inbound.text, inbound.link or "", plan.now)
            self.counters["comment_handoffs"] += 1
        return calls

    def _text_message(self, plan: _Plan, inbound: CommentInbound) -> list[Reply]:
        """A private reply that is a text (none when the answer sends no private message)."""
        if plan.answer is None or not plan.private:
            return []
        default = self.conversations.engine.project.shop.default_locale
        text = _text(plan.answer.text, plan.locale, default, first_name(inbound.user))
        return [TextReply(text)] if text else []

    def _answered_before(self, conn: Connection, inbound: CommentInbound) -> bool:
        t = answered_table.c
        where = (t.channel == inbound.channel) & (t.comment_id == inbound.comment_id)
        return conn.execute(select(t.comment_id).where(where)).first() is not None

    def _claim(self, conn: Connection, inbound: CommentInbound, plan: _Plan) -> bool:
        answer = plan.answer
        stmt = (
            dialect_insert(conn, answered_table)
            .values(
                channel=inbound.channel,
                comment_id=inbound.comment_id,
                conversation_id=inbound.conversation_id,
                rule=answer.name[:64] if answer is not None else None,
                public_reply=plan.public,
                private_reply=plan.private,
                handed_off=plan.handoff,
                answered_at=plan.now,
            )
            .on_conflict_do_nothing(index_elements=["channel", "comment_id"])
            # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT.
            .returning(answered_table.c.comment_id)
        )
        return conn.execute(stmt).first() is not None


__all__ = ["CommentHook", "CommentRules", "CommentsConfigError", "answered_table"]
