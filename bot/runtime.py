"""The async runtime: shopper events in, replies out, ordered per conversation.

Channels (and the terminal, and tests) submit :class:`Inbound` events; the dispatcher runs a
conversation's events one at a time in arrival order, different conversations in parallel;
each turn is committed to the session store before its replies are handed to ``deliver``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from flows import Event

from .conversations import Conversations, TurnResult
from .dispatcher import Dispatcher


@dataclass(frozen=True)
class Inbound:
    """A shopper event with what the channel knows about the shopper."""

    conversation_id: str
    event: Event
    channel: str = ""
    locale: str | None = None
    user: dict[str, Any] = field(default_factory=dict)


Deliver = Callable[[Inbound, TurnResult], Awaitable[None]]


class Runtime:
    """Runs :class:`Conversations` behind a :class:`Dispatcher`."""

    def __init__(
        self, conversations: Conversations, deliver: Deliver, *, max_concurrency: int = 64
    ) -> None:
        self.conversations = conversations
        self.deliver = deliver
        self.dispatcher: Dispatcher[Inbound] = Dispatcher(
            self._handle, max_concurrency=max_concurrency
        )

    async def submit(self, inbound: Inbound) -> None:
        await self.dispatcher.submit(inbound.conversation_id, inbound)

    async def drain(self) -> None:
        await self.dispatcher.drain()

    async def close(self) -> None:
        await self.dispatcher.close()

    async def _handle(self, conversation_id: str, inbound: Inbound) -> None:
        # The store and the engine are synchronous; a worker thread keeps the loop responsive.
        result = await asyncio.to_thread(
            self.conversations.handle,
            conversation_id,
            inbound.event,
            locale=inbound.locale,
            user=inbound.user,
            channel=inbound.channel,
        )
        await self.deliver(inbound, result)


__all__ = ["Deliver", "Inbound", "Runtime"]
