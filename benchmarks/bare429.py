"""Issue 22 against a real nginx answering its default bare 429 (no Retry-After):
``limit_req rate=10r/s`` with and without ``burst=20 nodelay``, the SDK with its
default policy (sync: threads, async: asyncio), 200 calls at concurrency 8 and 32,
each row over 3 fresh nginx runs (median [min-max]), and at concurrency 8 the naive
httpx + tenacity loop as a baseline (its runs interleaved with the SDK's); the
1,000-call rows (3 runs each, sync and async interleaved); and the p50/p99 latency of
60 calls at 2 r/s, concurrency 8 (each call timed by itself).

Figures: wall / the leaky bucket's minimum, the share of requests nginx answered
429 (its access log), calls raised. Targets: <= 1.25x, <= 10 %, 0 raised; 1,000
calls <= 1.05x and <= 3 %; p99 <= 3x p50.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator

import attrs

import sessionclient as sc

from ._common import AUTH, Result, leaky_bucket_minimum, session_ref
from ._limiter import NAIVE, SDK, Load, compare, parse_access_log
from .nginx_throttle import VARIANTS, measure, nginx, nginx_binary

BENCH = "bare 429 (nginx)"


def _rows(quick: bool) -> Iterator[Result]:
    runs, calls = (1, 20) if quick else (3, 200)
    plan = [("d", 8, False), ("d", 8, True)] if quick else [
        (key, concurrency, asynchronous)
        for key in ("d", "e") for concurrency in (8, 32) for asynchronous in (False, True)
    ]  # fmt: skip
    for key, concurrency, asynchronous in plan:
        # At concurrency 8 the naive loop runs beside the SDK as a baseline.
        contenders = (SDK, NAIVE) if concurrency == 8 else (SDK,)
        loads = [Load(c, asynchronous, calls, concurrency) for c in contenders]
        yield from compare(
            BENCH, f"({key}) {VARIANTS[key].label}", loads, runs,
            lambda load, key=key: measure(key, load.contender, load.asynchronous, load.calls,
                                          load.concurrency, 3.0),
            429, (1.25, 0.10),
        )  # fmt: skip


def _long(quick: bool) -> Iterator[Result]:
    """The 1,000-call rows: 3 runs each (1 of 100 calls in quick), sync and async
    interleaved, the order reversed every other round."""
    runs, calls = (1, 100) if quick else (3, 1000)
    loads = [Load(SDK, asynchronous, calls, 8) for asynchronous in (False, True)]
    yield from compare(
        BENCH, f"(d) {VARIANTS['d'].label}", loads, runs,
        lambda load: measure("d", SDK, load.asynchronous, calls, 8, 3.0),
        429, (1.05, 0.03),
    )  # fmt: skip


def _latency(quick: bool) -> Result:
    """60 calls (20 in quick) at concurrency 8 against 2 r/s: p50 and p99 per call."""
    calls = 20 if quick else 60
    variant = attrs.evolve(VARIANTS["d"], rate=2)
    latencies: list[float] = []
    raised = 0

    async def main(url: str) -> None:
        nonlocal raised
        ref = session_ref("throttled")
        async with sc.AsyncSessionClient(url, auth=AUTH) as client:
            todo = list(range(calls))

            async def worker() -> None:
                nonlocal raised
                while todo:
                    todo.pop()
                    began = time.perf_counter()
                    try:
                        await client.get(ref)
                    except sc.SessionClientError:
                        raised += 1
                    latencies.append(time.perf_counter() - began)

            await asyncio.gather(*(worker() for _ in range(8)))

    started = time.perf_counter()
    with nginx(variant) as (url, log):
        asyncio.run(main(url))
        wall = time.perf_counter() - started
        time.sleep(0.05)
        statuses = parse_access_log(log.read_text())
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p99 = ordered[max(int(0.99 * len(ordered) + 0.5) - 1, 0)]
    minimum = leaky_bucket_minimum(calls, 2)
    return Result(
        BENCH, f"(d) at 2 r/s: sdk async, {calls} calls at concurrency 8: p99 / p50",
        p99 / p50, "x", target="p99 <= 3x p50", met=p99 <= 3 * p50 and raised == 0,
        note=(f"p50 {p50:.2f} s, p99 {p99:.2f} s; wall {wall:.1f} s (minimum {minimum:.1f} s);"
              f" {statuses.get(429, 0)} of {sum(statuses.values())} requests 429; "
              f"{raised} raised"),
        detail={"p50_s": p50, "p99_s": p99, "raised": raised},
    )  # fmt: skip


def run(quick: bool = False) -> Iterator[Result]:
    """Every row (about 30 minutes; a minute in ``quick``)."""
    if nginx_binary() is None:
        yield Result(BENCH, "nginx not installed (apt-get install nginx)", float("nan"), "")
        return
    yield _latency(quick)
    yield from _rows(quick)
    yield from _long(quick)
