"""A timeline for the documentation's performance page: calls answered and refused per
second, the SDK next to a naive tenacity loop, against a limiter whose limit rises,
falls and goes through an outage (issue 22). Simulated, on trio's virtual clock (a
leaky bucket like nginx's ``limit_req``, bare 429, 1 ms of travel), so it draws in a
few seconds and the same every time; the real-nginx figures are ``bare429``'s rows.

``python -m benchmarks.timeline [PATH]`` writes the PNG (default
benchmarks/results/timeline.png) and prints each phase's answered/refused counts.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import tenacity
import trio
import trio.testing

import sessionclient as sc

from ._common import AUTH, session_ref

PHASES = [(0.0, 5.0), (20.0, 15.0), (40.0, 3.0), (60.0, 0.0), (70.0, 10.0)]
"""(from t, the limit in requests per second; 0: everything refused)."""
END = 90.0
WORKERS = 8


def limit(t: float) -> float:
    return [rate for start, rate in PHASES if t >= start][-1]


class Limiter(httpx.AsyncBaseTransport):
    """One request per 1/limit s; a bare 429 otherwise; refused ones not counted."""

    def __init__(self, rate: Callable[[float], float]) -> None:
        self.rate = rate
        self.free = -1e9
        self.random = random.Random(1)
        self.log: list[tuple[float, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await trio.sleep(self.random.random() * 0.001)
        now = trio.current_time()
        rate = self.rate(now)
        status = 429
        if rate > 0 and now >= self.free - 1e-9:
            self.free, status = now + 1 / rate, 200
        self.log.append((now, status))
        await trio.sleep(self.random.random() * 0.001)
        if status == 429:
            return httpx.Response(429)
        return httpx.Response(200, json={"members": {}}, headers={"ETag": '"e"'})


def run_sdk() -> list[tuple[float, int]]:
    limiter = Limiter(limit)

    async def main() -> None:
        async with sc.AsyncSessionClient(
            "http://127.0.0.1:1", auth=AUTH, transport=limiter, clock=trio.current_time,
            sleep=trio.sleep,
        ) as client:  # fmt: skip
            ref = session_ref("timeline")

            async def worker() -> None:
                while trio.current_time() < END:
                    with contextlib.suppress(sc.SessionClientError):  # counted in the log
                        await client.get(ref)

            async with trio.open_nursery() as nursery:
                for _ in range(WORKERS):
                    nursery.start_soon(worker)

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    return limiter.log


def run_tenacity() -> list[tuple[float, int]]:
    """httpx + tenacity: exponential back-off with jitter from 0.5 s up to 8 s, 5
    attempts within 30 s (the SDK's old default policy without its gate)."""
    limiter = Limiter(limit)

    async def main() -> None:
        async with httpx.AsyncClient(base_url="http://127.0.0.1:1", transport=limiter) as http:
            path = session_ref("timeline").path

            async def worker() -> None:
                while trio.current_time() < END:
                    retrying = tenacity.AsyncRetrying(
                        retry=tenacity.retry_if_result(lambda r: r.status_code == 429),
                        wait=tenacity.wait_exponential_jitter(multiplier=0.5, max=8.0),
                        stop=tenacity.stop_after_attempt(5),
                        sleep=trio.sleep,
                        retry_error_callback=lambda state: None,
                    )
                    await retrying(http.get, path)

            async with trio.open_nursery() as nursery:
                for _ in range(WORKERS):
                    nursery.start_soon(worker)

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    return limiter.log


def per_second(log: list[tuple[float, int]], status: int) -> list[int]:
    counts = [0] * int(END)
    for t, answered in log:
        if answered == status and t < END:
            counts[int(t)] += 1
    return counts


def draw(path: Path) -> dict[str, list[tuple[float, int]]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    logs = {"sessionclient (default policy)": run_sdk(), "httpx + tenacity": run_tenacity()}
    seconds = list(range(int(END)))
    figure, axes = plt.subplots(len(logs), 1, figsize=(10, 6), sharex=True, sharey=True)
    for axis, (name, log) in zip(axes, logs.items(), strict=True):
        axis.step(seconds, [limit(s) for s in seconds], where="post", color="black",
                  linestyle="--", label="limit (requests/s)")  # fmt: skip
        axis.bar(seconds, per_second(log, 200), width=1.0, align="edge", color="tab:green",
                 label="answered")  # fmt: skip
        axis.bar(seconds, per_second(log, 429), width=1.0, align="edge", color="tab:red",
                 alpha=0.6, bottom=per_second(log, 200), label="refused (429)")  # fmt: skip
        axis.set_title(name)
        axis.set_ylabel("per second")
        axis.legend(loc="upper right", fontsize="small")
    axes[-1].set_xlabel("seconds (simulated: a leaky bucket whose limit changes; 60-70 s outage)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return logs


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "benchmarks/results/timeline.png")
    logs = draw(path)
    print(f"wrote {path}")
    edges = [start for start, _ in PHASES] + [END]
    for name, log in logs.items():
        parts = []
        for start, end in itertools.pairwise(edges):
            ok = sum(1 for t, s in log if start <= t < end and s == 200)
            refused = sum(1 for t, s in log if start <= t < end and s == 429)
            parts.append(
                f"{start:.0f}-{end:.0f} s (limit {limit(start):g}/s): {ok} ok, {refused} 429"
            )
        print(f"{name}: " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
