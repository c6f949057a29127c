"""Soak: many clients hammer the emulator over loopback for a while with mixed reads,
conflicting writes and injected faults (503, 500, dropped connections, lost responses);
at the end the session must hold exactly what the acknowledged writes imply, and memory
and open file descriptors must be flat.

    python -m benchmarks.soak [--seconds 60] [--threads 4] [--tasks 12]

Each writer owns one counter in the shared session and increments it with update():
every write contends with every other writer's (one session, one ETag), and after a
write whose outcome is unknown the writer reads the session back, as an application
would, so the expected value of every counter is exact.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import threading
import time
import tracemalloc
from typing import Any

import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID, Emulator, Fault, FaultKind, Template, Throttle

REF = sc.SessionRef(DEFAULT_SCID, "soak", "soak-1")
FAULTS = {
    Fault.status(503, retry_after=0.05): 0.03,
    Fault.status(500): 0.02,
    FaultKind.DROP: 0.01,
    FaultKind.LOSE_RESPONSE: 0.02,
}
POLICY = sc.RetryPolicy(max_attempts=8, deadline=20)


def key(writer: int) -> str:
    return f"w{writer}"


class Tally:
    """What each writer knows: the value its counter must have, and its counts."""

    def __init__(self, writers: int) -> None:
        self.expected = dict.fromkeys(range(writers), 0)
        self.acked = self.unknown = self.reads = self.failures = 0
        self.lock = threading.Lock()

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, count in counts.items():
                setattr(self, name, getattr(self, name) + count)


def bump(writer: int) -> Any:
    def mutate(session: sc.Session | None) -> dict[str, Any] | None:
        if session is None:
            return None
        value = session.custom_properties.get(key(writer), 0)
        return {"properties": {"custom": {key(writer): value + 1}}}

    return mutate


def sync_writer(url: str, writer: int, tally: Tally, until: float) -> None:
    rng = random.Random(writer)
    with sc.SessionClient(
        url, auth=sc.XBLToken(str(7000 + writer), "soak"), retry=POLICY
    ) as client:
        while not _attempted(client.join, REF):  # joining again is harmless: retry it
            pass
        while time.monotonic() < until:
            try:
                if rng.random() < 0.4:
                    client.get(REF)
                    tally.add(reads=1)
                    continue
                result = client.update(REF, bump(writer), max_attempts=50)
                assert isinstance(result, sc.Session)
                tally.expected[writer] = result.custom_properties[key(writer)]
                tally.add(acked=1)
            except sc.SessionClientError:
                tally.add(failures=1, unknown=1)
                tally.expected[writer] = _read_back(lambda: client.get(REF), writer)


async def async_writer(url: str, writer: int, tally: Tally, until: float) -> None:
    rng = random.Random(writer)
    auth = sc.XBLToken(str(7000 + writer), "soak")
    async with sc.AsyncSessionClient(url, auth=auth, retry=POLICY) as client:
        while True:  # joining again is harmless: retry it
            try:
                await client.join(REF)
                break
            except sc.SessionClientError:
                continue
        while time.monotonic() < until:
            try:
                if rng.random() < 0.4:
                    await client.get(REF)
                    tally.add(reads=1)
                    continue
                result = await client.update(REF, bump(writer), max_attempts=50)
                assert isinstance(result, sc.Session)
                tally.expected[writer] = result.custom_properties[key(writer)]
                tally.add(acked=1)
            except sc.SessionClientError:
                tally.add(failures=1, unknown=1)
                while True:
                    try:
                        session = await client.get(REF)
                        break
                    except sc.SessionClientError:
                        await asyncio.sleep(0.05)
                assert isinstance(session, sc.Session)
                tally.expected[writer] = session.custom_properties.get(key(writer), 0)


def _attempted(call: Any, *args: Any) -> bool:
    try:
        call(*args)
    except sc.SessionClientError:
        return False
    return True


def _read_back(get: Any, writer: int) -> int:
    while True:
        try:
            session = get()
            break
        except sc.SessionClientError:
            time.sleep(0.05)
    assert isinstance(session, sc.Session)
    return int(session.custom_properties.get(key(writer), 0))


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else -1


def run(seconds: float, threads: int, tasks: int) -> dict[str, Any]:
    writers = threads + tasks
    template = Template.of("soak", max_members=writers + 1)
    emulator = Emulator(
        {DEFAULT_SCID: (template,)}, throttle=Throttle(enabled=False), time_scale=0.1,
        seed=7, fault_rate=FAULTS,
    )  # fmt: skip
    tally = Tally(writers)
    tracemalloc.start()
    with emulator.serve() as url:
        with sc.SessionClient(url, auth=sc.XBLToken("6999", "soak"), retry=POLICY) as host:
            while not _attempted(host.put, REF, {}):  # create (or find) the session
                pass
        started = time.monotonic()
        until = started + seconds
        memory: list[float] = []
        fds: list[int] = []

        statuses: dict[int, int] = {}

        def count_statuses() -> None:
            # The emulator's request log is moved out, so that its growth is not
            # mistaken for the clients'.
            handled, emulator.requests[:] = list(emulator.requests), []
            for request in handled:
                statuses[request.status] = statuses.get(request.status, 0) + 1

        def sample() -> None:
            time.sleep(seconds / 10)  # after the warm-up: pools full, everyone joined
            while time.monotonic() < until:
                count_statuses()
                memory.append(tracemalloc.get_traced_memory()[0] / 2**20)
                fds.append(open_fds())
                time.sleep(max(seconds / 20, 0.1))

        async def async_part() -> None:
            await asyncio.gather(
                *(async_writer(url, threads + t, tally, until) for t in range(tasks))
            )

        workers = [
            threading.Thread(target=sync_writer, args=(url, w, tally, until))
            for w in range(threads)
        ]
        workers.append(threading.Thread(target=asyncio.run, args=(async_part(),)))
        workers.append(threading.Thread(target=sample))
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.monotonic() - started
    tracemalloc.stop()
    stored = emulator.session(DEFAULT_SCID, "soak", "soak-1") or {}
    custom = stored.get("properties", {}).get("custom", {})
    final = {w: custom.get(key(w), 0) for w in range(writers)}
    mismatched = {w: (final[w], tally.expected[w]) for w in final if final[w] != tally.expected[w]}
    count_statuses()
    third = max(len(memory) // 3, 1)
    report = {
        "seconds": round(elapsed, 1),
        "writers": writers,
        "requests": sum(statuses.values()),
        "statuses": dict(sorted(statuses.items())),
        "acknowledged_writes": tally.acked,
        "writes_with_unknown_outcome": tally.unknown,
        "reads": tally.reads,
        "committed_increments": sum(final.values()),
        "mismatched_counters": mismatched,
        "memory_mib_first_third_vs_last": [
            round(max(memory[:third]), 2), round(max(memory[-third:]), 2),
        ] if memory else [],
        "open_fds_first_vs_last": [fds[0], fds[-1]] if fds else [],
    }  # fmt: skip
    report["exact"] = not mismatched
    return report


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=12)
    args = parser.parse_args()
    report = run(args.seconds, args.threads, args.tasks)
    print(json.dumps(report, indent=2))
    return 0 if report["exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
