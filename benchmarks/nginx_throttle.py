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
``benchmarks._limiter.CONTENDERS`` (the SDK with ``throttle="wait"`` and ``"off"``, and
a naive httpx + tenacity loop), each sync and async. Every
row: wall time over the true minimum (the first call at t=0, then one per 100 ms:
(N - 1) / 10 s), the share of requests nginx answered 429/503 (from its access log),
and the calls that raised. Without nginx the rows say so.

Targets (issues 12 and 22, the SDK's gate): (a), (d), (e) <= 1.25x, <= 10 % throttled,
0 raised; (b) <= 1.10x, <= 5 %, 0 raised.
"""

from __future__ import annotations

import contextlib
import grp
import json
import math
import os
import pwd
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs

from ._common import Result, free_port, leaky_bucket_minimum, wait_for_port
from ._fastserver import BODY
from ._limiter import CONTENDERS, Load, fill, find_binary, parse_access_log
from ._limiter import measure as measure_limiter

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
    text = fill(template, values, "nginx")
    return f"{user}\n{text}" if user else text


def nginx_binary() -> str | None:
    """nginx on PATH or in /usr/sbin (not on a non-root PATH), or None."""
    return find_binary("nginx")


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


@contextlib.contextmanager
def counted(variant: Variant) -> Iterator[tuple[str, Callable[[], Counter[int]]]]:
    """``nginx(variant)``, counting statuses from its access log."""
    with nginx(variant) as (url, log):
        yield url, lambda: parse_access_log(log.read_text())


def measure(key: str, contender: str, asynchronous: bool, calls: int, concurrency: int,
            budget_factor: float) -> Result:  # fmt: skip
    """One run on a fresh nginx: the row."""
    variant = VARIANTS[key]
    return measure_limiter(
        "throttled (nginx)", f"({key}) {variant.label}", counted(variant), variant.status,
        Load(contender, asynchronous, calls, concurrency),
        leaky_bucket_minimum(calls, variant.rate, variant.burst), budget_factor, variant.target,
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
