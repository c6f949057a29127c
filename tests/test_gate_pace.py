"""Issue 22: the gate's rules against limiters that send no Retry-After, and a learned
pace that follows the limit both ways; on trio's virtual clock (no real sleep), through
the async client, with the in-process ``Gate`` and with ``RedisGate`` where it applies.

The limiters here are simulated: a leaky bucket (nginx's ``limit_req`` without burst:
one request per 1/rate s, refused ones not counted) whose rate may change, go to zero
(an outage) or count refused requests too (each refusal pushes the next allowed time)."""

from __future__ import annotations

import bisect
import itertools
import math
import random
import statistics
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import trio
import trio.testing

import sessionclient as sc
from sessionclient._gate import BARE_HOLD, BARE_HOLD_MAX, MAX_HOLD, Closure, Gate, Verdict

from .conftest import FakeClock

REF = sc.SessionRef("00000000-0000-0000-0000-00000000abcd", "lobby", "x")
THROTTLED = Closure(sc.TooManyRequestsError, 429, "GET", "https://x/s")
NEVER = math.inf


class Limiter(httpx.AsyncBaseTransport):
    """``rate(t)`` requests a second, one every 1/rate s (0: everything refused), with
    ``burst`` requests of credit (nginx's ``limit_req burst=N nodelay``); a 429 with
    ``retry_after`` (None: bare, as nginx sends it); ``counting``: a refused request
    uses a slot too. A few ms of random travel each way."""

    def __init__(
        self,
        rate: Callable[[float], float],
        *,
        retry_after: str | None = None,
        counting: bool = False,
        seed: int = 0,
        jitter: float = 0.001,
        burst: int = 0,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.retry_after = retry_after
        self.counting = counting
        self.random = random.Random(seed)
        self.jitter = jitter
        self.free = -math.inf  # when the next request is allowed
        self.log: list[tuple[float, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await trio.sleep(self.random.random() * self.jitter)
        now = trio.current_time()
        rate = self.rate(now)
        if rate > 0 and now >= self.free - self.burst / rate - 1e-9:
            self.free = max(self.free, now) + 1 / rate  # (the credit: free in the future)
            self.log.append((now, 200))
            response = httpx.Response(200, json={"members": {}}, headers={"ETag": '"e"'})
        else:
            if self.counting and rate > 0:
                self.free = max(self.free, now) + 1 / rate
            self.log.append((now, 429))
            headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
            response = httpx.Response(429, headers=headers)
        await trio.sleep(self.random.random() * self.jitter)
        return response

    def ok_between(self, start: float, end: float) -> int:
        return sum(1 for t, status in self.log if status == 200 and start <= t < end)

    def refused(self) -> int:
        return sum(1 for _, status in self.log if status == 429)


class Sliding(Limiter):
    """HAProxy's ``http_req_rate(1s)`` with ``deny_status 429 if rate > limit``: the
    requests of the current second plus the previous second's, weighted by what is left
    of the current one; every request counts, the refused too (it is tracked before the
    deny rule: benchmarks/haproxy.cfg.template). A bare 429."""

    def __init__(self, limit: int, **options: Any) -> None:
        super().__init__(lambda t: float(limit), **options)
        self.limit, self.start, self.current, self.previous = limit, -math.inf, 0, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await trio.sleep(self.random.random() * self.jitter)
        now = trio.current_time()
        if now - self.start >= 1.0:  # a new period (aligned to the first)
            self.previous = self.current if now - self.start < 2.0 else 0
            self.current = 0
            self.start = now if self.start == -math.inf else self.start + (now - self.start) // 1
        self.current += 1
        rate = self.current + self.previous * (1.0 - (now - self.start))
        status = 200 if rate <= self.limit else 429
        self.log.append((now, status))
        await trio.sleep(self.random.random() * self.jitter)
        if status == 429:
            return httpx.Response(429)
        return httpx.Response(200, json={"members": {}}, headers={"ETag": '"e"'})


class Run:
    """What a run did: the limiter's log, each call's latency, what raised."""

    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter
        self.latencies: list[float] = []
        self.raised: list[BaseException] = []
        self.wall = 0.0
        self.order: list[int] = []  # calls in the order they completed


def drive(
    limiter: Limiter,
    calls: int,
    concurrency: int,
    *,
    gate: Any = None,
    policy: sc.RetryPolicy | None = None,
    clock: trio.testing.MockClock | None = None,
) -> Run:
    run = Run(limiter)

    async def main() -> None:
        async with sc.AsyncSessionClient(
            "http://127.0.0.1:1", auth=sc.XBLToken("1", "t"), transport=limiter,
            clock=trio.current_time, sleep=trio.sleep, gate=gate,
            retry=policy or sc.RetryPolicy(),
        ) as client:  # fmt: skip
            todo = list(range(calls))

            async def worker() -> None:
                while todo:
                    number = todo.pop(0)
                    began = trio.current_time()
                    try:
                        await client.get(REF)
                    except sc.SessionClientError as exc:
                        run.raised.append(exc)
                    run.latencies.append(trio.current_time() - began)
                    run.order.append(number)

            async with trio.open_nursery() as nursery:
                for _ in range(concurrency):
                    nursery.start_soon(worker)
        run.wall = trio.current_time()

    trio.run(main, clock=clock or trio.testing.MockClock(autojump_threshold=0))
    return run


@pytest.fixture(params=["in-process", pytest.param("redis", marks=pytest.mark.slow)])
def make_gate(request: pytest.FixtureRequest) -> Iterator[Callable[[], Any]]:
    """A fresh gate of each kind (RedisGate on a real redis-server, on trio's clock)."""
    if request.param == "in-process":
        yield Gate
        return
    from .redis_server import REDIS_SERVER, RedisServer

    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer().start()
    gates: list[sc.RedisGate] = []

    def make() -> sc.RedisGate:
        gate = sc.RedisGate.from_url(
            server.url, namespace=f"pace-{len(gates)}", clock=trio.current_time, budget=5.0
        )
        gates.append(gate)
        return gate

    yield make
    for gate in gates:
        gate.close()
    server.stop()


# --- the gate's rules, step by step --------------------------------------------------


@pytest.mark.parametrize("kind", ["in-process", pytest.param("redis", marks=pytest.mark.slow)])
def test_a_bare_429_closes_the_gate_and_its_back_off_grows_while_429s_repeat(
    kind: str, request: pytest.FixtureRequest
) -> None:
    clock = FakeClock(0.0)
    gate: Any = Gate()
    if kind == "redis":
        from .redis_server import REDIS_SERVER, RedisServer

        if REDIS_SERVER is None:
            pytest.skip("redis-server is not installed")
        server = RedisServer().start()
        request.addfinalizer(server.stop)
        gate = sc.RedisGate.from_url(server.url, namespace="bare", clock=clock)
        request.addfinalizer(gate.close)
    windows = []
    for _ in range(7):  # each probe refused again: no success between
        gate.hold("h", clock.now, None, sent_at=clock.now - 0.001, rate=None, closure=THROTTLED)
        window = gate.window("h", clock.now)
        assert window is not None
        windows.append(round(window[0], 6))
        # While closed, one call goes per window (a probe), the others wait.
        first = gate.admit("h", clock.now, None, NEVER)
        second = gate.admit("h", clock.now, None, NEVER)
        assert first.wait == pytest.approx(window[0])
        clock.now += window[0]
        assert gate.admit("h", clock.now, first.ticket, NEVER).wait == 0  # the probe
        again = gate.admit("h", clock.now, second.ticket, NEVER)
        assert again.wait >= min(window[0], 1.0) - 1e-9  # not while the probe is out
        gate.give_back(again.ticket)
        clock.now += 0.01
    assert windows == [min(BARE_HOLD * 2**i, BARE_HOLD_MAX) for i in range(7)]
    # A success opens it: the pace that let the probe through, no longer a window apart.
    gate.passed("h", clock.now, clock.now - 0.005)
    assert gate.window("h", clock.now) is None
    spacing = gate.spacing("h")
    assert spacing is not None
    assert spacing < BARE_HOLD_MAX


def test_a_bare_429_holds_every_call_of_the_client() -> None:
    """Through the client: after a bare 429 nobody sends until the gate's window ends,
    and the throttled call is sent again once then (not 5 times on its own schedule)."""
    limiter = Limiter(lambda t: 0.0 if t < 3.0 else 100.0)  # refuses everything for 3 s
    run = drive(limiter, calls=8, concurrency=8)
    assert run.raised == []
    before = [t for t, status in limiter.log if status == 429 and t > 0.01]
    # After the first burst, while refused: one probe per growing window.
    gaps = [b - a for a, b in itertools.pairwise(before)]
    assert all(gap >= BARE_HOLD - 0.01 for gap in gaps), gaps
    assert len(before) <= 4


def test_a_limiter_that_counts_refusals_sees_the_client_calm_down() -> None:
    """2 r/s, refused requests counted, no Retry-After; 60 calls at concurrency 8.
    Before issue 22, 46-53 of 60 raised (each caller retried alone, keeping the
    limiter's count above the limit)."""
    limiter = Limiter(lambda t: 2.0, counting=True)
    run = drive(limiter, calls=60, concurrency=8)
    assert run.raised == []
    assert limiter.refused() <= 0.4 * 60, limiter.refused()  # measured: 20
    assert run.wall <= 1.6 * 59 / 2.0  # measured: 1.52x the minimum


def test_a_refused_call_keeps_its_place() -> None:
    """FIFO: a call throttled after it left the queue asks again with the time it first
    asked, and goes before everyone who came after it."""
    gate = Gate()
    gate.hold("h", 0.0, 1.0, sent_at=0.0, rate=0.1, closure=THROTTLED)
    first = gate.admit("h", 0.0, None, NEVER, arrived=0.0)
    later = [gate.admit("h", 0.5 + i / 10, None, NEVER) for i in range(3)]
    assert gate.admit("h", 1.0, first.ticket, NEVER).wait == 0  # it goes, and is refused
    gate.hold("h", 1.05, 1.0, sent_at=1.0, rate=0.1, closure=THROTTLED)
    again = gate.admit("h", 1.05, None, NEVER, arrived=0.0)  # asks again, first arrived
    assert again.ticket is not None
    when = {}
    for name, verdict in [("first", again), *((f"later{i}", v) for i, v in enumerate(later))]:
        now = 1.05
        while verdict.wait:
            now += verdict.wait
            verdict = gate.admit("h", now, verdict.ticket, NEVER)
        when[name] = now
    assert min(when, key=when.__getitem__) == "first"


def test_after_refusals_the_p99_latency_is_within_3x_the_median() -> None:
    """Issue 22's item 4: 60 calls at concurrency 8 against 2 r/s, a bare 429."""
    limiter = Limiter(lambda t: 2.0)
    run = drive(limiter, calls=60, concurrency=8)
    assert run.raised == []
    ordered = sorted(run.latencies)
    p50, p99 = statistics.median(ordered), ordered[math.ceil(0.99 * len(ordered)) - 1]
    assert p99 <= 3 * p50, (p50, p99)


# --- a pace that follows the limit both ways -------------------------------------------


def test_a_raised_limit_is_found_within_seconds(make_gate: Callable[[], Any]) -> None:
    """2/s, raised to 20/s at t = 20 s: >= 15 ok/s within 10 s (before: 1.9 ok/s)."""
    limiter = Limiter(lambda t: 2.0 if t < 20.0 else 20.0)
    drive(limiter, calls=40 + 400, concurrency=8, gate=make_gate())
    assert limiter.ok_between(29.0, 30.0) >= 15


def test_a_lowered_limit_is_found_within_a_few_429s(make_gate: Callable[[], Any]) -> None:
    """10/s, lowered to 2/s at t = 10 s (before: 26 s and 33 x 429 to settle)."""
    limiter = Limiter(lambda t: 10.0 if t < 10.0 else 2.0)
    drive(limiter, calls=100 + 60, concurrency=8, gate=make_gate())
    after = [t for t, status in limiter.log if status == 429 and t >= 10.0]
    assert len([t for t in after if t < 20.0]) <= 8, after  # measured: 6
    # settled: then one probe beyond the pace every 9 s or so (RECOVER successes)
    assert len([t for t in after if t >= 20.0]) <= (max(limiter.log)[0] - 20.0) / 4, after


def test_a_limit_ten_times_lower_is_found(make_gate: Callable[[], Any]) -> None:
    """10/s, lowered to 1/s at t = 10 s. A probe refused 0.5 s after a pair of 429s
    made three without a success, and the outage rule put back the peak the fall had
    just halved, every 3 s: 156 refused and 157 s. The peak it puts back must have held
    for a few successes, and only once: 15 refused, 84 s (before the rule: 14, 81 s)."""
    limiter = Limiter(lambda t: 10.0 if t < 10.0 else 1.0)
    run = drive(limiter, calls=140, concurrency=8, gate=make_gate())
    assert run.raised == []
    assert limiter.refused() <= 25, limiter.refused()
    assert run.wall <= 90.0


@pytest.mark.slow
@pytest.mark.parametrize("retry_after", [None, "1"])
def test_an_outage_does_not_tighten_the_pace(
    make_gate: Callable[[], Any], retry_after: str | None
) -> None:
    """10/s; from 10 s to 30 s everything is refused; then 10/s again. Before: 0.5 ok/s
    for good after it (each 429 of the outage made the pace 5 % slower)."""
    limiter = Limiter(lambda t: 0.0 if 10.0 <= t < 30.0 else 10.0, retry_after=retry_after)
    run = drive(limiter, calls=500, concurrency=8, gate=make_gate())
    assert run.raised == [] or all(isinstance(exc, sc.TooManyRequestsError) for exc in run.raised)
    end = max(t for t, _ in limiter.log)
    assert end > 45.0
    assert limiter.ok_between(40.0, 45.0) >= 5 * 8  # back near the limit within 10 s
    during = [t for t, status in limiter.log if status == 429 and 11.0 <= t < 30.0]
    assert len(during) <= 40  # one probe per (growing) window, not a hammer


@pytest.mark.slow
def test_an_outage_soon_after_a_drop_does_not_halve_the_pace() -> None:
    """The documentation's timeline (benchmarks/timeline.py): 5/s, 15/s, 3/s, an
    outage from 60 s to 70 s, then 10/s. The outage's first 429 came soon after a probe's
    drop, as a fallen limit's would, and halved the peak: 36 answered from 75 s to 90 s.
    Three 429s without a success are an outage, and the peak goes back: 76."""
    phases = [(0.0, 5.0), (20.0, 15.0), (40.0, 3.0), (60.0, 0.0), (70.0, 10.0)]
    limiter = Limiter(lambda t: [rate for start, rate in phases if t >= start][-1], seed=1)
    drive(limiter, calls=480, concurrency=8)
    assert limiter.ok_between(75.0, 90.0) >= 60


def test_one_absurd_retry_after_is_capped_in_the_window_and_the_pace() -> None:
    """Retry-After: 86400 used to give a learned spacing of 51,840 s."""
    for cap, reopens in ((None, MAX_HOLD), (5.0, 5.0)):
        gate = Gate()
        gate.passed("h", 0.5, 0.4)
        gate.hold("h", 1.0, 86400.0, sent_at=0.9, rate=None, closure=THROTTLED, cap=cap)
        window = gate.window("h", 1.0)
        assert window is not None
        assert window[0] == pytest.approx(reopens)
        spacing = gate.spacing("h")
        assert spacing is not None
        assert spacing <= reopens
        now = 1.0 + reopens
        sent = []
        while len(sent) < 8:  # 8 calls, each answered 10 ms later
            verdict = gate.admit("h", now, None, NEVER)
            while verdict.wait:
                now += verdict.wait
                verdict = gate.admit("h", now, verdict.ticket, NEVER)
            sent.append(now)
            gate.passed("h", now + 0.01, now)
        assert sent[-1] - sent[0] <= 3.0, sent


def test_absurd_retry_after_through_the_client(make_gate: Callable[[], Any]) -> None:
    """One Retry-After of a day, on Gate and on RedisGate: the window and the pace are
    capped by retry_after_max, so the run ends in seconds."""
    limiter = Limiter(lambda t: 10.0, retry_after="86400")
    run = drive(
        limiter, calls=30, concurrency=8, policy=sc.RetryPolicy(retry_after_max=5),
        gate=make_gate(),
    )  # fmt: skip
    assert run.wall < 60.0  # not a day
    assert len(run.raised) <= 12  # the 429s that ask for more than the cap raise


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", [8, 32])
def test_a_long_run_converges_to_the_limit(concurrency: int) -> None:
    """1,000 calls against 10/s, a bare 429: the wall time approaches the minimum."""
    limiter = Limiter(lambda t: 10.0, jitter=0.0005)
    run = drive(limiter, calls=1000, concurrency=concurrency)
    assert run.raised == []
    ratio = run.wall / (999 / 10.0)
    refused = limiter.refused() / 1000
    # Issue 22 asks 1.05 and 3 %. Measured: 1.024 (8), 1.035 (32), 1.7 % refused; before
    # a refused probe gave its slot back and the probe's first step narrowed: 1.046,
    # 1.053; with a probe every 4 s (RECOVER 48, RECOVER_TIME 4): 1.057, 1.063, 2.7 %.
    assert ratio <= (1.035 if concurrency == 8 else 1.045), ratio
    assert refused <= 0.03, refused


@pytest.mark.slow
def test_a_long_runs_peak_settles_close_to_the_limit() -> None:
    """The first step of a probe past the peak narrows while it is refused: the pace
    settles within a fraction of a percent of the limit (and its travel time), not
    anywhere within the 2 % of a fixed first step."""
    limiter = Limiter(lambda t: 10.0, jitter=0.0005)
    drive(limiter, calls=1000, concurrency=8)
    accepted = [t for t, status in limiter.log if status == 200]
    gaps = [later - earlier for earlier, later in itertools.pairwise(accepted)]
    median = statistics.median(gaps[len(gaps) // 2 :])
    assert median <= 1.012 / 10.0, median  # measured: 0.1010 s (before: 0.1019 s)


def test_a_refused_probe_costs_a_limiter_that_does_not_count_it_no_slot() -> None:
    """nginx's ``limit_req`` does not count what it refuses: after a bare 429 on a
    probe (or near the peak), the next release takes the refused one's slot instead of
    leaving it empty. Between the successes around each such 429: 1.03/rate, at the
    pace after it (before: 2.04/rate, one slot lost per probe)."""
    limiter = Limiter(lambda t: 10.0, jitter=0.0005)
    drive(limiter, calls=400, concurrency=8)
    accepted = [t for t, status in limiter.log if status == 200]
    refused = [t for t, status in limiter.log if status == 429 and t > 3.0]
    assert refused  # probes past the peak
    for moment in refused:
        after = bisect.bisect(accepted, moment)
        assert accepted[after] - accepted[after - 1] <= 1.06 / 10.0, moment


@pytest.mark.slow
def test_burst_credit_is_not_taken_for_a_faster_rate() -> None:
    """nginx's ``limit_req rate=10r/s burst=20 nodelay`` (a bare 429): its credit lets a
    faster pace work for a while. The gate took that pace for the limit (about 145/s)
    and kept it, held back only by its own bare-429 holds: two refusals a second, 60 of
    1,060 requests. A 429 now takes a pace no faster than the last second's successes
    when they were fewer than half of it: 29 of 1,029."""
    limiter = Limiter(lambda t: 10.0, burst=20, jitter=0.0005)
    run = drive(limiter, calls=1000, concurrency=8)
    assert run.raised == []
    assert run.wall <= 1.02 * (1000 - 21) / 10.0  # measured: 1.001x (before: 1.000x)
    assert limiter.refused() <= 0.04 * len(limiter.log)


@pytest.mark.parametrize(
    ("concurrency", "seed"),
    [
        (32, 0),
        pytest.param(32, 1, marks=pytest.mark.slow),
        pytest.param(8, 1, marks=pytest.mark.slow),
    ],
)
def test_a_limiter_that_counts_refusals_in_a_sliding_second(concurrency: int, seed: int) -> None:
    """HAProxy's stick-table limit (10/s, refused requests counted, a bare 429), 200
    calls. A 429 while pacing skips one release; the next, refused too since the first
    counted, used to close the gate for the second step of the back-off (1 s): 1.61x
    the minimum and 29 refused at concurrency 32. The back-off then started with it
    (0.5 s): 1.42x (32, seed 0), 1.50x (8, seed 1). The peak then fell only 3 % per
    such pair, from a first estimate counted before the burst's last answers came (7
    of 10): 7-8 r/s for 8 s at a time. Now the burst's late answers count, and a pair
    sets the peak at the pace refused: 1.27x. (Real HAProxy: the Performance page.)"""
    limiter = Sliding(10, jitter=0.0005, seed=seed)
    run = drive(limiter, calls=200, concurrency=concurrency)
    assert run.raised == []
    assert run.wall <= 1.3 * 19.9
    assert limiter.refused() <= 0.07 * len(limiter.log)  # measured: 4.3-5.7 %


def test_a_bursts_late_answers_revise_the_first_estimate() -> None:
    """A slow start's burst: 6 successes had come back when its first 429 did (the
    first estimate: 6 a second); 2 more of the same burst come back after it. The
    pace counts them: 8 a second (HAProxy let 10 through where 7 had come back)."""
    gate = Gate()
    for _ in range(6):
        gate.passed("h", 0.0, -0.125)
    gate.hold("h", 0.0, None, sent_at=0.0, rate=None, closure=THROTTLED)
    bucket = gate._buckets["h"]  # (while the gate is closed, spacing() is its window)
    first = bucket.base
    gate.passed("h", 0.01, -0.125)
    gate.passed("h", 0.02, -0.125)
    assert bucket.base == pytest.approx(first * 6 / 8)
    gate.passed("h", 1.0, 0.9)  # a success at the pace: the estimate is the pace's now
    paced = bucket.base
    gate.passed("h", 1.01, -0.125)
    assert bucket.base == paced


def test_a_bursts_late_answers_leave_a_reported_rate_alone() -> None:
    """The service reported its rate after the first estimate: late answers of the
    burst say nothing against it (they used to make the pace faster with each)."""
    gate = Gate()
    for _ in range(6):
        gate.passed("h", 0.0, -0.125)
    gate.hold("h", 0.0, None, sent_at=0.0, rate=None, closure=THROTTLED)
    gate.hold("h", 0.1, 1.0, sent_at=0.05, rate=0.25, closure=THROTTLED)  # a report
    for _ in range(3):
        gate.passed("h", 0.2, -0.125)
    assert gate._buckets["h"].base == 0.25


def _paced(gate: Gate) -> float:
    """A learned pace of 10/s, 40 releases at it, each a success; the time after."""
    for _ in range(10):
        gate.passed("h", 0.0, -0.01)
    gate.hold("h", 0.0, None, sent_at=0.0, rate=None, closure=THROTTLED)
    now = 1.0
    for _ in range(40):
        now = _released(gate, now)
        gate.passed("h", now + 0.001, now)
    return now


def _released(gate: Gate, now: float) -> float:
    """When a caller arriving at ``now`` is let go."""
    verdict = gate.admit("h", now, None, NEVER)
    while verdict.wait:
        now += verdict.wait
        verdict = gate.admit("h", now, verdict.ticket, NEVER)
    return now


@pytest.mark.parametrize("lull", [0.0, 0.8])
def test_a_paced_429_refused_again_sets_the_peak_at_the_pace_refused(lull: float) -> None:
    """A 429 while pacing only skips a release (nginx: the pace was a little fast);
    when the next release is refused too, the pace was too fast or the limiter counts
    refusals (HAProxy): the peak goes to the pace refused, not 3 % slower than the
    peak each time (which took four such pairs to come back to the limit). After a
    lull (shorter than the pace lingers) the last second saw 1 or 2 successes: too few
    to count (an outage begins with such a pair too), so not one call a second either."""
    gate = Gate()
    now = _paced(gate) + lull
    before = gate.spacing("h")
    assert before is not None
    spacings = []
    for _ in range(2):  # the next release, refused; and the one after it, refused too
        now = _released(gate, now)
        gate.hold("h", now + 0.001, None, sent_at=now, rate=None, closure=THROTTLED)
        spacings.append(gate._buckets["h"].base)  # (spacing() is the window while closed)
    gate.passed("h", now + 0.6, now + 0.55)  # the gate's window over, one goes through
    after = gate.spacing("h")
    assert after is not None
    assert gate._buckets["h"].peak >= spacings[0] - 1e-9  # the peak is the pace refused...
    assert after <= 1.5 * before  # ...or the last second's successes (not 1 or 2 of them)


class Overloaded(httpx.AsyncBaseTransport):
    """503 without Retry-After (a queue that times out) until ``until``, then 200."""

    def __init__(self, until: float) -> None:
        self.until = until
        self.log: list[tuple[float, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        now = trio.current_time()
        status = 503 if now < self.until else 200
        self.log.append((now, status))
        if status == 503:
            return httpx.Response(503)
        return httpx.Response(200, json={"members": {}}, headers={"ETag": '"e"'})


def test_no_call_raises_while_its_deadline_allows() -> None:
    """Issue 22's item 6: 503 overload without Retry-After for 20 s of a call's 30 s
    deadline, concurrency 32. With 5 attempts, calls raised after about 6 s of
    back-off; the default now lets the deadline bound them, about 10 attempts each."""
    server = Overloaded(until=20.0)
    run = drive(server, calls=32, concurrency=32)  # type: ignore[arg-type]
    assert run.raised == []
    assert len(server.log) <= 32 * 10


def test_a_slot_is_given_back_only_when_no_release_came_after_the_refused_one() -> None:
    """With several calls in flight a 429 comes back after later releases went: giving
    its slot back then would put the next release right after the last one (0.05 s
    after it here, at a pace of 1 s: refused by a limiter that does not count
    refusals either)."""
    gate, key = Gate(), "k"

    def release(now: float) -> None:
        assert gate.admit(key, now, None, NEVER) == Verdict(0.0)

    def refused(now: float, sent_at: float) -> None:
        gate.hold(key, now, None, sent_at=sent_at, rate=None, closure=THROTTLED)

    gate.passed(key, 0.0, -0.125)
    refused(0.0, 0.0)  # a learned pace: 1 s, after the bare hold
    release(0.5)
    gate.passed(key, 0.5, 0.5)
    release(1.0)
    refused(1.0, 1.0)  # the peak: 1 s; its slot given back
    release(1.5)
    gate.passed(key, 1.5, 1.5)  # the first step past the peak: 0.98 s
    release(2.48)
    release(3.46)  # the next went before the answer to the first came
    refused(3.47, sent_at=2.48)
    wait = gate.admit(key, 3.47, None, NEVER).wait
    assert 3.47 + wait >= 3.46 + gate.spacing(key) - 1e-9, wait  # before: 0.04 s
