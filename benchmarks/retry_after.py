"""Retry-After precision over real sockets (the emulator under uvicorn on 127.0.0.1):
after a 429 with Retry-After 1 s the retry leaves no earlier than 1 s and within
1 s + 50 ms; with a Retry-After beyond the deadline the error is raised within 10 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import sessionclient as sc
from sessionclient.emulator import Emulator, Fault, Throttle

from ._common import AUTH, AsyncCountingTransport, CountingTransport, Result, session_ref


def _gap(emulator: Emulator, url: str, asynchronous: bool) -> float:
    ref = session_ref("precise")
    emulator.inject(Fault.status(429, retry_after=1.0), path_contains=ref.name)
    if asynchronous:
        atransport = AsyncCountingTransport()

        async def call() -> None:
            async with sc.AsyncSessionClient(url, auth=AUTH, transport=atransport) as client:
                await client.get(ref)

        asyncio.run(call())
        sent = atransport.sent
    else:
        transport = CountingTransport()
        with sc.SessionClient(url, auth=AUTH, transport=transport) as client:
            client.get(ref)
        sent = transport.sent
    assert len(sent) == 2, sent
    return sent[1] - sent[0]


def _fail_fast(emulator: Emulator, url: str) -> float:
    ref = session_ref("too-long")
    emulator.inject(Fault.status(429, retry_after=60.0), path_contains=ref.name)
    transport = CountingTransport()
    with sc.SessionClient(url, auth=AUTH, transport=transport) as client:
        try:
            client.get(ref, retry=sc.RetryPolicy(deadline=30.0))
        except sc.TooManyRequestsError:
            raised = time.perf_counter()
    return raised - transport.sent[0]


def run(quick: bool = False) -> list[Result]:
    """The gap before the retry (sync and async) and the time to fail fast, each the
    median over rounds (one in ``quick``), sync and async alternating."""
    rounds = 1 if quick else 5
    emulator = Emulator(throttle=Throttle(enabled=False))
    gaps: dict[bool, list[float]] = {False: [], True: []}
    took = []
    with emulator.serve() as url:
        for index in range(rounds):
            for asynchronous in (False, True) if index % 2 == 0 else (True, False):
                gaps[asynchronous].append(_gap(emulator, url, asynchronous))
            took.append(_fail_fast(emulator, url) * 1000)
    results = [
        Result.of(
            "retry-after",
            f"Retry-After 1 s, {'async' if asynchronous else 'sync'}: retry sent after",
            values,
            "s",
            target="1.000-1.050",
            met=1.0 <= statistics.median(values) <= 1.05 and min(values) >= 1.0,
            note=f"earliest {min(values):.3f} s",
        )
        for asynchronous, values in gaps.items()
    ]
    results.append(
        Result.of(
            "retry-after",
            "Retry-After 60 s > deadline 30 s: raised after",
            took,
            "ms",
            target="<= 10",
            met=statistics.median(took) <= 10,
        )
    )
    return results
