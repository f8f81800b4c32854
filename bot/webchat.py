"""The web chat's live side: which browsers are connected to which chat, and sending to them.

A reply for a browser that is not connected stays in the outbox and is sent when it
reconnects, so closing the tab mid-answer loses nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from fastapi import WebSocket

from adapters.base import OutboundCall, SendResult

from .logsafe import conversation_ref

log = logging.getLogger("shopchat.webchat")


class WebHub:
    """Connected chat sockets by session id; also the web channel's sender."""

    def __init__(self) -> None:
        self._sockets: dict[str, set[WebSocket]] = defaultdict(set)

    def connect(self, session_id: str, socket: WebSocket) -> None:
        self._sockets[session_id].add(socket)

    def disconnect(self, session_id: str, socket: WebSocket) -> None:
        sockets = self._sockets.get(session_id)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[session_id]

    async def send(self, call: OutboundCall) -> SendResult:
        session_id = call.conversation_id.removeprefix("web:")
        delivered = 0
        for socket in list(self._sockets.get(session_id, ())):
            try:
                await socket.send_json(call.payload)
                delivered += 1
            except Exception as exc:  # a socket that died under us
                log.info(
                    "web chat %s: dropping a dead socket (%s)",
                    conversation_ref(f"web:{session_id}"),
                    exc,
                )
                self.disconnect(session_id, socket)
        if delivered:
            return SendResult(ok=True)
        return SendResult(ok=False, status=0, error="no browser connected")


__all__ = ["WebHub"]
