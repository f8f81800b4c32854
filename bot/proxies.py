"""Who the client is behind a reverse proxy: X-Forwarded-For only from trusted proxies.

The rate limits (console logins) key on the client's address, so a client that could name
its own address in ``X-Forwarded-For`` could dodge them. uvicorn trusts the header from
127.0.0.1 by default; ``shopchat serve`` turns that off and this middleware applies
uvicorn's own ``ProxyHeadersMiddleware`` with ``SHOPCHAT_TRUSTED_PROXIES`` (nothing
trusted when unset). The setting is read per request, so a changed value applies at once.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .settings import Settings


class TrustedProxies:
    """ASGI middleware: proxy headers honoured from ``settings.trusted_proxies`` only."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._for: tuple[str, ...] = ()
        self._proxied: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        trusted = tuple(self.settings.trusted_proxies)
        if not trusted or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if trusted != self._for or self._proxied is None:
            self._proxied = ProxyHeadersMiddleware(self.app, trusted_hosts=list(trusted))  # type: ignore[arg-type]
            self._for = trusted
        await self._proxied(scope, receive, send)


__all__ = ["TrustedProxies"]
