"""Throttled goodput against a real nginx: ``limit_req rate=10r/s`` (no burst) in front
of a static session document, in three variants:

- (a) 429 with ``Retry-After: 1`` and nginx's own HTML page;
- (b) 429 with ``Retry-After: 1`` and MPSD's rate report as its JSON body
  (``{"currentRequests":11,"maxRequests":10,"periodInSeconds":1,"limitType":"Rate"}``);
- (c) 503 without Retry-After;
- (d) 429 without Retry-After: nginx's default answer (issue 22);
- (e) the same with ``burst=20 nodelay`` (the minimum: 21 calls at once, then 10/s).

Each run sends N session GETs (200) at concurrency 8 or 32 and gets a fresh nginx
(``benchmarks/nginx.conf.template``, in the foreground on 127.0.0.1 and a free port,
every path under a temporary prefix, stopped at the end). Contenders, in the same run:
the SDK with ``throttle="wait"`` (the default) and ``throttle="off"``, and a naive loop
(httpx + tenacity, exponential back-off with jitter from 0.5 s, Retry-After ignored, 5
attempts and 30 s like the SDK's default policy), each sync (threads) and async. Every
row: wall time over the true minimum (the first call at t=0, then one per 100 ms:
(N - 1) / 10 s), the share of requests nginx answered 429/503 (from its access log),
and the calls that raised. Without nginx the rows say so.

Targets (issues 12 and 22, the SDK's gate): (a), (d), (e) <= 1.25x, <= 10 % throttled,
0 raised; (b) <= 1.10x, <= 5 %, 0 raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import json
import math
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import tenacity

import sessionclient as sc

from ._common import (
    AUTH,
    HEADERS,
    Result,
    free_port,
    leaky_bucket_minimum,
    session_ref,
    wait_for_port,
)
from ._fastserver import BODY
from .throttle import drain

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
RATE = 10
REPORT = {"currentRequests": 11, "maxRequests": RATE, "periodInSeconds": 1, "limitType": "Rate"}


@attrs.frozen
class Variant:
    """How nginx answers a throttled request, and the gate's target against it."""

    label: str
    status: int
    retry_after: str  # "" for none
    report: bool
    target: tuple[float, float] | None  # (wall / minimum, share throttled)
    burst: int = 0  # limit_req's burst (with nodelay)
    rate: int = RATE


VARIANTS = {
    "a": Variant("429 + Retry-After", 429, "1", False, (1.25, 0.10)),
    "b": Variant("429 + Retry-After + MPSD report", 429, "1", True, (1.10, 0.05)),
    "c": Variant("503, no Retry-After", 503, "", False, None),
    # nginx's default: limit_req_status 429, no Retry-After (issue 22)
    "d": Variant("bare 429 (nginx default)", 429, "", False, (1.25, 0.10)),
    "e": Variant("bare 429, burst=20 nodelay", 429, "", False, (1.25, 0.10), burst=20),
}


def render_config(template: str, *, prefix: str, port: int, variant: Variant) -> str:
    """The nginx configuration for ``variant``: every ``{{name}}`` of the template
    filled in. A master running as root keeps its workers on its own user and group
    (nginx's default, ``nobody``, has a group named differently across distributions,
    and could not read the private temporary directory)."""
    user = ""
    if os.geteuid() == 0:
        user = f"user {pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name};"
    values = {
        "prefix": prefix,
        "port": str(port),
        "rate": str(variant.rate),
        "burst": f" burst={variant.burst} nodelay" if variant.burst else "",
        "status": str(variant.status),
        "retry_after": variant.retry_after,
        "error_page": f"error_page {variant.status} /throttled.json;" if variant.report else "",
    }
    text = template
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    if "{{" in text:
        raise ValueError(
            f"unfilled placeholder in the nginx template: {text[text.index('{{') :][:40]}"
        )
    return f"{user}\n{text}" if user else text


def parse_access_log(text: str) -> Counter[int]:
    """Requests per status from the ``bench`` log format (``$msec $status ...``)."""
    statuses: Counter[int] = Counter()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[1].isdigit():
            statuses[int(fields[1])] += 1
    return statuses


def nginx_binary() -> str | None:
    """nginx on PATH or in /usr/sbin (not on a non-root PATH), or None."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


@contextlib.contextmanager
def nginx(variant: Variant) -> Iterator[tuple[str, Path]]:
    """A fresh nginx for ``variant`` in the foreground; yields its base URL and the
    path of its access log, and stops it at the end."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed")
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as prefix:
        root = Path(prefix)
        (root / "www").mkdir()
        (root / "www" / "session.json").write_bytes(BODY)
        (root / "www" / "throttled.json").write_text(json.dumps(REPORT))
        port = free_port()
        conf = root / "nginx.conf"
        conf.write_text(
            render_config(TEMPLATE.read_text(), prefix=prefix, port=port, variant=variant)
        )
        command = [binary, "-p", prefix, "-c", str(conf), "-e", str(root / "error.log"),
                   "-g", "daemon off;"]  # fmt: skip
        stderr = root / "stderr.log"
        with (
            stderr.open("wb") as output,
            subprocess.Popen(command, stdout=output, stderr=output) as server,
        ):
            try:
                wait_for_port(
                    port,
                    lambda: server.poll() is None,
                    lambda: (
                        stderr.read_text(errors="replace")
                        + (root / "error.log").read_text(errors="replace")
                    ),
                )
                yield f"http://127.0.0.1:{port}", root / "access.log"
            finally:
                server.terminate()
                server.wait(timeout=30)


def _naive_policy(throttled: int, retrying: type[tenacity.BaseRetrying]) -> Any:
    """Exponential back-off with jitter from 0.5 s (capped at 8 s), Retry-After
    ignored, 5 attempts within 30 s: the SDK's default policy without the gate."""
    return retrying(
        retry=tenacity.retry_if_result(lambda r: r.status_code == throttled)
        | tenacity.retry_if_exception_type(httpx.TransportError),
        wait=tenacity.wait_exponential_jitter(initial=0.5, max=8.0),
        stop=tenacity.stop_after_attempt(5) | tenacity.stop_after_delay(30),
    )


def _drain_sync(
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


def _contend(contender: str, asynchronous: bool, url: str, variant: Variant, calls: int,
             concurrency: int, budget: float) -> tuple[float, int, int]:  # fmt: skip
    """Run one contender against ``url``: wall, completed, raised."""
    ref = session_ref("throttled")
    if contender.startswith("sdk"):
        policy = sc.RetryPolicy(throttle="wait" if contender.endswith('"wait"') else "off")
        if asynchronous:

            async def sdk() -> tuple[float, int, int]:
                async with sc.AsyncSessionClient(url, auth=AUTH, retry=policy) as client:
                    return await drain(lambda: client.get(ref), calls, concurrency, budget)

            return asyncio.run(sdk())
        with sc.SessionClient(url, auth=AUTH, retry=policy) as client:
            return _drain_sync(lambda: client.get(ref), calls, concurrency, budget)

    def check(response: httpx.Response) -> object:
        response.raise_for_status()
        return response.json()

    if asynchronous:

        async def naive() -> tuple[float, int, int]:
            retrying = _naive_policy(variant.status, tenacity.AsyncRetrying)
            async with httpx.AsyncClient(base_url=url, headers=HEADERS) as client:

                async def call() -> object:
                    response = await retrying(client.get, ref.path)
                    return check(response)

                return await drain(call, calls, concurrency, budget)

        return asyncio.run(naive())
    retrying = _naive_policy(variant.status, tenacity.Retrying)
    with httpx.Client(base_url=url, headers=HEADERS) as raw:
        return _drain_sync(lambda: check(retrying(raw.get, ref.path)), calls, concurrency, budget)


CONTENDERS = ('sdk, throttle="wait"', 'sdk, throttle="off"', "naive tenacity back-off")


def measure(key: str, contender: str, asynchronous: bool, calls: int, concurrency: int,
            budget_factor: float) -> Result:  # fmt: skip
    """One run on a fresh nginx: the row."""
    variant = VARIANTS[key]
    minimum = leaky_bucket_minimum(calls, variant.rate, variant.burst)
    case = (f"({key}) {variant.label}: {contender}, {'async' if asynchronous else 'sync'}, "
            f"{calls} calls at concurrency {concurrency}")  # fmt: skip
    with nginx(variant) as (url, log):
        wall, done, raised = _contend(
            contender, asynchronous, url, variant, calls, concurrency, budget_factor * minimum
        )
        time.sleep(0.05)  # the last log lines
        statuses = parse_access_log(log.read_text())
    requests = sum(statuses.values())
    throttled = statuses[variant.status]
    share = throttled / max(requests, 1)
    ratio = wall / max(done, 1) * calls / minimum
    gated = contender.endswith('"wait"') and variant.target is not None
    met = None
    target = ""
    if gated and variant.target is not None:
        wall_target, share_target = variant.target
        target = f"<= {wall_target}, <= {share_target:.0%} {variant.status}, 0 raised"
        met = ratio <= wall_target and share <= share_target and raised == 0 and done == calls
    note = (f"{share:.1%} of {requests} requests answered {variant.status}; {raised} of {done} "
            f"calls raised; wall {wall:.1f} s, minimum {minimum:.1f} s")  # fmt: skip
    if done < calls:
        note += f"; cut at the budget after {done} calls (pace so far: a lower bound)"
    return Result(
        "throttled (nginx)", case, ratio, "x min", target=target, met=met, note=note,
        detail={"wall_s": round(wall, 3), "completed": done, "raised": raised,
                "requests": requests, "statuses": dict(statuses), "minimum_s": minimum},
    )  # fmt: skip


def plan(quick: bool) -> list[tuple[str, str, bool, int]]:
    """(variant, contender, async?, concurrency) of every run, in order: per variant
    and concurrency the contenders interleaved, the order reversed every other block."""
    if quick:
        return [("a", CONTENDERS[0], True, 8), ("a", CONTENDERS[2], True, 8)]
    runs = []
    block = [(c, a) for c in CONTENDERS for a in (False, True)]
    for index, (key, concurrency) in enumerate((k, c) for k in VARIANTS for c in (8, 32)):
        for contender, asynchronous in block if index % 2 == 0 else reversed(block):
            runs.append((key, contender, asynchronous, concurrency))
    return runs


def run(quick: bool = False) -> Iterator[Result]:
    """Every run of the plan, each row as soon as it is measured (the full run takes
    half an hour); 20 calls per run in ``quick``, 200 otherwise."""
    calls, budget_factor = (20, 2.5) if quick else (200, 3.0)
    runs = plan(quick)
    if nginx_binary() is None:
        for key, contender, asynchronous, concurrency in runs:
            yield Result(
                "throttled (nginx)",
                f"({key}) {VARIANTS[key].label}: {contender}, "
                f"{'async' if asynchronous else 'sync'}, concurrency {concurrency}",
                math.nan,
                "x min",
                note="nginx not installed (apt-get install nginx): not run",
            )
        return
    for key, contender, asynchronous, concurrency in runs:
        yield measure(key, contender, asynchronous, calls, concurrency, budget_factor)
