"""The customer book's part in every turn: her facts in, what the flow remembered out.

``prepare`` puts the customer's facts on the session before the engine runs (templates read
them as ``customer.*``); ``commit`` keeps the facts the turn's ``remember:`` steps
produced. Facts are cached per conversation for ``refresh`` (a minute): another process's
change (an agent's edit, the same customer writing on another channel) shows within it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from bot.turnhook import TurnHookBase
from flows import Remember, SessionState

from .book import CustomerBook

_REMEMBER = 100_000  # conversations cached; then start over


class CustomerHook(TurnHookBase):
    """A chat-service turn hook (bot/turnhook.py) for the customer book."""

    def __init__(self, book: CustomerBook, *, refresh: timedelta = timedelta(seconds=60)) -> None:
        self.book = book
        self.refresh = refresh
        self._cache: dict[str, tuple[int, dict[str, Any], datetime]] = {}

    def forget(self, conversation_ids: Iterable[str]) -> None:
        """Drop what this process remembers of erased conversations (bot/privacy.py)."""
        for cid in conversation_ids:
            self._cache.pop(cid, None)

    def prepare(self, conn: Connection, inbound: Any, state: SessionState, now: datetime) -> None:
        cid = inbound.conversation_id
        cached = self._cache.get(cid)
        if cached is None or now - cached[2] > self.refresh or now < cached[2]:
            customer = self.book.customer_of(conn, cid, inbound.channel, now)
            facts = self.book.facts(conn, customer, now)
            self._keep(conn, cid, (customer, facts, now))
        else:
            facts = cached[1]
        state.customer = dict(facts)

    def commit(
        self,
        conn: Connection,
        inbound: Any,
        state: SessionState,
        replies: Sequence[Any],
        effects: Sequence[Any],
        now: datetime,
    ) -> list[Any] | None:
        remembered: dict[str, Any] = {}
        for effect in effects:
            if isinstance(effect, Remember):
                remembered.update(effect.facts)
        if remembered:
            cid = inbound.conversation_id
            self.book.remember(conn, cid, inbound.channel, remembered, now)
            # Read again next turn (the facts may have joined another customer's); this also
            # runs after the cache entry this turn's prepare() set at commit.
            self._cache.pop(cid, None)
            _after_commit(conn, lambda: self._cache.pop(cid, None))
        return None

    def _keep(
        self, conn: Connection, cid: str, entry: tuple[int, dict[str, Any], datetime]
    ) -> None:
        if len(self._cache) > _REMEMBER:
            self._cache.clear()
        _after_commit(conn, lambda: self._cache.__setitem__(cid, entry))


def _after_commit(conn: Connection, callback: Any) -> None:
    from bot.committer import after_commit  # the hook runs in the bot's transactions

    after_commit(conn, callback)


__all__ = ["CustomerHook"]
