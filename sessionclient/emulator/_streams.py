"""RTA's WebSocket, carried for the emulator: in-process as the network stream of a
101 response (sync and async), and as an ASGI ``websocket`` scope for uvicorn.

wsproto (a dependency of the ``watch`` extra) is imported only when a socket opens, so
the emulator works without it for everything else.
"""

from __future__ import annotations

import base64
import hashlib
import math
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import httpcore
import httpx

from ._rta import RTA_PATH, SUBPROTOCOL, RtaConnection, RtaHub

if TYPE_CHECKING:
    from ._directory import Directory

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3


def accept_headers(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    """The headers of a 101 that accepts this handshake (RFC 6455, 4.2.2)."""
    key = headers.get("sec-websocket-key", "")
    accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
    answer = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept)]
    offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")]
    if SUBPROTOCOL in offered:
        answer.append(("Sec-WebSocket-Protocol", SUBPROTOCOL))
    return tuple(answer)


class _Frames:
    """The service's end of one WebSocket: wsproto on one side, the RTA connection on
    the other."""

    def __init__(self, hub: RtaHub, connection: RtaConnection) -> None:
        from wsproto.connection import Connection, ConnectionType

        self.hub = hub
        self.connection = connection
        self._ws = Connection(ConnectionType.SERVER)
        self._out = b""
        self._text = ""

    def feed(self, data: bytes) -> None:
        """Bytes from the client."""
        from wsproto.events import CloseConnection, Ping, TextMessage

        if self.connection.silent:
            return  # lost on the way
        if not data:
            self.hub.disconnect(self.connection)
            return
        self._ws.receive_data(data)
        for event in self._ws.events():
            if isinstance(event, TextMessage):
                self._text += event.data
                if event.message_finished:
                    text, self._text = self._text, ""
                    self.connection.receive(text)
            elif isinstance(event, CloseConnection):
                self._out += self._ws.send(event.response())
                self.hub.disconnect(self.connection)
            elif isinstance(event, Ping):
                self._out += self._ws.send(event.response())
                self.connection.pings += 1

    def ready(self) -> bool:
        """Whether ``drain`` has something to give (bytes, or the end)."""
        if self.connection.silent:
            return False
        return bool(self._out) or self.connection.pending()

    def drain(self, max_bytes: int) -> bytes:
        """Bytes for the client; b"" once the connection is closed (the socket ends
        without a closing handshake, as a dropped one does)."""
        from wsproto.events import TextMessage

        for frame in self.connection.take():
            self._out += self._ws.send(TextMessage(frame))
        out, self._out = self._out[:max_bytes], self._out[max_bytes:]
        return out


class SyncRtaStream(httpcore.NetworkStream):
    """An in-process RTA socket for ``httpx.Client``: reads wait on a condition that the
    hub's wakers notify (writes from other threads)."""

    def __init__(self, hub: RtaHub, connection: RtaConnection) -> None:
        self._frames = _Frames(hub, connection)
        self._ready = threading.Condition()
        connection.wakers.add(self._wake)

    def _wake(self) -> None:
        with self._ready:
            self._ready.notify_all()

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with self._ready:
            if not self._ready.wait_for(self._frames.ready, timeout):
                raise httpcore.ReadTimeout("no RTA frame within the read timeout")
        return self._frames.drain(max_bytes)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self._frames.connection.closed:
            raise httpcore.WriteError("the RTA connection is closed")
        self._frames.feed(buffer)

    def close(self) -> None:
        self._frames.connection.wakers.discard(self._wake)
        self._frames.hub.disconnect(self._frames.connection)


def _threadsafe(event: anyio.Event) -> Callable[[], None]:
    """``event.set`` callable from any thread (a write may come from another one)."""
    try:
        import asyncio

        loop = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio: trio
        import trio

        token = trio.lowlevel.current_trio_token()
        return lambda: token.run_sync_soon(event.set)

    def wake() -> None:
        loop.call_soon_threadsafe(event.set)

    return wake


class AsyncRtaStream(httpcore.AsyncNetworkStream):
    """An in-process RTA socket for ``httpx.AsyncClient`` (asyncio or trio)."""

    def __init__(self, hub: RtaHub, connection: RtaConnection) -> None:
        self._frames = _Frames(hub, connection)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with anyio.move_on_after(math.inf if timeout is None else timeout):
            await wait_ready(self._frames)
            return self._frames.drain(max_bytes)
        raise httpcore.ReadTimeout("no RTA frame within the read timeout")  # as httpcore's

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await anyio.sleep(0)  # a network hop lets other tasks run
        if self._frames.connection.closed:
            raise httpcore.WriteError("the RTA connection is closed")
        self._frames.feed(buffer)

    async def aclose(self) -> None:
        self._frames.hub.disconnect(self._frames.connection)


class _Waitable(Protocol):
    connection: RtaConnection

    def ready(self) -> bool: ...


async def wait_ready(frames: _Waitable) -> None:
    """Wait until ``frames`` has something to send."""
    while not frames.ready():
        event = anyio.Event()
        wake = _threadsafe(event)
        frames.connection.wakers.add(wake)
        try:
            if not frames.ready():
                await event.wait()
        finally:
            frames.connection.wakers.discard(wake)


Message = MutableMapping[str, Any]


async def asgi_rta(
    directory: Directory,
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """Serve RTA on an ASGI ``websocket`` scope (uvicorn does the framing)."""
    await receive()  # websocket.connect
    headers = httpx.Headers([(k, v) for k, v in scope["headers"]])
    connection = None
    if scope["path"] == RTA_PATH:
        connection = directory.rta_connect(headers.get("authorization"))
    if connection is None:
        await send({"type": "websocket.close", "code": 4401})
        return
    offered = scope.get("subprotocols", [])
    await send(
        {"type": "websocket.accept", "subprotocol": SUBPROTOCOL if SUBPROTOCOL in offered else None}
    )
    hub = directory.rta

    async def outgoing() -> None:
        frames = _Outbox(connection)
        while True:
            await wait_ready(frames)
            for frame in connection.take():
                await send({"type": "websocket.send", "text": frame})
            if connection.closed:
                await send({"type": "websocket.close", "code": 1001})
                return

    async with anyio.create_task_group() as group:
        group.start_soon(outgoing)
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("text") is not None:
                    connection.receive(message["text"])
        finally:
            hub.disconnect(connection)
            group.cancel_scope.cancel()


class _Outbox:
    """What ``wait_ready`` needs of a connection served over ASGI."""

    def __init__(self, connection: RtaConnection) -> None:
        self.connection = connection

    def ready(self) -> bool:
        return self.connection.pending()
