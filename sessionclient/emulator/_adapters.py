"""The emulator's two thin adapters: an httpx transport (in-process, sync and async)
and an ASGI application (real sockets, under uvicorn)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import anyio
import httpx

from ._directory import Directory, EmulatedRequest, EmulatedResponse, FaultKind, _retry_after
from ._rta import RTA_PATH
from ._streams import AsyncRtaStream, SyncRtaStream, accept_headers, asgi_rta

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def _request(method: str, raw_path: str, headers: httpx.Headers, body: bytes) -> EmulatedRequest:
    path, _, query = raw_path.partition("?")
    return EmulatedRequest(
        method=method.upper(),
        path=path,
        headers={k.lower(): v for k, v in headers.multi_items()},
        body=body,
        query=query,
    )


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout", {})
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if value is not None else None


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Hands requests to a ``Directory`` in-process: no sockets, no threads.

    Faults behave as they would on a network: a dropped or lost response raises
    ``httpx.RemoteProtocolError``; a delay longer than the request's read timeout
    sleeps that timeout and raises ``httpx.ReadTimeout``. ``sleep`` / ``async_sleep``
    are injectable so that tests with delays take no time.
    """

    def __init__(
        self,
        directory: Directory,
        *,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.directory = directory
        self._sleep = sleep
        self._async_sleep = async_sleep

    def _delay(self, request: httpx.Request, response: EmulatedResponse) -> tuple[float, bool]:
        """How long to stall, and whether the stall ends in a read timeout."""
        fault = response.fault
        if fault is None or fault.kind is not FaultKind.DELAY:
            return 0.0, False
        limit = _read_timeout(request)
        if limit is not None and fault.seconds >= limit:
            return limit, True
        return fault.seconds, False

    @staticmethod
    def _finish(
        request: httpx.Request, response: EmulatedResponse, timed_out: bool
    ) -> httpx.Response:
        if timed_out:
            raise httpx.ReadTimeout("the emulator is slower than the read timeout", request=request)
        if response.fault is not None and response.fault.kind in (
            FaultKind.DROP,
            FaultKind.LOSE_RESPONSE,
        ):
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(
            response.status, headers=list(response.headers), content=response.body, request=request
        )

    def _upgrade(self, request: httpx.Request) -> tuple[EmulatedResponse, Any] | None:
        """RTA's WebSocket handshake: the 101 and the connection, or a refusal."""
        if request.url.path != RTA_PATH or request.headers.get("upgrade", "").lower() != (
            "websocket"
        ):
            return None
        refusal = self.directory.rta.next_upgrade_refusal()  # a front door's rate limit
        if refusal is not None:
            (seconds,) = refusal
            scale = self.directory.time_scale
            headers = () if seconds is None else (("Retry-After", _retry_after(seconds, scale)),)
            return EmulatedResponse(429, headers), None
        connection = self.directory.rta_connect(request.headers.get("authorization"))
        if connection is None:
            return EmulatedResponse(401), None
        return EmulatedResponse(101, accept_headers(request.headers)), connection

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Serve a request for ``httpx.Client``."""
        upgrade = self._upgrade(request)
        if upgrade is not None:
            answer, connection = upgrade
            stream = None if connection is None else SyncRtaStream(self.directory.rta, connection)
            return httpx.Response(
                answer.status,
                headers=list(answer.headers),
                request=request,
                extensions={"network_stream": stream} if stream else {},
            )
        body = request.read()
        response = self.directory.handle(
            _request(request.method, request.url.raw_path.decode("ascii"), request.headers, body)
        )
        seconds, timed_out = self._delay(request, response)
        if seconds:
            self._sleep(seconds)
        return self._finish(request, response, timed_out)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Serve a request for ``httpx.AsyncClient``."""
        upgrade = self._upgrade(request)
        if upgrade is not None:
            answer, connection = upgrade
            stream = None if connection is None else AsyncRtaStream(self.directory.rta, connection)
            return httpx.Response(
                answer.status,
                headers=list(answer.headers),
                request=request,
                extensions={"network_stream": stream} if stream else {},
            )
        body = await request.aread()
        await anyio.sleep(0)  # a network hop lets other tasks run: so does this one
        response = self.directory.handle(
            _request(request.method, request.url.raw_path.decode("ascii"), request.headers, body)
        )
        seconds, timed_out = self._delay(request, response)
        if seconds:
            await self._async_sleep(seconds)
        return self._finish(request, response, timed_out)


class EmulatorApp:
    """The directory as an ASGI 3 application, for uvicorn or any ASGI server.

    A dropped or lost response starts the answer and then breaks the connection, so
    the client sees a response that never completes.
    """

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection scope."""
        if scope["type"] == "lifespan":
            await receive()  # lifespan.startup: nothing to prepare
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] == "websocket":
            await asgi_rta(self.directory, scope, receive, send)
            return
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if scope.get("query_string"):
            raw_path += b"?" + scope["query_string"]
        headers = httpx.Headers([(k, v) for k, v in scope["headers"]])
        response = self.directory.handle(
            _request(scope["method"], raw_path.decode("latin-1"), headers, b"".join(chunks))
        )
        fault = response.fault
        if fault is not None and fault.kind is FaultKind.DELAY:
            await anyio.sleep(fault.seconds)
        headers_out = [(k.lower().encode(), v.encode("latin-1")) for k, v in response.headers]
        if fault is not None and fault.kind in (FaultKind.DROP, FaultKind.LOSE_RESPONSE):
            # Promise a body that never comes: the server closes the connection mid-way.
            headers_out.append((b"content-length", b"1000"))
            await send({"type": "http.response.start", "status": 200, "headers": headers_out})
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
            raise EmulatedDrop("emulated connection drop")
        await send(
            {"type": "http.response.start", "status": response.status, "headers": headers_out}
        )
        await send({"type": "http.response.body", "body": response.body})


class EmulatedDrop(ConnectionAbortedError):
    """Raised by the ASGI app to break a connection on purpose (a fault)."""


class _QuietDrops(logging.Filter):
    """Keeps the server's log free of the tracebacks of drops that were asked for."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, EmulatedDrop)


_QUIET = _QuietDrops()


def quiet_drops() -> None:
    """Keep uvicorn's log free of the drops the emulator makes on purpose."""
    logger = logging.getLogger("uvicorn.error")
    if _QUIET not in logger.filters:
        logger.addFilter(_QUIET)


@contextlib.contextmanager
def serve(directory: Directory, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``directory`` over HTTP with uvicorn in a background thread; yields the
    base URL. Port 0 picks a free port. The server stops when the block exits."""
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - the extra is part of [test]
        raise RuntimeError(
            "serving the emulator needs uvicorn: pip install 'sessionclient[emulator]'"
        ) from exc
    # Bound here, so a port that cannot be had is an OSError to the caller (and port 0
    # names the port it got); IPv6 addresses work too.
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.create_server((host, port), family=family)
    # Accepted connections inherit it: asyncio sets it only on sockets whose proto is
    # IPPROTO_TCP, and create_server leaves 0; without it each keep-alive answer (head
    # and body written apart) waits ~40 ms for the client's delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    config = uvicorn.Config(
        EmulatorApp(directory),
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
        date_header=False,  # the directory sends its own Date: one, not two
    )
    server = uvicorn.Server(config)
    quiet_drops()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator server did not start")
            time.sleep(0.01)
        bound_host, bound_port = sock.getsockname()[:2]
        yield (
            f"http://[{bound_host}]:{bound_port}"
            if ":" in bound_host
            else (f"http://{bound_host}:{bound_port}")
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
