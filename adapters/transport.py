"""A lean HTTP/1.1 transport for the platform clients: keep-alive connections, parsed in C.

Every reply the bot sends is one small JSON POST to one of three API hosts. httpx's default
transport (httpcore) spends over a millisecond of CPU on each under load, more than the whole
turn that produced the reply, so the platform clients (still ``httpx.AsyncClient`` s, with
their timeouts and API) run on this transport instead: a pool of keep-alive connections per
origin on asyncio protocols, responses parsed by httptools (llhttp), about 0.1 ms per call.

It does what the senders need and no more: HTTP/1.1 (TLS for https), bodies read whole,
Content-Length, chunked or read-until-close responses, ``Connection: close``, the request's
``timeout`` extension (connect, read, write, pool). Failures are httpx's own exceptions
(``ConnectError``, ``ReadTimeout``, ``RemoteProtocolError``...), so retry policies and tests
see what they would see with httpcore. A request on a kept-alive connection the server had
already closed is sent again once on a fresh connection, as urllib3 and httpcore do.

Tests replace it the usual way: pass ``transport=httpx.MockTransport(...)`` to the app.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import Any

import httptools
import httpx

__all__ = ["KeepAliveTransport", "PlatformClient"]

Origin = tuple[bytes, bytes, int]
MAX_RESPONSE_BYTES = 16 * 1024 * 1024  # API replies are small; anything bigger is refused


class _Closed(httpx.RemoteProtocolError):
    """The connection ended before any byte of the response: on a kept-alive connection, the
    server had closed it while idle, and the request can go again on a new one."""


class _Response:
    __slots__ = (
        "status",
        "headers",
        "body",
        "size",
        "chunked",
        "length",
        "headers_done",
        "received",
        "encoded",
    )

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.size = 0
        self.chunked = False
        self.length: int | None = None
        self.headers_done = False
        self.received = False  # any byte of it arrived
        self.encoded = False  # a Content-Encoding other than identity: httpx decodes it


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.used = False  # has carried a request before (a stale keep-alive is possible)
        self._keep_alive = False  # the last response allows another request
        self._parser = httptools.HttpResponseParser(self)
        self._response: _Response | None = None
        self._done: asyncio.Future[_Response] | None = None

    # -- asyncio.Protocol ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        response = self._response
        if response is None:  # bytes nobody asked for: the connection can't be trusted
            self.close()
            return
        response.received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"malformed HTTP response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.forget(self)
        response, done = self._response, self._done
        if done is None or done.done() or response is None:
            return
        if response.headers_done and not response.chunked and response.length is None:
            self._finish()  # a response delimited by the end of the connection
        elif not response.received:
            self._fail(_Closed("the server closed the connection before responding"))
        else:
            self._fail(httpx.RemoteProtocolError("the server closed the connection mid-response"))

    # -- httptools callbacks ---------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        assert self._response is not None
        self._response.headers.append((name, value))
        lowered = name.lower()
        if lowered == b"content-length" and value.strip().isdigit():
            self._response.length = int(value)
        elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
            self._response.chunked = True
        elif lowered == b"content-encoding" and value.strip().lower() != b"identity":
            self._response.encoded = True

    def on_headers_complete(self) -> None:
        assert self._response is not None
        self._response.status = self._parser.get_status_code()
        self._response.headers_done = True

    def on_body(self, body: bytes) -> None:
        response = self._response
        if response is None:  # already failed (too big): the rest is dropped with the connection
            return
        response.size += len(body)
        if response.size > MAX_RESPONSE_BYTES:
            self._fail(httpx.RemoteProtocolError("the response is over 16 MB: not an API reply"))
            self.close()
            return
        response.body.append(body)

    def on_message_complete(self) -> None:
        if self._response is not None and 100 <= self._response.status < 200:
            self._response = _Response()  # an interim response (100 Continue): keep reading
            return
        self._keep_alive = self._parser.should_keep_alive()  # only valid until it returns
        self._finish()

    # -- requests ---------------------------------------------------------------------------
    async def exchange(self, head: bytes, body: bytes, read_timeout: float | None) -> _Response:
        assert self.transport is not None
        self.used = True
        self._keep_alive = False
        self._response = _Response()
        loop = asyncio.get_running_loop()
        done = self._done = loop.create_future()
        self.transport.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.transport.write(body)
        # A timer that fails the wait, cheaper than ``asyncio.timeout`` on every call.
        timer = None if read_timeout is None else loop.call_later(read_timeout, self._late, done)
        try:
            return await done
        finally:
            self._done = None
            if timer is not None:
                timer.cancel()

    def _late(self, done: asyncio.Future[_Response]) -> None:
        if not done.done():
            done.set_exception(httpx.ReadTimeout("no response from the server in time"))
            self.close()

    @property
    def reusable(self) -> bool:
        return not self.closed and self._keep_alive

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()
        self.closed = True
        self.pool.forget(self)

    def _finish(self) -> None:
        response, done = self._response, self._done
        self._response = None
        if done is not None and not done.done() and response is not None:
            done.set_result(response)

    def _fail(self, exc: Exception) -> None:
        done = self._done
        self._response = None
        if done is not None and not done.done():
            done.set_exception(exc)


class _Pool:
    """The connections to one origin: at most ``limit`` open, idle ones reused newest first."""

    def __init__(self, origin: Origin, ssl_context: ssl.SSLContext | None, limit: int) -> None:
        self.origin = origin
        self.ssl = ssl_context
        self.limit = limit
        self.idle: list[_Connection] = []
        self.open: set[_Connection] = set()
        self.opening = 0
        self.waiters: deque[asyncio.Future[_Connection | None]] = deque()

    async def acquire(self, timeouts: dict[str, Any]) -> _Connection:
        while True:
            while self.idle:
                conn = self.idle.pop()
                transport = conn.transport
                if not conn.closed and transport is not None and not transport.is_closing():
                    return conn
                conn.close()
            if len(self.open) + self.opening < self.limit:
                return await self._connect(timeouts.get("connect"))
            waiter: asyncio.Future[_Connection | None] = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                async with asyncio.timeout(timeouts.get("pool")):
                    handed = await waiter
            except TimeoutError:
                raise httpx.PoolTimeout("no free connection in time") from None
            finally:
                if waiter in self.waiters:
                    self.waiters.remove(waiter)
            if handed is not None:
                return handed
            # A slot freed up: loop and open (or take) one.

    async def _connect(self, timeout: float | None) -> _Connection:
        scheme, host, port = self.origin
        name = host.decode("ascii")
        loop = asyncio.get_running_loop()
        self.opening += 1
        try:
            async with asyncio.timeout(timeout):
                _, conn = await loop.create_connection(
                    lambda: _Connection(self),
                    name,
                    port,
                    ssl=self.ssl,
                    server_hostname=name if self.ssl else None,
                )
        except BaseException as exc:
            self.opening -= 1
            self._wake(None)  # the slot is free again
            if isinstance(exc, TimeoutError):
                raise httpx.ConnectTimeout(f"connecting to {name}:{port} timed out") from None
            if isinstance(exc, OSError | ssl.SSLError):
                raise httpx.ConnectError(f"can't connect to {name}:{port}: {exc}") from None
            raise
        self.opening -= 1
        self.open.add(conn)
        return conn

    def release(self, conn: _Connection) -> None:
        if conn.reusable:
            if not self._wake(conn):
                self.idle.append(conn)
        else:
            conn.close()

    def forget(self, conn: _Connection) -> None:
        if conn in self.open:
            self.open.discard(conn)
            self._wake(None)

    def _wake(self, conn: _Connection | None) -> bool:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    def close(self) -> None:
        for conn in list(self.open):
            conn.close()
        self.idle.clear()


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """An ``httpx`` transport: pooled HTTP/1.1 keep-alive connections per origin."""

    def __init__(
        self,
        *,
        max_connections: int = 16,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        self.max_connections = max_connections
        self._ssl = ssl_context
        self._pools: dict[Origin, _Pool] = {}

    def _pool(self, url: httpx.URL) -> _Pool:
        scheme = url.raw_scheme
        if scheme not in (b"http", b"https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        port = url.port or (443 if scheme == b"https" else 80)
        origin = (scheme, url.raw_host, port)
        pool = self._pools.get(origin)
        if pool is None:
            context = None
            if scheme == b"https":
                context = self._ssl or ssl.create_default_context()
            pool = self._pools[origin] = _Pool(origin, context, self.max_connections)
        return pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pool = self._pool(request.url)
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        body = await request.aread()
        head = _head(request, body)
        for attempt in (1, 2):
            conn = await pool.acquire(timeouts)
            reused = conn.used
            try:
                response = await conn.exchange(head, body, timeouts.get("read"))
            except _Closed:
                conn.close()
                if reused and attempt == 1:
                    continue  # the server had closed this kept-alive connection: once more
                raise
            except BaseException:
                conn.close()  # cancelled or timed out mid-exchange: its state is unknown
                raise
            pool.release(conn)
            return _httpx_response(response)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()


def _httpx_response(response: _Response) -> httpx.Response:
    """The ``httpx.Response`` of a response read whole, its body already read.

    An encoded body (gzip...) goes through httpx's decoders (``content=``). A plain one, which
    is every Bot API and Graph API answer to these requests (they ask for no encoding), is its
    own content: it is set as httpx's ``read()`` would set it, without the trip through the
    decoder and chunker generators, which cost 13 of the 15 us of building the response. The
    transport tests check that its ``content``, ``text`` and ``json()`` are the body's.
    """
    body = b"".join(response.body)
    extensions = {"http_version": b"HTTP/1.1"}
    if response.encoded:
        return httpx.Response(
            response.status, headers=response.headers, content=body, extensions=extensions
        )
    out = httpx.Response(
        response.status,
        headers=response.headers,
        stream=httpx.ByteStream(body),
        extensions=extensions,
    )
    # What Response.read() leaves: the content, the stream consumed and closed (a ByteStream
    # holds nothing to release), so that aread() and aclose() have nothing left to do.
    out._content = body
    out.is_stream_consumed = True
    out.is_closed = True
    return out


_FRAMING = frozenset({b"content-length", b"transfer-encoding"})
_BODYLESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
# Request heads by method, path, headers and body length: a sender's requests repeat them
# (the same endpoint, the same headers, a few hundred lengths), and the key's parts are the
# same bytes objects each time, whose hashes Python keeps.
_heads: dict[tuple[Any, ...], bytes] = {}


def _head(request: httpx.Request, body: bytes) -> bytes:
    raw, path = request.headers.raw, request.url.raw_path
    key = (request.method, path, len(body), *raw)
    head = _heads.get(key)
    if head is None:
        head = _build_head(request.method, path, raw, body)
        if len(_heads) >= 4096:
            _heads.clear()
        _heads[key] = head
    return head


def _build_head(method: str, path: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    lines = [method.encode("ascii") + b" " + path + b" HTTP/1.1"]
    for name, value in headers:
        # The body was read whole: it goes with its length, never chunked.
        if name.lower() not in _FRAMING:
            lines.append(name + b": " + value)
    if body or method not in _BODYLESS:
        lines.append(b"Content-Length: " + str(len(body)).encode("ascii"))
    return b"\r\n".join(lines) + b"\r\n\r\n"


class PlatformClient(httpx.AsyncClient):
    """The ``httpx.AsyncClient`` of a platform API: ``send`` goes straight to the transport.

    httpx's ``send`` runs an auth flow, redirect handling, cookie extraction and logging for
    every request; a bot API call uses none of them, and together they cost more than this
    module's whole transport. So a plain request (no auth, no event hooks, not streamed) is
    handed to the transport and its body read; anything else takes httpx's own path.
    Building requests, timeouts, mounts and transports are all httpx's.
    """

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        plain = (
            not stream
            and auth is httpx.USE_CLIENT_DEFAULT
            and self.auth is None
            and not any(self.event_hooks.values())
        )
        if not plain:
            return await super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        if self.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        request.extensions.setdefault("timeout", self.timeout.as_dict())
        response = await self._transport_for_url(request.url).handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response
