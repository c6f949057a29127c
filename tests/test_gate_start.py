"""Issue 22 item 5: the first burst toward a host nothing is known of goes a few calls
at a time (a slow start), so that a limiter without burst refuses a few of them, not
all but one; an unthrottled server pays a few round trips once, then nothing. On
trio's virtual clock (the simulated limiter) and on a fake clock (cancellation, on
asyncio and trio)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
import trio
import trio.testing

import sessionclient as sc
from sessionclient._gate import LOST, OPEN, START, Closure, Gate

from .conftest import FakeClock
from .test_gate_pace import REF, Limiter, drive, make_gate

__all__ = ["make_gate"]  # the fixture: in-process Gate, and RedisGate (slow)

TRIP = 0.05  # the unthrottled server's round trip


class Unthrottled(httpx.AsyncBaseTransport):
    """Answers every request after ``TRIP`` seconds (trio's clock); counts how many
    are in flight at once."""

    def __init__(self) -> None:
        self.flying = 0
        self.most = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.flying += 1
        self.most = max(self.most, self.flying)
        await trio.sleep(TRIP)
        self.flying -= 1
        return httpx.Response(200, json={"members": {}}, headers={"ETag": '"e"'})


def test_the_first_burst_against_a_limiter_without_burst_is_mostly_spared(
    make_gate: Callable[[], Any],
) -> None:
    """32 concurrent first calls against nginx's ``limit_req`` without burst (10 r/s, a
    bare 429): before the slow start, all but one of the first 32 were refused.
    ``RedisGate`` leaves the slow start to its in-process gate."""
    limiter = Limiter(lambda t: 10.0)
    run = drive(limiter, 200, 32, gate=make_gate())
    assert not run.raised
    first = sum(1 for t, status in limiter.log if status == 429 and t < 0.5)
    assert first <= START - 1 + 2  # those sent before the first 429's answer came
    assert limiter.refused() <= 0.10 * len(limiter.log)  # the target


@pytest.mark.parametrize("seed", range(3))
def test_a_burst_credit_runs_out_with_few_calls_in_flight(seed: int) -> None:
    """nginx's ``limit_req rate=10r/s burst=20 nodelay`` (a bare 429), 200 calls at
    concurrency 32: the calls in flight when the credit runs out are all refused. At
    one more per success, and the bucket open after 16 successes (before the credit
    ran out), that was 21 at once and 9-14 % of all requests (real nginx: 10-16 %);
    at one more per two successes, open after 32, about half as many."""
    limiter = Limiter(lambda t: 10.0, burst=20, jitter=0.0005, seed=seed)
    run = drive(limiter, 200, 32)
    assert not run.raised
    first = sum(1 for t, status in limiter.log if status == 429 and t < 0.5)
    assert first <= 6, first  # measured: 3 (before: 11-21)
    # measured: 5.2 % (before: 9-14 %; 7 % when the fall rule may take the credit's pace)
    assert limiter.refused() <= 0.06 * len(limiter.log)


def test_an_unthrottled_server_pays_a_few_round_trips_once() -> None:
    """32 concurrent first calls: a few round trips, each with more in flight; after
    ``OPEN`` successes the bucket is open, and 32 more calls go at once."""
    server = Unthrottled()
    gate = Gate()
    walls: list[float] = []

    async def main() -> None:
        async with sc.AsyncSessionClient(
            "http://127.0.0.1:1", auth=sc.XBLToken("1", "t"), transport=server,
            clock=trio.current_time, sleep=trio.sleep, gate=gate,
        ) as client:  # fmt: skip
            for _ in range(2):
                began = trio.current_time()
                async with trio.open_nursery() as nursery:
                    for _ in range(32):
                        nursery.start_soon(client.get, REF)
                walls.append(trio.current_time() - began)

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    assert START < OPEN <= 32
    assert walls[0] <= 7 * TRIP  # 2, 3, 4, 6, 9 in flight (one more per two), the rest
    assert walls[1] < 1.1 * TRIP  # open: all 32 at once
    assert server.most == 32


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("waiting", [0, START], ids=["in-flight", "and-waiting"])
def test_a_cancelled_call_frees_its_slot(backend: str, waiting: int) -> None:
    """Calls cancelled in flight (no answer will come) free their slots at once (the
    engine tells the gate ``lost``; before, they lapsed after ``LOST``); calls cancelled
    while they wait their turn leave the queue (the engine's ``finally``), or the next
    call would wait behind them until its deadline."""
    clock = FakeClock()
    hung = anyio.Event()
    sent = [0]

    class Transport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent[0] += 1
            if sent[0] <= START:  # the first calls never get an answer
                if sent[0] == START:
                    hung.set()
                await anyio.sleep_forever()
            return httpx.Response(200, json={"members": {}}, headers={"ETag": '"e"'})

    async def main() -> float:
        async with sc.AsyncSessionClient(
            "http://127.0.0.1:1", auth=sc.XBLToken("1", "t"), transport=Transport(),
            clock=clock, sleep=clock.asleep, retry=sc.RetryPolicy(deadline=10.0),
        ) as client:  # fmt: skip
            async with anyio.create_task_group() as group:
                for _ in range(START):
                    group.start_soon(client.get, REF)
                await hung.wait()
                for _ in range(waiting):
                    group.start_soon(client.get, REF)
                for _ in range(10):  # let the waiters join the queue
                    await anyio.sleep(0)
                group.cancel_scope.cancel()
            began = clock()  # (the waiters' sleeps moved the fake clock before)
            await client.get(REF)
            return clock() - began

    took = anyio.run(main, backend=backend)
    assert sent[0] == START + 1
    assert took == 0  # no slot is left to lapse


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_failed_call_frees_its_slot(backend: str) -> None:
    """The first calls fail on the way (a transport error: no answer, so nothing is
    learned of the pace): their slots are free at once, so the calls behind them go
    without waiting, and the failed ones after their back-off only (before, every
    call waited for the lost slots to lapse after ``LOST``)."""
    clock = FakeClock()
    sent = [0]

    class Transport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent[0] += 1
            if sent[0] <= START:
                raise httpx.ConnectError("refused", request=request)
            return httpx.Response(200, json={"members": {}}, headers={"ETag": '"e"'})

    async def main() -> float:
        async with sc.AsyncSessionClient(
            "http://127.0.0.1:1", auth=sc.XBLToken("1", "t"), transport=Transport(),
            clock=clock, sleep=clock.asleep, retry=sc.RetryPolicy(deadline=10.0),
        ) as client:  # fmt: skip
            began = clock()
            async with anyio.create_task_group() as group:
                for _ in range(2 * START):
                    group.start_soon(client.get, REF)
            return clock() - began

    took = anyio.run(main, backend=backend)
    assert sent[0] == 3 * START  # each failed once, then all went
    assert clock.sleeps  # the failed calls' back-offs, and nothing else:
    assert all(pause >= 0.1 for pause in clock.sleeps)  # no wait for a slot
    assert len(clock.sleeps) == START
    assert took < LOST


def test_a_waiter_left_by_the_slow_start_queues_behind_a_closed_gate() -> None:
    """The slow start ends (``OPEN`` successes) while a caller still waits its turn in
    it; then a 429 closes the gate. That caller, asking again with its slow-start
    ticket, must wait for the window like everyone else. Before, the new bucket did not
    know its ticket and let it through the closed gate."""
    gate = Gate()
    for _ in range(START):
        assert gate.admit("k", 0.0, None, math.inf) == (0.0, None, False)
    left = gate.admit("k", 0.0, None, math.inf)
    assert left.ticket is not None  # waits for a slot
    for n in range(OPEN):  # (the first answers are those of the calls sent at 0)
        gate.passed("k", 0.01 * (n + 1), 0.0)
    closure = Closure(sc.TooManyRequestsError, 429, "GET", "https://x/s")
    gate.hold("k", 0.5, 10.0, sent_at=0.4, rate=None, closure=closure)
    again = gate.admit("k", 0.6, left.ticket, math.inf, 0.0)
    assert again.wait == pytest.approx(9.9, abs=0.1)
    assert again.ticket is not None
