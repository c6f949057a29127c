"""Concurrency at scale: bursts of 1,000 concurrent session GETs through one
AsyncSessionClient over loopback, against raw httpx.AsyncClient with the same pool
limits and an ``asyncio.Semaphore`` of the pool's size around each call (what any httpx
user can add so that queued calls do not hit the pool timeout). The server is the fast
server (``benchmarks._fastserver``) in its own process. Bursts of the two alternate,
the order reversed every round.

Two rows: warm pools (one client each, warmed by a burst, the bursts back to back well
within the keep-alive expiry) and cold pools (a new client for every burst, so every
connection is opened in the burst). Target: throughput >= 0.95x raw httpx, no errors.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

import httpx

import sessionclient as sc

from ._common import AUTH, HEADERS, Result, fast_server, session_ref

CALLS = 1000
# 20 connections: on 2 cores a bigger pool buys no throughput (the client is CPU-bound)
# and httpcore's pool bookkeeping grows with it, which would only lengthen the run.
LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=20)
TIMEOUT = httpx.Timeout(30.0)
TARGET = 0.95

Call = Callable[[], Awaitable[object]]


async def _burst(call: Call, calls: int = CALLS) -> tuple[float, int]:
    """``calls`` calls at once: the wall time and the number of failed calls."""
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(call() for _ in range(calls)), return_exceptions=True)
    wall = time.perf_counter() - started
    return wall, sum(isinstance(o, BaseException) for o in outcomes)


def _raw_call(client: httpx.AsyncClient, path: str) -> Call:
    slots = asyncio.Semaphore(LIMITS.max_connections or CALLS)

    async def call() -> object:
        async with slots:
            response = await client.get(path)
        response.raise_for_status()
        return response.json()

    return call


async def _pair(url: str, stack: AsyncExitStack) -> dict[str, Call]:
    """Fresh clients, raw and SDK, entered on ``stack``."""
    path = session_ref("scale").path
    raw = await stack.enter_async_context(
        httpx.AsyncClient(base_url=url, limits=LIMITS, headers=HEADERS, timeout=TIMEOUT)
    )
    client = await stack.enter_async_context(
        sc.AsyncSessionClient(url, auth=AUTH, limits=LIMITS, timeout=TIMEOUT)
    )
    ref = session_ref("scale")
    return {"raw": _raw_call(raw, path), "sdk": lambda: client.get(ref)}


async def _measure(
    url: str, rounds: int, warm: bool, calls: int
) -> dict[str, list[tuple[float, int]]]:
    samples: dict[str, list[tuple[float, int]]] = {"raw": [], "sdk": []}
    async with AsyncExitStack() as stack:
        pair = await _pair(url, stack)
        if warm:
            for call in pair.values():
                await _burst(call, calls)
        for index in range(rounds):
            for name in ("raw", "sdk") if index % 2 == 0 else ("sdk", "raw"):
                if warm:
                    samples[name].append(await _burst(pair[name], calls))
                    continue
                async with AsyncExitStack() as fresh:
                    samples[name].append(await _burst((await _pair(url, fresh))[name], calls))
    return samples


async def _peaks(url: str) -> dict[str, int]:
    """Peak traced memory, in bytes, of one warm burst each (untimed: tracing slows
    Python)."""
    peaks = {}
    async with AsyncExitStack() as stack:
        calls = await _pair(url, stack)
        for name, call in calls.items():
            await _burst(call)
            tracemalloc.start()
            await _burst(call)
            peaks[name] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return peaks


def _result(
    pools: str, samples: dict[str, list[tuple[float, int]]], calls: int, extra: str
) -> Result:
    throughput = [
        raw / sdk for (raw, _), (sdk, _) in zip(samples["raw"], samples["sdk"], strict=True)
    ]
    errors = {name: sum(f for _, f in values) for name, values in samples.items()}
    raw, sdk = (calls / statistics.median(w for w, _ in samples[n]) for n in ("raw", "sdk"))
    return Result.of(
        "scale", f"{calls:,} concurrent GETs, loopback, {pools} pools: throughput", throughput,
        "x raw", target=f">= {TARGET}, 0 errors",
        met=statistics.median(throughput) >= TARGET and errors["sdk"] == 0,
        note=f"raw {raw:.0f}/s, sdk {sdk:.0f}/s; errors raw {errors['raw']}, "
        f"sdk {errors['sdk']}{extra}",
        detail={"raw_calls_per_s": round(raw), "sdk_calls_per_s": round(sdk), **errors},
    )  # fmt: skip


def run(quick: bool = False) -> list[Result]:
    """Warm and cold rows; peak memory in the full run (``quick``: bursts of 500)."""
    rounds, calls = (2, 500) if quick else (9, CALLS)
    with fast_server() as url:
        warm = asyncio.run(_measure(url, rounds, warm=True, calls=calls))
        cold = asyncio.run(_measure(url, rounds, warm=False, calls=calls))
        peaks = None if quick else asyncio.run(_peaks(url))
    extra = ""
    if peaks:
        extra = (
            f"; peak memory raw {peaks['raw'] / 2**20:.1f} MiB, sdk {peaks['sdk'] / 2**20:.1f} MiB"
        )
    return [_result("warm", warm, calls, extra), _result("cold", cold, calls, "")]
