"""Throttled goodput: 600 session GETs at concurrency 32 through one AsyncSessionClient
against an emulator that admits R requests per second (MPSD's burst window, 30 calls per
15 s, on a clock 100 times faster: R = 200/s). Compared in one run: this SDK with its
cool-down gate, this SDK with ``throttle="off"``, and a naive client retrying 429 with
tenacity's exponential back-off and no Retry-After.

Targets (the gate): wall time at most 1.10 x N/R, and at most 3% of requests answered 429.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import tenacity

import sessionclient as sc
from sessionclient.emulator import EMULATOR_URL, Emulator, Throttle

from ._common import TOKEN, Result, session_ref

N, CONCURRENCY, TIME_SCALE = 600, 32, 0.01
LIMITS = Throttle(burst_limit=30, burst_window=15.0, sustain_limit=100_000, sustain_window=300.0)
RATE = LIMITS.burst_limit / (LIMITS.burst_window * TIME_SCALE)


BUDGET = 30.0
"""Seconds a contender may take; one that has not finished by then is reported with
its pace so far (a lower bound on its ratio)."""


async def _drain(call: Callable[[], Awaitable[object]]) -> tuple[float, int]:
    """Complete up to N calls with CONCURRENCY workers within BUDGET seconds; returns
    the wall time and the number of calls completed."""
    remaining, done = N, 0
    started = time.perf_counter()

    async def worker() -> None:
        nonlocal remaining, done
        while remaining > 0 and time.perf_counter() - started < BUDGET:
            remaining -= 1
            try:
                await asyncio.wait_for(call(), BUDGET - (time.perf_counter() - started))
            except asyncio.TimeoutError:
                return
            done += 1

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started, done


def _emulator() -> Emulator:
    emulator = Emulator(throttle=LIMITS, time_scale=TIME_SCALE)
    with emulator.client(retry=sc.RetryPolicy(throttle="off")) as setup:
        setup.create(session_ref("throttled"))
    emulator.requests.clear()
    time.sleep(LIMITS.burst_window * TIME_SCALE * 1.1)  # let the set-up call leave the window
    return emulator


async def _sdk(throttle: sc.ThrottleMode) -> tuple[float, int, Emulator]:
    emulator = _emulator()
    # Enough attempts that every contender finishes: the cost shows in time and 429s.
    policy = sc.RetryPolicy(max_attempts=10_000, deadline=600, throttle=throttle)
    ref = session_ref("throttled")
    async with emulator.async_client(retry=policy) as client:
        wall, done = await _drain(lambda: client.get(ref))
    return wall, done, emulator


async def _naive() -> tuple[float, int, Emulator]:
    emulator = _emulator()
    path = session_ref("throttled").path
    retrying = tenacity.AsyncRetrying(
        retry=tenacity.retry_if_result(lambda response: response.status_code == 429),
        wait=tenacity.wait_exponential_jitter(initial=0.5, max=8.0),
        stop=tenacity.stop_after_attempt(10_000),
    )
    async with httpx.AsyncClient(
        base_url=EMULATOR_URL, transport=emulator.transport(), headers={"Authorization": TOKEN}
    ) as client:

        async def call() -> object:
            return await retrying(client.get, path)

        wall, done = await _drain(call)
    return wall, done, emulator


def _result(case: str, wall: float, done: int, emulator: Emulator, gated: bool) -> Result:
    throttled = sum(1 for r in emulator.requests if r.status == 429)
    ratio = wall / done * N / (N / RATE)  # for an unfinished contender, its pace so far
    share = throttled / len(emulator.requests)
    met = (ratio <= 1.10 and share <= 0.03 and done == N) if gated else None
    return Result(
        "throttled", case, ratio, "x N/R", "<= 1.10, <= 3% 429" if gated else "", met,
        {"wall_s": round(wall, 3), "completed": done, "requests": len(emulator.requests),
         "answered_429": throttled, "share_429": round(share, 4), "ideal_s": N / RATE},
    )  # fmt: skip


def run(quick: bool = False) -> list[Result]:
    """Run the three contenders one after the other."""
    results = []
    for case, contender, gated in (
        ("sdk, cool-down gate", lambda: _sdk("wait"), True),
        ('sdk, throttle="off"', lambda: _sdk("off"), False),
        ("naive tenacity backoff, no Retry-After", _naive, False),
    ):
        wall, done, emulator = asyncio.run(contender())
        results.append(_result(case, wall, done, emulator, gated))
    return results
