"""Issue 22 against a second real limiter, set up as a user would: HAProxy from Debian
(``apt-get install haproxy``, 2.6), a stick-table limit of 10 requests per second per
client address (``http_req_rate(1s)``), refused with HAProxy's own
``http-request deny deny_status 429``: no Retry-After. It stands in front of
``benchmarks._fastserver``; both are fresh for every run (``benchmarks/haproxy.cfg.template``,
HAProxy in the foreground with ``-db`` on 127.0.0.1 and a free port, stopped at the end).

HAProxy bumps ``http_req_rate`` when it tracks a request, before the deny rule, so
refused requests count too: this is issue 22's "limiter that counts refused requests".
A client that keeps knocking above the limit stays refused (evenly paced at 11 r/s,
86 of 100 requests are refused; at 9.5 r/s none).

The minimum: HAProxy's rate is the current period's count plus the previous period's
weighted by what is left of it, so a burst at t=0 buys nothing back; the best client
sends one call per 100 ms from t=0, (N - 1) / 10 s, as against nginx without burst.

Rows: 200 GETs at concurrency 8 and 32, sync and async; the SDK with its default
policy and the naive httpx + tenacity loop (``benchmarks._limiter``), runs interleaved,
3 runs each (median [min-max]). Figures: wall / minimum, the share of requests HAProxy
answered 429 (its own log, ``log stdout``), calls raised. Target (the SDK's, issue 22):
<= 1.25x, <= 10 % 429, 0 raised.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from ._common import Result, fast_server, free_port, leaky_bucket_minimum, server_process
from ._limiter import NAIVE, SDK, Load, compare, fill, find_binary, measure, parse_access_log

TEMPLATE = Path(__file__).with_name("haproxy.cfg.template")
RATE = 10
BENCH = "bare 429 (HAProxy)"
LABEL = f"http_req_rate(1s) > {RATE}, deny 429"


def haproxy_binary() -> str | None:
    """HAProxy on PATH or in /usr/sbin, or None."""
    return find_binary("haproxy")


def render_config(template: str, *, port: int, backend_port: int, rate: int = RATE) -> str:
    """The HAProxy configuration: every ``{{name}}`` of the template filled in."""
    values = {"port": str(port), "backend_port": str(backend_port), "rate": str(rate)}
    return fill(template, values, "HAProxy")


@contextlib.contextmanager
def haproxy() -> Iterator[tuple[str, Callable[[], Counter[int]]]]:
    """A fresh HAProxy in front of a fresh fast server; yields its base URL and a count
    of the statuses in its log, and stops both at the end."""
    binary = haproxy_binary()
    if binary is None:
        raise RuntimeError("HAProxy is not installed")
    with fast_server() as backend, tempfile.TemporaryDirectory(prefix="bench-haproxy-") as folder:
        root = Path(folder)
        port = free_port()
        conf = root / "haproxy.cfg"
        backend_port = int(backend.rsplit(":", 1)[1])
        conf.write_text(render_config(TEMPLATE.read_text(), port=port, backend_port=backend_port))
        log = root / "access.log"
        with server_process([binary, "-db", "-f", str(conf)], port, stdout=log) as url:
            yield url, lambda: parse_access_log(log.read_text())


def run(quick: bool = False) -> Iterator[Result]:
    """Every row (about 15 minutes; 20 s in ``quick``: 20 calls, async, concurrency 8)."""
    runs, calls = (1, 20) if quick else (3, 200)
    plan = [(8, True)] if quick else [(c, a) for c in (8, 32) for a in (False, True)]
    if haproxy_binary() is None:
        yield Result(BENCH, "HAProxy not installed (apt-get install haproxy)", math.nan, "")
        return
    minimum = leaky_bucket_minimum(calls, RATE)
    for concurrency, asynchronous in plan:
        loads = [Load(c, asynchronous, calls, concurrency) for c in (SDK, NAIVE)]
        yield from compare(
            BENCH, LABEL, loads, runs,
            lambda load: measure(BENCH, LABEL, haproxy(), 429, load, minimum, 3.0),
            429, (1.25, 0.10),
        )  # fmt: skip
