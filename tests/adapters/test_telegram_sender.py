"""Sending to the Bot API: retried when Telegram asks, given up when it will never work."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from adapters.base import OutboundCall
from adapters.telegram import TelegramSender

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"
CALL = OutboundCall("sendMessage", {"chat_id": 42, "text": "hi"}, "telegram:42")
OK = {"ok": True, "result": {"message_id": 5, "date": 1781000000, "chat": {"id": 42}}}

Handler = Callable[[httpx.Request], httpx.Response]


class Telegram:
    """A scripted Bot API: answers requests from a list, records what it was sent."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(response, Exception):
            raise response
        return response


def error(code: int, description: str, **parameters: Any) -> httpx.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return httpx.Response(code, json=body)


class Sleeps:
    """A fake sleep: records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def sender_for(
    telegram: Handler, sleeps: Sleeps, api_base: str = "https://api.telegram.org"
) -> TelegramSender:
    client = httpx.AsyncClient(transport=httpx.MockTransport(telegram))
    return TelegramSender(client, TOKEN, api_base, max_attempts=4, sleep=sleeps)


async def test_a_call_is_posted_as_json_to_the_bots_method_url() -> None:
    telegram, sleeps = Telegram(httpx.Response(200, json=OK)), Sleeps()
    result = await sender_for(telegram, sleeps).send(CALL)
    assert result.ok
    assert result.response == OK
    [request] = telegram.requests
    assert request.method == "POST"
    assert str(request.url) == f"https://api.telegram.org/bot{TOKEN}/sendMessage"
    assert json.loads(request.content) == {"chat_id": 42, "text": "hi"}
    assert request.headers["content-type"] == "application/json"
    assert sleeps.delays == []


async def test_a_self_hosted_bot_api_server_is_used_as_given() -> None:
    telegram = Telegram(httpx.Response(200, json=OK))
    await sender_for(telegram, Sleeps(), "http://bot-api.internal:8081/").send(CALL)
    assert str(telegram.requests[0].url) == f"http://bot-api.internal:8081/bot{TOKEN}/sendMessage"


async def test_flood_control_is_waited_out_for_as_long_as_telegram_says() -> None:
    telegram = Telegram(
        error(429, "Too Many Requests: retry after 7", retry_after=7),
        error(429, "Too Many Requests: retry after 3", retry_after=3),
        httpx.Response(200, json=OK),
    )
    sleeps = Sleeps()
    result = await sender_for(telegram, sleeps).send(CALL)
    assert result.ok
    assert sleeps.delays == [7.0, 3.0]
    assert len(telegram.requests) == 3


async def test_server_errors_are_retried_with_backoff() -> None:
    telegram = Telegram(
        error(500, "Internal Server Error"),
        httpx.Response(502, text="<html>502 Bad Gateway</html>"),  # not JSON, from a proxy
        httpx.Response(200, json=OK),
    )
    sleeps = Sleeps()
    result = await sender_for(telegram, sleeps).send(CALL)
    assert result.ok
    assert len(telegram.requests) == 3
    assert len(sleeps.delays) == 2
    assert all(0 < delay <= 30 for delay in sleeps.delays)


async def test_retrying_gives_up_after_the_last_attempt() -> None:
    telegram, sleeps = Telegram(error(429, "Too Many Requests", retry_after=1)), Sleeps()
    result = await sender_for(telegram, sleeps).send(CALL)
    assert not result.ok
    assert result.status == 429
    assert result.retry_after == 1.0
    assert len(telegram.requests) == 4
    assert sleeps.delays == [1.0, 1.0, 1.0]


async def test_a_bad_request_is_not_retried() -> None:
    telegram = Telegram(error(400, "Bad Request: message text is empty"))
    sleeps = Sleeps()
    result = await sender_for(telegram, sleeps).send(CALL)
    assert not result.ok
    assert result.permanent
    assert not result.unreachable
    assert result.status == 400
    assert "message text is empty" in result.error
    assert len(telegram.requests) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize(
    "description",
    ["Forbidden: bot was blocked by the user", "Forbidden: user is deactivated", "Forbidden: x"],
)
async def test_a_shopper_who_blocked_the_bot_is_marked_unreachable(description: str) -> None:
    telegram, sleeps = Telegram(error(403, description)), Sleeps()
    result = await sender_for(telegram, sleeps).send(CALL)
    assert result.unreachable
    assert result.permanent
    assert len(telegram.requests) == 1


async def test_errors_are_keyed_on_the_error_code_not_the_words() -> None:
    # Same words as a block, but a 400: the shopper is still reachable.
    telegram = Telegram(error(400, "Bad Request: bot was blocked by the user"))
    result = await sender_for(telegram, Sleeps()).send(CALL)
    assert result.permanent
    assert not result.unreachable


async def test_a_reply_that_is_not_json_is_an_error() -> None:
    telegram, sleeps = Telegram(httpx.Response(200, text="<html>captive portal</html>")), Sleeps()
    result = await sender_for(telegram, sleeps).send(CALL)
    assert not result.ok
    assert "not a JSON response" in result.error
    assert len(telegram.requests) == 1


async def test_network_failures_are_retried() -> None:
    telegram = Telegram(httpx.ConnectError("connection refused"), httpx.Response(200, json=OK))
    sleeps = Sleeps()
    result = await sender_for(telegram, sleeps).send(CALL)
    assert result.ok
    assert len(sleeps.delays) == 1


@pytest.mark.parametrize(
    "failure",
    [
        error(401, f"Unauthorized: invalid token {TOKEN}"),
        error(404, f"Not Found: /bot{TOKEN}/sendMessage"),
        httpx.ConnectError(f"cannot reach https://api.telegram.org/bot{TOKEN}/sendMessage"),
        httpx.ReadTimeout(f"timed out on /bot{TOKEN}/sendMessage"),
    ],
    ids=["401", "404", "connect", "timeout"],
)
async def test_the_token_never_appears_in_an_error_or_a_log(
    failure: httpx.Response | Exception, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = await sender_for(Telegram(failure), Sleeps()).send(CALL)
    assert not result.ok
    assert result.error
    assert TOKEN not in result.error
    assert TOKEN.split(":")[1] not in result.error
    assert "<token>" in result.error
    assert caplog.records  # httpx logs each request URL at INFO; the sender logs its retries
    assert TOKEN.split(":")[1] not in caplog.text


async def test_a_successful_call_does_not_log_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    await sender_for(Telegram(httpx.Response(200, json=OK)), Sleeps()).send(CALL)
    assert "sendMessage" in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


def test_the_token_does_not_show_in_the_sender_repr() -> None:
    sender = sender_for(Telegram(httpx.Response(200, json=OK)), Sleeps())
    assert TOKEN.split(":")[1] not in repr(sender)
