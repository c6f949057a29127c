"""Clients against a real rate limiter started outside the SDK (nginx, HAProxy), as a
user would meet it: the contenders, one measured run on a fresh limiter, and a row over
several runs. The limiter counts its own answers (its access log): the harness never
counts 429s from the client side.

Contenders: the SDK with ``throttle="wait"`` (its default policy) and ``throttle="off"``,
and a naive loop (httpx + tenacity, exponential back-off with jitter from 0.5 s,
Retry-After ignored, 5 attempts and 30 s like the SDK's default policy), each sync
(threads) and async (asyncio).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
import httpx
import tenacity

import sessionclient as sc

from ._common import AUTH, HEADERS, Result, session_ref
from .throttle import drain

SDK = 'sdk, throttle="wait"'
NAIVE = "naive tenacity back-off"
CONTENDERS = (SDK, 'sdk, throttle="off"', NAIVE)

# A started limiter: its base URL and how many requests it answered with each status.
Limiter = contextlib.AbstractContextManager[tuple[str, Callable[[], Counter[int]]]]


def find_binary(name: str) -> str | None:
    """``name`` on PATH or in /usr/sbin (not on a non-root PATH), or None."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")


def fill(template: str, values: dict[str, str], what: str) -> str:
    """``template`` with every ``{{name}}`` replaced; an unfilled one raises."""
    text = template
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    if "{{" in text:
        raise ValueError(
            f"unfilled placeholder in the {what} template: {text[text.index('{{') :][:40]}"
        )
    return text


def parse_access_log(text: str) -> Counter[int]:
    """Requests per status from a log whose lines start ``<epoch seconds> <status>``
    (nginx's ``bench`` format, HAProxy's ``%Ts.%ms %ST``); other lines are skipped."""
    statuses: Counter[int] = Counter()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[1].isdigit():
            statuses[int(fields[1])] += 1
    return statuses


def naive_policy(throttled: int, retrying: type[tenacity.BaseRetrying]) -> Any:
    """Exponential back-off with jitter from 0.5 s (capped at 8 s), Retry-After
    ignored, 5 attempts within 30 s: the SDK's default policy without the gate."""
    return retrying(
        retry=tenacity.retry_if_result(lambda r: r.status_code == throttled)
        | tenacity.retry_if_exception_type(httpx.TransportError),
        wait=tenacity.wait_exponential_jitter(initial=0.5, max=8.0),
        stop=tenacity.stop_after_attempt(5) | tenacity.stop_after_delay(30),
    )


def drain_sync(
    call: Callable[[], object], calls: int, concurrency: int, budget: float
) -> tuple[float, int, int]:
    """``drain`` with threads: calls in flight at the budget are let finish."""
    lock = threading.Lock()
    remaining, done, raised = calls, 0, 0
    started = time.perf_counter()

    def worker() -> None:
        nonlocal remaining, done, raised
        while True:
            with lock:
                if remaining <= 0 or time.perf_counter() - started >= budget:
                    return
                remaining -= 1
            failed = False
            try:
                call()
            except Exception:
                failed = True
            with lock:
                done += 1
                raised += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, done, raised


@attrs.frozen
class Load:
    """What one run sends, and by whom."""

    contender: str
    asynchronous: bool
    calls: int
    concurrency: int

    def describe(self) -> str:
        return (f"{self.contender}, {'async' if self.asynchronous else 'sync'}, "
                f"{self.calls} calls at concurrency {self.concurrency}")  # fmt: skip


def contend(load: Load, url: str, throttled: int, budget: float) -> tuple[float, int, int]:
    """Run ``load`` against ``url``: wall, completed, raised. ``throttled`` is the
    status the naive loop retries."""
    ref = session_ref("throttled")
    calls, concurrency = load.calls, load.concurrency
    if load.contender != NAIVE:
        policy = sc.RetryPolicy(throttle="wait" if load.contender == SDK else "off")
        if load.asynchronous:

            async def sdk() -> tuple[float, int, int]:
                async with sc.AsyncSessionClient(url, auth=AUTH, retry=policy) as client:
                    return await drain(lambda: client.get(ref), calls, concurrency, budget)

            return asyncio.run(sdk())
        with sc.SessionClient(url, auth=AUTH, retry=policy) as client:
            return drain_sync(lambda: client.get(ref), calls, concurrency, budget)

    def check(response: httpx.Response) -> object:
        response.raise_for_status()
        return response.json()

    if load.asynchronous:

        async def naive() -> tuple[float, int, int]:
            retrying = naive_policy(throttled, tenacity.AsyncRetrying)
            async with httpx.AsyncClient(base_url=url, headers=HEADERS) as client:

                async def call() -> object:
                    return check(await retrying(client.get, ref.path))

                return await drain(call, calls, concurrency, budget)

        return asyncio.run(naive())
    retrying = naive_policy(throttled, tenacity.Retrying)
    with httpx.Client(base_url=url, headers=HEADERS) as raw:
        return drain_sync(lambda: check(retrying(raw.get, ref.path)), calls, concurrency, budget)


def measure(benchmark: str, label: str, limiter: Limiter, throttled: int, load: Load,
            minimum: float, budget_factor: float,
            target: tuple[float, float] | None = None) -> Result:  # fmt: skip
    """One run of ``load`` on a fresh ``limiter`` (which refuses with ``throttled``):
    wall / ``minimum``, and in the note and detail the share of requests the limiter
    refused and the calls that raised. ``target`` (wall / minimum, share refused) is
    the gate's: it applies to the SDK with ``throttle="wait"`` only."""
    with limiter as (url, statuses):
        wall, done, raised = contend(load, url, throttled, budget_factor * minimum)
        time.sleep(0.05)  # the last log lines
        counted = statuses()
    requests = sum(counted.values())
    share = counted[throttled] / max(requests, 1)
    ratio = wall / max(done, 1) * load.calls / minimum
    met = None
    goal = ""
    if load.contender == SDK and target is not None:
        goal = f"<= {target[0]}, <= {target[1]:.0%} {throttled}, 0 raised"
        met = ratio <= target[0] and share <= target[1] and raised == 0 and done == load.calls
    note = (f"{share:.1%} of {requests} requests answered {throttled}; {raised} of {done} "
            f"calls raised; wall {wall:.1f} s, minimum {minimum:.1f} s")  # fmt: skip
    if done < load.calls:
        note += f"; cut at the budget after {done} calls (pace so far: a lower bound)"
    return Result(
        benchmark, f"{label}: {load.describe()}", ratio, "x min", target=goal, met=met,
        note=note,
        detail={"wall_s": round(wall, 3), "calls": load.calls, "completed": done, "raised": raised,
                "requests": requests, "statuses": dict(counted), "minimum_s": minimum},
    )  # fmt: skip


def repeated(benchmark: str, case: str, runs: Sequence[Result], throttled: int,
             target: tuple[float, float] | None) -> Result:  # fmt: skip
    """One row over ``runs`` of the same case: wall / minimum, median [min-max], the
    range of the share refused and of the calls raised; ``target`` (met by the worst
    run) only where given."""
    ratios = [r.value for r in runs]
    shares = [r.detail["statuses"].get(throttled, 0) / max(r.detail["requests"], 1) for r in runs]
    raised = [r.detail["raised"] for r in runs]
    cut = sum(r.detail["completed"] < r.detail["calls"] for r in runs)
    met = None
    goal = ""
    if target is not None:
        goal = f"<= {target[0]}, <= {target[1]:.0%} {throttled}, 0 raised"
        met = max(ratios) <= target[0] and max(shares) <= target[1] and max(raised) == 0
    median = statistics.median(shares)
    note = (f"{throttled}: {min(shares):.1%}-{max(shares):.1%} of requests (median {median:.1%});"
            f" raised {min(raised)}-{max(raised)} calls")  # fmt: skip
    if cut:
        note += f"; {cut} run(s) cut at the budget"
    return Result.of(benchmark, case, ratios, "x min", target=goal, met=met, note=note,
                     detail={"shares": shares, "raised": raised,
                             "runs": [r.detail for r in runs]})  # fmt: skip


def compare(benchmark: str, label: str, loads: Sequence[Load], runs: int,
            one: Callable[[Load], Result], throttled: int,
            target: tuple[float, float] | None) -> Iterator[Result]:  # fmt: skip
    """A row per load over ``runs`` runs of ``one(load)``, the loads' runs interleaved
    (the order reversed every other round) so that drift of the machine hits them all
    alike; ``target`` applies to the SDK's rows (``throttle="wait"``)."""
    measured: dict[Load, list[Result]] = {load: [] for load in loads}
    for index in range(runs):
        for load in loads if index % 2 == 0 else reversed(loads):
            measured[load].append(one(load))
    for load, rows in measured.items():
        goal = target if load.contender == SDK else None
        yield repeated(benchmark, f"{label}: {load.describe()}", rows, throttled, goal)
