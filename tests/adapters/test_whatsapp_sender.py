"""Sending to WhatsApp: what is retried, what is given up, and what marks a shopper unreachable."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import httpx
import pytest

from adapters.base import OutboundCall
from adapters.whatsapp import WhatsAppChannel, WhatsAppSender

TOKEN = "EAAJtestTOKENdoNotLog123"
CALL = OutboundCall(
    "messages",
    {"messaging_product": "whatsapp", "to": "16505551234", "type": "text", "text": {"body": "hi"}},
)
OK = {
    "messaging_product": "whatsapp",
    "contacts": [{"input": "16505551234", "wa_id": "16505551234"}],
    "messages": [{"id": "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}],
}


def graph_error(code: int, message: str = "error", subcode: int | None = None) -> dict:
    error: dict = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


class Graph:
    """A fake Graph API answering from a script and recording requests."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def make_sender(graph: Callable[[httpx.Request], httpx.Response], sleeps: Sleeps) -> WhatsAppSender:
    client = httpx.AsyncClient(transport=httpx.MockTransport(graph))
    return WhatsAppSender(client, TOKEN, "106540352242922", sleep=sleeps, max_attempts=4)


async def test_a_message_is_posted_to_the_numbers_messages_endpoint_with_a_bearer_token() -> None:
    graph, sleeps = Graph(httpx.Response(200, json=OK)), Sleeps()
    result = await make_sender(graph, sleeps).send(CALL)
    assert result.ok
    assert result.response == OK
    [request] = graph.requests
    assert request.method == "POST"
    assert str(request.url) == "https://graph.facebook.com/v23.0/106540352242922/messages"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(request.url)
    assert json.loads(request.content) == CALL.payload


async def test_mark_read_goes_to_the_same_endpoint() -> None:
    graph, sleeps = Graph(httpx.Response(200, json={"success": True})), Sleeps()
    sender = make_sender(graph, sleeps)
    result = await sender.send(WhatsAppChannel("secret").mark_read("wamid.abc"))
    assert result.ok
    assert json.loads(graph.requests[0].content)["status"] == "read"


@pytest.mark.parametrize("code", [130429, 4, 80007, 2])
async def test_rate_limits_and_temporary_errors_are_retried(code: int) -> None:
    graph = Graph(httpx.Response(400, json=graph_error(code)), httpx.Response(200, json=OK))
    sleeps = Sleeps()
    result = await make_sender(graph, sleeps).send(CALL)
    assert result.ok
    assert len(graph.requests) == 2
    assert len(sleeps.delays) == 1


async def test_the_pair_rate_limit_waits_six_seconds() -> None:
    graph = Graph(httpx.Response(400, json=graph_error(131056)), httpx.Response(200, json=OK))
    sleeps = Sleeps()
    assert (await make_sender(graph, sleeps).send(CALL)).ok
    assert sleeps.delays == [6.0]


async def test_retry_after_is_honoured() -> None:
    graph = Graph(
        httpx.Response(429, json=graph_error(130429), headers={"Retry-After": "3"}),
        httpx.Response(200, json=OK),
    )
    sleeps = Sleeps()
    assert (await make_sender(graph, sleeps).send(CALL)).ok
    assert sleeps.delays == [3.0]


async def test_server_errors_are_retried_then_given_up() -> None:
    graph, sleeps = Graph(httpx.Response(503, text="Service Unavailable")), Sleeps()
    result = await make_sender(graph, sleeps).send(CALL)
    assert not result.ok and not result.permanent
    assert len(graph.requests) == 4
    assert len(sleeps.delays) == 3
    assert sleeps.delays[0] < sleeps.delays[-1]  # backing off


async def test_outside_the_window_is_permanent_and_flagged() -> None:
    message = "(#131047) Re-engagement message"
    graph, sleeps = Graph(httpx.Response(400, json=graph_error(131047, message))), Sleeps()
    result = await make_sender(graph, sleeps).send(CALL)
    assert not result.ok
    assert result.permanent
    assert result.response["window_closed"] is True
    assert result.response["error"]["code"] == 131047
    assert len(graph.requests) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("code", [131026, 131051])
async def test_an_undeliverable_shopper_is_unreachable(code: int) -> None:
    graph, sleeps = Graph(httpx.Response(400, json=graph_error(code))), Sleeps()
    result = await make_sender(graph, sleeps).send(CALL)
    assert result.unreachable
    assert len(graph.requests) == 1


@pytest.mark.parametrize(
    ("status", "code"), [(401, 190), (400, 100), (400, 131009), (403, 10), (404, 803)]
)
async def test_other_client_errors_are_permanent_and_not_retried(status: int, code: int) -> None:
    graph, sleeps = Graph(httpx.Response(status, json=graph_error(code))), Sleeps()
    result = await make_sender(graph, sleeps).send(CALL)
    assert result.permanent and not result.unreachable
    assert "window_closed" not in result.response
    assert len(graph.requests) == 1
    assert sleeps.delays == []


async def test_codes_decide_not_message_text() -> None:
    # A message that reads like a rate limit but carries a permanent code is not retried.
    body = graph_error(100, "(#130429) Rate limit hit, please retry")
    graph, sleeps = Graph(httpx.Response(400, json=body)), Sleeps()
    result = await make_sender(graph, sleeps).send(CALL)
    assert result.permanent
    assert len(graph.requests) == 1


async def test_the_token_never_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    graph = Graph(
        httpx.Response(500, json=graph_error(1)),
        httpx.Response(401, json=graph_error(190, "Error validating access token")),
    )
    sleeps = Sleeps()
    sender = make_sender(graph, sleeps)
    with caplog.at_level(logging.DEBUG):
        result = await sender.send(CALL)
    assert result.permanent
    assert TOKEN not in caplog.text
    assert TOKEN not in result.error
    assert TOKEN not in repr(sender)


def test_a_sender_needs_a_token_and_a_number() -> None:
    client = httpx.AsyncClient()
    with pytest.raises(ValueError):
        WhatsAppSender(client, "", "106540352242922")
    with pytest.raises(ValueError):
        WhatsAppSender(client, TOKEN, "")
