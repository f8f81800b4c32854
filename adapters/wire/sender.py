"""Sending to Roman: ``POST {api_base}/api/conversation`` with a conversation's token.

The event's own token is used while it lasts (about 20 s), then the long-lived token the
``conversation.bot_request`` brought, looked up through ``tokens``. A picture is fetched here
and sent as bytes (Roman takes no links); one that cannot be fetched, or is not an image, or
is over 5 MB, is sent as its link instead. 403 with an event token is tried again with the
long-lived one; 409 (Roman no longer knows the bot: it was removed from the conversation)
marks the conversation unreachable; 429 and 5xx are retried; other 4xx are permanent.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import httpx
import orjson

from ..base import OutboundCall, SendResult
from ..http import ApiSender, retry_after_header

log = logging.getLogger("shopchat.adapters.wire")

MAX_IMAGE_BYTES = 5 * 1024 * 1024

#: the long-lived token of a bot instance (None: none kept).
TokenSource = Callable[[str], Awaitable[str | None]]


class WireSender(ApiSender):
    name = "wire"

    def __init__(
        self,
        client: httpx.AsyncClient,
        tokens: TokenSource,
        *,
        api_base: str = "https://proxy.services.wire.com",
        clock: Callable[[], float] = time.time,
        **retry: Any,
    ) -> None:
        super().__init__(client, **retry)
        self.tokens = tokens
        self.api_base = api_base.rstrip("/")
        self.clock = clock

    def __repr__(self) -> str:
        return f"WireSender(api_base={self.api_base!r})"

    async def send(self, call: OutboundCall) -> SendResult:
        payload = dict(call.payload)
        message = payload.get("message")
        if isinstance(message, dict) and message.get("type") == "attachment":
            payload["message"] = await self._picture(message)
        until = payload.get("token_until")
        fresh = isinstance(until, int | float) and self.clock() < until and payload.get("token")
        if not fresh:
            stored = await self.tokens(str(payload.get("bot", "")))
            if stored is None:
                log.warning("no Wire token for bot %s: not sent", payload.get("bot"))
                return SendResult(ok=False, status=0, permanent=True, error="no token kept")
            payload["token"] = stored
        result = await super().send(replace(call, payload=payload))
        if fresh and result.status == 403:
            stored = await self.tokens(str(payload.get("bot", "")))
            if stored is not None and stored != payload["token"]:
                payload["token"] = stored
                result = await super().send(replace(call, payload=payload))
        return result

    async def _picture(self, message: dict[str, Any]) -> dict[str, Any]:
        url = str(message.get("attachment", {}).get("url", ""))
        try:
            response = await self.client.get(url)
            kind = response.headers.get("content-type", "").split(";")[0].strip()
            if response.status_code != 200 or not kind.startswith("image/"):
                raise ValueError(f"HTTP {response.status_code}, {kind or 'no type'}")
            if len(response.content) > MAX_IMAGE_BYTES:
                raise ValueError("over 5 MB")
        except (httpx.HTTPError, ValueError) as exc:
            log.info("picture %s not fetched (%s): sending its link", url, exc)
            return {"type": "text", "text": {"data": url}}
        return {
            "type": "attachment",
            "attachment": {
                "mimeType": kind,
                "size": len(response.content),
                "data": base64.b64encode(response.content).decode("ascii"),
            },
        }

    def request(self, call: OutboundCall) -> httpx.Request:
        headers = {"Authorization": f"Bearer {call.payload.get('token', '')}"}
        return self.json_request(
            f"{self.api_base}/api/conversation", call.payload["message"], headers
        )

    def classify(self, response: httpx.Response) -> SendResult:
        status = response.status_code
        try:
            data = orjson.loads(response.content) if response.content else {}
        except orjson.JSONDecodeError:
            data = {}
        info: dict[str, Any] = data if isinstance(data, dict) else {}
        if 200 <= status < 300:
            return SendResult(ok=True, status=status, response=info)
        message = info.get("message") if isinstance(info.get("message"), str) else ""
        error = f"HTTP {status}" + (f": {message}" if message else "")
        if status == 409:
            return SendResult(ok=False, status=status, unreachable=True, error=error)
        if status == 429 or status >= 500:
            return SendResult(
                ok=False, status=status, retry_after=retry_after_header(response), error=error
            )
        return SendResult(ok=False, status=status, permanent=True, error=error)
