"""Sending to Messenger: what is retried, what is given up, and what marks a shopper unreachable."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from adapters.base import OutboundCall
from adapters.messenger import MessengerSender

TOKEN = "EAAGpageTOKENdoNotLog456"
PSID = "6998441213545698"
CALL = OutboundCall(
    "messages",
    {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "hi"}},
)
OK = {"recipient_id": PSID, "message_id": "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfip"}


def graph_error(code: int, subcode: int | None = None, message: str = "error") -> dict:
    error: dict = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A9x"}
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


def make_sender(graph: Graph, sleeps: Sleeps, **kw: str) -> MessengerSender:
    client = httpx.AsyncClient(transport=httpx.MockTransport(graph))
    return MessengerSender(client, TOKEN, sleep=sleeps, max_attempts=4, **kw)


async def test_a_message_is_posted_to_me_messages_with_the_page_token_in_a_header() -> None:
    graph, sleeps = Graph(httpx.Response(200, json=OK)), Sleeps()
    sender = make_sender(graph, sleeps, graph_base="https://graph.example/", version="v24.0")
    result = await sender.send(CALL)
    assert result.ok and result.response == OK
    [request] = graph.requests
    assert str(request.url) == "https://graph.example/v24.0/me/messages"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "access_token" not in str(request.url)
    assert json.loads(request.content) == CALL.payload


@pytest.mark.parametrize("code", [613, 4, 32, 2])
async def test_rate_limits_and_temporary_errors_are_retried(code: int) -> None:
    graph = Graph(httpx.Response(400, json=graph_error(code)), httpx.Response(200, json=OK))
    sleeps = Sleeps()
    assert (await make_sender(graph, sleeps).send(CALL)).ok
    assert len(graph.requests) == 2
    assert len(sleeps.delays) == 1


async def test_a_throttled_page_waits_as_long_as_meta_says() -> None:
    usage = json.dumps(
        {
            "107392638845910": [
                {"type": "messenger", "call_count": 100, "estimated_time_to_regain_access": 1}
            ]
        }
    )
    graph = Graph(
        httpx.Response(400, json=graph_error(613), headers={"X-Business-Use-Case-Usage": usage}),
        httpx.Response(200, json=OK),
    )
    sleeps = Sleeps()
    assert (await make_sender(graph, sleeps).send(CALL)).ok
    assert sleeps.delays == [30.0]  # 60 s asked, capped by the sender's max_delay


async def test_retry_after_is_honoured() -> None:
    graph = Graph(httpx.Response(503, headers={"Retry-After": "2"}), httpx.Response(200, json=OK))
    sleeps = Sleeps()
    assert (await make_sender(graph, sleeps).send(CALL)).ok
    assert sleeps.delays == [2.0]


async def test_server_errors_are_retried_then_given_up() -> None:
    graph, sleeps = Graph(httpx.Response(500, json=graph_error(1))), Sleeps()
    result = await make_sender(graph, sleeps).send(CALL)
    assert not result.ok and not result.permanent
    assert len(graph.requests) == 4


async def test_outside_the_window_is_permanent_and_flagged() -> None:
    body = graph_error(10, 2018278, "(#10) This message is sent outside of allowed window.")
    graph, sleeps = Graph(httpx.Response(400, json=body)), Sleeps()
    result = await make_sender(graph, sleeps).send(CALL)
    assert result.permanent
    assert result.response["window_closed"] is True
    assert len(graph.requests) == 1 and sleeps.delays == []


async def test_a_permission_error_with_code_10_alone_is_not_a_window_problem() -> None:
    graph, sleeps = Graph(httpx.Response(400, json=graph_error(10))), Sleeps()
    result = await make_sender(graph, sleeps).send(CALL)
    assert result.permanent
    assert "window_closed" not in result.response


async def test_an_unavailable_person_is_unreachable() -> None:
    graph = Graph(
        httpx.Response(400, json=graph_error(551, 1545041, "This person isn't available"))
    )
    sleeps = Sleeps()
    result = await make_sender(graph, sleeps).send(CALL)
    assert result.unreachable
    assert len(graph.requests) == 1


@pytest.mark.parametrize(("status", "code"), [(401, 190), (400, 100), (403, 200)])
async def test_other_client_errors_are_permanent_and_not_retried(status: int, code: int) -> None:
    graph, sleeps = Graph(httpx.Response(status, json=graph_error(code))), Sleeps()
    result = await make_sender(graph, sleeps).send(CALL)
    assert result.permanent and not result.unreachable
    assert len(graph.requests) == 1 and sleeps.delays == []


async def test_the_token_never_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    def unreachable_network(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sleeps = Sleeps()
    client = httpx.AsyncClient(transport=httpx.MockTransport(unreachable_network))
    sender = MessengerSender(client, TOKEN, sleep=sleeps, max_attempts=3)
    with caplog.at_level(logging.DEBUG):
        result = await sender.send(CALL)
    assert not result.ok and len(sleeps.delays) == 2
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(sender)
