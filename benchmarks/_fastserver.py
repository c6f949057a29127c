"""A minimal HTTP/1.1 keep-alive server for measuring a client's cost over loopback:
every GET or PUT is answered 200 with one fixed MPSD session document and its ETag
(a few µs per request), so that the server's own time does not hide the client's.

    python -m benchmarks._fastserver PORT

It parses no more than it must: the request line, ``Content-Length`` (to skip a body)
and ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import sys
import time

SESSION = {
    "constants": {"system": {"maxMembersCount": 8, "capabilities": {"large": False}}, "custom": {}},
    "properties": {"system": {}, "custom": {"map": "harbor", "round": 3}},
    "members": {
        "0": {
            "constants": {"system": {"xuid": "2533274790395904", "index": 0}, "custom": {}},
            "properties": {"system": {}, "custom": {}},
        }
    },
    "membersInfo": {"first": 0, "next": 1, "count": 1, "accepted": 1},
    "servers": {},
    "correlationId": "11116e73-1c03-5de6-9130-5f9925ae8ab4",
    "startTime": "2026-01-01T00:00:00.000Z",
}
BODY = json.dumps(SESSION, separators=(",", ":")).encode()
ETAG = b'"0000000000000001"'


class _Response:
    """The response bytes, rebuilt once a second for the Date header."""

    def __init__(self) -> None:
        self._second = -1
        self._bytes = b""

    def __call__(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            date = email.utils.formatdate(now, usegmt=True).encode()
            self._bytes = (
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\netag: " + ETAG
                + b"\r\ndate: " + date + b"\r\ncontent-length: " + str(len(BODY)).encode()
                + b"\r\n\r\n" + BODY
            )  # fmt: skip
        return self._bytes


RESPONSE = _Response()


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self._buffer[:end].lower()
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                line_end = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : line_end if line_end >= 0 else None])
            if len(self._buffer) < end + 4 + length:
                return
            self._buffer = self._buffer[end + 4 + length :]
            self._transport.write(RESPONSE())
            if b"\r\nconnection: close" in head:
                self._transport.close()
                return


async def serve(port: int) -> None:
    """Serve on 127.0.0.1:``port`` until cancelled."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Connection, "127.0.0.1", port, backlog=2048)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
