"""What every benchmark shares: the result record and its spread, interleaved timing,
servers in their own processes, the environment, and the true minimum of a limiter."""

from __future__ import annotations

import contextlib
import importlib.metadata
import math
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import httpx

import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID

TOKEN = "XBL3.0 x=2533274790395904;bench"
AUTH = sc.XBLToken("2533274790395904", "bench")

# The headers MPSD requires on every call (the SDK sends them too), for raw httpx.
HEADERS = {
    "Authorization": TOKEN,
    "x-xbl-contract-version": "107",
    "Accept": "application/json",
    "Content-Type": "application/json",
}


@attrs.frozen
class Result:
    """One line of the table: the median of a figure over ``runs`` rounds, its min-max,
    and its target. ``met`` is None without a target, else whether the *median* (and
    whatever else the target names) meets it."""

    benchmark: str
    case: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    low: float | None = None
    high: float | None = None
    runs: int = 1
    note: str = ""
    digits: int = 3
    detail: dict[str, Any] = attrs.field(factory=dict)

    @classmethod
    def of(
        cls, benchmark: str, case: str, values: Sequence[float], unit: str, **rest: Any
    ) -> Result:
        """The median of ``values`` with their min-max."""
        return cls(
            benchmark, case, statistics.median(values), unit,
            low=min(values), high=max(values), runs=len(values), **rest,
        )  # fmt: skip

    def figure(self) -> str:
        """The median, with its spread when there was more than one round."""
        if math.isnan(self.value):
            return "n/a"
        digits = self.digits if abs(self.value) < 100 else min(self.digits, 1)
        text = f"{self.value:.{digits}f}"
        if self.runs > 1 and self.low is not None and self.high is not None:
            text += f" [{self.low:.{digits}f}-{self.high:.{digits}f}]"
        return f"{text} {self.unit}"

    def row(self) -> str:
        """The line of the printed table."""
        verdict = {True: "met", False: "MISSED", None: ""}[self.met]
        return (
            f"| {self.benchmark} | {self.case} | {self.figure()} | {self.runs} | {self.target} "
            f"| {verdict} | {self.note} |"
        )


HEADER = (
    "| benchmark | case | median [min-max] | runs | target | verdict | notes |\n"
    "| --- | --- | --- | --- | --- | --- | --- |"
)


def interleaved(
    functions: dict[str, Callable[[], object]], *, calls: int, rounds: int
) -> dict[str, list[float]]:
    """Seconds per call of each function in each of ``rounds`` rounds; in a round every
    function runs ``calls`` times, in turn, the order reversed every other round, so
    that drift of the machine hits them all alike."""
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


def ratios(samples: dict[str, list[float]], subject: str, baseline: str) -> list[float]:
    """subject / baseline of each round, both measured in that round."""
    return [s / b for s, b in zip(samples[subject], samples[baseline], strict=True)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, alive: Callable[[], bool], describe: Callable[[], str]) -> None:
    """Return once something listens on 127.0.0.1:``port``; raise if ``alive()`` turns
    false or 30 s pass first."""
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or not alive():
                raise RuntimeError(f"the server did not start: {describe()}") from None
            time.sleep(0.02)


@contextlib.contextmanager
def server_process(command: Sequence[str], port: int, stdout: Path | None = None) -> Iterator[str]:
    """``command`` in its own process (so that it does not share this process's GIL),
    listening on ``port``; yields its base URL and stops it at the end. Its standard
    output goes to ``stdout`` when given (a server that logs there), else with its
    errors to a temporary file."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    # Its output goes to a file: an unread pipe that fills up would stall the server.
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(tempfile.TemporaryFile())
        out = stack.enter_context(stdout.open("wb")) if stdout else log
        server = stack.enter_context(
            subprocess.Popen(list(command), stdout=out, stderr=log, env=env)
        )

        def describe() -> str:
            log.seek(0)
            return log.read().decode(errors="replace")

        try:
            wait_for_port(port, lambda: server.poll() is None, describe)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=30)


def emulator_process(*args: str) -> contextlib.AbstractContextManager[str]:
    """``sessionclient emulator`` in its own process; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "sessionclient", "emulator", "--port", str(port), *args]
    return server_process(command, port)


def fast_server() -> contextlib.AbstractContextManager[str]:
    """``benchmarks._fastserver`` (a minimal asyncio HTTP/1.1 server answering a fixed
    session) in its own process; yields its base URL."""
    port = free_port()
    return server_process([sys.executable, "-m", "benchmarks._fastserver", str(port)], port)


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


def session_ref(name: str) -> sc.SessionRef:
    return sc.SessionRef(DEFAULT_SCID, "lobby", name)


def sliding_window_minimum(calls: int, windows: Sequence[tuple[int, float]]) -> float:
    """The least time in which a perfect client completes ``calls`` calls against
    sliding windows of ``(limit, seconds)``: each call is sent at the earliest moment
    every window admits it, starting with a full burst at t=0 (for 600 calls at 30 per
    0.15 s: 2.85 s, not N/R = 3.00 s). A window admits a call at t when fewer than
    ``limit`` calls were sent in (t - seconds, t], as the emulator counts."""
    sent: list[float] = []
    for k in range(calls):
        at = sent[-1] if sent else 0.0
        for limit, seconds in windows:
            if k >= limit:
                at = max(at, sent[k - limit] + seconds)
        sent.append(at)
    return sent[-1] if sent else 0.0


def leaky_bucket_minimum(calls: int, rate: float, burst: int = 0) -> float:
    """The least time in which a perfect client completes ``calls`` calls against
    nginx's ``limit_req rate=R burst=B``: B + 1 calls at t=0, then one per 1/R s."""
    return max(calls - 1 - burst, 0) / rate


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "MISSING"


def environment() -> dict[str, Any]:
    """What the figures depend on: Python, the HTTP stack, the cores, nginx."""
    nginx = shutil.which("nginx")
    nginx_version = "not installed"
    if nginx:
        probe = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False)
        nginx_version = probe.stderr.strip().removeprefix("nginx version: ")
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        **{
            name: _version(name)
            for name in ("sessionclient", "httpx", "httpcore", "anyio", "sniffio", "h11")
        },
        "tenacity": _version("tenacity"),
        "nginx": nginx_version,
    }
