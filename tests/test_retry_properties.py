"""Properties of the retry policy over arbitrary outcomes, and the cool-down gate under
concurrency (two threads; fifty asyncio tasks)."""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sessionclient as sc

from .conftest import AUTH, BASE, REF, FakeClock

OUTCOMES = {
    "200": lambda: httpx.Response(200, json={}, headers={"ETag": '"e"'}),
    "429": lambda: httpx.Response(429, headers={"Retry-After": "3"}),
    "429-long": lambda: httpx.Response(429, headers={"Retry-After": "40"}),
    "503": lambda: httpx.Response(503, headers={"Retry-After": "1.5"}),
    "503-bare": lambda: httpx.Response(503),
    "500": lambda: httpx.Response(500),
    "502": lambda: httpx.Response(502),
    "504": lambda: httpx.Response(504),
    "412": lambda: httpx.Response(412),
    "404": lambda: httpx.Response(404),
    "connect": lambda: httpx.ConnectError("refused"),
    "read-timeout": lambda: httpx.ReadTimeout("lost"),
    "reset": lambda: httpx.ReadError("reset"),
}
# Outcomes after which the server may have applied the write.
MAYBE_APPLIED = {"500", "502", "504", "read-timeout", "reset"}  # MPSD: a 503 did nothing

policies = st.builds(
    sc.RetryPolicy,
    max_attempts=st.integers(1, 8),
    deadline=st.none() | st.floats(0.5, 60),
    backoff=st.floats(0.01, 2),
    backoff_max=st.floats(0.1, 10),
    retry_after_max=st.none() | st.floats(0.5, 60),
)


@settings(max_examples=300, deadline=None)
@given(
    policy=policies,
    outcomes=st.lists(st.sampled_from(sorted(OUTCOMES)), min_size=1, max_size=10),
    conditional=st.booleans(),
)
def test_planned_waits_fit_the_deadline_and_unsafe_writes_are_not_resent(
    policy: sc.RetryPolicy, outcomes: list[str], conditional: bool
) -> None:
    clock = FakeClock()
    seen: list[str] = []

    def answer(_: httpx.Request) -> httpx.Response:
        name = outcomes[min(len(seen), len(outcomes) - 1)]
        seen.append(name)
        result = OUTCOMES[name]()
        if isinstance(result, Exception):
            raise result
        return result

    client = sc.SessionClient(
        BASE, auth=AUTH, transport=httpx.MockTransport(answer), retry=policy,
        clock=clock, sleep=clock.sleep,
    )  # fmt: skip
    kwargs: dict[str, Any] = {"if_match": '"e"'} if conditional else {}
    try:
        client.put(REF, {"properties": {}}, **kwargs)
    except sc.SessionClientError as error:
        assert error.attempts == len(seen)
        assert not (isinstance(error, sc.AmbiguousWriteError) and not conditional)
    # Throttled attempts the gate held within a deadline do not count (issue 22).
    held = {"429", "429-long", "503"} if policy.deadline is not None else set()
    assert len([name for name in seen if name not in held]) <= policy.max_attempts
    if policy.deadline is not None:
        assert sum(clock.sleeps) <= policy.deadline
    if not conditional:
        first_risky = next((i for i, n in enumerate(seen) if n in MAYBE_APPLIED), None)
        assert first_risky is None or first_risky == len(seen) - 1


def held_client(clock: FakeClock, sent: list[float], *, asynchronous: bool) -> Any:
    """A client on a fake clock whose service has just asked it to wait 10 s; ``sent``
    records the clock at each request the service receives."""
    answers = iter([httpx.Response(429, headers={"Retry-After": "10"})])
    lock = threading.Lock()

    def answer(_: httpx.Request) -> httpx.Response:
        sent.append(clock())
        return next(answers, httpx.Response(204))

    def sleep(seconds: float) -> None:
        with lock:
            clock.sleep(seconds)

    options: dict[str, Any] = {
        "auth": AUTH, "transport": httpx.MockTransport(answer), "clock": clock,
        "retry": sc.RetryPolicy(max_attempts=1, deadline=None),
    }  # fmt: skip
    if asynchronous:

        async def asleep(seconds: float) -> None:
            sleep(seconds)
            await asyncio.sleep(0)

        return sc.AsyncSessionClient(BASE, sleep=asleep, **options)
    return sc.SessionClient(BASE, sleep=sleep, **options)


def assert_held_then_spread(sent: list[float], count: int) -> None:
    first, *released = sent
    assert len(released) == count
    assert min(released) >= first + 10.0  # nobody goes before the window ends
    gaps = [b - a for a, b in itertools.pairwise(sorted(released))]
    assert all(gap > 0 for gap in gaps)  # one at a time, not all at one instant


def test_two_threads_are_held_and_released_apart() -> None:
    clock, sent = FakeClock(), []
    client = held_client(clock, sent, asynchronous=False)
    with pytest.raises(sc.TooManyRequestsError):
        client.get(REF)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def call() -> None:
        barrier.wait()
        results.append(client.get(REF))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == [None, None]
    assert_held_then_spread(sent, 2)


def test_fifty_tasks_are_held_and_released_apart() -> None:
    clock, sent, tasks = FakeClock(), [], 50

    async def scenario() -> list[object]:
        async with held_client(clock, sent, asynchronous=True) as client:
            with pytest.raises(sc.TooManyRequestsError):
                await client.get(REF)
            return await asyncio.gather(*(client.get(REF) for _ in range(tasks)))

    assert asyncio.run(scenario()) == [None] * tasks
    assert_held_then_spread(sent, tasks)
