"""What a user sees of a call without reading the code: MPSD's correlation ids on
results and errors, the ``on_attempt`` hook, the log lines, and OpenTelemetry spans."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
import respx

import sessionclient as sc

from .conftest import BASE, REF, Both, FakeClock

CORRELATION = "4106d0bc-1cb3-47bd-83fd-57d041c6febe"
SESSION = {"members": {}, "properties": {"custom": {"map": "harbor"}}}


def test_the_correlation_id_of_mpsd_is_the_request_id_of_an_error(
    client: Both, router: respx.Router
) -> None:
    router.get(REF.path).respond(
        404, text="no such template", headers={"X-XblCorrelationId": CORRELATION}
    )
    with pytest.raises(sc.NotFoundError) as caught:
        client.get(REF)
    assert caught.value.request_id == CORRELATION


def test_the_error_text_ends_with_the_request_id(client: Both, router: respx.Router) -> None:
    router.get(REF.path).respond(500, text="boom", headers={"X-XblCorrelationId": CORRELATION})
    with pytest.raises(sc.InternalServerError) as caught:
        client.get(REF, retry=sc.RetryPolicy(max_attempts=2))
    assert str(caught.value) == (
        f"500 Internal Server Error on GET {BASE}{REF.path}: boom after 2 attempts "
        f"(request id {CORRELATION})"
    )


def test_a_session_keeps_the_request_id_that_came_with_it(
    client: Both, router: respx.Router
) -> None:
    router.get(REF.path).respond(
        200, json=SESSION, headers={"ETag": '"v1"', "X-XblCorrelationId": CORRELATION}
    )
    session = client.get(REF)
    assert isinstance(session, sc.Session)
    assert session.request_id == CORRELATION
    # The id says which response it was, not what the session is.
    assert session == sc.Session(REF, sc.ETag('"v1"'), SESSION)


def test_the_debug_header_of_a_refusal_is_kept_on_the_error(
    client: Both, router: respx.Router
) -> None:
    router.put(REF.path).respond(
        403,
        text="forbidden",
        headers={"X-XblCorrelationId": CORRELATION, "X-Xbl-Debug": "reason=NotAMember"},
    )
    with pytest.raises(sc.ForbiddenError) as caught:
        client.put(REF, {})
    assert caught.value.debug == "reason=NotAMember"
    assert caught.value.request_id == CORRELATION


# --- the on_attempt hook ------------------------------------------------------------


def test_on_attempt_sees_every_attempt_the_last_and_a_success_included(
    client: Both, router: respx.Router, clock: FakeClock
) -> None:
    seen: list[sc.Attempt] = []
    retried: list[sc.Attempt] = []
    policy = sc.RetryPolicy(on_attempt=seen.append, on_retry=retried.append)
    router.get(REF.path).mock(
        side_effect=[httpx.Response(500), httpx.Response(503), httpx.Response(200, json=SESSION)]
    )
    assert isinstance(client.get(REF, retry=policy), sc.Session)
    assert [(a.number, a.cause) for a in seen] == [(1, 500), (2, 503), (3, 200)]
    assert [a.wait for a in seen] == [*clock.sleeps, 0.0]
    assert seen[:2] == retried


# --- the log lines ------------------------------------------------------------------


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "sessionclient" and r.levelno == level
    ]


def test_one_debug_line_per_call_with_status_attempts_and_times(
    client: Both, router: respx.Router, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sessionclient")
    router.get(REF.path).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(200, json=SESSION, headers={"X-XblCorrelationId": CORRELATION}),
        ]
    )
    client.get(REF)
    calls = [line for line in lines(caplog, logging.DEBUG) if line.startswith("get ")]
    assert len(calls) == 1
    assert re.fullmatch(
        rf"get GET {re.escape(REF.path)}: 200, 2 attempts in 2\.0\d\d s \(waited 2\.0\d\d s\) "
        rf"\(request id {CORRELATION}\)",
        calls[0],
    ), calls[0]
    assert len(lines(caplog, logging.INFO)) == 1  # the retry
    assert lines(caplog, logging.WARNING) == []  # the retry's own wait is no gate hold


def test_a_warning_when_the_gate_holds_a_call_over_a_second(
    client: Both, router: respx.Router, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sessionclient")
    router.get(REF.path).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "5"}), httpx.Response(204)]
    )
    with pytest.raises(sc.TooManyRequestsError):
        client.get(REF, retry=sc.RetryPolicy.never())
    assert client.get(REF) is None  # held by the gate, then sent
    assert sum(clock.sleeps) >= 5
    (warning,) = lines(caplog, logging.WARNING)
    assert re.fullmatch(
        rf"GET {re.escape(REF.path)} held 5\.\d+ s at the cool-down gate: .*", warning
    )


def test_no_warning_for_a_hold_under_a_second(
    client: Both, router: respx.Router, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sessionclient")
    router.get(REF.path).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "0.5"}), httpx.Response(204)]
    )
    with pytest.raises(sc.TooManyRequestsError):
        client.get(REF, retry=sc.RetryPolicy.never())
    assert client.get(REF) is None
    assert lines(caplog, logging.WARNING) == []


def test_a_warning_when_the_gate_refuses_a_call(
    client: Both, router: respx.Router, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sessionclient")
    route = router.get(REF.path).respond(429, headers={"Retry-After": "30"})
    policy = sc.RetryPolicy(max_attempts=1, throttle="fail")
    with pytest.raises(sc.TooManyRequestsError):
        client.get(REF, retry=policy)
    with pytest.raises(sc.TooManyRequestsError, match="not sent"):
        client.get(REF, retry=policy)
    assert route.call_count == 1
    (warning,) = lines(caplog, logging.WARNING)
    assert warning.startswith(f"GET {REF.path} not sent: the service asked this client to cool")
