"""Request bodies bounded before they are read, credentials checked before they are parsed.

FastAPI reads and parses a JSON body before it runs a route's dependencies, so a stranger's
300 MB POST to an authenticated route was read whole and parsed before the bearer token was
looked at, and a route that called ``request.body()`` held the whole body before checking its
size. This ASGI middleware runs before any of that, on every HTTP route:

1. the route's credentials gate, if it has one (the merchant API, the console's JSON API):
   a refusal is answered before a byte of the body is read;
2. a declared ``Content-Length`` over the route's cap: 413 at once;
3. the body read chunk by chunk, counted as it arrives: 413 as soon as it passes the cap
   (chunked uploads included), without reading the rest;
4. the app gets the body it would have read, replayed from at most ``limit`` bytes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shoptext import parse_ascii_int

Gate = Callable[[Request], Awaitable[Response | None]]
"""Checks a request's credentials from its headers alone: None to let it in, else the refusal."""

KIB = 1024
MIB = 1024 * KIB
DEFAULT_LIMIT = 64 * KIB  # console forms and API, the merchant API


@dataclass(frozen=True)
class BodyRule:
    """Requests whose path starts with ``prefix`` carry at most ``limit`` bytes (a callable:
    asked per request, so a changed setting applies at once) and pass ``gate`` first."""

    prefix: str
    limit: int | Callable[[], int] = DEFAULT_LIMIT
    gate: Gate | None = None


def refusal(status: int, kind: str, detail: str) -> Response:
    body = orjson.dumps({"error": kind, "detail": detail})
    return Response(body, status, media_type="application/json")


class BodyLimits:
    """ASGI middleware: each HTTP request's body capped by the longest matching rule's limit
    (``default`` when none matches), its gate passed before the body is read."""

    def __init__(
        self, app: ASGIApp, rules: Sequence[BodyRule], default: int = DEFAULT_LIMIT
    ) -> None:
        self.app = app
        self.rules = sorted(rules, key=lambda r: len(r.prefix), reverse=True)
        self.default = default

    def rule(self, path: str) -> BodyRule | None:
        for rule in self.rules:
            if path.startswith(rule.prefix):
                return rule
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = self.rule(scope["path"])
        limit = self.default if rule is None else rule.limit
        cap = limit() if callable(limit) else limit
        if rule is not None and rule.gate is not None:
            refused = await rule.gate(Request(scope))
            if refused is not None:
                await refused(scope, receive, send)
                return
        declared = _declared_length(scope)
        if declared == -1:
            await refusal(400, "bad_request", "Content-Length is not a number")(
                scope, receive, send
            )
            return
        if declared is not None and declared > cap:
            await _too_large(cap)(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before its body ended: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                await _too_large(cap)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _too_large(limit: int) -> Response:
    return refusal(413, "too_large", f"the body is over this route's {limit} bytes")


def _declared_length(scope: Scope) -> int | None:
    """Content-Length as a number; None when absent, -1 when it is not ASCII digits."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            if value.isdigit() and len(value) <= 18:  # bytes: ASCII digits only
                return int(value)
            try:
                text = value.decode("latin-1").strip()
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
                return -1
            number = parse_ascii_int(text, high=1 << 62)
            return -1 if number is None else number
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body in one message, then the server's own messages (a disconnect, say)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


__all__ = ["DEFAULT_LIMIT", "KIB", "MIB", "BodyLimits", "BodyRule", "Gate", "refusal"]
