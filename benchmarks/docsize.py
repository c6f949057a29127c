"""Document size: sessions of 1, 10, 100 and 1,000 members, in-process. Time per call
and per KB for a GET and a PUT through the SDK, against raw httpx doing the same on the
same transport. Target: the cost grows no faster than the document (per-KB time at
1,000 members no more than 1.25x that at 100)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import httpx

import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID, EMULATOR_URL, Emulator, Template, Throttle

from ._common import TOKEN, Result, interleaved, ratios

SIZES = (1, 10, 100, 1000)
BIG = Template.of("big", max_members=1000)


def _session(emulator: Emulator, members: int) -> sc.SessionRef:
    ref = sc.SessionRef(DEFAULT_SCID, "big", f"members-{members}")
    reservations = {
        f"reserve_{n}": {"constants": {"system": {"xuid": str(10_000 + n)}}}
        for n in range(members - 1)
    }
    with emulator.client() as host:
        host.create(ref, {"members": reservations} if reservations else {})
    return ref


def _calls(
    raw: httpx.Client, client: sc.SessionClient, ref: sc.SessionRef, change: dict[str, Any]
) -> dict[str, Callable[[], object]]:
    return {
        "raw GET": lambda: raw.get(ref.path).json(),
        "sdk GET": lambda: client.get(ref),
        "raw PUT": lambda: raw.put(ref.path, json=change).json(),
        "sdk PUT": lambda: client.put(ref, change),
    }


def run(quick: bool = False) -> list[Result]:
    """GET and PUT at each size (median ms per call over rounds, with min-max, and
    its ratio to raw httpx), and the growth check."""
    emulator = Emulator({DEFAULT_SCID: (BIG,)}, throttle=Throttle(enabled=False))
    transport = emulator.transport()
    raw = httpx.Client(base_url=EMULATOR_URL, transport=transport, headers={"Authorization": TOKEN})
    client = emulator.client()
    results = []
    per_kb: dict[tuple[str, int], list[float]] = {}
    for members in SIZES:
        ref = _session(emulator, members)
        size_kb = len(raw.get(ref.path).content) / 1024
        calls = max(2, 100 // members) if quick else max(3, 600 // members)
        samples = interleaved(
            _calls(raw, client, ref, {"properties": {"custom": {"note": "x"}}}),
            calls=calls,
            rounds=3 if quick else 9,
        )
        for verb in ("GET", "PUT"):
            seconds = samples[f"sdk {verb}"]
            per_kb[(verb, members)] = [s / size_kb for s in seconds]
            vs_raw = statistics.median(ratios(samples, f"sdk {verb}", f"raw {verb}"))
            results.append(
                Result.of(
                    "doc size",
                    f"{verb}, {members} member(s), {size_kb:.1f} KB",
                    [s * 1e3 for s in seconds],
                    "ms/call",
                    note=f"{statistics.median(per_kb[(verb, members)]) * 1e6:.1f} µs/KB; "
                    f"{vs_raw:.3f}x raw httpx",
                )
            )
    for verb in ("GET", "PUT"):
        growth = [
            big / small
            for big, small in zip(per_kb[(verb, 1000)], per_kb[(verb, 100)], strict=True)
        ]
        results.append(
            Result.of(
                "doc size",
                f"{verb}: per-KB cost, 1,000 vs 100 members",
                growth,
                "x",
                target="<= 1.25",
                met=statistics.median(growth) <= 1.25,
            )
        )
    raw.close()
    client.close()
    return results
