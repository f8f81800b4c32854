"""Channel webhooks: a fast path in front of FastAPI's routing, and the same routes documented.

A webhook POST is the one request that comes in thousands per second, and FastAPI's routing,
dependency and response machinery cost more than storing the event does. ``WebhookFastPath``
is ASGI middleware (like Starlette's own), added to the app's middleware stack: it answers a
channel's POST itself, inside the error handling and every middleware added before it (the
body caps of bot/bodies.py, the trusted proxies). ``install`` adds ordinary FastAPI routes
for the same paths, so ``/openapi.json`` lists them and a request that reaches the router
(should the fast path be removed) is answered the same way.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.base import BadPayload, WebhookRejected

from .storage import StorageError

log = logging.getLogger("shopchat.app")

WEBHOOKS = {
    "/webhooks/telegram": "telegram",
    "/webhooks/whatsapp": "whatsapp",
    "/webhooks/messenger": "messenger",
    "/webhooks/instagram": "instagram",
    "/webhooks/line": "line",
    "/webhooks/wire": "wire",
}


async def answer(state: Any, name: str, headers: Headers, body: bytes) -> tuple[int, object]:
    """Verify, parse and store one webhook body: (status, JSON answer), counted for /metrics."""
    status, reply = await _answer(state, name, headers, body)
    counts = state.webhook_counts
    counts[(name, status)] = counts.get((name, status), 0) + 1
    return status, reply


async def _answer(state: Any, name: str, headers: Headers, body: bytes) -> tuple[int, object]:
    service = state.service
    if name not in service.links:
        return 404, {"detail": f"the {name} channel is not configured"}
    if len(body) > state.settings.max_body_bytes:
        return 413, {"detail": "body too large"}
    try:
        await service.receive(name, headers, body)
    except WebhookRejected as exc:
        log.warning("%s webhook rejected: %s", name, exc.reason)
        return exc.status, {"detail": exc.reason}
    except BadPayload as exc:
        log.warning("%s webhook: bad payload: %s", name, exc)
        return 400, {"detail": f"bad payload: {exc}"}
    except StorageError as exc:
        # Not acknowledged: the platform will deliver it again.
        log.error("%s webhook not stored: %s", name, exc)
        return 503, {"detail": "temporarily unavailable"}
    return 200, _ACCEPTED


# The answer to nearly every webhook POST, serialised once.
_ACCEPTED: dict[str, object] = {"ok": True}
_OK = orjson.dumps(_ACCEPTED)


class WebhookFastPath:
    """ASGI middleware: channel webhook POSTs answered without FastAPI's routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = WEBHOOKS.get(scope["path"]) if scope["type"] == "http" else None
        if name is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except ClientDisconnect:
            return  # nobody is left to answer
        status, reply = await answer(scope["app"].state, name, Headers(scope=scope), body)
        content = _OK if reply is _ACCEPTED else orjson.dumps(reply)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(content)),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


async def _read_body(receive: Receive) -> bytes:
    """The body; its size was capped before it got here (bot/bodies.py)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away mid-body
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def install(app: FastAPI) -> None:
    """The webhook routes, for /openapi.json and for any request the fast path lets through."""
    for path, name in WEBHOOKS.items():
        app.add_api_route(
            path,
            _endpoint(name),
            methods=["POST"],
            name=f"{name}_webhook",
            summary=f"{name.capitalize()} webhook: verified, stored, acknowledged",
            tags=["webhooks"],
        )


def _endpoint(name: str) -> Any:
    async def webhook(request: Request) -> Response:
        status, reply = await answer(request.app.state, name, request.headers, await request.body())
        return Response(orjson.dumps(reply), status, media_type="application/json")

    webhook.__name__ = f"{name}_webhook"
    return webhook


__all__ = ["WEBHOOKS", "WebhookFastPath", "answer", "install"]
