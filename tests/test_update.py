"""Read-modify-write and the session verbs, on exact exchanges (respx), both clients."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

import sessionclient as sc
from sessionclient._flows import applied
from sessionclient.emulator import Emulator

from .conftest import REF, Both, FakeClock, world_of


def doc(counter: int) -> dict[str, Any]:
    return {"properties": {"custom": {"counter": counter}}, "members": {"0": {}}}


def session(status: int, counter: int, etag: str) -> httpx.Response:
    return httpx.Response(status, json=doc(counter), headers={"ETag": f'"{etag}"'})


def increment(current: sc.Session | None) -> dict[str, Any]:
    value = current.custom_properties.get("counter", 0) if current else 0
    return {"properties": {"custom": {"counter": value + 1}}}


class Exchange:
    """Records each request as sent: method, If-Match / If-None-Match, JSON body."""

    def __init__(self, router: respx.Router, *responses: httpx.Response | Exception) -> None:
        self.requests: list[tuple[str, str | None, Any]] = []
        self.responses = list(responses)
        router.route().mock(side_effect=self.answer)

    def answer(self, request: httpx.Request) -> httpx.Response:
        condition = request.headers.get("if-match") or request.headers.get("if-none-match")
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.method, condition, body))
        outcome = self.responses.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def test_412_with_the_session_is_reapplied_without_a_read(
    client: Both, router: respx.Router
) -> None:
    ex = Exchange(router, session(200, 1, "a"), session(412, 5, "b"), session(200, 6, "c"))
    result = client.update(REF, increment)
    assert isinstance(result, sc.Session)
    assert result.etag == sc.ETag('"c"')
    assert ex.requests == [
        ("GET", None, None),
        ("PUT", '"a"', {"properties": {"custom": {"counter": 2}}}),
        ("PUT", '"b"', {"properties": {"custom": {"counter": 6}}}),  # from the 412's body
    ]


def test_412_without_a_body_reads_then_continues(client: Both, router: respx.Router) -> None:
    ex = Exchange(
        router,
        session(200, 1, "a"),
        httpx.Response(412),
        session(200, 3, "b"),
        session(200, 4, "c"),
    )
    client.update(REF, increment)
    assert [(m, c) for m, c, _ in ex.requests] == [
        ("GET", None), ("PUT", '"a"'), ("GET", None), ("PUT", '"b"'),
    ]  # fmt: skip


def test_starting_from_a_held_session_skips_the_read(client: Both, router: respx.Router) -> None:
    held = sc.Session(REF, sc.ETag('"h"'), doc(9))
    ex = Exchange(router, session(200, 10, "i"))
    client.update(held, increment)
    assert ex.requests == [("PUT", '"h"', {"properties": {"custom": {"counter": 10}}})]


@pytest.mark.parametrize("create", [False, True])
def test_a_session_that_vanishes_mid_update(
    client: Both, router: respx.Router, create: bool
) -> None:
    answers = [session(200, 1, "a"), httpx.Response(412), httpx.Response(204)]
    if create:
        answers.append(session(201, 1, "new"))
    ex = Exchange(router, *answers)
    seen: list[sc.Session | None] = []

    def mutate(current: sc.Session | None) -> dict[str, Any]:
        seen.append(current)
        return increment(current)

    result = client.update(REF, mutate, create=create)
    assert seen[-1] is None  # mutate was told the session is gone
    if create:
        assert isinstance(result, sc.Session)
        assert result.created
        assert ex.requests[-1] == ("PUT", "*", {"properties": {"custom": {"counter": 1}}})
    else:
        assert result is None
        assert len(ex.requests) == 3


def test_a_write_that_deletes_the_session_returns_none(client: Both, router: respx.Router) -> None:
    Exchange(router, session(200, 1, "a"), httpx.Response(204))
    assert client.update(REF, lambda _: {"members": {"me": None}}) is None


def test_mutate_returning_none_writes_nothing(client: Both, router: respx.Router) -> None:
    ex = Exchange(router, session(200, 1, "a"))
    result = client.update(REF, lambda _: None)
    assert isinstance(result, sc.Session)
    assert len(ex.requests) == 1


def test_gives_up_after_max_attempts_with_the_latest_session(
    client: Both, router: respx.Router
) -> None:
    ex = Exchange(router, session(200, 1, "a"), *(session(412, n, f"v{n}") for n in range(2, 5)))
    with pytest.raises(sc.PreconditionFailedError, match="gave up after 3") as caught:
        client.update(REF, increment, max_attempts=3)
    assert caught.value.session is not None
    assert caught.value.session.custom_properties == {"counter": 4}
    assert caught.value.etag == sc.ETag('"v4"')
    assert len(ex.requests) == 4


@pytest.mark.parametrize("landed", [True, False])
def test_an_ambiguous_write_is_reconciled_from_the_412(
    client: Both, router: respx.Router, landed: bool
) -> None:
    # The first PUT times out after the server applied it (or not); the retry's If-Match
    # is stale either way, and the 412 shows whether our counter value is there.
    current = session(412, 2 if landed else 7, "b")
    answers: list[Any] = [session(200, 1, "a"), httpx.ReadTimeout("lost"), current]
    if not landed:
        answers.append(session(200, 8, "c"))
    ex = Exchange(router, *answers)
    result = client.update(REF, increment)
    assert isinstance(result, sc.Session)
    expected = 2 if landed else 8
    assert result.custom_properties == {"counter": expected}
    assert len(ex.requests) == (3 if landed else 4)


def test_plain_put_raises_ambiguous_write(client: Both, router: respx.Router) -> None:
    Exchange(router, httpx.ReadTimeout("lost"), session(412, 2, "b"))
    with pytest.raises(sc.AmbiguousWriteError) as caught:
        client.put(REF, {"properties": {"custom": {"counter": 2}}}, if_match='"a"')
    assert caught.value.session is not None
    assert applied({"properties": {"custom": {"counter": 2}}}, caught.value.session.document)


@pytest.mark.parametrize(
    ("delta", "document", "expected"),
    [
        ({"a": 1}, {"a": 1, "b": 2}, True),
        ({"a": 1}, {"a": 2}, False),
        ({"a": None}, {"b": 1}, True),
        ({"a": None}, {"a": 1}, False),
        ({"a": {"b": {"c": 1}}}, {"a": {"b": {"c": 1, "d": 2}}}, True),
        ({"a": {"b": 1}}, {"a": 3}, False),
        ({"members": {"me": {"properties": {"x": 1}}}}, {"members": {"0": {}}}, False),
        ({"members": {"3": None}}, {"members": {"3": {}}}, False),
        ({}, {}, True),
    ],
)
def test_applied_rule(delta: dict[str, Any], document: dict[str, Any], expected: bool) -> None:
    assert applied(delta, document) is expected


VERBS = [
    ("create", (REF,), {}, ("PUT", "*", {})),
    ("create", (REF, {"constants": {"custom": {"mode": 1}}}), {},
     ("PUT", "*", {"constants": {"custom": {"mode": 1}}})),
    ("join", (REF,), {"properties": {"custom": {"ready": True}}},
     ("PUT", None, {"members": {"me": {"properties": {"custom": {"ready": True}}}}})),
    ("set_properties", (REF, {"map": "harbor", "old": None}), {"if_match": '"e"'},
     ("PUT", '"e"', {"properties": {"custom": {"map": "harbor", "old": None}}})),
    ("remove_member", (REF, 3), {}, ("PUT", None, {"members": {"3": None}})),
    ("set_server", (REF, "host", {"region": "eu"}), {},
     ("PUT", None, {"servers": {"host": {"region": "eu"}}})),
    ("set_server", (REF, "host", None), {}, ("PUT", None, {"servers": {"host": None}})),
]  # fmt: skip


@pytest.mark.parametrize(("verb", "args", "kwargs", "request_sent"), VERBS)
def test_verbs_send_the_expected_delta(
    client: Both,
    router: respx.Router,
    verb: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    request_sent: tuple[str, str | None, Any],
) -> None:
    ex = Exchange(router, session(200, 1, "z"))
    assert isinstance(getattr(client, verb)(*args, **kwargs), sc.Session)
    assert ex.requests == [request_sent]


@pytest.mark.parametrize(
    ("response", "still_there"), [(session(200, 1, "z"), True), (httpx.Response(204), False)]
)
def test_leave_says_whether_the_session_remains(
    client: Both, router: respx.Router, response: httpx.Response, still_there: bool
) -> None:
    ex = Exchange(router, response)
    assert client.leave(REF) is still_there
    assert ex.requests == [("PUT", None, {"members": {"me": None}})]


@pytest.mark.parametrize(
    ("verb", "args"),
    [("remove_member", (REF, -1)), ("remove_member", (REF, True)), ("set_server", (REF, "a/b", {})),
     ("update", (REF, "not callable")), ("create", (REF, [1]))],
)  # fmt: skip
def test_verbs_refuse_bad_input_before_sending(
    client: Both, router: respx.Router, verb: str, args: tuple[Any, ...]
) -> None:
    route = router.route().respond(200)
    with pytest.raises((ValueError, TypeError)):
        getattr(client, verb)(*args)
    assert route.call_count == 0


def test_after_a_conflict_the_flow_backs_off_by_its_own_round_trip() -> None:
    """Driven by hand: the flow measures its PUT's round trip with Pause(0) readings of
    the clock, and after a 412 waits rand x round trip x 2^conflicts."""
    from sessionclient import _flows
    from sessionclient._core import Call
    from sessionclient._engine import Pause

    held = sc.Session(REF, sc.ETag('"a"'), doc(1))
    flow = _flows.update(held, increment, rand=lambda: 0.5)
    assert flow.send(None) == Pause(0.0)  # reads the clock before the write
    put = flow.send(10.0)
    assert isinstance(put, Call)
    assert put.headers == (("If-Match", '"a"'),)
    conflict = sc.PreconditionFailedError(
        "x", status=412, session=sc.Session(REF, sc.ETag('"b"'), doc(5)), etag=sc.ETag('"b"')
    )
    assert flow.throw(conflict).seconds == 0.0  # reads the clock after the write
    assert flow.send(10.25).seconds == 0.5 * 0.25 * 2  # half of two round trips
    assert flow.send(10.5).seconds == 0.0
    again = flow.send(10.5)
    assert isinstance(again, Call)
    assert again.headers == (("If-Match", '"b"'),)
    assert json.loads(again.body or b"") == {"properties": {"custom": {"counter": 6}}}


# --- issue 25, item 2: what a result hands out cannot change what it is ----------------


def test_a_local_change_never_reaches_the_next_write(kind: str, loop: Any) -> None:
    """Reported: the server at 1, the caller set 99 in its copy, ``update(s, +1)``
    wrote 100. Every mapping a result hands out is read-only or a copy."""
    clock = FakeClock()
    with world_of(Emulator(clock=clock), clock, kind, loop, socket=False) as world:
        client = world.client()
        ref = world.ref()
        session = client.create(ref, {"properties": {"custom": {"n": 1}}})
        assert isinstance(session, sc.Session)
        with pytest.raises(TypeError):
            session.custom_properties["n"] = 99  # type: ignore[index]
        with pytest.raises(TypeError):
            session.constants.custom["x"] = 1  # type: ignore[index]
        session.document["properties"]["custom"]["n"] = 99  # a copy: allowed, and lost
        assert session.document["properties"]["custom"]["n"] == 1
        written = client.update(session, lambda s: {"properties": {"custom": {
            "n": (s.custom_properties["n"] if s else 0) + 1}}})  # fmt: skip
        assert isinstance(written, sc.Session)
        assert written.custom_properties == {"n": 2}
        assert session.custom_properties == {"n": 1}
