"""Long-lived credentials to post into one conversation (Wire's ``bot_request`` token).

A TurnHook keeps the token an event brings (``MessageInbound.conversation_token``) in the
transaction that processes the event; the Wire sender asks :meth:`ConversationTokens.lookup`
when an event's short-lived token has run out (an agent's answer, an order update).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Column, Connection, MetaData, String, Table, Text, select

from adapters.base import Inbound, MessageInbound, OutboundCall
from shopdb import UTCDateTime, upsert

from .committer import after_commit
from .service import ChannelLink
from .storage import SessionStore
from .turnhook import TurnHookBase

_metadata = MetaData()
tokens_table = Table(
    "conversation_tokens",
    _metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("token", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


class ConversationTokens(TurnHookBase):
    def __init__(self, store: SessionStore, channel: str = "wire") -> None:
        self.store = store
        self.channel = channel
        self._cache: dict[str, str] = {}

    def forget(self, conversation_ids: Iterable[str]) -> None:
        """Drop the cached tokens of erased conversations (bot/privacy.py)."""
        for cid in conversation_ids:
            self._cache.pop(cid, None)

    # -- TurnHook -------------------------------------------------------------------------
    def take_over(
        self, conn: Connection, link: ChannelLink, inbound: Inbound, now: datetime
    ) -> list[OutboundCall] | None:
        # Never takes over; the latest token is an upsert, harmless to keep if the turn fails.
        if (
            isinstance(inbound, MessageInbound)
            and inbound.conversation_token
            and inbound.channel == self.channel
        ):
            self.keep(conn, inbound.conversation_id, inbound.conversation_token, now)
        return None

    # -- store ----------------------------------------------------------------------------
    def keep(self, conn: Connection, conversation_id: str, token: str, now: datetime) -> None:
        row = {"conversation_id": conversation_id, "token": token, "updated_at": now}
        conn.execute(upsert(conn, tokens_table, row, keys=["conversation_id"]))
        after_commit(conn, lambda: self._cache.__setitem__(conversation_id, token))

    def get(self, conversation_id: str) -> str | None:
        if conversation_id in self._cache:
            return self._cache[conversation_id]
        with self.store.connection() as conn:
            row = conn.execute(
                select(tokens_table.c.token).where(
                    tokens_table.c.conversation_id == conversation_id
                )
            ).first()
        if row is None:
            return None
        self._cache[conversation_id] = str(row[0])
        return str(row[0])

    async def lookup(self, address: str) -> str | None:
        """The token of ``{channel}:{address}`` (for the sender: never blocks the loop)."""
        cid = f"{self.channel}:{address}"
        if cid in self._cache:
            return self._cache[cid]
        return await asyncio.to_thread(self.get, cid)


__all__ = ["ConversationTokens", "tokens_table"]
