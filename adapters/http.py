"""Sending platform API calls over one shared httpx.AsyncClient, with retries done right.

Retry 429 and 5xx (and network errors) with exponential backoff, honouring the platform's
``retry_after`` / ``Retry-After``; never retry a 4xx that will fail again. Each platform
subclass says how to build the request and how to read its error bodies.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from functools import partial

import httpx
import orjson

from .base import OutboundCall, SendResult
from .pace import Pace, PaceLimits

log = logging.getLogger("shopchat.adapters")

Sleep = Callable[[float], Awaitable[None]]
_JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": "shopchat", "Accept": "*/*"}
_NOT_SENT = SendResult(ok=False, error="not sent")


class ApiSender:
    """Base class: ``send`` with the retry policy; subclasses implement ``request``/``classify``."""

    name = "api"
    #: the platform's limits (adapters/pace.py); subclasses name theirs.
    limits = PaceLimits()

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        pace: Pace | None = None,
        rate_limits: bool = True,
    ) -> None:
        self.client = client
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        # One call in flight per conversation, the platform's rate limits, and lanes that a
        # few stuck chats cannot fill: a burst of replies queues there, not in the pool.
        self.pace = pace or Pace(self.limits, rate_limits=rate_limits)
        self._urls: dict[str, tuple[httpx.URL, tuple[str, str], list[tuple[str, str]]]] = {}
        self._usual: dict[tuple[str, int], tuple[httpx.URL, httpx.Headers]] = {}
        self._timeout = client.timeout.as_dict()

    def json_request(
        self, url: str, payload: object, headers: dict[str, str] | None = None
    ) -> httpx.Request:
        """A POST of ``payload`` as JSON to ``url``, for ``self.client.send``.

        Built directly rather than by ``client.build_request``: merging the client's defaults
        and parsing the URL again cost more than sending the request. Its headers are given
        whole (Host and Content-Length too, as httpx would add them), copied from ones built
        once per URL and body length, with the body as a stream, and ``content`` set as
        ``read()`` would set it. The client's timeouts apply.
        """
        body = orjson.dumps(payload)
        if headers:
            parsed, host, _ = self._target(url)
            given = httpx.Headers([host, *{**_JSON_HEADERS, **headers}.items()])
            given["Content-Length"] = str(len(body))
        else:
            # The usual headers of this URL and length, as the request will copy them (a
            # list copy): a few hundred lengths, each built once.
            key = (url, len(body))
            found = self._usual.get(key)
            if found is None:
                if len(self._usual) >= 1024:
                    self._usual.clear()
                parsed, host, usual = self._target(url)
                given = httpx.Headers([*usual, ("Content-Length", str(len(body)))])
                found = self._usual[key] = (parsed, given)
            parsed, given = found
        request = httpx.Request(
            "POST",
            parsed,
            headers=given,
            stream=httpx.ByteStream(body),
            extensions={"timeout": self._timeout},
        )
        request._content = body  # what ``read()`` sets: ``request.content`` is there
        return request

    def _target(self, url: str) -> tuple[httpx.URL, tuple[str, str], list[tuple[str, str]]]:
        """``url`` parsed, its Host header and its usual headers (parsed once per URL)."""
        target = self._urls.get(url)
        if target is None:
            if len(self._urls) > 64:  # a handful of endpoints per platform; never grows
                self._urls.clear()
            parsed = httpx.URL(url)
            host = ("Host", parsed.netloc.decode("ascii"))
            target = self._urls[url] = (parsed, host, [host, *_JSON_HEADERS.items()])
        return target

    def request(self, call: OutboundCall) -> httpx.Request:
        raise NotImplementedError

    def classify(self, response: httpx.Response) -> SendResult:
        raise NotImplementedError

    def retryable(self, response: httpx.Response, result: SendResult) -> bool:
        """Whether a failure ``classify`` marked neither permanent nor unreachable is retried.

        By default 429 and 5xx; a platform that reports rate limits as a 400 with an error
        code (Meta's Graph API) overrides this.
        """
        return response.status_code == 429 or response.status_code >= 500

    def counted(self, call: OutboundCall) -> bool:
        """Whether ``call`` counts against the rate limits (a message does; a typing
        indicator or a button acknowledgement does not)."""
        return True

    async def send(self, call: OutboundCall) -> SendResult:
        """Send ``call`` after the conversation's earlier calls, retrying what may succeed."""
        conversation = call.conversation_id
        if not conversation:
            return await self._attempts(call, "")
        await self.pace.turn(conversation)
        try:
            return await self._attempts(call, conversation)
        finally:
            self.pace.done(conversation)

    async def _attempts(self, call: OutboundCall, conversation: str) -> SendResult:
        result = _NOT_SENT
        counted = self.counted(call)
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = await self.pace.call(
                    conversation, partial(self.client.send, self.request(call)), counted=counted
                )
            except httpx.TransportError as exc:
                result = SendResult(ok=False, status=0, error=f"{type(exc).__name__}: {exc}")
            else:
                result = self.classify(response)
                if result.ok or result.permanent or result.unreachable:
                    return result
                if not self.retryable(response, result):
                    return result
            if attempt == self.max_attempts:
                break
            delay = result.retry_after
            if delay is None:
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
                delay *= 0.5 + random.random() / 2  # jitter: retries from many chats spread out
            log.info(
                "%s %s failed (%s %s), retry %d in %.1fs",
                self.name,
                call.method,
                result.status,
                result.error,
                attempt,
                delay,
            )
            await self.sleep(min(delay, self.max_delay))
        log.warning(
            "%s %s gave up after %d attempts: %s",
            self.name,
            call.method,
            self.max_attempts,
            result.error,
        )
        return result


def retry_after_header(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


__all__ = ["ApiSender", "Sleep", "retry_after_header"]
