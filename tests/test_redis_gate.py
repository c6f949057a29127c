"""``RedisGate`` against a real ``redis-server`` (started here on 127.0.0.1 and a free
port, no persistence; skipped when it is not installed: ``apt-get install
redis-server``, which ``.ci/run`` does).

- the same decisions as the in-process gate, step by step (a property test);
- clients sharing it wait for one window, whichever of them was given it, and only
  clients of the same identity do; ``throttle="fail"``/``"off"``, deadlines and
  cancellation behave as with the in-process gate;
- several processes (real time, short windows) wait for one window and keep to one pace;
- Redis killed, silent, or answering errors: every call goes on, in the process, one
  WARNING, and the gate is back on Redis once it answers;
- keys expire with the window they describe, and no key or value holds a credential.

Processes do not share a fake clock: the multi-process tests run on real time, with
windows of 0.3 s. Everything else shares one ``FakeClock`` between the clients and the
gate (``RedisGate(clock=...)``), and never sleeps.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
import respx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sessionclient as sc
from sessionclient import _gate, _redis
from sessionclient._gate import Closure, Gate, Ticket, Verdict
from sessionclient.emulator import DEFAULT_SCID, Emulator, Fault, Throttle

from .conftest import AUTH, BASE, REF, TOKEN, Both, FakeClock, MakeClient, Runner
from .redis_server import REDIS_SERVER, RedisServer

redis = pytest.importorskip("redis")

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed (apt-get install redis-server)"
)

NEVER = sc.RetryPolicy.never()
USERHASH = "2533274790395904"


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    """One server for the module; each test keeps to a namespace of its own."""
    running = RedisServer().start()
    yield running
    running.stop()


@pytest.fixture
def namespace() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def store(server: RedisServer) -> Iterator[Any]:
    """A plain Redis client, to look at what the gate left."""
    client = redis.Redis.from_url(server.url)
    yield client
    client.close()


@pytest.fixture
def gate(server: RedisServer, namespace: str, clock: FakeClock) -> Iterator[sc.RedisGate]:
    """A gate on the module's server, on the test's fake clock."""
    shared = sc.RedisGate.from_url(server.url, namespace=namespace, clock=clock)
    yield shared
    shared.close()


def keys(store: Any, namespace: str) -> list[bytes]:
    return sorted(store.keys(f"{namespace}:*"))


def answers(*responses: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    """A respx side effect: the given responses in turn, then 204 (no such session)."""
    pending = list(responses)

    def answer(request: httpx.Request) -> httpx.Response:
        return pending.pop(0) if pending else httpx.Response(204)

    return answer


THROTTLED = httpx.Response(429, headers={"Retry-After": "20"}, json={"message": "slow down"})


# --- the same decisions as the in-process gate ---------------------------------------

CLOSURES = {
    429: Closure(sc.TooManyRequestsError, 429, "GET", BASE + "/a"),
    503: Closure(sc.ServiceUnavailableError, 503, "PUT", BASE + "/b"),
}
EIGHTHS = st.integers(0, 16).map(lambda n: n / 8)  # exact in binary: no rounding apart
STEPS = st.integers(0, 8).map(lambda n: n / 32)  # within a pace: releases, tested or late
ADVANCE = st.tuples(st.just("advance"), EIGHTHS | STEPS)
AGAIN = st.tuples(st.just("again"), st.integers(0, 15))  # a waiter wakes
PASSED = st.tuples(st.just("passed"), EIGHTHS | STEPS, st.integers(1, 6))  # ago, how many
DUE = st.tuples(st.just("due"), STEPS)  # to the next release, and that much late
OPERATIONS = st.lists(
    st.one_of(  # repeated: drawn more often (time passes, waiters wake, calls succeed)
        ADVANCE,
        ADVANCE,
        st.tuples(  # a caller arrives, with a deadline, having first asked that long ago
            st.just("admit"),
            st.none() | st.integers(0, 80).map(lambda n: n / 8),
            st.none() | EIGHTHS,
        ),
        AGAIN,
        AGAIN,
        AGAIN,
        st.tuples(st.just("give_back"), st.integers(0, 15)),
        PASSED,
        PASSED,
        DUE,
        DUE,
        st.tuples(
            st.just("hold"),
            st.none() | st.integers(1, 24).map(lambda n: n / 8),  # retry_after, or none
            st.sampled_from([None, None, 0.25, 0.5, 2.0]),  # reported rate
            st.sampled_from([429, 429, 503]),
            EIGHTHS | STEPS,  # sent that long ago
            st.sampled_from([None, 1.0]),  # cap
        ),
        st.tuples(st.just("window")),
    ),
    min_size=20,
    max_size=100,
)

PROBING = [  # a pace learned from bare 429s, and the first step past its peak (issue 22)
    ("passed", 0.125, 1),
    ("hold", None, None, 429, 0.0, None),
    ("due", 0.0),
    ("passed", 0.0, 1),
    ("due", 0.0),
    ("hold", None, None, 429, 0.0, None),  # ends the slow start: a probe refused
    ("due", 0.0),  # in the refused one's slot
    ("passed", 0.0, 1),  # the peak holds: the first step past it, 2 %
]


UNEXPIRING = _redis._SCRIPT.replace(
    "local ms = math.max(math.ceil((horizon - now) * 1000), 1)",
    "local ms = math.max(math.ceil((horizon - now) * 1000), 1) + 600000",
)
assert UNEXPIRING != _redis._SCRIPT


def _forget_if_lapsed(gate: Gate, key: str, now: float) -> None:
    """The in-process gate forgets a bucket nobody needed for ``linger`` at its next
    ``admit``; Redis forgets it at that moment (its keys expire). Forget it here too,
    so that what comes after (a late 429, a success) meets the same state."""
    bucket = gate._buckets.get(key)
    if bucket is not None and not bucket.queue:
        start = max(bucket.until, bucket.last + bucket.spacing)
        if now >= start + bucket.linger:
            del gate._buckets[key]


def _same(local: Verdict, shared: Verdict) -> None:
    assert local.refused == shared.refused
    assert (local.ticket is None) == (shared.ticket is None)
    assert shared.wait == pytest.approx(local.wait, abs=1e-9)


@pytest.mark.slow  # 150 sequences against a real redis-server
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations=OPERATIONS)
@example(  # CI found it: a caller at its deadline, its slot already past (refused, 0 s)
    operations=[
        ("hold", None, None, 429, 0.0, None),
        ("admit", None, None),
        ("advance", 1.625),
        ("admit", 0.0, None),
        ("again", 0),
        ("again", 0),
    ]
)
@example(  # issue 22: a burst's late answers revise the first estimate; then a cascade
    operations=[
        ("passed", 0.125, 6),
        ("hold", None, None, 429, 0.0, None),  # the first estimate: 6 successes
        ("passed", 0.125, 2),  # two more of the burst, answered after its 429
        ("advance", 0.5),
        ("admit", None, None),
        ("passed", 0.0, 1),
        ("advance", 0.125),
        ("hold", None, None, 429, 0.0, None),  # a paced 429: one release skipped
        ("advance", 0.03125),
        ("hold", None, None, 429, 0.0, None),  # the next refused too: the peak is set
        ("advance", 0.5),
        ("passed", 0.0, 1),  # the window over: the pace shows (closed, it is the window)
        ("hold", 1.0, 0.25, 429, 0.0, None),  # a report: late answers no longer count
        ("passed", 1.0, 3),
    ]
)
@example(  # issue 22: three 429s without a success (an outage) restore the peak before it
    operations=[
        ("passed", 0.125, 6),
        ("hold", None, None, 429, 0.0, None),
        ("advance", 0.5),
        ("admit", None, None),
        ("passed", 0.0, 1),
        ("advance", 0.125),
        ("hold", None, None, 429, 0.0, None),
        ("advance", 1.0),
        ("hold", None, None, 429, 0.0, None),
        ("advance", 1.0),
        ("hold", None, None, 429, 0.0, None),
        ("advance", 2.0),
        ("passed", 0.0, 1),
    ]
)
@example(  # issue 22: a bare 429 on a probe gives its slot back, and halves the next
    operations=[  # probe's first step; refused again at once, the limiter counts refusals
        *PROBING,
        ("due", 0.0),
        ("hold", None, None, 429, 0.0, None),  # refused: the next first step is 1 %
        ("due", 0.0),
        ("hold", None, None, 429, 0.0, None),  # refused again at once: it counts
        *[("due", 0.0), ("passed", 0.0, 1)] * 10,  # climbs back, probes by 1 %, then 8 %
        ("due", 0.0),
        ("hold", None, None, 429, 0.0, None),  # past the first step: it doubles back
        *[("due", 0.0), ("passed", 0.0, 1)] * 9,  # to the next first step: 2 %
    ]
)
@example(  # issue 22: refused bare late in the climb (near the peak): its slot too
    operations=[
        *PROBING,
        ("due", 0.0),
        ("hold", None, None, 429, 0.0, None),  # refused: the climb back begins
        *[("due", 0.0), ("passed", 0.0, 1)] * 5,  # past its half
        ("due", 0.0),
        ("hold", None, None, 429, 0.0, None),
        ("due", 0.0),
        ("passed", 0.0, 1),
    ]
)
@example(  # issue 22: no slot given back when a release went after the refused one
    operations=[
        *PROBING,
        ("due", 0.0),
        ("due", 0.0),  # the next release goes before the first one's answer
        ("advance", 0.03125),
        ("hold", None, None, 429, 1.0, None),  # the first one's 429
        ("advance", 0.0625),
        ("admit", None, None),  # waits a pace after the last release
    ]
)
def test_redis_decides_as_the_in_process_gate(
    server: RedisServer, operations: list[tuple[Any, ...]]
) -> None:
    clock = FakeClock()
    # Redis expires keys in real time, this clock is fake: a bucket a few fake ms from
    # its end must not vanish because the machine took those ms for real (a flake).
    original_script, _redis._SCRIPT = _redis._SCRIPT, UNEXPIRING
    shared = sc.RedisGate.from_url(server.url, namespace=f"p-{uuid.uuid4().hex}", clock=clock)
    _redis._SCRIPT = original_script
    local = Gate()
    key = "sessiondirectory.example#0123456789abcdef"
    waiters: list[tuple[Ticket, Ticket, float]] = []  # (local ticket, shared ticket, deadline)
    original_lease = _redis.LEASE
    _redis.LEASE = 1e9  # these waiters may take their time: none of them died
    # The fleet's rules only: a slow start is each process's own (test_gate_start.py).
    original_start, _gate.START = _gate.START, 1 << 30
    try:
        for operation in operations:
            now = clock()
            _forget_if_lapsed(local, key, now)
            what = operation[0]

            def admit(
                waiter: int | None, deadline: float = math.inf, ago: float | None = None
            ) -> None:
                """A caller arrives (``waiter`` None; a throttled one first asked ``ago``
                seconds before), or that waiter wakes."""
                mine_ticket = their_ticket = None
                if waiter is not None:
                    mine_ticket, their_ticket, deadline = waiters.pop(waiter)
                arrived = None if ago is None else clock() - ago
                mine = local.admit(key, clock(), mine_ticket, deadline, arrived)
                theirs = shared.admit(key, clock(), their_ticket, deadline, arrived)
                _same(mine, theirs)
                if mine.ticket is not None and theirs.ticket is not None:
                    waiters.append((mine.ticket, theirs.ticket, deadline))

            if what == "advance":
                clock.now += operation[1]
            elif what == "due" and key in local._buckets:
                # The next release comes (that much late): the oldest waiter wakes for
                # it, or a caller arrives.
                bucket = local._buckets[key]
                start = max(bucket.until, bucket.last + bucket.spacing)
                clock.now = max(now, start + operation[1])
                admit(0 if waiters else None)
            elif what == "admit":
                admit(None, math.inf if operation[1] is None else now + operation[1], operation[2])
            elif what == "again" and waiters:
                admit(operation[1] % len(waiters))
            elif what == "give_back" and waiters:
                mine_ticket, their_ticket, _ = waiters.pop(operation[1] % len(waiters))
                local.give_back(mine_ticket)
                shared.give_back(their_ticket)
            elif what == "passed":
                for _ in range(operation[2]):
                    local.passed(key, now, now - operation[1])
                    shared.passed(key, now, now - operation[1])
            elif what == "hold":
                _, retry_after, rate, status, ago, cap = operation
                for gate in (local, shared):
                    gate.hold(
                        key, now, retry_after, sent_at=now - ago, rate=rate,
                        closure=CLOSURES[status], cap=cap,
                    )  # fmt: skip
            now = clock()
            mine_window, their_window = local.window(key, now), shared.window(key, now)
            assert (mine_window is None) == (their_window is None)
            if mine_window is not None and their_window is not None:
                assert their_window[0] == pytest.approx(mine_window[0], abs=1e-9)
                assert their_window[1] == mine_window[1]
            _forget_if_lapsed(local, key, now)
            assert shared.spacing(key) == pytest.approx(local.spacing(key), abs=1e-9)
            assert shared.closure(key) == local.closure(key)
            # A script that fails is decided in the process: the same answers, so say it.
            assert shared._down_until is None, "the script failed; RedisGate fell back"
    finally:
        _redis.LEASE = original_lease
        _gate.START = original_start
        shared.close()


# --- clients sharing it, in one process -----------------------------------------------


def test_clients_sharing_it_wait_for_a_window_another_was_given(
    make_client: MakeClient, router: respx.Router, gate: sc.RedisGate, clock: FakeClock
) -> None:
    route = router.get(REF.path)
    route.side_effect = answers(THROTTLED)
    first = make_client(httpx.MockTransport(router.handler), gate=gate, retry=NEVER)
    with pytest.raises(sc.TooManyRequestsError):
        first.get(REF)
    throttled_at = clock.now
    # Another client, another token of the same user: it waits for the same window.
    other = sc.XBLToken(USERHASH, "another-token")
    second = make_client(httpx.MockTransport(router.handler), gate=gate, auth=other)
    assert second.get(REF) is None
    assert route.call_count == 2
    assert clock.now - throttled_at == pytest.approx(20, abs=0.01)  # waited, in no time


def test_only_clients_of_the_same_identity_share_a_window(
    make_client: MakeClient, router: respx.Router, gate: sc.RedisGate, clock: FakeClock
) -> None:
    route = router.get(REF.path)
    route.side_effect = answers(THROTTLED)
    first = make_client(httpx.MockTransport(router.handler), gate=gate, retry=NEVER)
    with pytest.raises(sc.TooManyRequestsError):
        first.get(REF)
    someone_else = make_client(
        httpx.MockTransport(router.handler), gate=gate, auth=sc.XBLToken("1001", TOKEN)
    )
    assert someone_else.get(REF) is None
    assert clock.sleeps == []  # not held by another user's window


def test_throttle_fail_and_off_read_the_shared_window(
    make_client: MakeClient, router: respx.Router, gate: sc.RedisGate, clock: FakeClock
) -> None:
    route = router.get(REF.path)
    route.side_effect = answers(THROTTLED)
    first = make_client(httpx.MockTransport(router.handler), gate=gate, retry=NEVER)
    with pytest.raises(sc.TooManyRequestsError):
        first.get(REF)
    failing = make_client(
        httpx.MockTransport(router.handler), gate=gate, retry=sc.RetryPolicy(throttle="fail")
    )
    with pytest.raises(sc.TooManyRequestsError) as raised:
        failing.get(REF)
    assert raised.value.retry_after == pytest.approx(20)
    assert f"429 on GET {BASE}{REF.path}" in str(raised.value)  # what closed it, elsewhere
    assert route.call_count == 1  # nothing sent
    ignoring = make_client(
        httpx.MockTransport(router.handler), gate=gate, retry=sc.RetryPolicy(throttle="off")
    )
    assert ignoring.get(REF) is None
    assert route.call_count == 2
    assert clock.sleeps == []


def test_a_wait_past_the_deadline_is_refused_at_once(
    make_client: MakeClient, router: respx.Router, gate: sc.RedisGate, clock: FakeClock
) -> None:
    route = router.get(REF.path)
    route.side_effect = answers(
        httpx.Response(
            429,
            headers={"Retry-After": "20"},
            json={"maxRequests": 30, "periodInSeconds": 15, "currentRequests": 31},
        )
    )
    first = make_client(httpx.MockTransport(router.handler), gate=gate, retry=NEVER)
    with pytest.raises(sc.TooManyRequestsError):
        first.get(REF)
    hurried = make_client(
        httpx.MockTransport(router.handler), gate=gate, retry=sc.RetryPolicy(deadline=5)
    )
    with pytest.raises(sc.TooManyRequestsError) as raised:
        hurried.get(REF)
    assert "past the call's deadline" in str(raised.value)
    assert route.call_count == 1
    assert clock.sleeps == []
    assert gate.spacing(first.client._settings.bucket) == pytest.approx(0.5 * 1.02)


@pytest.mark.parametrize("kind", ["asyncio", "trio"])
def test_a_cancelled_waiter_leaves_the_shared_queue(
    loop: Runner,
    router: respx.Router,
    gate: sc.RedisGate,
    clock: FakeClock,
    store: Any,
    namespace: str,
) -> None:
    router.get(REF.path).side_effect = answers(THROTTLED)

    async def scenario() -> tuple[int, int]:
        parked = anyio.Event()

        async def park(seconds: float) -> None:
            parked.set()
            await anyio.sleep_forever()

        transport = httpx.MockTransport(router.handler)
        async with (
            sc.AsyncSessionClient(
                BASE, auth=AUTH, transport=transport, clock=clock, gate=gate, retry=NEVER
            ) as first,
            sc.AsyncSessionClient(
                BASE, auth=AUTH, transport=transport, clock=clock, gate=gate, sleep=park
            ) as waiting,
        ):
            with pytest.raises(sc.TooManyRequestsError):
                await first.get(REF)
            queue = f"{namespace}:{{{waiting._settings.bucket}}}:q"
            async with anyio.create_task_group() as group:
                group.start_soon(waiting.get, REF)
                await parked.wait()
                queued = int(store.zcard(queue))
                group.cancel_scope.cancel()
            return queued, int(store.zcard(queue))

    assert loop.run_until_complete(scenario()) == (1, 0)


# --- several processes -----------------------------------------------------------------


def _worker(
    url: str,
    redis_url: str | None,
    namespace: str,
    index: int,
    calls: int,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    """One process of the fleet: its own client and gate (per-process when
    ``redis_url`` is None), ``calls`` GETs in a row once ``go`` is set; reports how
    many succeeded, how many raised, and when it finished (wall clock)."""
    gate = None if redis_url is None else sc.RedisGate.from_url(redis_url, namespace=namespace)
    auth = sc.XBLToken(USERHASH, f"worker-{index}-token")
    done = raised = 0
    with sc.SessionClient(url, auth=auth, gate=gate) as client:
        ready.wait()
        go.wait()
        for _ in range(calls):
            try:
                client.get(sc.SessionRef(DEFAULT_SCID, "lobby", "fleet"))
                done += 1
            except sc.SessionClientError:
                raised += 1
    results.put((done, raised, time.time()))


def _fleet(
    url: str, redis_url: str | None, namespace: str, processes: int, calls: int
) -> tuple[Callable[[], list[tuple[int, int, float]]], Any]:
    """Start ``processes`` workers and return (a function that sets them off and
    collects their results, the event that sets them off)."""
    context = multiprocessing.get_context("spawn")  # no fork of a threaded process
    ready, go, results = context.Barrier(processes + 1), context.Event(), context.Queue()
    workers = [
        context.Process(
            target=_worker,
            args=(url, redis_url, namespace, index, calls, ready, go, results),
        )
        for index in range(processes)
    ]
    for worker in workers:
        worker.start()
    ready.wait(timeout=60)

    def collect() -> list[tuple[int, int, float]]:
        gathered = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
        return gathered

    return collect, go


def test_processes_wait_for_a_window_one_of_them_was_given(
    server: RedisServer, namespace: str
) -> None:
    emulator = Emulator(time_scale=0.01, throttle=Throttle(enabled=False))
    with emulator.serve() as url:
        collect, go = _fleet(url, server.url, namespace, processes=3, calls=1)
        gate = sc.RedisGate.from_url(server.url, namespace=namespace)
        emulator.inject(Fault.status(429, retry_after=30))  # Retry-After: 0.3 (scaled)
        client = sc.SessionClient(url, auth=sc.XBLToken(USERHASH, "t"), gate=gate)
        with client, pytest.raises(sc.TooManyRequestsError):
            client.get(sc.SessionRef(DEFAULT_SCID, "lobby", "fleet"), retry=NEVER)
        throttled_at = time.time()
        go.set()
        results = collect()
        gate.close()
    assert [request.status for request in emulator.requests].count(429) == 1
    assert [(done, raised) for done, raised, _ in results] == [(1, 0)] * 3
    # None of them sent before the window ended (the same machine's wall clock).
    assert min(finished for *_, finished in results) >= throttled_at + 0.3 - 0.05


@pytest.mark.slow
def test_a_fleet_keeps_to_one_pace(server: RedisServer, namespace: str) -> None:
    """Three processes, six calls each, against 3 calls per 0.3 s: with per-process
    gates each learns alone (about three times the 429s); with RedisGate the fleet
    waits once, then keeps to the rate the service reported."""
    processes, calls = 3, 6
    throttled, raised = {}, {}
    for case, redis_url in (("per-process", None), ("redis", server.url)):
        emulator = Emulator(
            time_scale=0.02,
            throttle=Throttle(burst_limit=3, burst_window=15.0, sustain_limit=10**6),
        )
        with emulator.serve() as url:
            collect, go = _fleet(url, redis_url, namespace + case, processes, calls)
            go.set()
            results = collect()
        raised[case] = sum(failed for _, failed, _ in results)
        assert sum(done for done, _, _ in results) + raised[case] == processes * calls
        throttled[case] = [request.status for request in emulator.requests].count(429)
    assert raised["redis"] == 0
    assert throttled["redis"] <= processes + 2, throttled  # the first burst only
    assert throttled["redis"] < throttled["per-process"], throttled


# --- Redis away -------------------------------------------------------------------------


def test_a_process_that_loses_redis_keeps_working(
    router: respx.Router, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    own = RedisServer().start()
    try:
        gate = sc.RedisGate.from_url(own.url, namespace="lost", clock=clock, cooloff=100)
        route = router.get(REF.path)
        route.side_effect = answers(THROTTLED)
        transport = httpx.MockTransport(router.handler)
        client = sc.SessionClient(
            BASE, auth=AUTH, transport=transport, clock=clock, sleep=clock.sleep, gate=gate
        )
        with pytest.raises(sc.TooManyRequestsError):
            client.get(REF, retry=NEVER)
        own.kill()
        caplog.set_level(logging.WARNING, logger="sessionclient")
        # The window this process was given still holds, from the in-process gate.
        assert client.get(REF) is None
        assert len(clock.sleeps) == 1
        assert 20 <= clock.sleeps[0] < 21
        for _ in range(5):
            assert client.get(REF) is None
        lost = [r for r in caplog.records if "failed" in r.getMessage()]
        assert len(lost) == 1
        assert lost[0].levelno == logging.WARNING
        assert "127.0.0.1" in lost[0].getMessage()

        own.start()  # an empty Redis on the same port
        store = redis.Redis.from_url(own.url)
        client.get(REF)
        assert store.keys("*") == []  # within the cool-off: not tried yet
        clock.now += 100
        client.get(REF)
        assert store.keys("lost:*") != []  # back on Redis
        assert any("answers again" in r.getMessage() for r in caplog.records)
        client.close()
        store.close()
        gate.close()
    finally:
        own.stop()


def test_a_silent_redis_costs_one_budget_then_nothing(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        gate = sc.RedisGate.from_url(f"redis://127.0.0.1:{port}/0", budget=0.05, clock=clock)
        started = time.perf_counter()
        assert gate.admit("k", 0.0, None, math.inf).wait == 0.0
        first = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(100):
            gate.admit("k", 0.0, None, math.inf)
        then = time.perf_counter() - started
        gate.close()
    assert 0.05 <= first < 0.5  # one budget (a connect, then a read that times out)
    assert then < 0.05  # in the cool-off, Redis is not even tried
    assert len(caplog.records) == 1
    assert "TimeoutError" in caplog.records[0].getMessage()


def test_a_redis_error_never_reaches_the_caller(
    make_client: MakeClient,
    router: respx.Router,
    gate: sc.RedisGate,
    store: Any,
    namespace: str,
    clock: FakeClock,
) -> None:
    route = router.get(REF.path)
    route.side_effect = answers(THROTTLED)
    client = make_client(httpx.MockTransport(router.handler), gate=gate)
    bucket = client.client._settings.bucket
    store.set(f"{namespace}:{{{bucket}}}:g", "not a hash")  # WRONGTYPE for every script
    assert client.get(REF) is None  # 429, 20 s in the in-process gate, then 204
    assert route.call_count == 2
    assert 20 <= clock.sleeps[0] < 21


# --- what Redis keeps ---------------------------------------------------------------------


def test_keys_expire_with_the_window_they_describe(
    gate: sc.RedisGate, clock: FakeClock, store: Any, namespace: str
) -> None:
    closure = CLOSURES[429]
    gate.passed("k", clock(), clock() - 0.1)
    gate.hold("k", clock(), 0.3, sent_at=clock() - 0.1, rate=0.25, closure=closure)
    ttl = {key.rsplit(b":", 1)[1]: store.pttl(key) for key in keys(store, namespace)}
    # The window (0.3 s) and its linger (at least 1 s), not longer.
    assert 1000 < ttl[b"g"] <= 1300
    assert ttl[b"r"] <= _redis.RECENT * 1000  # recent successes: MPSD's longest window
    waiting = gate.admit("k", clock(), None, math.inf)
    assert waiting.ticket is not None
    # Lapsed: after the window, its linger, and the waiter's lease, nothing is left.
    clock.now += 0.3 + 1.0 + waiting.wait + _redis.LEASE
    assert gate.admit("k", clock(), None, math.inf) == Verdict(0.0)
    assert [k for k in keys(store, namespace) if not k.endswith(b":r")] == []


def test_no_key_or_value_holds_a_credential(
    router: respx.Router, clock: FakeClock, store: Any, namespace: str, gate: sc.RedisGate
) -> None:
    bearer = "Bearer sk-live-0123456789abcdef"
    router.get(REF.path).side_effect = answers(THROTTLED)
    router.get("/things/1").side_effect = answers(
        httpx.Response(503, headers={"Retry-After": "3"}, text="busy")
    )
    transport = httpx.MockTransport(router.handler)
    session = sc.SessionClient(
        BASE, auth=AUTH, transport=transport, clock=clock, sleep=clock.sleep, gate=gate
    )
    resource = sc.ResourceClient(
        BASE, auth=bearer, transport=transport, clock=clock, sleep=clock.sleep, gate=gate
    )
    with session, resource:
        session.get(REF)
        resource.get("/things/1")
        gate.hold(
            session._settings.bucket, clock(), 5, sent_at=clock(), rate=None,
            closure=CLOSURES[429],
        )  # fmt: skip
        waiting = gate.admit(session._settings.bucket, clock(), None, math.inf)
        assert waiting.ticket is not None  # a queue, and a lease, are kept too
        everything = keys(store, namespace)
        assert {key.rsplit(b":", 1)[1] for key in everything} == {b"g", b"q", b"l", b"r"}
        stored = b"\n".join(everything)
        for key in everything:
            stored += store.dump(key) or b""
            kind = store.type(key)
            if kind == b"hash":
                stored += b"".join(k + v for k, v in store.hgetall(key).items())
            elif kind == b"zset":
                stored += b"".join(store.zrange(key, 0, -1))
            elif kind == b"list":
                stored += b"".join(store.lrange(key, 0, -1))
    for secret in (TOKEN, USERHASH, "sk-live-0123456789abcdef", "XBL3.0"):
        assert secret.encode() not in stored


def test_clients_given_it_share_by_identity_not_by_token(gate: sc.RedisGate) -> None:
    one = sc.SessionClient(BASE, auth=sc.XBLToken(USERHASH, "a"), gate=gate)
    two = sc.SessionClient(BASE, auth=f"XBL3.0 x={USERHASH};b", gate=gate)
    three = sc.SessionClient(BASE, auth=sc.XBLToken("1001", "a"), gate=gate)
    buckets = [client._settings.bucket for client in (one, two, three)]
    assert buckets[0] == buckets[1] != buckets[2]
    assert all(b.startswith("sessiondirectory.example#") for b in buckets)
    assert {len(b) for b in buckets} == {len("sessiondirectory.example#") + 16}
    assert "redis://" in repr(gate) or "127.0.0.1" in repr(gate)


def test_both_kinds_of_client_take_it(make_client: MakeClient, gate: sc.RedisGate) -> None:
    for resource in (False, True):
        client: Both = make_client(gate=gate, resource=resource)
        assert client.client._settings.gate is gate
