"""Sending to the LINE Messaging API: reply while the token is fresh, push after.

``POST {api_base}/v2/bot/message/reply`` and ``/push`` with the channel access token as a
``Bearer`` header. A reply whose token went stale while it waited (``reply_until`` passed), or
that LINE refuses with a 400 (an expired or already used token looks like that), is sent
again by push: the shopper sees the answer either way. Pushes carry ``X-Line-Retry-Key``, so a
push retried after a lost response is not delivered twice (LINE answers 409 for a key it has
accepted: counted as sent). 429 and 5xx are retried; other 4xx are permanent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import orjson

from ..base import OutboundCall, SendResult
from ..http import ApiSender, retry_after_header


class LineSender(ApiSender):
    name = "line"

    def __init__(
        self,
        client: httpx.AsyncClient,
        channel_token: str,
        *,
        api_base: str = "https://api.line.me",
        clock: Callable[[], float] = time.time,
        **retry: Any,
    ) -> None:
        super().__init__(client, **retry)
        if not channel_token:
            raise ValueError("LineSender needs the channel access token")
        self._token = channel_token
        self.api_base = api_base.rstrip("/")
        self.clock = clock

    def __repr__(self) -> str:
        return f"LineSender(api_base={self.api_base!r})"

    async def send(self, call: OutboundCall) -> SendResult:
        if call.method == "reply":
            until = call.payload.get("reply_until")
            if isinstance(until, int | float) and self.clock() < until:
                result = await super().send(call)
                if result.ok or result.status != 400:
                    return result
            call = replace(call, method="push")
        return await super().send(call)

    def request(self, call: OutboundCall) -> httpx.Request:
        p = call.payload
        headers = {"Authorization": f"Bearer {self._token}"}
        if call.method == "reply":
            body: dict[str, Any] = {"replyToken": p["replyToken"], "messages": p["messages"]}
            path = "/v2/bot/message/reply"
        elif call.method == "push":
            body = {"to": p["to"], "messages": p["messages"]}
            path = "/v2/bot/message/push"
            if p.get("retry_key"):
                headers["X-Line-Retry-Key"] = str(p["retry_key"])
        elif call.method == "loading":
            body, path = dict(p), "/v2/bot/chat/loading/start"
        else:
            raise ValueError(f"unknown LINE call {call.method!r}")
        return self.json_request(self.api_base + path, body, headers)

    def classify(self, response: httpx.Response) -> SendResult:
        status = response.status_code
        try:
            data = orjson.loads(response.content) if response.content else {}
        except orjson.JSONDecodeError:
            data = {}
        info: dict[str, Any] = data if isinstance(data, dict) else {}
        if 200 <= status < 300:
            return SendResult(ok=True, status=status, response=info)
        if status == 409 and response.request.headers.get("X-Line-Retry-Key"):
            # This retry key was accepted before: the push went out.
            return SendResult(ok=True, status=status, response=info)
        message = info.get("message") if isinstance(info.get("message"), str) else ""
        error = f"HTTP {status}" + (f": {message}" if message else "")
        if status == 429 or status >= 500:
            return SendResult(
                ok=False, status=status, retry_after=retry_after_header(response), error=error
            )
        return SendResult(ok=False, status=status, permanent=True, error=error, response=info)
