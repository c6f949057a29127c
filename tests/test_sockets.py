"""Faults over real sockets: a deliberately broken server on 127.0.0.1, started and
stopped by the test. Each call must end within its deadline plus a small bound, raise
the right typed error, and never send an unconditional write twice.

Socket timeouts run on the real clock, so deadlines here are short; the client's own
waits (Retry-After, back-off) use a recorded sleep that takes no time.
"""

from __future__ import annotations

import asyncio
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import sessionclient as sc

from .conftest import AUTH, REF

DEADLINE = 0.6
BOUND = 0.5  # what an attempt may add: one socket read, scheduling
SESSION = b'{"members": {"0": {}}}'


def read_request(sock: socket.socket) -> bytes:
    """One request (head and body); its request line, or b"" when the peer closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head.split(b"\r\n", 1)[0]


def reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def answer(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


Behaviour = Callable[[socket.socket, threading.Event], None]


def reset_before_response(sock: socket.socket, stop: threading.Event) -> None:
    reset(sock)


def reset_mid_body(sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    )
    reset(sock)


def never_answers(sock: socket.socket, stop: threading.Event) -> None:
    stop.wait(10)


def trickles_body(sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    while not stop.wait(0.05):
        sock.sendall(b" ")


def trickles_headers(sock: socket.socket, stop: threading.Event) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 1000:
        if stop.wait(0.05):
            return
        sock.sendall(bytes([byte]))


def storm(status: str, body: bytes) -> Behaviour:
    def behaviour(sock: socket.socket, stop: threading.Event) -> None:
        headers = {
            "Retry-After": "0.05",
            "Content-Type": "application/json" if body else "text/plain",
        }
        sock.sendall(answer(status, headers, body))

    return behaviour


class Broken:
    """A TCP server that reads each request head, counts it, then misbehaves."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.received: list[bytes] = []
        self.stop = threading.Event()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                while not outer.stop.is_set():
                    line = read_request(sock)
                    if not line:
                        return
                    outer.received.append(line)
                    try:
                        behaviour(sock, outer.stop)
                    except OSError:
                        return
                    if sock.fileno() == -1:
                        return

        socketserver.ThreadingTCPServer.daemon_threads = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Broken:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there now


def call(kind: str, url: str, op: str, policy: sc.RetryPolicy) -> tuple[Any, float, list[float]]:
    """Run one call with a clock that runs in real time plus the waits the client asked
    for, which take no real time; returns the outcome, the real seconds it took, and
    the waits."""
    waits: list[float] = []
    skipped = [0.0]  # the waits, taken on the client's clock but not on the wall's

    def clock() -> float:
        return time.monotonic() + skipped[0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        skipped[0] += seconds

    started = time.monotonic()
    if kind == "sync":
        client: Any = sc.SessionClient(url, auth=AUTH, retry=policy, sleep=sleep, clock=clock)
        try:
            outcome: Any = getattr(client, op)(*args(op))
        except sc.SessionClientError as error:
            outcome = error
        finally:
            client.close()
    else:

        async def asleep(seconds: float) -> None:
            sleep(seconds)

        async def run() -> Any:
            async with sc.AsyncSessionClient(
                url, auth=AUTH, retry=policy, sleep=asleep, clock=clock
            ) as aclient:
                try:
                    return await getattr(aclient, op)(*args(op))
                except sc.SessionClientError as error:
                    return error

        outcome = asyncio.run(run())
    return outcome, time.monotonic() - started, waits


def args(op: str) -> tuple[Any, ...]:
    return (REF, {"properties": {"custom": {"n": 1}}}) if op == "put" else (REF,)


POLICY = sc.RetryPolicy(deadline=DEADLINE, max_attempts=4)

CASES = [
    # behaviour, op, expected error, requests the server may see (unconditional PUT: one)
    ("reset before the response", reset_before_response, "put", sc.TransportError, 1),
    ("reset before the response", reset_before_response, "get", sc.TransportError, 4),
    ("reset in the middle of the body", reset_mid_body, "put", sc.TransportError, 1),
    ("reset in the middle of the body", reset_mid_body, "get", sc.TransportError, 4),
    ("accepts and never answers", never_answers, "put", sc.TransportError, 1),
    ("accepts and never answers", never_answers, "get", sc.TransportError, 1),
    ("trickles its body", trickles_body, "put", sc.TransportError, 1),
    ("trickles its body", trickles_body, "get", sc.TransportError, 1),
    ("503 storm", storm("503 Service Unavailable", b""), "put", sc.ServiceUnavailableError, 4),
    ("429 storm with bodies", storm("429 Too Many Requests",
     b'{"currentRequests": 9, "maxRequests": 5, "periodInSeconds": 0.05}'), "put",
     sc.TooManyRequestsError, 4),
    ("429 storm without bodies", storm("429 Too Many Requests", b""), "get",
     sc.TooManyRequestsError, 4),
]  # fmt: skip


@pytest.mark.parametrize(("name", "behaviour", "op", "error", "most"), CASES)
def test_broken_server(
    kind: str, name: str, behaviour: Behaviour, op: str, error: type[Exception], most: int
) -> None:
    with Broken(behaviour) as server:
        outcome, took, waits = call(kind, server.url, op, POLICY)
        seen = len(server.received)
    assert type(outcome) is error, repr(outcome)
    assert took <= DEADLINE + BOUND, took
    assert 1 <= seen <= most, seen
    if op == "put" and error is sc.TransportError:
        assert outcome.sent is True
        assert seen == 1  # an unconditional PUT that may have landed is not sent again
    assert sum(waits) <= DEADLINE


def test_connection_refused_is_retried_and_unsent(kind: str) -> None:
    outcome, took, waits = call(kind, refused_url(), "put", POLICY)
    assert isinstance(outcome, sc.TransportError)
    assert outcome.sent is False  # nothing left this machine: safe even for a PUT
    assert outcome.attempts >= 2  # retried, as long as the back-off fits the deadline
    assert len(waits) == outcome.attempts - 1
    assert took <= DEADLINE + BOUND


def test_trickled_headers_are_cut_at_the_deadline_in_the_async_client() -> None:
    with Broken(trickles_headers) as server:
        outcome, took, _ = call("asyncio", server.url, "get", POLICY)
    assert isinstance(outcome, sc.TransportError)
    assert took <= DEADLINE + BOUND


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    before = threading.active_count()
    yield
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_refused_connection_reads_the_same_in_the_sync_and_async_clients() -> None:
    url = refused_url()
    once = sc.RetryPolicy(max_attempts=1, deadline=DEADLINE)
    sync, _, _ = call("sync", url, "get", once)
    async_, _, _ = call("async", url, "get", once)
    assert isinstance(sync, sc.TransportError)
    assert isinstance(async_, sc.TransportError)
    assert str(sync) == str(async_)
    assert "Connection refused" in str(sync)
    assert "All connection attempts failed" not in str(async_)


def test_the_served_emulator_answers_keep_alive_requests_without_nagle_stalls() -> None:
    """``Emulator.serve()`` binds its own socket; ``socket.create_server`` leaves its
    ``proto`` at 0, so asyncio did not set TCP_NODELAY on accepted connections and each
    keep-alive response (headers and body written apart) waited for the client's delayed
    ACK: ~40 ms a request on Linux. 20 GETs took ~0.9 s before the fix (failed), ~0.05 s
    after; the bound leaves room for a loaded machine."""
    from sessionclient.emulator import DEFAULT_SCID, Emulator

    ref = sc.SessionRef(DEFAULT_SCID, "lobby", "nagle")
    with Emulator().serve() as url, sc.SessionClient(url, auth=sc.XBLToken("1", "t")) as client:
        client.create(ref)
        client.get(ref)  # the connection is open and kept alive
        started = time.perf_counter()
        for _ in range(20):
            client.get(ref)
        assert time.perf_counter() - started < 0.4
