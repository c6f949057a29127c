"""Retries: what is retried, how long the client waits, and the deadline, in both
clients, with a fake clock (no test sleeps)."""

from __future__ import annotations

import logging
import random
from typing import Any

import httpx
import pytest
import respx
import tenacity

import sessionclient as sc
from sessionclient._retry import Cause

from .conftest import REF, Both, FakeClock, MakeClient

DOC = {"members": {}}
OK = httpx.Response(200, json=DOC, headers={"ETag": '"v2"'})
NO_SESSION = httpx.Response(204)


def script(router: respx.Router, *outcomes: httpx.Response | Exception) -> respx.Route:
    return router.route().mock(side_effect=list(outcomes))


def throttled(status: int = 429, retry_after: str = "2", **headers: str) -> httpx.Response:
    return httpx.Response(status, headers={"Retry-After": retry_after, **headers})


# --- the policy value ---------------------------------------------------------------


def test_policy_defaults_and_immutability() -> None:
    policy = sc.RetryPolicy()
    assert (policy.max_attempts, policy.deadline, policy.backoff, policy.backoff_max) == (
        10, 30.0, 0.5, 8.0,
    )  # fmt: skip
    assert policy.retry_after_max is None
    assert policy.throttle == "wait"
    with pytest.raises(AttributeError):
        policy.max_attempts = 2  # type: ignore[misc]
    assert policy.evolve(max_attempts=2).max_attempts == 2
    assert sc.RetryPolicy.never().max_attempts == 1


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"deadline": 0}, {"deadline": float("inf")}, {"backoff": -1},
     {"retry_after_max": float("nan")}, {"throttle": "maybe"}],
)  # fmt: skip
def test_policy_validation(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        sc.RetryPolicy(**kwargs)


def _backoff(policy: sc.RetryPolicy, attempt: int, **state: float) -> float:
    decision = policy.decide(
        attempt=attempt, cause=Cause.TRANSIENT, safe=True, retry_after=None, **state
    )
    assert decision.retry
    return decision.wait


@pytest.mark.parametrize("attempt", range(1, 5))
@pytest.mark.parametrize("draw", ["low", "mid", "high"])
def test_backoff_doubles_to_its_cap_and_never_collapses(
    attempt: int, draw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default wait is tenacity's exponential wait with equal jitter: half of each
    step fixed, half drawn by ``wait_random_exponential`` (``random.uniform``)."""
    pick = {"low": lambda a, b: a, "mid": lambda a, b: (a + b) / 2, "high": lambda a, b: b}
    monkeypatch.setattr(random, "uniform", pick[draw])
    policy = sc.RetryPolicy(max_attempts=20)
    step = min(8.0, 0.5 * 2 ** (attempt - 1))
    wait = _backoff(policy, attempt)
    assert wait == {"low": step / 2, "mid": step * 3 / 4, "high": step}[draw]
    assert _backoff(policy, attempt + 6) == {"low": 4.0, "mid": 6.0, "high": 8.0}[draw]


def test_a_tenacity_wait_and_stop_decide_on_the_clients_clock() -> None:
    """``wait=``/``stop=`` are tenacity strategies that really decide: they see the
    attempt number, the error and the time since the call began on the client's clock."""
    seen: list[tuple[int, float, object]] = []

    def wait(state: tenacity.RetryCallState) -> float:
        seen.append((state.attempt_number, state.seconds_since_start or 0.0,
                     state.outcome.exception() if state.outcome else None))  # fmt: skip
        return 0.25

    policy = sc.RetryPolicy(wait=wait, stop=tenacity.stop_after_delay(10))
    error = sc.ServiceUnavailableError("busy", status=503)
    assert _backoff(policy, 3, started=100.0, now=104.0) == 0.25
    assert seen == [(3, 4.0, None)]
    stopped = policy.decide(
        attempt=2, cause=Cause.TRANSIENT, safe=True, retry_after=None, error=error,
        started=100.0, now=110.0,
    )  # fmt: skip
    assert not stopped.retry
    assert "gave up" in stopped.reason


# --- what is retried ----------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_is_retried_for_any_method(
    client: Both, router: respx.Router, clock: FakeClock, status: int
) -> None:
    route = script(router, throttled(status, "2"), OK)
    session = client.put(REF, {"properties": {}})  # unconditional: still safe, nothing was done
    assert isinstance(session, sc.Session)
    assert route.call_count == 2
    assert len(clock.sleeps) == 1
    assert 2.0 < clock.sleeps[0] <= 2.022


@pytest.mark.parametrize("status", [500, 502, 504])
@pytest.mark.parametrize(
    ("op", "args", "kwargs", "retried"),
    [
        ("get", (REF,), {}, True),
        ("delete", (REF,), {}, True),
        ("put", (REF, {}), {"if_match": '"v1"'}, True),
        ("put", (REF, {}), {"if_none_match": sc.ANY}, True),
        ("put", (REF, {}), {}, False),
        ("put", (REF, {}), {"if_match": sc.ANY}, False),
        ("put_element", (REF, "members/me", {}), {}, False),
    ],
)
def test_server_errors_are_retried_only_when_safe(
    client: Both,
    router: respx.Router,
    status: int,
    op: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    retried: bool,
) -> None:
    route = script(router, httpx.Response(status, text="boom"), NO_SESSION)
    if retried:
        assert getattr(client, op)(*args, **kwargs) is None
        assert route.call_count == 2
    else:
        with pytest.raises(sc.ServerError) as caught:
            getattr(client, op)(*args, **kwargs)
        assert caught.value.status == status
        assert route.call_count == 1


@pytest.mark.parametrize(
    ("error", "sent"),
    [
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("slow connect"), False),
        (httpx.ReadTimeout("slow read"), True),
        (httpx.RemoteProtocolError("Server disconnected without sending a response"), True),
        (httpx.ReadError("connection reset by peer"), True),
    ],
)
@pytest.mark.parametrize("conditional", [False, True])
def test_transport_errors(
    client: Both, router: respx.Router, error: Exception, sent: bool, conditional: bool
) -> None:
    route = script(router, error, OK)
    kwargs = {"if_match": '"v1"'} if conditional else {}
    if conditional or not sent:
        assert isinstance(client.put(REF, {}, **kwargs), sc.Session)
        assert route.call_count == 2
    else:
        with pytest.raises(sc.TransportError) as caught:
            client.put(REF, {}, **kwargs)
        assert caught.value.sent is True
        assert isinstance(caught.value.__cause__, type(error))
        assert route.call_count == 1  # an unconditional PUT is never sent twice


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 412, 418])
def test_client_errors_other_than_429_are_not_retried(
    client: Both, router: respx.Router, status: int
) -> None:
    route = script(router, *[httpx.Response(status, text="no")] * 3)
    with pytest.raises(sc.ClientError):
        client.get(REF)
    assert route.call_count == 1


def test_412_after_a_possibly_applied_attempt_is_ambiguous(
    client: Both, router: respx.Router
) -> None:
    current = httpx.Response(
        412, json={"properties": {"custom": {"n": 1}}}, headers={"ETag": '"v3"'}
    )
    route = script(router, httpx.ReadTimeout("lost"), current)
    with pytest.raises(sc.AmbiguousWriteError) as caught:
        client.put(REF, {"properties": {"custom": {"n": 1}}}, if_match='"v2"')
    error = caught.value
    assert route.call_count == 2
    assert error.status == 412
    assert error.session is not None
    assert error.session.custom_properties == {"n": 1}
    assert error.etag == sc.ETag('"v3"')
    assert error.attempts == 2
    assert [a.cause for a in error.history] == ["ReadTimeout", 412]
    assert isinstance(error.__cause__, sc.PreconditionFailedError)


def test_412_after_throttling_is_a_plain_precondition_failure(
    client: Both, router: respx.Router
) -> None:
    script(router, throttled(429, "1"), httpx.Response(412))
    with pytest.raises(sc.PreconditionFailedError):
        client.put(REF, {}, if_none_match=sc.ANY)


# --- Retry-After --------------------------------------------------------------------

DATE = "Sun, 06 Nov 1994 08:49:37 GMT"


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"Retry-After": "3"}, 3.0, 3.0),
        ({"Retry-After": "1.5"}, 1.5, 1.5),
        ({"Retry-After": "Sun, 06 Nov 1994 08:49:41 GMT", "Date": DATE}, 4.0, 4.0),
        ({"Retry-After": "Sunday, 06-Nov-94 08:49:42 GMT", "Date": DATE}, 5.0, 5.0),
        ({"Retry-After": "Sun Nov  6 08:49:43 1994", "Date": DATE}, 6.0, 6.0),
        ({"Retry-After": "Sun, 06 Nov 1994 08:49:40", "Date": DATE}, 3.0, 3.0),  # no zone
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25, 0.25),
        # Repeated, the longest wins: never come back earlier than asked.
        ([("retry-after-ms", "100"), ("retry-after-ms", "5000")], 5.0, 5.0),
        ([("Retry-After", "4"), ("Retry-After", "1")], 4.0, 4.0),
    ],
)
def test_retry_after_forms(
    client: Both,
    router: respx.Router,
    clock: FakeClock,
    headers: dict[str, str] | list[tuple[str, str]],
    low: float,
    high: float,
) -> None:
    script(router, httpx.Response(503, headers=headers), OK)
    client.get(REF)
    [wait] = clock.sleeps
    assert low < wait <= high + 0.001 + min(0.02, high / 10) + 1e-9


@pytest.mark.parametrize(
    "headers",
    [{"Retry-After": "soon"}, {"Retry-After": "1m0s"}, {"Retry-After": "1e3"},
     {"Retry-After": ""}, {"Retry-After": "Wed, 31 Feb 2015 07:28:00 GMT"},
     # no usable wait either: zero, negative, in the past (issue 11: not a storm)
     {"Retry-After": "0"}, {"Retry-After": "-1"}, {"retry-after-ms": "0"},
     {"Retry-After": "Sun, 06 Nov 1994 08:00:00 GMT", "Date": DATE}],
)  # fmt: skip
def test_unusable_retry_after_falls_back_to_backoff(
    client: Both, router: respx.Router, clock: FakeClock, headers: dict[str, str]
) -> None:
    script(router, httpx.Response(503, headers=headers), OK)
    client.get(REF)
    [wait] = clock.sleeps
    assert 0.25 <= wait <= 0.5  # the first back-off step, jittered


@pytest.mark.parametrize(
    ("policy", "retry_after"),
    [
        (sc.RetryPolicy(deadline=10), "11"),
        (sc.RetryPolicy(deadline=60, retry_after_max=5), "6"),
        (sc.RetryPolicy(), "9999999999"),
        (sc.RetryPolicy(), "Fri, 01 Jan 9999 00:00:00 GMT"),
    ],
)
def test_a_wait_beyond_the_budget_raises_at_once(
    client: Both, router: respx.Router, clock: FakeClock, policy: sc.RetryPolicy, retry_after: str
) -> None:
    route = script(router, throttled(429, retry_after), OK)
    with pytest.raises(sc.TooManyRequestsError) as caught:
        client.get(REF, retry=policy)
    assert clock.sleeps == []
    assert route.call_count == 1
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 5


def test_waits_stop_at_the_deadline(client: Both, router: respx.Router, clock: FakeClock) -> None:
    route = script(router, *[throttled(503, "4")] * 10)
    with pytest.raises(sc.ServiceUnavailableError) as caught:
        client.get(REF, retry=sc.RetryPolicy(deadline=10, max_attempts=10))
    assert route.call_count == 3  # waits of ~4 s: a third would end past 10 s
    assert sum(clock.sleeps) <= 10
    assert caught.value.attempts == 3
    assert [a.cause for a in caught.value.history] == [503, 503, 503]
    assert caught.value.history[-1].wait == 0.0


def test_each_attempt_is_bounded_by_the_time_left(
    client: Both, router: respx.Router, clock: FakeClock
) -> None:
    route = script(router, throttled(503, "7"), OK)
    client.get(REF, retry=sc.RetryPolicy(deadline=12))
    first, second = (c.request.extensions["timeout"] for c in route.calls)
    assert first["read"] == 10.0
    assert 4.9 < second["read"] < 5.0  # 12 s deadline - 7 s waited


def test_last_typed_error_after_max_attempts_never_a_retry_error(
    client: Both, router: respx.Router, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sessionclient")
    seen: list[sc.Attempt] = []
    policy = sc.RetryPolicy(max_attempts=3, on_retry=seen.append)
    route = script(router, *[httpx.Response(500, text="boom")] * 5)
    with pytest.raises(sc.InternalServerError) as caught:
        client.get(REF, retry=policy)
    assert not isinstance(caught.value, tenacity.RetryError)
    assert route.call_count == 3
    assert caught.value.attempts == 3
    assert [a.number for a in seen] == [1, 2]
    assert [a.wait for a in seen] == clock.sleeps
    assert "after 3 attempts" in str(caught.value)
    messages = [r.getMessage() for r in caplog.records if r.name == "sessionclient"]
    assert len(messages) == 2
    assert all(m.startswith(f"retrying GET {REF.path} after 500 in ") for m in messages)


def test_the_client_policy_applies_and_a_call_may_override_it(
    make_client: MakeClient, router: respx.Router
) -> None:
    client = make_client(httpx.MockTransport(router.handler), retry=sc.RetryPolicy.never())
    route = script(router, httpx.Response(500), httpx.Response(500), NO_SESSION)
    with pytest.raises(sc.InternalServerError):
        client.get(REF)
    assert client.get(REF, retry=sc.RetryPolicy()) is None
    assert route.call_count == 3


# --- the cool-down gate -------------------------------------------------------------


def test_fail_mode_raises_during_the_window_without_sending(
    make_client: MakeClient, router: respx.Router, clock: FakeClock
) -> None:
    policy = sc.RetryPolicy(max_attempts=1, throttle="fail")
    client = make_client(httpx.MockTransport(router.handler), retry=policy)
    route = script(router, throttled(429, "20"), NO_SESSION)
    with pytest.raises(sc.TooManyRequestsError):
        client.get(REF)
    clock.now += 5
    with pytest.raises(sc.TooManyRequestsError, match="not sent") as caught:
        client.get(REF)
    assert caught.value.retry_after == pytest.approx(15.0)
    assert caught.value.explanation_key == "cooldown"
    assert route.call_count == 1
    clock.now += 15
    assert client.get(REF) is None
    assert route.call_count == 2


def test_wait_mode_holds_calls_until_the_window_ends(
    make_client: MakeClient, router: respx.Router, clock: FakeClock
) -> None:
    client = make_client(httpx.MockTransport(router.handler), retry=sc.RetryPolicy.never())
    sent_at: list[float] = []

    def answer(_: httpx.Request) -> httpx.Response:
        sent_at.append(clock.now)
        return throttled(429, "20") if len(sent_at) == 1 else NO_SESSION

    router.route().mock(side_effect=answer)
    with pytest.raises(sc.TooManyRequestsError):
        client.get(REF)
    assert client.get(REF) is None
    assert sent_at[1] >= sent_at[0] + 20


def test_off_mode_has_no_gate(
    make_client: MakeClient, router: respx.Router, clock: FakeClock
) -> None:
    policy = sc.RetryPolicy(max_attempts=1, throttle="off")
    client = make_client(httpx.MockTransport(router.handler), retry=policy)
    route = script(router, throttled(429, "20"), NO_SESSION)
    with pytest.raises(sc.TooManyRequestsError):
        client.get(REF)
    assert client.get(REF) is None
    assert clock.sleeps == []
    assert route.call_count == 2


def test_a_window_longer_than_the_deadline_fails_fast(
    make_client: MakeClient, router: respx.Router, clock: FakeClock
) -> None:
    client = make_client(httpx.MockTransport(router.handler))
    route = script(router, throttled(429, "25"), NO_SESSION)
    with pytest.raises(sc.TooManyRequestsError):
        client.get(REF, retry=sc.RetryPolicy(max_attempts=1))
    with pytest.raises(sc.TooManyRequestsError, match="cool-down"):
        client.get(REF, retry=sc.RetryPolicy(deadline=10))
    assert clock.sleeps == []
    assert route.call_count == 1


def test_scripted_scenario_for_the_record(
    client: Both, router: respx.Router, clock: FakeClock
) -> None:
    """429 with Retry-After 2, then 200: two requests, one wait of just over 2 s."""
    start = clock.now
    route = script(router, throttled(429, "2"), OK)
    session = client.get(REF)
    assert isinstance(session, sc.Session)
    assert route.call_count == 2
    assert len(clock.sleeps) == 1
    assert 2.001 <= clock.now - start <= 2.021
