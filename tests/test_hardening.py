"""Failure modes found in review, each reproduced: tokens that could leak, server values
that could escape the exception tree, deadlines that could be outlived, reports that
could lock a client out, writes that could be sent twice."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import respx

import sessionclient as sc
from sessionclient._gate import Closure, Gate

from .conftest import BASE, REF, TOKEN, Both, Chunks, FakeClock, MakeClient

DOC = {"properties": {"custom": {"n": 1}}, "members": {"0": {}}}


def session(status: int = 200, etag: str = '"e1"', **headers: str) -> httpx.Response:
    return httpx.Response(status, json=DOC, headers={"ETag": etag, **headers})


@pytest.mark.parametrize(
    "value", [f"XBL3.0 x=1;{TOKEN}\t", f" XBL3.0 x=1;{TOKEN}", f"x\x0b{TOKEN}"]
)
def test_a_token_that_http_cannot_carry_is_refused_without_echo(value: str) -> None:
    with pytest.raises(ValueError, match="visible ASCII") as caught:
        sc.SessionClient(BASE, auth=value)
    assert TOKEN not in str(caught.value)


def test_credentials_in_the_base_url_are_refused() -> None:
    with pytest.raises(ValueError, match="credentials") as caught:
        sc.SessionClient(f"https://svc:{TOKEN}@mpsd.example")
    assert TOKEN not in str(caught.value)


def test_an_obs_text_etag_goes_back_byte_for_byte(client: Both, router: respx.Router) -> None:
    raw_etag = b'"caf\xe9"'
    route = router.route().mock(
        side_effect=[
            httpx.Response(200, headers=[(b"ETag", raw_etag)], json=DOC),
            httpx.Response(200, headers=[(b"ETag", b'"e2"')], json=DOC),
        ]
    )
    current = client.get(REF)
    assert isinstance(current, sc.Session)
    client.put(REF, {}, if_match=current.etag)
    assert dict(route.calls.last.request.headers.raw)[b"If-Match"] == raw_etag


def test_update_refuses_a_weak_etag_as_malformed(client: Both, router: respx.Router) -> None:
    router.route().mock(side_effect=[session(etag='W/"e1"')])
    with pytest.raises(sc.MalformedResponseError, match="weak ETag"):
        client.update(REF, lambda s: {"properties": {"custom": {"n": 2}}})


def test_update_keeps_one_deadline_across_its_requests(
    client: Both, router: respx.Router, clock: FakeClock
) -> None:
    busy = httpx.Response(503, headers={"Retry-After": "20"})
    router.route().mock(side_effect=[busy, session(), busy, session()])
    with pytest.raises(sc.ServiceUnavailableError):
        client.update(REF, lambda s: {"properties": {"custom": {"n": 2}}})
    assert sum(clock.sleeps) <= 30  # not 20 + 20: the second wait would cross it


def test_giving_up_raises_the_last_412_with_every_attempt(
    client: Both, router: respx.Router
) -> None:
    conflicts = [session(412, f'"v{n}"', **{"X-Request-Id": f"r{n}"}) for n in range(3)]
    router.route().mock(side_effect=[session(), *conflicts])
    with pytest.raises(sc.PreconditionFailedError, match="gave up after 3") as caught:
        client.update(REF, lambda s: {"properties": {"custom": {"n": 9}}}, max_attempts=3)
    error = caught.value
    assert error.url == BASE + REF.path
    assert (error.request_id, error.etag, error.attempts) == ("r2", sc.ETag('"v2"'), 3)
    assert [a.cause for a in error.history] == [412, 412, 412]


def test_an_unconfirmable_members_me_write_is_written_again(
    client: Both, router: respx.Router
) -> None:
    answers = [session(), httpx.ReadTimeout("lost"), session(412, '"e2"'), session(200, '"e3"')]
    route = router.route().mock(side_effect=answers)
    result = client.update(REF, lambda s: {"members": {"me": {"properties": {"ready": True}}}})
    assert isinstance(result, sc.Session)
    assert result.etag == sc.ETag('"e3"')
    assert route.call_count == 4  # the join was re-applied, not assumed


def test_a_complete_response_is_kept_even_if_it_ends_after_the_deadline(
    make_client: MakeClient, clock: FakeClock
) -> None:
    def slow(_: httpx.Request) -> httpx.Response:
        clock.now += 31  # the whole answer arrived, just late
        return session(201)

    client = make_client(httpx.MockTransport(slow))
    result = client.put(REF, {}, retry=sc.RetryPolicy(deadline=30))
    assert isinstance(result, sc.Session)
    assert result.created


@pytest.mark.parametrize("policy", [sc.RetryPolicy(deadline=None), sc.RetryPolicy()])
def test_an_absurd_retry_after_is_never_slept(
    client: Both, router: respx.Router, clock: FakeClock, policy: sc.RetryPolicy
) -> None:
    router.route().mock(side_effect=[httpx.Response(503, headers={"Retry-After": "9" * 12})])
    with pytest.raises(sc.ServiceUnavailableError):
        client.get(REF, retry=policy)
    assert clock.sleeps == []


def test_a_throttling_report_cannot_space_calls_beyond_its_retry_after() -> None:
    gate = Gate()
    closure = Closure(sc.TooManyRequestsError, 429, "GET", "u")
    gate.hold("h", 0.0, 1.0, sent_at=0.0, rate=86400.0, closure=closure)
    spacing = gate.spacing("h")
    assert spacing is not None
    assert spacing <= 1.0 * 1.25


def test_a_decompression_bomb_is_refused_at_the_cap(make_client: MakeClient) -> None:
    bomb = gzip.compress(b"{" + b" " * (64 * 2**20) + b"}")
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    client = make_client(
        httpx.MockTransport(lambda _: httpx.Response(200, headers=headers, stream=Chunks(bomb)))
    )
    tracemalloc.start()
    with pytest.raises(sc.MalformedResponseError, match="cap"):
        client.get(REF)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 * 2**20  # the cap is 4 MiB; the 64 MiB were never inflated


def test_a_gzip_body_within_the_cap_is_decoded(client: Both, router: respx.Router) -> None:
    router.route().respond(
        200, content=gzip.compress(json.dumps(DOC).encode()),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json", "ETag": '"z"'},
    )  # fmt: skip
    result = client.get(REF)
    assert isinstance(result, sc.Session)
    assert result.document == DOC


def test_json_error_messages_are_one_printable_line(client: Both, router: respx.Router) -> None:
    router.route().respond(400, json={"message": "slow down\nFAKE: all good\x1b[2J"})
    with pytest.raises(sc.BadRequestError) as caught:
        client.put(REF, {})
    assert "\n" not in str(caught.value)
    assert "\x1b" not in str(caught.value)


def test_a_dated_post_is_not_sent_twice(make_client: MakeClient, router: respx.Router) -> None:
    client = make_client(httpx.MockTransport(router.handler), resource=True, profile="contacts")
    route = router.route().mock(side_effect=[httpx.ReadTimeout("lost"), httpx.Response(201)])
    with pytest.raises(sc.TransportError):
        client.request("POST", "/contacts", json={}, if_unmodified_since=0.0)
    assert route.call_count == 1


def test_last_modified_in_rfc_850_form_lands_in_the_right_century(
    make_client: MakeClient, router: respx.Router
) -> None:
    client = make_client(httpx.MockTransport(router.handler), resource=True, profile="contacts")
    router.route().respond(
        200, json=[], headers={"Last-Modified": "Monday, 06-Jan-25 08:49:37 GMT"}
    )
    result = client.get("/contacts")
    assert isinstance(result, sc.Resource)
    assert result.last_modified == datetime(2025, 1, 6, 8, 49, 37, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"Href": f"{BASE}/api/tasks/t1?format=Entity", "State": "Running"},
         ("/api/tasks/t1", {"format": "Entity"})),
        ({"Href": f"{BASE}/api/tasks/a%2Fb", "State": "Running"}, "not a clean path"),
        ({"Href": "http://[::1", "State": "Running"}, "not a URL"),
        ({"Href": "https://evil.example/api/tasks/t1"}, "another origin"),
    ],
)  # fmt: skip
def test_task_links_are_checked(
    make_client: MakeClient, router: respx.Router, answer: dict[str, Any], expected: Any
) -> None:
    client = make_client(httpx.MockTransport(router.handler), resource=True, profile="tasks")
    router.post("/api/jobs/1/start").respond(202, json=answer)
    if isinstance(expected, tuple):
        task = client.post("/api/jobs/1/start")
        assert (task.path, task.params) == expected
    else:
        with pytest.raises(sc.MalformedResponseError, match=expected) as caught:
            client.post("/api/jobs/1/start")
        assert caught.value.status == 202


def test_a_202_with_only_a_location_is_a_task(
    make_client: MakeClient, router: respx.Router
) -> None:
    client = make_client(httpx.MockTransport(router.handler), resource=True, profile="tasks")
    router.post("/api/jobs/1/start").respond(202, headers={"Location": "/api/tasks/t2"})
    router.get("/api/tasks/t2").respond(
        200, json={"State": "Finished", "Result": {"Success": True}}
    )
    task = client.post("/api/jobs/1/start")
    assert task.path == "/api/tasks/t2"
    done = client.loop.run_until_complete(task.wait()) if client.is_async else task.wait()
    assert isinstance(done, sc.Resource)
    assert (done.path, done.document["State"]) == ("/api/tasks/t2", "Finished")


def test_task_wait_holds_its_own_timeout(
    make_client: MakeClient, router: respx.Router, clock: FakeClock
) -> None:
    client = make_client(httpx.MockTransport(router.handler), resource=True, profile="tasks")
    router.post("/api/jobs/1/start").respond(202, json={"Href": f"{BASE}/api/tasks/t3"})
    router.get("/api/tasks/t3").respond(503, headers={"Retry-After": "20"})
    task = client.post("/api/jobs/1/start")
    with pytest.raises(sc.SessionClientError):
        client.loop.run_until_complete(task.wait(timeout=5)) if client.is_async else task.wait(
            timeout=5
        )
    assert sum(clock.sleeps) <= 5
