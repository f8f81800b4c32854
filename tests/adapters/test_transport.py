"""The platform clients' HTTP transport (adapters/transport.py) against real local servers:
what a sender sees for each way a server can answer, or fail to."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from adapters.transport import KeepAliveTransport, PlatformClient

Respond = Callable[[bytes, asyncio.StreamWriter], "asyncio.Future[None] | None"]


class Server:
    """A raw HTTP/1.1 server whose answer to each request is a script; counts connections."""

    def __init__(self, answer: Callable[[int, bytes], bytes | None], *, close_after: bool = False):
        self.answer = answer
        self.close_after = close_after
        self.connections = 0
        self.requests: list[bytes] = []
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                reply = self.answer(len(self.requests), head + body)
                if reply is None:
                    await asyncio.sleep(3600)  # never answers
                writer.write(reply)  # type: ignore[arg-type]
                await writer.drain()
                if self.close_after or b"connection: close" in reply.lower():  # type: ignore[union-attr]
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0, ssl=self.ssl)
        port = self.server.sockets[0].getsockname()[1]
        return f"{'https' if self.ssl else 'http'}://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        for writer in self.writers:
            writer.close()
        self.server.close()

    ssl: ssl.SSLContext | None = None


def ok(body: bytes = b'{"ok":true}', extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


async def post(transport: httpx.AsyncBaseTransport, url: str, **kw: object) -> httpx.Response:
    async with PlatformClient(transport=transport, timeout=2) as client:
        return await client.post(url + "/botX/sendMessage", json={"text": "zażółć"}, **kw)  # type: ignore[arg-type]


async def test_keeps_connections_alive_and_sends_the_json_body() -> None:
    server = Server(lambda n, _req: ok(b'{"n":%d}' % n))
    async with server as url:
        transport = KeepAliveTransport()
        async with httpx.AsyncClient(transport=transport, timeout=2) as client:
            answers = [
                (await client.post(url + "/m", json={"text": "zażółć"})).json()["n"]
                for _ in range(5)
            ]
    assert answers == [1, 2, 3, 4, 5]
    assert server.connections == 1  # one connection carried all five
    first = server.requests[0]
    assert first.startswith(b"POST /m HTTP/1.1\r\n")
    assert b"\r\nhost: 127.0.0.1:" in first.lower()
    assert first.endswith('{"text":"zażółć"}'.encode())


async def test_reads_chunked_and_close_delimited_bodies() -> None:
    chunked = (
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n2\r\n1}\r\n0\r\n\r\n'
    )
    until_close = b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"b":2}'
    replies = iter([chunked, until_close])
    server = Server(lambda _n, _req: next(replies))
    async with server as url:
        transport = KeepAliveTransport()
        first = await post(transport, url)
        second = await post(transport, url)
    assert first.json() == {"a": 1}
    assert second.json() == {"b": 2}


async def test_a_plain_body_reads_as_itself_and_an_encoded_one_is_decoded() -> None:
    text = '{"ok":true,"result":{"text":"zażółć"}}'.encode()
    replies = iter([ok(text), ok(gzip.compress(text), b"Content-Encoding: gzip\r\n")])
    server = Server(lambda _n, _req: next(replies))
    async with server as url:
        transport = KeepAliveTransport()
        plain = await post(transport, url)
        packed = await post(transport, url)
    for response in (plain, packed):
        assert response.content == text
        assert response.text == text.decode()
        assert response.json() == {"ok": True, "result": {"text": "zażółć"}}
        assert await response.aread() == text
    assert plain.headers["content-length"] == str(len(text))
    assert packed.headers["content-encoding"] == "gzip"


async def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    server = Server(lambda n, _req: ok(b'{"n":%d}' % n), close_after=True)
    async with server as url:
        transport = KeepAliveTransport()
        async with httpx.AsyncClient(transport=transport, timeout=2) as client:
            first = await client.post(url + "/m", json={})
            await asyncio.sleep(0.05)
            second = await client.post(url + "/m", json={})
    assert (first.json(), second.json()) == ({"n": 1}, {"n": 2})
    assert server.connections == 2


async def test_failures_are_httpx_transport_errors() -> None:
    # Nothing listens: a connect error, which the senders retry.
    with pytest.raises(httpx.ConnectError):
        await post(KeepAliveTransport(), "http://127.0.0.1:9")
    # A server that never answers: the client's read timeout.
    async with (
        Server(lambda _n, _req: None) as url,
        httpx.AsyncClient(transport=KeepAliveTransport(), timeout=0.3) as client,
    ):
        with pytest.raises(httpx.ReadTimeout):
            await client.post(url + "/m", json={})
    # Garbage instead of HTTP.
    async with Server(lambda _n, _req: b"SMTP ready\r\n\r\n") as url:
        with pytest.raises(httpx.RemoteProtocolError):
            await post(KeepAliveTransport(), url)
    # Cut off in the middle of a body.
    async with Server(
        lambda _n, _req: b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\nConnection: close\r\n\r\n{"
    ) as url:
        with pytest.raises(httpx.RemoteProtocolError):
            await post(KeepAliveTransport(), url)
    # A reply far bigger than any API answer is refused, not buffered.
    huge = b"HTTP/1.1 200 OK\r\nContent-Length: 20000000\r\n\r\n" + b"x" * 20_000_000
    async with Server(lambda _n, _req: huge) as url:
        with pytest.raises(httpx.RemoteProtocolError, match="16 MB"):
            await post(KeepAliveTransport(), url)
    with pytest.raises(httpx.UnsupportedProtocol):
        await post(KeepAliveTransport(), "ftp://127.0.0.1")


async def test_error_statuses_and_headers_reach_the_sender() -> None:
    reply = b'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 11\r\n\r\n{"ok":false}'[
        :-1
    ]
    async with Server(lambda _n, _req: reply) as url:
        response = await post(KeepAliveTransport(), url)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


async def test_at_most_max_connections_are_opened() -> None:
    release = asyncio.Event()
    server = Server(lambda n, _req: ok(b'{"n":%d}' % n))
    original = server.handle

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        await original(reader, writer)

    server.handle = slow  # type: ignore[method-assign]
    async with server as url:
        transport = KeepAliveTransport(max_connections=3)
        async with httpx.AsyncClient(transport=transport, timeout=5) as client:
            calls = [asyncio.create_task(client.post(url + "/m", json={})) for _ in range(12)]
            await asyncio.sleep(0.1)
            release.set()
            answers = await asyncio.gather(*calls)
    assert sorted(r.json()["n"] for r in answers) == list(range(1, 13))
    assert server.connections == 3


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate for the TLS test")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_https_with_the_given_trust(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server = Server(lambda _n, _req: ok())
    server.ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.ssl.load_cert_chain(cert, key)
    async with server as url:
        trusting = ssl.create_default_context(cafile=str(cert))
        response = await post(KeepAliveTransport(ssl_context=trusting), url)
        assert response.json() == {"ok": True}
        # Without that trust the certificate is refused, as it must be.
        with pytest.raises(httpx.ConnectError):
            await post(KeepAliveTransport(), url)


async def test_the_platform_client_sends_plain_requests_straight_to_the_transport() -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(429, json={"ok": False}, headers={"Retry-After": "3"})

    async with PlatformClient(transport=httpx.MockTransport(api), timeout=4) as client:
        response = await client.post("https://api.example/m", json={"a": 1})
        # Auth takes httpx's full path, which also works.
        authed = await client.post("https://api.example/m", json={}, auth=("u", "p"))
    assert (response.status_code, response.json(), response.headers["retry-after"]) == (
        429,
        {"ok": False},
        "3",
    )
    assert response.request is seen[0]
    assert seen[0].extensions["timeout"]["read"] == 4  # the client's timeouts still apply
    assert seen[1].headers["authorization"].startswith("Basic ")
    assert authed.status_code == 429
    with pytest.raises(RuntimeError, match="closed"):
        await client.post("https://api.example/m", json={})


def test_request_heads_follow_each_requests_own_headers() -> None:
    # Heads are kept per method, path, headers and length: a header that differs (a token)
    # gives its own head, and a repeated request the same bytes as building it again.
    from adapters.transport import _head

    def head(token: str, path: str = "/a") -> bytes:
        request = httpx.Request(
            "POST", f"http://api.test{path}", headers={"Authorization": token}, content=b"{}"
        )
        return _head(request, b"{}")

    one, other = head("Bearer one"), head("Bearer two")
    assert b"Authorization: Bearer one\r\n" in one
    assert b"Authorization: Bearer two\r\n" in other
    assert head("Bearer one") == one
    assert head("Bearer one", "/b").startswith(b"POST /b HTTP/1.1\r\n")
    assert one.endswith(b"Content-Length: 2\r\n\r\n") and one.count(b"Content-Length") == 1
