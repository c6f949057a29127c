"""Per-call overhead of the SDK against raw httpx doing the same on the same transport
(the request with MPSD's headers, then ``response.json()``), baseline and SDK
interleaved in every round with the order alternated; the figure is the median over
rounds of the per-round ratio, with its min-max.

- in-process: the emulator's httpx transport (no sockets): session GET, sync and
  async, and a PUT with ``If-Match: <etag>`` (each side its own session, its ETag
  carried from one PUT to the next);
- loopback: a minimal HTTP/1.1 keep-alive server in its own process
  (``benchmarks._fastserver``), not the emulator, whose own slowness would hide the
  SDK's cost: session GET, sync and async.

Targets (issue 15): in-process GET <= 1.10x, PUT with If-Match <= 1.12x; loopback <= 1.03x.
Async calls run ten per sample inside one ``run_until_complete``.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

import sessionclient as sc
from sessionclient.emulator import EMULATOR_URL, Emulator, Throttle

from ._common import AUTH, HEADERS, Result, fast_server, interleaved, ratios, session_ref

IN_PROCESS_GET, IN_PROCESS_PUT, LOOPBACK = 1.10, 1.12, 1.03
CHANGE = {"properties": {"custom": {"note": "x"}}}


class _Pair:
    """Raw httpx and the SDK, sync and async, on one base URL and transport."""

    def __init__(self, url: str, sync_transport: Any, async_transport: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.raw = httpx.Client(base_url=url, transport=sync_transport, headers=HEADERS)
        self.client = sc.SessionClient(url, auth=AUTH, transport=sync_transport)
        self.araw = httpx.AsyncClient(base_url=url, transport=async_transport, headers=HEADERS)
        self.aclient = sc.AsyncSessionClient(url, auth=AUTH, transport=async_transport)

    def batch(self, make: Callable[[], Awaitable[object]]) -> Callable[[], object]:
        async def ten() -> None:
            for _ in range(10):
                await make()

        return lambda: self.loop.run_until_complete(ten())

    def gets(self, ref: sc.SessionRef) -> tuple[dict[str, Any], dict[str, Any]]:
        path = ref.path

        async def araw() -> object:
            return (await self.araw.get(path)).json()

        sync = {"raw": lambda: self.raw.get(path).json(), "sdk": lambda: self.client.get(ref)}
        return sync, {"raw": self.batch(araw), "sdk": self.batch(lambda: self.aclient.get(ref))}

    def puts(self, raw_ref: sc.SessionRef, sdk_ref: sc.SessionRef) -> dict[str, Any]:
        """Conditional PUTs; each side writes its own session so that neither makes
        the other's ETag stale."""
        raw_etag = self.raw.get(raw_ref.path).headers["etag"]
        current = self.client.get(sdk_ref)
        assert isinstance(current, sc.Session)
        sdk_etag = current.etag

        def raw() -> object:
            nonlocal raw_etag
            response = self.raw.put(raw_ref.path, json=CHANGE, headers={"If-Match": raw_etag})
            raw_etag = response.headers["etag"]
            return response.json()

        def sdk() -> object:
            nonlocal sdk_etag
            session = self.client.put(sdk_ref, CHANGE, if_match=sdk_etag)
            assert isinstance(session, sc.Session)
            sdk_etag = session.etag
            return session

        return {"raw": raw, "sdk": sdk}

    def close(self) -> None:
        self.raw.close()
        self.client.close()
        self.loop.run_until_complete(self.araw.aclose())
        self.loop.run_until_complete(self.aclient.aclose())
        self.loop.close()


def _result(case: str, samples: dict[str, list[float]], target: float, per: int) -> Result:
    figures = ratios(samples, "sdk", "raw")
    raw, sdk = (statistics.median(samples[name]) / per * 1e6 for name in ("raw", "sdk"))
    return Result.of(
        "overhead", case, figures, "x raw", target=f"<= {target}",
        met=statistics.median(figures) <= target,
        note=f"raw {raw:.1f} µs, sdk {sdk:.1f} µs per call",
        detail={"raw_us": round(raw, 1), "sdk_us": round(sdk, 1)},
    )  # fmt: skip


def run(quick: bool = False) -> list[Result]:
    """In-process GET (sync, async) and PUT; loopback GET (sync, async)."""
    rounds = 7 if quick else 21
    calls = 150 if quick else 400
    emulator = Emulator(throttle=Throttle(enabled=False))
    transport = emulator.transport()
    pair = _Pair(EMULATOR_URL, transport, transport)
    refs = [session_ref(name) for name in ("overhead", "put-raw", "put-sdk")]
    for ref in refs:
        pair.client.create(ref, {"properties": {"custom": {"map": "harbor", "round": 3}}})
    results = []
    try:
        sync, asynchronous = pair.gets(refs[0])
        results += [
            _result("in-process GET, sync", interleaved(sync, calls=calls, rounds=rounds),
                    IN_PROCESS_GET, 1),
            _result("in-process GET, async",
                    interleaved(asynchronous, calls=calls // 10, rounds=rounds),
                    IN_PROCESS_GET, 10),
            _result("in-process PUT If-Match, sync",
                    interleaved(pair.puts(refs[1], refs[2]), calls=calls, rounds=rounds),
                    IN_PROCESS_PUT, 1),
        ]  # fmt: skip
    finally:
        pair.close()
    with fast_server() as url:
        pair = _Pair(url, None, None)
        try:
            sync, asynchronous = pair.gets(refs[0])
            loopback_calls = calls // 2
            results += [
                _result("loopback GET (fast server), sync",
                        interleaved(sync, calls=loopback_calls, rounds=rounds), LOOPBACK, 1),
                _result("loopback GET (fast server), async",
                        interleaved(asynchronous, calls=loopback_calls // 10, rounds=rounds),
                        LOOPBACK, 10),
            ]  # fmt: skip
        finally:
            pair.close()
    return results
