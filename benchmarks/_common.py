"""What every benchmark shares: timing, a served emulator, and the result record."""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import httpx

import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID

TOKEN = "XBL3.0 x=2533274790395904;bench"
AUTH = sc.XBLToken("2533274790395904", "bench")


@attrs.frozen
class Result:
    """One line of the table: a measured figure, its baseline and its target."""

    benchmark: str
    case: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    detail: dict[str, Any] = attrs.field(factory=dict)

    def row(self) -> str:
        """The line of the printed table."""
        verdict = {True: "met", False: "MISSED", None: ""}[self.met]
        return (
            f"| {self.benchmark} | {self.case} | {self.value:.3f} {self.unit} | {self.target} "
            f"| {verdict} |"
        )


def interleaved(
    functions: dict[str, Callable[[], object]], *, calls: int, rounds: int
) -> dict[str, list[float]]:
    """Seconds per call of each function in each of ``rounds`` rounds; in a round every
    function runs ``calls`` times, in turn (alternating the order), so that drift of
    the machine hits them all alike."""
    for function in functions.values():  # warm up
        for _ in range(max(calls // 10, 10)):
            function()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for index in range(rounds):
        order = list(functions.items())
        if index % 2:
            order.reverse()
        for name, function in order:
            started = time.perf_counter()
            for _ in range(calls):
                function()
            samples[name].append((time.perf_counter() - started) / calls)
    return samples


def paired_ratio(samples: dict[str, list[float]], subject: str, baseline: str) -> float:
    """The median, over rounds, of subject / baseline measured in the same round."""
    return statistics.median(
        s / b for s, b in zip(samples[subject], samples[baseline], strict=True)
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CountingTransport(httpx.HTTPTransport):
    """A real socket transport that counts the requests it sends and when."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.sent: list[float] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(time.perf_counter())
        return super().handle_request(request)


class AsyncCountingTransport(httpx.AsyncHTTPTransport):
    """The async ``CountingTransport``."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.sent: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(time.perf_counter())
        return await super().handle_async_request(request)


@contextlib.contextmanager
def emulator_process(*args: str) -> Iterator[str]:
    """``sessionclient emulator`` in its own process (so it does not share this
    process's GIL); yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "sessionclient", "emulator", "--port", str(port), *args]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    # Its output goes to a file: an unread pipe that fills up would stall the server.
    with (
        tempfile.TemporaryFile() as log,
        subprocess.Popen(command, stdout=log, stderr=log, env=env) as server,
    ):
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        log.seek(0)
                        output = log.read().decode(errors="replace")
                        raise RuntimeError(f"the emulator did not start: {output}") from None
                    time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=30)


def session_ref(name: str) -> sc.SessionRef:
    return sc.SessionRef(DEFAULT_SCID, "lobby", name)
