"""A fleet under one identity: P processes (1, 2, 4), each an AsyncSessionClient at
concurrency 8, share N session GETs against a throttled server over loopback.
Per-process gates (the default) against one ``RedisGate`` for the fleet, in the same
run, on a ``redis-server`` started here (127.0.0.1, a free port, no persistence).
Two servers:

- the throttled emulator (uvicorn on 127.0.0.1), which admits R requests per second
  to that identity (MPSD's 30 calls per 15 s, on a clock 100 times faster: R = 200/s)
  and answers 429 with Retry-After and MPSD's rate report;
- real nginx, when installed: ``limit_req rate=10r/s`` without burst, 429 with
  ``Retry-After: 1`` and nginx's HTML page (no report: the gate learns the rate);
  ``benchmarks/nginx_throttle.py``'s configuration, variant (a). R = 10/s.

Figures per row: wall / (N / R) (the fleet's time against the service's physical
minimum), the share of requests answered 429, and calls that raised (the clients'
default retry policy: 5 attempts, 30 s). Target with RedisGate at P = 4: <= 1.25 x,
<= 10 % 429, 0 raised.

``python -m benchmarks.fleet [--calls N] [--nginx-calls N] [--processes 1 2 4]
[--servers emulator nginx]`` prints a Markdown table. Self-contained: it needs
``redis-server`` (``apt-get install redis-server``) and the ``redis`` package for the
RedisGate rows, and ``nginx`` for its rows, and skips them without.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import os
import platform
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID, Emulator, Throttle

from . import nginx_throttle

CONCURRENCY = 8
TIME_SCALE = 0.01
LIMITS = Throttle(burst_limit=30, burst_window=15.0, sustain_limit=10**6, sustain_window=300.0)
RATE = LIMITS.burst_limit / (LIMITS.burst_window * TIME_SCALE)
NGINX_RATE = nginx_throttle.RATE
USERHASH = "2533274790395904"
REDIS_SERVER = shutil.which("redis-server") or shutil.which(
    "redis-server", path="/usr/bin:/usr/sbin:/usr/local/bin"
)


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on 127.0.0.1; yields its URL."""
    assert REDIS_SERVER is not None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as workdir:
        process = subprocess.Popen(
            [
                REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", workdir,
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            give_up = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                        sock.sendall(b"PING\r\n")
                        if sock.recv(64).startswith(b"+PONG"):
                            break
                except OSError:
                    if time.monotonic() > give_up:
                        raise
                time.sleep(0.01)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)


def _worker(
    url: str, redis_url: str | None, namespace: str, index: int, calls: int, ready: Any, go: Any,
    results: Any,
) -> None:  # fmt: skip
    """One process: its own client (and gate), ``calls`` GETs at concurrency 8 once
    ``go`` is set; reports (completed, raised, finished at) on the wall clock."""
    # The SDK's WARNINGs (a call held over a second at the gate) are expected here by
    # the hundred: keep them off the table (without a handler, logging prints them).
    logging.getLogger("sessionclient").addHandler(logging.NullHandler())

    async def fleet_member() -> tuple[int, int]:
        gate = None
        if redis_url is not None:
            gate = sc.RedisGate.from_url(redis_url, namespace=namespace)
        auth = sc.XBLToken(USERHASH, f"worker-{index}-token")  # each its own token
        ref = sc.SessionRef(DEFAULT_SCID, "lobby", "fleet")
        remaining, done, raised = calls, 0, 0
        async with sc.AsyncSessionClient(url, auth=auth, gate=gate) as client:
            with contextlib.suppress(sc.SessionClientError):  # connect before the measure
                await client.get(sc.SessionRef(DEFAULT_SCID, "lobby", "warm-up"), retry=_OFF)
            ready.wait()
            go.wait()

            async def drain() -> None:
                nonlocal remaining, done, raised
                while remaining > 0:
                    remaining -= 1
                    try:
                        await client.get(ref)
                        done += 1
                    except sc.SessionClientError:
                        raised += 1

            await asyncio.gather(*(drain() for _ in range(CONCURRENCY)))
        if gate is not None:
            gate.close()
        return done, raised

    outcome = (0, calls)  # a worker that failed counts all its calls as raised
    try:
        outcome = asyncio.run(fleet_member())
    finally:  # the parent waits for every worker's line
        results.put((*outcome, time.time()))


_OFF = sc.RetryPolicy(max_attempts=1, throttle="off")


def run_fleet(
    processes: int, calls: int, redis_url: str | None, server: str = "emulator"
) -> dict[str, Any]:
    """One row: ``calls`` GETs shared by ``processes`` processes, against the
    throttled emulator or nginx (``server``)."""
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Barrier(processes + 1), context.Event(), context.Queue()
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    shares = [calls // processes + (i < calls % processes) for i in range(processes)]
    emulator = Emulator(throttle=LIMITS, time_scale=TIME_SCALE)
    with contextlib.ExitStack() as stack:
        if server == "nginx":
            url, log = stack.enter_context(nginx_throttle.nginx(nginx_throttle.VARIANTS["a"]))
            rate, settle = float(NGINX_RATE), 1.5
        else:
            url, log = stack.enter_context(emulator.serve()), None
            rate, settle = RATE, LIMITS.burst_window * TIME_SCALE * 1.1
        workers = [
            context.Process(
                target=_worker,
                args=(url, redis_url, namespace, i, share, ready, go, results),
            )
            for i, share in enumerate(shares)
        ]
        for worker in workers:
            worker.start()
        ready.wait(timeout=60)
        # The warm-up calls (one per process, outside the measure) leave the window.
        time.sleep(settle)
        emulator.requests.clear()
        logged = 0 if log is None else log.stat().st_size
        started = time.time()
        go.set()
        gathered = [results.get(timeout=600) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        if log is None:
            statuses = [request.status for request in emulator.requests]
        else:
            time.sleep(0.05)  # the last log lines
            counted = nginx_throttle.parse_access_log(log.read_bytes()[logged:].decode())
            statuses = [status for status, n in counted.items() for _ in range(n)]
    wall = max(finished for *_, finished in gathered) - started
    return {
        "server": server,
        "processes": processes,
        "gate": "RedisGate" if redis_url else "per-process",
        "calls": calls,
        "rate": rate,
        "ratio": wall / (calls / rate),
        "wall_s": wall,
        "requests": len(statuses),
        "answered_429": statuses.count(429),
        "share_429": statuses.count(429) / max(len(statuses), 1),
        "completed": sum(done for done, _, _ in gathered),
        "raised": sum(raised for _, raised, _ in gathered),
    }


def _row(figures: dict[str, Any]) -> str:
    target, verdict = "", ""
    if figures["gate"] == "RedisGate":
        target = "<= 1.25, <= 10% 429, 0 raised"
        met = figures["ratio"] <= 1.25 and figures["share_429"] <= 0.10 and not figures["raised"]
        verdict = "met" if met else "MISSED"
    return (
        f"| fleet ({figures['server']}, N={figures['calls']}, R={figures['rate']:.0f}/s) "
        f"| P={figures['processes']}, {figures['gate']} | {figures['ratio']:.3f} x N/R "
        f"| {figures['share_429']:.1%} 429 ({figures['answered_429']}/{figures['requests']}) "
        f"| {figures['raised']} raised | {target} | {verdict} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet", description=__doc__)
    parser.add_argument("--calls", type=int, default=600, help="N against the emulator")
    parser.add_argument("--nginx-calls", type=int, default=150, help="N against nginx")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument(
        "--servers", nargs="+", choices=("emulator", "nginx"), default=["emulator", "nginx"]
    )
    args = parser.parse_args()
    try:
        import redis  # noqa: F401
    except ImportError:
        have_redis = False
    else:
        have_redis = REDIS_SERVER is not None
    servers = list(args.servers)
    if "nginx" in servers and nginx_throttle.nginx_binary() is None:
        servers.remove("nginx")
        print("nginx rows skipped: nginx is not installed (apt-get install nginx)")
    print(f"concurrency {CONCURRENCY} per process; emulator: N = {args.calls}, R = {RATE:.0f}/s "
          f"(N/R = {args.calls / RATE:.2f} s); nginx: N = {args.nginx_calls}, "
          f"R = {NGINX_RATE}/s (N/R = {args.nginx_calls / NGINX_RATE:.2f} s)")  # fmt: skip
    print("| benchmark | case | figure | 429s | raised | target | verdict |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    started = time.perf_counter()
    with redis_server() if have_redis else _nothing() as redis_url:
        for server in servers:
            calls = args.nginx_calls if server == "nginx" else args.calls
            for processes in args.processes:
                print(_row(run_fleet(processes, calls, None, server)), flush=True)
                if redis_url is not None:
                    print(_row(run_fleet(processes, calls, redis_url, server)), flush=True)
    if not have_redis:
        print("\nRedisGate rows skipped: needs redis-server and pip install 'sessionclient[redis]'")
    print(f"\n{time.perf_counter() - started:.0f} s on {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")  # fmt: skip
    return 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    raise SystemExit(main())
