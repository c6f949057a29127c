"""Concurrency at scale: 1,000 concurrent session GETs through one AsyncSessionClient
over loopback, against raw httpx.AsyncClient with the same pool limits, the emulator in
its own process. Target: throughput ratio at least 0.95, no pool timeouts; peak memory
is reported.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable

import httpx

import sessionclient as sc

from ._common import AUTH, TOKEN, Result, emulator_process, session_ref

CALLS = 1000
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)


async def _burst(call: Callable[[], Awaitable[object]]) -> tuple[float, int]:
    """All CALLS at once: the wall time and the number of failed calls."""
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(call() for _ in range(CALLS)), return_exceptions=True)
    wall = time.perf_counter() - started
    return wall, sum(isinstance(o, BaseException) for o in outcomes)


async def _peak(call: Callable[[], Awaitable[object]]) -> int:
    """Peak traced memory, in bytes, of one burst (untimed: tracing slows Python)."""
    tracemalloc.start()
    await asyncio.gather(*(call() for _ in range(CALLS)), return_exceptions=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


async def _measure(
    url: str, rounds: int
) -> tuple[dict[str, list[tuple[float, int]]], dict[str, int]]:
    ref = session_ref("scale")
    headers = {"Authorization": TOKEN, "x-xbl-contract-version": "107"}
    samples: dict[str, list[tuple[float, int]]] = {"raw": [], "sdk": []}
    async with (
        # Raw httpx gets generous timeouts: with its defaults (5 s) calls queued in its
        # pool time out, and the comparison would be with a client that gives up.
        httpx.AsyncClient(
            base_url=url, limits=LIMITS, headers=headers, timeout=httpx.Timeout(60.0)
        ) as raw,
        sc.AsyncSessionClient(url, auth=AUTH, limits=LIMITS) as client,
    ):
        await client.create(ref)

        async def raw_get() -> object:
            response = await raw.get(ref.path)
            response.raise_for_status()
            return response.json()

        def sdk_get() -> Awaitable[object]:
            return client.get(ref)

        calls: dict[str, Callable[[], Awaitable[object]]] = {"raw": raw_get, "sdk": sdk_get}
        for index in range(rounds):
            for name in calls if index % 2 == 0 else reversed(list(calls)):
                samples[name].append(await _burst(calls[name]))
        peaks = {name: await _peak(call) for name, call in calls.items()}
    return samples, peaks


def run(quick: bool = False) -> list[Result]:
    """Alternate bursts of raw httpx and the SDK; compare the median throughputs."""
    with emulator_process("--no-throttle") as url:
        samples, peaks = asyncio.run(_measure(url, 3 if quick else 5))
    raw, sdk = (statistics.median(w for w, _ in samples[name]) for name in ("raw", "sdk"))
    ratio = raw / sdk  # throughput ratio: the inverse of the wall-time ratio
    errors = {name: sum(f for _, f in values) for name, values in samples.items()}
    return [
        Result(
            "scale",
            "1,000 concurrent GETs, loopback: throughput",
            ratio,
            "x raw",
            ">= 0.95, 0 errors",
            ratio >= 0.95 and errors["sdk"] == 0,
            {
                "raw_calls_per_s": round(CALLS / raw),
                "sdk_calls_per_s": round(CALLS / sdk),
                "raw_errors": errors["raw"],
                "sdk_errors": errors["sdk"],
                "raw_peak_mib": round(peaks["raw"] / 2**20, 1),
                "sdk_peak_mib": round(peaks["sdk"] / 2**20, 1),
            },
        )
    ]
