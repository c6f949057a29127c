"""Security: no caller input reshapes a path, no token shows anywhere, TLS stays on,
nothing follows a redirect, and the emulator enforces identity."""

from __future__ import annotations

import io
import logging
import ssl
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sessionclient as sc
from sessionclient._cli import main
from sessionclient.emulator import DEFAULT_SCID, Emulator, Throttle

from .conftest import AUTH, BASE, REF, SCID, TOKEN, MakeClient

segments = st.text(max_size=40) | st.sampled_from(["..", ".", "a/b", "%2F", "x\r\ny", "lobby"])


class Capture:
    """A transport that records the raw path of every request and answers 204."""

    def __init__(self) -> None:
        self.paths: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.raw_path)
        return httpx.Response(204)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scid=st.text(max_size=40) | st.just(SCID), template=segments, name=segments)
def test_any_ref_is_refused_or_reaches_exactly_its_path(
    scid: str, template: str, name: str
) -> None:
    capture = Capture()
    with sc.SessionClient(BASE, auth=AUTH, transport=httpx.MockTransport(capture)) as client:
        try:
            ref = sc.SessionRef(scid, template, name)
        except ValueError:
            return
        client.get(ref)
    expected = f"/serviceconfigs/{scid.lower()}/sessiontemplates/{template}/sessions/{name}"
    assert capture.paths == [expected.encode()]


@settings(max_examples=200, deadline=None)
@given(element=st.one_of(
    st.builds(lambda i: f"members/{i}", st.integers(-5, 10**12) | st.text(max_size=8)),
    st.builds(lambda n: f"servers/{n}", segments),
    st.text(max_size=30),
))  # fmt: skip
def test_any_element_is_refused_or_reaches_exactly_its_path(element: str) -> None:
    capture = Capture()
    with sc.SessionClient(BASE, auth=AUTH, transport=httpx.MockTransport(capture)) as client:
        try:
            client.get_element(REF, element)
        except ValueError:
            assert capture.paths == []  # refused before any request existed
            return
    assert capture.paths == [f"{REF.path}/{element}".encode()]


@settings(max_examples=100, deadline=None)
@given(index=st.integers() | st.booleans() | st.text(max_size=5), server=segments)
def test_member_indexes_and_server_names_stay_in_the_body(index: Any, server: str) -> None:
    capture = Capture()
    with sc.SessionClient(BASE, auth=AUTH, transport=httpx.MockTransport(capture)) as client:
        for verb, args in (("remove_member", (REF, index)), ("set_server", (REF, server, None))):
            try:
                getattr(client, verb)(*args)
            except (ValueError, TypeError):
                continue
    assert set(capture.paths) <= {REF.path.encode()}


ERRORS: list[tuple[int, dict[str, Any]] | Exception] = [
    (400, {"text": "bad"}), (401, {"text": "no"}), (403, {"text": "no"}), (404, {"text": "no"}),
    (405, {"text": "no", "headers": {"Allow": "GET"}}), (409, {"text": "no"}),
    (412, {"json": {"members": {}}}), (429, {"headers": {"Retry-After": "1"}}), (500, {}),
    (501, {}), (503, {}), (504, {}), (418, {}), (200, {"text": "<html>"}),
    httpx.ConnectError("refused"), httpx.ReadTimeout("slow"),
]  # fmt: skip


def test_the_token_appears_nowhere(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx's, httpcore's
    texts: list[str] = []
    for outcome in ERRORS:

        def answer(_: httpx.Request, outcome: Any = outcome) -> httpx.Response:
            if isinstance(outcome, Exception):
                raise outcome
            status, options = outcome
            return httpx.Response(status, **options)

        client = make_client(httpx.MockTransport(answer), retry=sc.RetryPolicy(max_attempts=2))
        texts.append(repr(client.client))
        try:
            texts.append(repr(client.put(REF, {}, if_match='"1"')))
        except sc.SessionClientError as error:
            texts += [str(error), repr(error), error.explain(), repr(error.headers)]
            texts += [repr(error.session), repr(error.history), error.message]
    ambiguous = [httpx.ReadTimeout("lost"), httpx.Response(412, json={"members": {}})]
    client = make_client(httpx.MockTransport(lambda _: _next(ambiguous)))
    with pytest.raises(sc.AmbiguousWriteError) as caught:
        client.put(REF, {}, if_match='"1"')
    texts += [str(caught.value), repr(caught.value)]
    for argv in (["--json", "get", f"{SCID}/lobby/x", "--base-url", "http://127.0.0.1:9",
                  "--token", f"XBL3.0 x=1;{TOKEN}", "--max-attempts", "1"],
                 ["get", f"{SCID}/lobby/x", "--base-url", "http://127.0.0.1:9",
                  "--token", f"XBL3.0 x=1;{TOKEN}\t", "--max-attempts", "1"]):  # fmt: skip
        out, err = io.StringIO(), io.StringIO()
        main(argv, stdout=out, stderr=err)
        texts += [out.getvalue(), err.getvalue()]
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.args) for record in caplog.records]
    texts.append(capsys.readouterr().err)
    assert len(caplog.records) > 20  # the logs really were captured
    leaks = [text for text in texts if TOKEN in text]
    assert leaks == []


def _next(items: list[Any]) -> httpx.Response:
    item = items.pop(0)
    if isinstance(item, Exception):
        raise item
    return item  # type: ignore[no-any-return]


def _ssl_context(client: sc.SessionClient) -> ssl.SSLContext:
    context = client._http._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert isinstance(context, ssl.SSLContext)
    return context


def test_tls_verification_is_on_unless_explicitly_disabled() -> None:
    with sc.SessionClient() as client:
        context = _ssl_context(client)
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname
    with pytest.raises(ValueError, match="insecure_skip_tls_verify"):
        sc.SessionClient(verify=False)  # type: ignore[arg-type]
    with sc.SessionClient(insecure_skip_tls_verify=True) as insecure:
        assert _ssl_context(insecure).verify_mode is ssl.CERT_NONE


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_no_redirect_carries_the_token_elsewhere(make_client: MakeClient, status: int) -> None:
    hosts: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(status, headers={"Location": "https://evil.example/steal"})

    client = make_client(httpx.MockTransport(answer))
    with pytest.raises(sc.StatusError):
        client.get(REF)
    assert hosts == [httpx.URL(BASE).host]


def test_the_emulator_enforces_identity() -> None:
    emulator = Emulator(throttle=Throttle(enabled=False))
    ref = sc.SessionRef(DEFAULT_SCID, "lobby", "identity")
    with emulator.client("1001") as alice, emulator.client("1002") as bob:
        alice.create(ref)
        bob.join(ref)
        with pytest.raises(sc.ForbiddenError) as caught:  # alice writes bob's member entry
            alice.put(ref, {"members": {"1": {"properties": {"custom": {"ready": False}}}}})
        assert caught.value.session is not None
        with emulator.client("1003", auth=None) as anonymous, pytest.raises(sc.UnauthorizedError):
            anonymous.get(ref)
    stored = emulator.session(DEFAULT_SCID, "lobby", "identity")
    assert stored is not None
    assert stored["members"]["1"]["properties"]["custom"] == {}
