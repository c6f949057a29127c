"""``python -m benchmarks.trace``: how much of the package a call crosses, traced with
``sys.setprofile`` rather than read by eye.

For three calls (a sync ``get`` answered 200; an async ``get`` answered 429 with
``Retry-After: 1`` then 200; a sync ``update`` that reads, writes, meets a 412 and
writes again) it counts the package's calls (every entry into a function whose code
lives in ``sessionclient/``, the emulator excluded; a resumed generator counts), the
distinct functions, the modules, the deepest nesting of package frames, and the frames
of httpx (httpcore included) and tenacity. Functions that attrs generates count for
the module of their class. The server is an ``httpx.MockTransport`` with canned answers,
the clock and sleep are fakes: nothing waits.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import anyio
import httpx

import sessionclient as sc

PACKAGE = str(Path(sc.__file__).parent)
EMULATOR = str(Path(PACKAGE) / "emulator")
REF = sc.SessionRef("4a3e0b6c-1d2f-4e5a-9b8c-7d6e5f4a3b2c", "lobby", "game-1")
BODY = json.dumps({"members": {}, "properties": {"custom": {"round": 1}}}).encode()


def _module(frame: FrameType) -> str | None:
    """The package module a frame runs code of, or None."""
    name = frame.f_code.co_filename
    if name.startswith(PACKAGE) and not name.startswith(EMULATOR):
        return Path(name).stem
    if name.startswith("<attrs generated") and "sessionclient." in name:
        return name.split("sessionclient.", 1)[1].split(".", 1)[0]
    return None


class Trace:
    """What one call crossed."""

    def __init__(self) -> None:
        self.calls = 0
        self.functions: Counter[tuple[str, str]] = Counter()
        self.library: Counter[str] = Counter()
        self.depth = 0

    def __call__(self, frame: FrameType, event: str, arg: object) -> None:
        if event != "call":
            return
        module = _module(frame)
        if module is not None:
            self.calls += 1
            self.functions[(module, frame.f_code.co_qualname)] += 1
            depth, outer = 0, frame
            while outer is not None:
                depth += _module(outer) is not None
                outer = outer.f_back  # type: ignore[assignment]
            self.depth = max(self.depth, depth)
            return
        name = frame.f_code.co_filename
        for library in ("httpx", "httpcore", "tenacity"):
            if f"/{library}/" in name:
                self.library["httpx" if library == "httpcore" else library] += 1

    def row(self, case: str) -> dict[str, Any]:
        modules = sorted({module for module, _ in self.functions})
        return {
            "call": case,
            "package calls": self.calls,
            "distinct functions": len(self.functions),
            "modules": len(modules),
            "depth": self.depth,
            "httpx frames": self.library["httpx"],
            "tenacity frames": self.library["tenacity"],
            "module names": modules,
            "functions": sorted(f"{m}.{f}" for m, f in self.functions),
        }


def _session(status: int = 200, etag: str = '"1"', **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=BODY,
        headers={"Content-Type": "application/json", "ETag": etag, **headers},
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.now += seconds


def _traced(run: Callable[[], object]) -> Trace:
    trace = Trace()
    sys.setprofile(trace)
    try:
        run()
    finally:
        sys.setprofile(None)
    return trace


def sync_get() -> Trace:
    clock = Clock()
    transport = httpx.MockTransport(lambda request: _session())
    with sc.SessionClient(transport=transport, clock=clock, sleep=clock.sleep) as client:
        client.get(REF)  # warm: the first call fills caches
        return _traced(lambda: client.get(REF))


def async_get_429() -> Trace:
    clock = Clock()
    answers: list[httpx.Response] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    async def main() -> Trace:
        transport = httpx.MockTransport(handler)
        async with sc.AsyncSessionClient(
            transport=transport, clock=clock, sleep=clock.asleep
        ) as client:
            answers.append(_session())
            await client.get(REF)  # warm
            clock.now += 3600  # past any cool-down the warm-up left
            answers.extend([httpx.Response(429, headers={"Retry-After": "1"}), _session()])
            trace = Trace()
            sys.setprofile(trace)
            try:
                await client.get(REF)
            finally:
                sys.setprofile(None)
            return trace

    return anyio.run(main)


def sync_update() -> Trace:
    clock = Clock()
    answers: list[httpx.Response] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    def bump(session: sc.Session | None) -> dict[str, Any]:
        return {"properties": {"custom": {"round": 2}}}

    transport = httpx.MockTransport(handler)
    with sc.SessionClient(transport=transport, clock=clock, sleep=clock.sleep) as client:
        answers.extend([_session(), _session()])
        client.update(REF, bump)  # warm
        answers.extend([_session(), _session(412, '"2"'), _session(200, '"3"')])
        return _traced(lambda: client.update(REF, bump))


CASES = {
    "sync get -> 200": sync_get,
    "async get -> 429 (Retry-After 1) -> 200": async_get_429,
    "sync update -> GET, PUT 412, PUT 200": sync_update,
}


def main() -> None:
    verbose = "-v" in sys.argv
    print("| call | package calls | distinct functions | modules | depth | httpx frames "
          "| tenacity frames |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    rows = [CASES[case]().row(case) for case in CASES]
    for row in rows:
        print(
            f"| {row['call']} | {row['package calls']} | {row['distinct functions']} "
            f"| {row['modules']} | {row['depth']} | {row['httpx frames']} "
            f"| {row['tenacity frames']} |"
        )
    if verbose:
        for row in rows:
            print(f"\n{row['call']}: {', '.join(row['module names'])}")
            for function in row["functions"]:
                print(f"  {function}")


if __name__ == "__main__":
    main()
