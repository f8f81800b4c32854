"""Turn hooks: features (hand-off, checkout, comments...) that take part in every turn.

A turn has three steps (bot/service.py): *load* (a short database job), *think* (the engine
and its actions, on the event loop, no transaction) and *commit* (a second short job,
guarded by the session's version). A hook is called in the two database jobs only, with
their connection, so whatever it writes commits with the event's claim, exactly once::

    load    take_over(conn, link, inbound, now)    -> calls: the hook answered, the bot is
                                                      not run; None: go on; a HookTurn: the
                                                      answer needs a flow thought out first
            prepare(conn, inbound, state, now)      fill the session before the engine runs
                                                      (the customer's remembered facts)
    commit  reshape(conn, inbound, state, replies, effects, now) -> the replies to render
            commit(conn, inbound, state, replies, effects, now)  -> more calls, after them
    always  end_turn(conversation_id)             drop anything kept for this turn

No typing indicator shows for an event a hook took over (a person owns the conversation):
what decides it is the load job's reading of the database, so every process agrees.

``take_over`` may write only when it takes the event over, or when what it writes is
harmless to keep if the turn then fails (an upsert of the latest conversation token): when
it returns None its job commits before the turn is thought out. ``reshape`` must only read
(and may append effects, change ``state``); it runs before the session is saved. A commit
that loses to another worker's (the version moved on) is thrown away whole and the turn is
thought again from the newer session, so ``reshape`` and ``commit`` may run more than once
for one event, but only one run commits.

A :class:`HookTurn` is how a hook answers with a flow (a comment's private reply opening
one): the service thinks its flow like a shopper's turn (on the event loop, no transaction
open, its actions' writes applied once per event: bot/turnwork.py) and calls its ``finish``
in the commit job, after the event is claimed. ``take_over`` then writes nothing in the load
job; ``finish`` writes the hook's rows and saves the session, guarded by the version it was
loaded at (StaleSessionError: the turn is loaded and thought again, ``take_over`` included).
One process at a time thinks it: the load job takes a lease on the event
(bot/turnlease.py), and another process that loads the conversation meanwhile (for a later
event, or recovering at its start) leaves it, and what follows it, to the holder.

Subclass :class:`TurnHookBase` and override what the feature needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection

from adapters.base import Inbound, MessageInbound, OutboundCall
from flows import Event, SessionState
from flows.replies import Reply

if TYPE_CHECKING:
    from .service import ChannelLink


@dataclass(frozen=True)
class HookTurn:
    """A hook's answer that needs a flow thought out first (see the module docstring):
    ``event`` is thought on ``state`` at ``now``; ``finish(conn, replies)`` runs in the
    commit job and returns the calls to queue."""

    state: SessionState
    event: Event
    now: datetime
    finish: Callable[[Connection, list[Reply]], list[OutboundCall]]


class TurnHook(Protocol):
    def take_over(
        self, conn: Connection, link: ChannelLink, inbound: Inbound, now: datetime
    ) -> list[OutboundCall] | HookTurn | None: ...

    def prepare(
        self, conn: Connection, inbound: MessageInbound, state: SessionState, now: datetime
    ) -> None: ...

    def reshape(
        self,
        conn: Connection,
        inbound: MessageInbound,
        state: SessionState,
        replies: list[Reply],
        effects: list[Any],
        now: datetime,
    ) -> list[Reply]: ...

    def commit(
        self,
        conn: Connection,
        inbound: MessageInbound,
        state: SessionState,
        replies: Sequence[Reply],
        effects: Sequence[Any],
        now: datetime,
    ) -> list[OutboundCall] | None: ...

    def end_turn(self, conversation_id: str) -> None: ...


class TurnHookBase:
    """A hook that does nothing: override the steps a feature takes part in."""

    def take_over(
        self, conn: Connection, link: ChannelLink, inbound: Inbound, now: datetime
    ) -> list[OutboundCall] | HookTurn | None:
        return None

    def prepare(
        self, conn: Connection, inbound: MessageInbound, state: SessionState, now: datetime
    ) -> None:
        return None

    def reshape(
        self,
        conn: Connection,
        inbound: MessageInbound,
        state: SessionState,
        replies: list[Reply],
        effects: list[Any],
        now: datetime,
    ) -> list[Reply]:
        return replies

    def commit(
        self,
        conn: Connection,
        inbound: MessageInbound,
        state: SessionState,
        replies: Sequence[Reply],
        effects: Sequence[Any],
        now: datetime,
    ) -> list[OutboundCall] | None:
        return None

    def end_turn(self, conversation_id: str) -> None:
        return None


__all__ = ["HookTurn", "TurnHook", "TurnHookBase"]
