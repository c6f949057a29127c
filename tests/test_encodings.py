"""Content encodings over a real socket (issue 13, items 1-3): what the clients ask for,
what they decode, and that neither a bomb nor a cut stream gets through. In-process
transports cannot show these: httpx decodes before a mock hands the body over."""

from __future__ import annotations

import gzip
import socket
import threading
import zlib
from typing import Any

import pytest

import sessionclient as sc

from .conftest import AUTH, REF
from .test_sockets import Broken

DOCUMENT = b'{"members": {"0": {}}, "properties": {"custom": {"map": "harbor"}}}'
CAP = 64 * 1024


def deflate_raw(data: bytes) -> bytes:
    squeeze = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return squeeze.compress(data) + squeeze.flush()


ENCODERS = {
    "identity": (None, lambda data: data),
    "gzip": ("gzip", gzip.compress),
    "deflate": ("deflate", zlib.compress),
    "raw-deflate": ("deflate", deflate_raw),
}


def serve(encoding: str | None, body: bytes, seen: list[bytes]) -> Any:
    def behaviour(sock: socket.socket, stop: threading.Event) -> None:
        head = [b"HTTP/1.1 200 OK", b"Content-Type: application/json", b'ETag: "e1"',
                b"Content-Length: " + str(len(body)).encode()]  # fmt: skip
        if encoding:
            head.append(b"Content-Encoding: " + encoding.encode())
        sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)

    server = Broken(behaviour)
    original = server.server.RequestHandlerClass.handle

    def handle(handler: Any) -> None:
        sock: socket.socket = handler.request
        peeked = sock.recv(65536, socket.MSG_PEEK)
        seen.append(peeked)
        original(handler)

    server.server.RequestHandlerClass.handle = handle  # type: ignore[method-assign]
    return server


def get(kind: str, loop: Any, url: str) -> Any:
    policy = sc.RetryPolicy(max_attempts=1, deadline=5)
    if kind == "sync":
        with sc.SessionClient(url, auth=AUTH, retry=policy, max_body_size=CAP) as client:
            return client.get(REF)

    async def run() -> Any:
        async with sc.AsyncSessionClient(url, auth=AUTH, retry=policy, max_body_size=CAP) as client:
            return await client.get(REF)

    return loop.run_until_complete(run())


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_each_encoding_the_client_asks_for_is_decoded(kind: str, loop: Any, name: str) -> None:
    encoding, encode = ENCODERS[name]
    seen: list[bytes] = []
    with serve(encoding, encode(DOCUMENT), seen) as server:
        session = get(kind, loop, server.url)
    assert isinstance(session, sc.Session)
    assert session.document["properties"]["custom"] == {"map": "harbor"}
    request = seen[0].lower()
    assert b"\r\naccept-encoding: gzip, deflate\r\n" in request  # nothing it cannot decode


@pytest.mark.parametrize("name", ["gzip", "deflate", "raw-deflate"])
def test_a_decompression_bomb_stops_at_the_cap(kind: str, loop: Any, name: str) -> None:
    encoding, encode = ENCODERS[name]
    bomb = encode(b"{" + b" " * (32 * CAP) + b"}")
    assert len(bomb) < CAP  # small on the wire
    with (
        serve(encoding, bomb, []) as server,
        pytest.raises(sc.MalformedResponseError, match="cap"),
    ):
        get(kind, loop, server.url)


def test_an_identity_body_over_the_cap_is_refused(kind: str, loop: Any) -> None:
    with (
        serve(None, b'{"a": "' + b"x" * CAP + b'"}', []) as server,
        pytest.raises(sc.MalformedResponseError, match="cap"),
    ):
        get(kind, loop, server.url)


@pytest.mark.parametrize("name", ["gzip", "deflate", "raw-deflate"])
def test_a_compressed_body_cut_short_is_malformed(kind: str, loop: Any, name: str) -> None:
    encoding, encode = ENCODERS[name]
    whole = encode(DOCUMENT * 20)
    with (
        serve(encoding, whole[: len(whole) // 2], []) as server,
        pytest.raises(sc.MalformedResponseError, match=r"cut short|decompress"),
    ):
        get(kind, loop, server.url)


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, br", "compress"])
def test_an_encoding_nobody_asked_for_is_malformed(kind: str, loop: Any, encoding: str) -> None:
    with (
        serve(encoding, b"\x1b\x00\x00\x00garbage", []) as server,
        pytest.raises(sc.MalformedResponseError, match="Content-Encoding"),
    ):
        get(kind, loop, server.url)
