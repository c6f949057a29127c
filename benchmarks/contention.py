"""Contention: K writers each increment a counter in the session's custom properties N
times (threads with SessionClient, tasks with AsyncSessionClient), in-process and over
loopback (the emulator in its own process). update() against a naive loop (GET, PUT
with If-Match, on 412 GET again), in the same run.

Targets: every increment committed (K x N), and update() at most 0.7x the naive loop's
HTTP requests per committed increment.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
from collections.abc import Callable
from typing import Any

import httpx

import sessionclient as sc
from sessionclient.emulator import EMULATOR_URL, Emulator, Throttle

from ._common import (
    AsyncCountingTransport,
    CountingTransport,
    Result,
    emulator_process,
    session_ref,
)

K, N = 8, 50


def increment(session: sc.Session | None) -> dict[str, Any] | None:
    if session is None:
        return None
    return {"properties": {"custom": {"counter": session.custom_properties["counter"] + 1}}}


def naive(client: sc.SessionClient, ref: sc.SessionRef) -> None:
    while True:
        current = client.get(ref)
        assert isinstance(current, sc.Session)
        try:
            client.put(ref, increment(current) or {}, if_match=current.etag)
            return
        except sc.PreconditionFailedError:
            continue


async def anaive(client: sc.AsyncSessionClient, ref: sc.SessionRef) -> None:
    while True:
        current = await client.get(ref)
        assert isinstance(current, sc.Session)
        try:
            await client.put(ref, increment(current) or {}, if_match=current.etag)
            return
        except sc.PreconditionFailedError:
            continue


class Counting(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Counts the requests an in-process transport serves."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.sent = inner, 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.sent += 1
        return self.inner.handle_request(request)  # type: ignore[no-any-return]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return await self.inner.handle_async_request(request)  # type: ignore[no-any-return]


def _clients(
    url: str | None, emulator: Emulator | None, asynchronous: bool
) -> tuple[list[Any], Callable[[], int]]:
    """K clients, each its own user, and a function counting their requests."""
    counters: list[Any] = []
    clients: list[Any] = []
    policy = sc.RetryPolicy(deadline=300)
    for k in range(K):
        auth = sc.XBLToken(str(5000 + k), "bench")
        if url is None:
            assert emulator is not None
            transport: Any = Counting(emulator.transport())
            base = EMULATOR_URL
        else:
            transport = AsyncCountingTransport() if asynchronous else CountingTransport()
            base = url
        counters.append(transport)
        cls: Any = sc.AsyncSessionClient if asynchronous else sc.SessionClient
        clients.append(cls(base, auth=auth, transport=transport, retry=policy))

    def count() -> int:
        return sum(c.sent if isinstance(c.sent, int) else len(c.sent) for c in counters)

    return clients, count


def _round(
    url: str | None, asynchronous: bool, strategy: str, name: str, n: int
) -> dict[str, float]:
    emulator = None if url else Emulator(throttle=Throttle(enabled=False))
    clients, count = _clients(url, emulator, asynchronous)
    ref = session_ref(name)

    async def arun() -> tuple[int, int]:
        await clients[0].create(ref, {"properties": {"custom": {"counter": 0}}})
        for client in clients[1:]:
            await client.join(ref)
        before = count()

        async def writer(client: sc.AsyncSessionClient) -> None:
            for _ in range(n):
                if strategy == "update()":
                    await client.update(ref, increment)  # the defaults
                else:
                    await anaive(client, ref)

        await asyncio.gather(*(writer(c) for c in clients))
        final = await clients[0].get(ref)
        for client in clients:
            await client.aclose()
        assert isinstance(final, sc.Session)
        return before, final.custom_properties["counter"]

    def run_sync() -> tuple[int, int]:
        clients[0].create(ref, {"properties": {"custom": {"counter": 0}}})
        for client in clients[1:]:
            client.join(ref)
        before = count()

        def writer(client: sc.SessionClient) -> None:
            for _ in range(n):
                if strategy == "update()":
                    client.update(ref, increment)  # the defaults
                else:
                    naive(client, ref)

        threads = [threading.Thread(target=writer, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        final = clients[0].get(ref)
        for client in clients:
            client.close()
        assert isinstance(final, sc.Session)
        return before, final.custom_properties["counter"]

    before, committed = asyncio.run(arun()) if asynchronous else run_sync()
    requests = count() - before - 1  # the final read is ours, not the writers'
    return {"committed": committed, "requests_per_commit": requests / committed}


def run(quick: bool = False) -> list[Result]:
    """Every combination of where and which client; in each, rounds that run both
    strategies (alternating which goes first). The figure is the median over rounds
    of update()'s requests per commit over the naive loop's."""
    n, rounds = (10, 1) if quick else (N, 3)
    results = []
    with emulator_process("--no-throttle") as served:
        for where, url in (("in-process", None), ("loopback", served)):
            for asynchronous in (False, True):
                kind = "tasks" if asynchronous else "threads"
                figures: dict[str, list[dict[str, float]]] = {"update()": [], "naive loop": []}
                for index in range(rounds):
                    order = list(figures) if index % 2 == 0 else list(reversed(figures))
                    for strategy in order:
                        name = f"c-{where}-{kind}-{strategy[:5]}-{index}"
                        figures[strategy].append(_round(url, asynchronous, strategy, name, n))
                per_round = [
                    mine["requests_per_commit"] / theirs["requests_per_commit"]
                    for mine, theirs in zip(figures["update()"], figures["naive loop"], strict=True)
                ]
                exact = all(f["committed"] == K * n for runs in figures.values() for f in runs)
                naive, mine = (
                    statistics.median(f["requests_per_commit"] for f in figures[s])
                    for s in ("naive loop", "update()")
                )
                results.append(
                    Result.of(
                        "contention",
                        f"{where}, {kind}: update() / naive requests per commit",
                        per_round,
                        "x",
                        target="<= 0.7, exact",
                        met=statistics.median(per_round) <= 0.7 and exact,
                        note=f"{K} writers x {n} increments; requests per commit: update() "
                        f"{mine:.2f}, naive {naive:.2f}; every increment committed: {exact}",
                    )
                )
    return results
