"""Every row of the MPSD status table (seed 000), and each of its variants, through both
clients: the exact exchange is scripted with respx, the typed outcome is checked."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest
import respx

import sessionclient as sc

from .conftest import REF, Both

DOC = {
    "constants": {"system": {"maxMembersCount": 8}, "custom": {}},
    "properties": {"system": {}, "custom": {"map": "harbor"}},
    "members": {"0": {"constants": {"system": {"xuid": "1", "index": 0}}}},
}
CURRENT = '"v42"'
JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain; charset=utf-8"}
NEVER = sc.RetryPolicy.never()


@attrs.frozen
class Case:
    id: str
    op: str
    args: tuple[Any, ...]
    response: httpx.Response
    check: Callable[[Any], None]
    kwargs: dict[str, Any] = attrs.field(factory=dict)


def session_response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers={**JSON, "ETag": CURRENT, **headers}, json=DOC)


def is_session(created: bool) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert isinstance(result, sc.Session)
        assert result.ref == REF
        assert result.etag == sc.ETag(CURRENT)
        assert result.document == DOC
        assert result.created is created

    return check


def is_none(result: Any) -> None:
    assert result is None


def raises(
    cls: type[sc.SessionClientError], *, message: str = "", session: bool = False, **attrs: Any
) -> Callable[[Any], None]:
    def check(error: Any) -> None:
        assert type(error) is cls, repr(error)
        assert message in error.message
        assert (error.session is not None) is session
        if session:
            assert error.session.document == DOC
            assert error.session.ref == REF  # the whole session, even for an element URI
            assert error.session.etag == error.etag == sc.ETag(CURRENT)
        for name, value in attrs.items():
            assert getattr(error, name) == value, name
        assert str(error).startswith(f"{error.status} ")

    return check


def check_accepted(result: Any) -> None:
    assert result == sc.Accepted(REF, "write queued")


def check_not_modified(result: Any) -> None:
    assert result == sc.NotModified(REF, sc.ETag(CURRENT))


def check_element(result: Any) -> None:
    assert result == sc.Element(REF, "members/me", sc.ETag(CURRENT), {"constants": {}})


throttled = {"currentRequests": 31, "maxRequests": 30, "periodInSeconds": 15, "limitType": "burst"}

CASES = [
    Case("200-get-session", "get", (REF,), session_response(200), is_session(False)),
    Case("200-put-session", "put", (REF, {}), session_response(200), is_session(False)),
    Case(
        "200-get-element", "get_element", (REF, "members/me"),
        httpx.Response(200, headers={**JSON, "ETag": CURRENT}, json={"constants": {}}),
        check_element,
    ),
    Case("200-put-element", "put_element", (REF, "members/me", {}), session_response(200),
         is_session(False)),
    Case("201-put-session", "put", (REF, {}), session_response(201), is_session(True)),
    Case("202-put-session", "put", (REF, {}),
         httpx.Response(202, headers=TEXT, text="write queued"), check_accepted),
    Case("204-get-session", "get", (REF,), httpx.Response(204), is_none),
    Case("204-get-element", "get_element", (REF, "servers/host"), httpx.Response(204), is_none),
    Case("204-put-session", "put", (REF, {"members": {"me": None}}), httpx.Response(204), is_none),
    Case("204-put-element", "put_element", (REF, "members/me", {}), httpx.Response(204), is_none),
    Case("204-delete-element", "delete_element", (REF, "members/me"), httpx.Response(204),
         is_none),
    Case("204-delete-session", "delete", (REF,), httpx.Response(204), is_none),
    Case("304-get-session", "get", (REF,),
         httpx.Response(304, headers={"ETag": CURRENT}), check_not_modified,
         {"if_none_match": sc.ETag(CURRENT)}),
    Case("400-text", "put", (REF, {}),
         httpx.Response(400, headers=TEXT, text="members.me.constants: not an object"),
         raises(sc.BadRequestError, message="members.me.constants: not an object")),
    Case("403-text", "put", (REF, {}),
         httpx.Response(403, headers=TEXT, text="Authorization failed"),
         raises(sc.ForbiddenError, message="Authorization failed")),
    Case("403-session", "put", (REF, {}), session_response(403),
         raises(sc.ForbiddenError, session=True)),
    Case("403-session-element-uri", "put_element", (REF, "properties", {}),
         session_response(403), raises(sc.ForbiddenError, session=True)),
    Case("404-text", "get", (REF,),
         httpx.Response(404, headers=TEXT, text="Template 'lobby' not found"),
         raises(sc.NotFoundError, message="Template 'lobby' not found")),
    Case("405-text", "put", (REF, {}),
         httpx.Response(405, headers={**TEXT, "Allow": "GET, PUT"}, text="Use PUT"),
         raises(sc.MethodNotAllowedError, message="Use PUT", allow=("GET", "PUT"))),
    Case("409-text", "put", (REF, {"constants": {"custom": {"mode": 2}}}),
         httpx.Response(409, headers=TEXT, text="constants conflict"),
         raises(sc.ConflictError, message="constants conflict")),
    Case("412-no-body", "put", (REF, {}), httpx.Response(412),
         raises(sc.PreconditionFailedError, etag=None), {"if_none_match": sc.ANY}),
    Case("412-session", "put", (REF, {}), session_response(412),
         raises(sc.PreconditionFailedError, session=True), {"if_match": sc.ETag('"v41"')}),
    Case("412-session-element-uri", "put_element", (REF, "members/me", {}),
         session_response(412), raises(sc.PreconditionFailedError, session=True),
         {"if_match": sc.ETag('"v41"')}),
    Case("412-session-delete", "delete", (REF,), session_response(412),
         raises(sc.PreconditionFailedError, session=True), {"if_match": sc.ETag('"v41"')}),
    Case("429-json", "get", (REF,),
         httpx.Response(429, headers={**JSON, "Retry-After": "7"}, json=throttled),
         raises(sc.TooManyRequestsError, retry_after=7.0, details=throttled)),
    Case("429-no-body", "get", (REF,), httpx.Response(429, headers={"Retry-After": "3"}),
         raises(sc.TooManyRequestsError, retry_after=3.0)),
    Case("503-retry-after", "get", (REF,),
         httpx.Response(503, headers={**TEXT, "Retry-After": "30"}, text="busy"),
         raises(sc.ServiceUnavailableError, retry_after=30.0)),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_seed_row(case: Case, client: Both, router: respx.Router) -> None:
    route = router.route().mock(return_value=case.response)
    call = getattr(client, case.op)
    try:
        outcome = call(*case.args, retry=NEVER, **case.kwargs)
    except sc.SessionClientError as error:
        outcome = error
    case.check(outcome)
    assert route.call_count == 1
    sent = route.calls.last.request
    assert sent.method == {"get": "GET", "put": "PUT", "delete": "DELETE"}[case.op.split("_")[0]]
    element = case.args[1] if case.op.endswith("_element") else None
    assert sent.url.path == (REF.path if element is None else f"{REF.path}/{element}")
    if sent.method == "PUT":
        assert json.loads(sent.content) == case.args[-1]


def test_every_seed_row_has_a_case() -> None:
    """The table and these cases cannot drift apart: each MPSD row is exercised."""
    keys = {row.key for row in sc.MPSD.rows if row.seed}
    status_of_case = {int(case.id[:3]) for case in CASES}
    assert {int(key.split(".")[1]) for key in keys} <= status_of_case
    variants = {"mpsd.403.text": "403-text", "mpsd.403.session": "403-session",
                "mpsd.412.empty": "412-no-body", "mpsd.412.session": "412-session",
                "mpsd.204.get-session": "204-get-session",
                "mpsd.204.get-element": "204-get-element",
                "mpsd.204.put-session": "204-put-session",
                "mpsd.204.write-element": "204-put-element"}  # fmt: skip
    ids = {c.id for c in CASES}
    assert set(variants.values()) <= ids
    assert {k for k in keys if k.count(".") == 2} == set(variants)
