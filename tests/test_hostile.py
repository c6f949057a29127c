"""Hostile inputs, round three (issue 24): writes that land on the wrong session,
secrets in Redis and traces, errors that escape untyped, resources and protocol. Each
test reproduces one finding; over real sockets where the defect crosses the wire."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest

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
