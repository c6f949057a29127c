"""Hostile inputs, round three (issue 24): writes that land on the wrong session,
secrets in Redis and traces, errors that escape untyped, resources and protocol. Each
test reproduces one finding; over real sockets where the defect crosses the wire."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sessionclient as sc
from sessionclient._cli import main
from sessionclient.emulator import DEFAULT_SCID, Emulator, Throttle

from .conftest import REF, SCID, MakeClient

SESSION_DOC = {"members": {"0": {}}, "properties": {"custom": {}}}


class Recorder:
    """A transport that answers every request with a session, and keeps them."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=SESSION_DOC, headers={"ETag": '"e1"'})


def cli(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# --- 1. an element or template name that is None or empty -----------------------------


@pytest.mark.parametrize("element", [None, ""])
@pytest.mark.parametrize("method", ["get_element", "put_element", "delete_element"])
def test_a_missing_element_is_refused_before_sending(
    make_client: MakeClient, method: str, element: Any
) -> None:
    recorder = Recorder()
    client = make_client(httpx.MockTransport(recorder))
    extra: tuple[Any, ...] = ({},) if method == "put_element" else ()
    with pytest.raises(ValueError, match="element"):
        getattr(client, method)(REF, element, *extra)
    assert recorder.requests == []


@pytest.mark.parametrize("name", [None, ""])
def test_a_missing_template_name_is_refused_before_sending(
    make_client: MakeClient, name: Any
) -> None:
    recorder = Recorder()
    client = make_client(httpx.MockTransport(recorder))
    with pytest.raises(ValueError, match="template"):
        client.template(SCID, name)
    assert recorder.requests == []


@pytest.mark.parametrize("command", ["get", "put", "delete"])
def test_the_cli_refuses_an_empty_element_and_leaves_the_session(command: str) -> None:
    with Emulator(throttle=Throttle(enabled=False)).serve() as url:
        common = ("--base-url", url, "--no-auth")
        target = f"{DEFAULT_SCID}/lobby/kept"
        assert cli("put", target, "--body", "-", *common, stdin='{"members": {"me": {}}}')[0] == 0
        body = ("--body", "-") if command == "put" else ()
        code, _, err = cli(command, target, "--element", "", *body, *common, stdin="{}")
        assert code == 2, err
        assert "element" in err
        assert cli("get", target, *common)[0] == 0  # still there


# --- 2. Content-Location cannot retarget a session the request named -----------------

ELSEWHERE = sc.SessionRef("0b9a8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", "other", "victim")


def test_a_foreign_content_location_never_retargets_update(make_client: MakeClient) -> None:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        status = 200 if request.method == "GET" else 201
        headers = {"ETag": f'"e{len(requests)}"', "Content-Location": ELSEWHERE.path}
        return httpx.Response(status, json=SESSION_DOC, headers=headers)

    client = make_client(httpx.MockTransport(answer))
    read = client.get(REF)
    assert read.ref == REF
    written = client.update(read, lambda current: {"properties": {"custom": {"n": 1}}})
    assert written.ref == REF
    assert [r.url.path for r in requests] == [REF.path, REF.path]


def test_a_412_session_keeps_the_named_ref(make_client: MakeClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"ETag": '"e9"', "Content-Location": ELSEWHERE.path}
        return httpx.Response(412, json=SESSION_DOC, headers=headers)

    client = make_client(httpx.MockTransport(answer))
    with pytest.raises(sc.PreconditionFailedError) as caught:
        client.put(REF, {}, if_match='"e1"', retry=sc.RetryPolicy(max_attempts=1))
    assert caught.value.session is not None
    assert caught.value.session.ref == REF


def test_a_handle_read_still_takes_its_ref_from_content_location(
    make_client: MakeClient,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"ETag": '"e1"', "Content-Location": ELSEWHERE.path}
        return httpx.Response(200, json=SESSION_DOC, headers=headers)

    client = make_client(httpx.MockTransport(answer))
    assert client.get_by_handle("h1").ref == ELSEWHERE


# --- 3. member keys are parsed strictly ------------------------------------------------


def _member(xuid: str) -> dict[str, Any]:
    return {"constants": {"system": {"xuid": xuid}}}


@pytest.mark.parametrize("key", ["x.5", "a.b.5", "05", "+5", " 5", "5 ", "\uff15", "5.0", "-5"])
def test_a_member_key_that_is_not_an_index_never_reads_as_one(key: str) -> None:
    session = sc.Session(REF, None, {"members": {key: _member("111"), "7": _member("222")}})
    with pytest.raises(sc.MalformedResponseError, match="not an index"):
        session.member("111")


@given(st.text(max_size=12))
def test_a_member_index_is_its_key_or_nothing(key: str) -> None:
    session = sc.Session(REF, None, {"members": {key: _member("111")}})
    try:
        index = session.members[0].index
    except sc.MalformedResponseError:
        assert not (key.isascii() and key.isdigit() and str(int(key)) == key)
    else:
        assert str(index) == key
