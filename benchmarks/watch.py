"""Watching (issue 26): the latency from a write to the watcher's change, p50 and p99,
in-process and over a real socket (the emulator under uvicorn), on asyncio; and the
requests a watch of 100 sessions through 60 s of activity costs, against polling each
session every second (6,000 GETs). No target: the issue asks for the figures."""

from __future__ import annotations

import random
import statistics
import time

import anyio

import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID, EMULATOR_URL, Emulator, Throttle

from ._common import Result

HOST = sc.XBLToken("1001", "bench")
WRITER = sc.XBLToken("1002", "bench")


def _client(emulator: Emulator, url: str | None, auth: sc.XBLToken) -> sc.AsyncSessionClient:
    if url is None:
        return sc.AsyncSessionClient(EMULATOR_URL, auth=auth, transport=emulator.transport())
    return sc.AsyncSessionClient(url, auth=auth)


async def _latencies(emulator: Emulator, url: str | None, writes: int) -> list[float]:
    """Seconds from the start of each write to the change it causes being yielded."""
    ref = sc.SessionRef(DEFAULT_SCID, "lobby", "latency-socket" if url else "latency")
    async with _client(emulator, url, HOST) as host, _client(emulator, url, WRITER) as writer:
        await host.create(ref)
        await writer.join(ref)
        changes = host.watch(ref, ["customProperty"])
        await changes.__anext__()  # the lobby as it is
        latencies = []
        try:
            for n in range(writes):
                started = time.perf_counter()
                await writer.set_properties(ref, {"n": n})
                change = await changes.__anext__()
                latencies.append(time.perf_counter() - started)
                assert change.session.custom_properties["n"] == n
        finally:
            await changes.aclose()
    return latencies


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _requests_for_watching(sessions: int, writes: int, seed: int) -> dict[str, int]:
    """Requests the watchers make while ``writes`` changes land on ``sessions`` sessions
    in a random order (the 60 s of activity, run as fast as it goes)."""
    emulator = Emulator(throttle=Throttle(enabled=False))
    refs = [sc.SessionRef(DEFAULT_SCID, "lobby", f"watched-{n}") for n in range(sessions)]
    async with _client(emulator, None, HOST) as host, _client(emulator, None, WRITER) as writer:
        for ref in refs:
            await host.create(ref)
            await writer.join(ref)
        before = len(emulator.requests)
        last: dict[sc.SessionRef, int] = {}
        seen: dict[sc.SessionRef, int] = {}
        done = anyio.Event()

        async def watch(ref: sc.SessionRef) -> None:
            async for change in host.watch(ref):
                seen[ref] = change.change_number
                if len(last) == sessions and all(seen.get(r) == last[r] for r in refs):
                    done.set()

        async with anyio.create_task_group() as group:
            for ref in refs:
                group.start_soon(watch, ref)
            await anyio.wait_all_tasks_blocked()
            ready = len(emulator.requests)
            sockets = len(emulator.rta.connections())
            rng = random.Random(seed)
            for n in range(writes):
                ref = refs[rng.randrange(sessions)] if n >= sessions else refs[n]
                written = await writer.set_properties(ref, {"n": n})
                assert isinstance(written, sc.Session)
                last[ref] = written.change_number or 0
            with anyio.fail_after(60):
                await done.wait()
            group.cancel_scope.cancel()
        total = len(emulator.requests) - before - writes
        subscribe = ready - before
        return {
            "total": total,
            "subscribe": subscribe,
            "reads": total - subscribe,
            "sockets": sockets,
        }


def run(quick: bool = False) -> list[Result]:
    """p50/p99 latency in-process and over a socket, and the request ratio."""
    results = []
    writes = 50 if quick else 300
    emulator = Emulator(throttle=Throttle(enabled=False))
    with emulator.serve() as url:
        for case, where in (("in-process", None), ("socket", url)):
            latencies = anyio.run(_latencies, emulator, where, writes)
            for name, share in (("p50", 0.5), ("p99", 0.99)):
                results.append(Result(
                    "watch", f"write -> change, {case}, {name}",
                    _percentile(latencies, share) * 1000, "ms", runs=len(latencies),
                    note=f"median {statistics.median(latencies) * 1000:.2f} ms, {writes} writes",
                ))  # fmt: skip
    sessions, seconds, changes = 100, 60, 6
    counts = anyio.run(_requests_for_watching, sessions, sessions * changes, 1)
    polling = sessions * seconds
    results.append(Result(
        "watch", f"requests: polling 1/s vs watching, {sessions} sessions, {seconds} s",
        polling / counts["total"], "x fewer",
        note=f"polling {polling} GETs; watching {counts['total']} requests "
             f"({counts['subscribe']} to subscribe, {counts['reads']} reads) for "
             f"{sessions * changes} changes, on {counts['sockets']} RTA socket(s)",
    ))  # fmt: skip
    return results
