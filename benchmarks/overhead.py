"""Per-call overhead: a session GET through the SDK against raw httpx (GET plus
``response.json()``) on the same transport, in-process and over loopback, sync and async.

Targets: at most 1.15x raw httpx in-process, 1.03x over loopback.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable
from typing import Any

import httpx

import sessionclient as sc
from sessionclient.emulator import EMULATOR_URL, Emulator, Throttle

from ._common import (
    AUTH,
    TOKEN,
    Result,
    emulator_process,
    interleaved,
    paired_ratio,
    session_ref,
)

# The headers MPSD requires on every call (the SDK sends them too).
HEADERS = {
    "Authorization": TOKEN,
    "x-xbl-contract-version": "107",
    "Accept": "application/json",
    "Content-Type": "application/json",
}


def _pair(
    url: str, sync_transport: Any, async_transport: Any
) -> tuple[dict[str, Callable[[], object]], dict[str, Callable[[], object]], Callable[[], None]]:
    ref = session_ref("overhead")
    raw = httpx.Client(base_url=url, transport=sync_transport, headers=HEADERS)
    client = sc.SessionClient(url, auth=AUTH, transport=sync_transport)
    client.create(ref, {"properties": {"custom": {"map": "harbor", "round": 3}}})
    loop = asyncio.new_event_loop()
    araw = httpx.AsyncClient(base_url=url, transport=async_transport, headers=HEADERS)
    aclient = sc.AsyncSessionClient(url, auth=AUTH, transport=async_transport)

    def batch(make: Callable[[], Any]) -> Callable[[], object]:
        async def ten() -> None:
            for _ in range(10):
                await make()

        return lambda: loop.run_until_complete(ten())

    sync = {"raw httpx": lambda: raw.get(ref.path).json(), "sessionclient": lambda: client.get(ref)}
    asynchronous = {
        "raw httpx": batch(lambda: _araw(araw, ref.path)),
        "sessionclient": batch(lambda: aclient.get(ref)),
    }

    def close() -> None:
        raw.close()
        client.close()
        loop.run_until_complete(araw.aclose())
        loop.run_until_complete(aclient.aclose())
        loop.close()

    return sync, asynchronous, close


async def _araw(client: httpx.AsyncClient, path: str) -> object:
    response = await client.get(path)
    return response.json()


def _results(where: str, samples: dict[str, list[float]], target: float, per: int) -> Result:
    ratio = paired_ratio(samples, "sessionclient", "raw httpx")
    raw, sdk = (
        statistics.median(samples[name]) / per * 1e6 for name in ("raw httpx", "sessionclient")
    )
    return Result(
        "overhead",
        where,
        ratio,
        "x raw",
        f"<= {target}",
        ratio <= target,
        {"raw_us": round(raw, 1), "sdk_us": round(sdk, 1)},
    )


def run(quick: bool = False) -> list[Result]:
    """Measure and return the four ratios."""
    rounds = 7 if quick else 21
    emulator = Emulator(throttle=Throttle(enabled=False))
    transport = emulator.transport()
    results = _measure("in-process", _pair(EMULATOR_URL, transport, transport), rounds, 1.15)
    with emulator_process("--no-throttle") as url:
        results += _measure("loopback", _pair(url, None, None), rounds, 1.03)
    return results


def _measure(where: str, pair: Any, rounds: int, target: float) -> list[Result]:
    """The sync and async ratios on one transport; async calls run ten per sample."""
    sync, asynchronous, close = pair
    calls = 300 if where == "in-process" else 100
    try:
        return [
            _results(f"{where}, sync", interleaved(sync, calls=calls, rounds=rounds), target, 1),
            _results(
                f"{where}, async",
                interleaved(asynchronous, calls=calls // 10, rounds=rounds),
                target,
                10,
            ),
        ]
    finally:
        close()
