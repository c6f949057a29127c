"""The credential the SDK sent never comes back: not when a server echoes it in a body
or a header (it is redacted from everything an error keeps), and not through an
``Authorization`` value that HTTP cannot carry (refused before anything is sent, with
no chained exception that quotes it). Over a real socket, with every way of giving a
credential."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import pickle
import traceback
from collections.abc import Callable, Generator, Iterator
from typing import Any

import httpx
import pytest

import sessionclient as sc
from sessionclient._cli import main

from .conftest import REF, SCID, Both
from .wire import Scripted, header, response

TOKEN = "eyJhbGciOi.s3cr3t-t0ken-payload_xyz"
XBL = f"XBL3.0 x=2533274790395904;{TOKEN}"
OTHER = "other-users-t0ken-abcdef"  # someone else's token the server happens to print
NEVER = sc.RetryPolicy.never()


class Bearer(httpx.Auth):
    """A user's own httpx.Auth."""

    def __init__(self, value: str) -> None:
        self.value = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.value
        yield request


def echo(status: str, ctype: str, shape: Callable[[str], str]) -> Callable[[bytes], bytes]:
    """An answer that repeats the request's Authorization in its body and headers."""

    def answer(head: bytes) -> bytes:
        sent = (header(head, "Authorization") or b"").decode("latin-1")
        return response(
            status,
            [("Content-Type", ctype), ("X-Echo", sent), ("X-Request-Id", sent),
             ("WWW-Authenticate", f'XBL3.0 x=1;{OTHER} realm="x"')],
            shape(sent).encode("latin-1"),
        )  # fmt: skip

    return answer


ECHOES = {
    "401 text": echo("401 Unauthorized", "text/plain", lambda a: f"bad token: {a}"),
    "401 json": echo("401 Unauthorized", "application/json",
                     lambda a: json.dumps({"message": f"bad: {a}", "got": [a, {"x": a}]})),
    "403 other xbl": echo("403 Forbidden", "text/plain", lambda a: f"XBL3.0 x=77;{OTHER} no"),
    "400 html cut": echo("400 Bad Request", "text/html",
                         lambda a: "<p>" + "x" * 185 + f" {a} and more</p>"),
    "412 session": echo("412 Precondition Failed", "application/json",
                        lambda a: json.dumps({"members": {"0": {"note": a}}})),
    "200 malformed": echo("200 OK", "text/plain", lambda a: f"not json {a}"),
}  # fmt: skip

CREDENTIALS: dict[str, dict[str, Any]] = {
    "XBLToken": {"auth": sc.XBLToken("2533274790395904", TOKEN)},
    "str": {"auth": XBL},
    "provider": {"auth": lambda refresh: XBL},
    "headers": {"headers": {"Authorization": f"Bearer {TOKEN}"}},
    "httpx.Auth": {"auth": Bearer(f"Bearer {TOKEN}")},
}


@pytest.fixture(scope="module")
def server() -> Iterator[Scripted]:
    with Scripted() as scripted:
        yield scripted


def make(kind: str, url: str, loop: asyncio.AbstractEventLoop, **options: Any) -> Both:
    options.setdefault("retry", NEVER)
    if kind == "sync":
        return Both(sc.SessionClient(url, **options), None)
    return Both(sc.AsyncSessionClient(url, **options), loop)


def leaks(*texts: str) -> list[str]:
    return [t for t in texts if TOKEN in t or OTHER in t or "t0ken" in t]


def everything(error: BaseException) -> list[str]:
    """Every text an error shows or keeps."""
    assert isinstance(error, sc.SessionClientError)
    return [str(error), repr(error), error.message, repr(error.args), repr(error.headers),
             repr(list(error.headers.items())), repr(error.details), str(error.request_id),
             repr(error.session.document if error.session else None),
             pickle.dumps(error).decode("latin-1"),
             "".join(traceback.format_exception(error))]  # fmt: skip


@pytest.mark.parametrize("given", sorted(CREDENTIALS))
@pytest.mark.parametrize("echoed", sorted(ECHOES))
def test_an_echoed_credential_is_redacted_from_the_error(
    server: Scripted, kind: str, loop: asyncio.AbstractEventLoop, given: str, echoed: str
) -> None:
    server.play(ECHOES[echoed], ECHOES[echoed])
    client = make(kind, server.url, loop, **CREDENTIALS[given])
    try:
        with pytest.raises(sc.SessionClientError) as caught:
            client.put(REF, {}, if_match='"1"')
    finally:
        client.close()
    assert TOKEN.encode() in server.heads[0]  # it was sent, and echoed
    assert leaks(*everything(caught.value)) == []
    assert "<redacted>" in str(caught.value) + repr(caught.value.headers)


def test_both_tokens_of_a_refresh_are_redacted(
    server: Scripted, kind: str, loop: asyncio.AbstractEventLoop
) -> None:
    tokens = iter([f"Bearer first-{TOKEN}", f"Bearer second-{TOKEN}"])
    answer = echo("401 Unauthorized", "text/plain", lambda a: f"bad token: {a}")
    server.play(answer, answer)
    client = make(kind, server.url, loop, auth=lambda refresh: next(tokens))
    try:
        with pytest.raises(sc.UnauthorizedError) as caught:
            client.get(REF)
    finally:
        client.close()
    assert len(server.heads) == 2
    assert leaks(*everything(caught.value)) == []


def test_the_cli_never_prints_an_echoed_token(server: Scripted) -> None:
    for as_json in ([], ["--json"]):
        server.play(ECHOES["401 json"])
        out, err = io.StringIO(), io.StringIO()
        code = main([*as_json, "get", f"{SCID}/lobby/x", "--base-url", server.url,
                     "--token", XBL, "--max-attempts", "1"], stdout=out, stderr=err)  # fmt: skip
        assert code == 6
        assert "<redacted>" in err.getvalue()
        assert leaks(out.getvalue(), err.getvalue()) == []


# --- values HTTP cannot carry ---------------------------------------------------------

BAD = [f"Bearer {TOKEN}\n", f"Bearer {TOKEN} ", f"XBL3.0 x=1;{TOKEN}\r\n", f" {XBL}"]


def ways(value: str) -> dict[str, dict[str, Any]]:
    return {
        "str": {"auth": value},
        "provider": {"auth": lambda refresh: value},
        "headers": {"headers": {"Authorization": value}},
        "httpx.Auth": {"auth": Bearer(value)},
    }


@pytest.mark.parametrize("way", ["str", "provider", "headers", "httpx.Auth"])
@pytest.mark.parametrize("value", BAD, ids=["newline", "space", "crlf", "leading"])
def test_a_bad_authorization_value_is_refused_before_anything_is_sent(
    server: Scripted,
    kind: str,
    loop: asyncio.AbstractEventLoop,
    caplog: pytest.LogCaptureFixture,
    way: str,
    value: str,
) -> None:
    caplog.set_level(logging.DEBUG)  # httpcore logs every header it sends at DEBUG
    server.play(response("200 OK", [("Content-Type", "application/json")], b"{}"))
    with pytest.raises(ValueError, match=r"(?i)authorization") as caught:  # noqa: PT012
        client = make(kind, server.url, loop, **ways(value)[way])
        try:
            client.get(REF)
        finally:
            client.close()
    assert server.heads == []  # nothing reached the server
    chain: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    texts = ["".join(traceback.format_exception(e)) for e in chain]
    texts += [record.getMessage() for record in caplog.records]
    assert leaks(*texts) == []


def test_a_bad_per_call_authorization_header_is_refused(server: Scripted) -> None:
    server.play(response("204 No Content"))
    with (
        sc.ResourceClient(server.url, retry=NEVER) as client,
        pytest.raises(ValueError, match="Authorization") as caught,
    ):
        client.request("GET", "/x", headers={"Authorization": f"Bearer {TOKEN}\t"})
    assert server.heads == []
    assert TOKEN not in "".join(traceback.format_exception(caught.value))
