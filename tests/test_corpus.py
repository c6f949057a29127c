"""What real servers and proxies send, and what the SDK makes of it: each case is a
response to a session GET (or PUT), and the documented typed result or exception, with
a fragment of its message. Retries are off so that one response is one outcome."""

from __future__ import annotations

import gzip
from typing import Any

import attrs
import httpx
import pytest

import sessionclient as sc

from .conftest import REF, Chunks, MakeClient

NEVER = sc.RetryPolicy.never()
JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
TEXT = {"Content-Type": "text/plain"}
SESSION = b'{"members": {"0": {}}, "properties": {"custom": {}}}'
PAGE = b"<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"


@attrs.frozen
class Case:
    id: str
    status: int
    headers: Any
    body: bytes
    expect: type[object]
    fragment: str = ""
    op: str = "get"
    check: Any = None


def retry_after(expected: float | None) -> Any:
    def check(outcome: Any) -> None:
        assert outcome.retry_after == (pytest.approx(expected) if expected is not None else None)

    return check


CASES = [
    # --- bodies that break their status's promise
    Case("html-200", 200, HTML, PAGE, sc.MalformedResponseError, "text/html"),
    Case("html-502", 502, HTML, PAGE, sc.ServerError, ": nginx"),
    Case("html-503-maintenance", 503, HTML, b"<p>Down for maintenance</p>",
         sc.ServiceUnavailableError, "Down for maintenance"),
    Case("html-404-proxy", 404, HTML, b"<h1>Not Found</h1>", sc.NotFoundError, "Not Found"),
    Case("empty-200-json", 200, JSON, b"", sc.MalformedResponseError, "empty body"),
    Case("empty-200-no-type", 200, {}, b"", sc.MalformedResponseError, "empty body"),
    Case("empty-201", 201, JSON, b"", sc.MalformedResponseError, "empty body", op="put"),
    Case("truncated-json", 200, JSON, SESSION[:20], sc.MalformedResponseError, "invalid JSON"),
    Case("json-array", 200, JSON, b"[1, 2]", sc.MalformedResponseError, "JSON list"),
    Case("json-string", 200, JSON, b'"members"', sc.MalformedResponseError, "JSON str"),
    Case("json-null", 200, JSON, b"null", sc.MalformedResponseError, "JSON NoneType"),
    Case("json-number", 200, JSON, b"42", sc.MalformedResponseError, "JSON int"),
    Case("json-nan", 200, JSON, b'{"a": NaN}', sc.MalformedResponseError, "invalid JSON"),
    Case("json-deep", 200, JSON, b"[" * 50_000 + b"]" * 50_000, sc.MalformedResponseError,
         "invalid JSON"),
    Case("json-not-utf8", 200, JSON, b'{"a": "\xff"}', sc.MalformedResponseError, "invalid JSON"),
    Case("json-bom", 200, JSON, b"\xef\xbb\xbf" + SESSION, sc.Session),
    Case("json-as-text-plain", 200, TEXT, SESSION, sc.MalformedResponseError, "text/plain"),
    Case("json-no-content-type", 200, {}, SESSION, sc.MalformedResponseError, "no content type"),
    Case("problem-json", 200, {"Content-Type": "application/problem+json"}, SESSION, sc.Session),
    Case("json-charset", 200, {"Content-Type": "application/json; charset=utf-8"}, SESSION,
         sc.Session),
    Case("huge-body", 200, JSON, b'{"a": "' + b"x" * (5 * 2**20) + b'"}',
         sc.MalformedResponseError, "cap"),
    Case("gzip-bomb", 200, {**JSON, "Content-Encoding": "gzip"},
         gzip.compress(b" " * (8 * 2**20)), sc.MalformedResponseError, "cap"),
    Case("bad-gzip", 200, {**JSON, "Content-Encoding": "gzip"}, b"not gzip",
         sc.MalformedResponseError, "decompress"),
    Case("unknown-encoding", 200, {**JSON, "Content-Encoding": "br2"}, SESSION,
         sc.MalformedResponseError, "Content-Encoding"),
    # --- headers
    Case("no-etag-200", 200, JSON, SESSION, sc.Session,
         check=lambda s: s.etag is None),  # documented: etag None, update() refuses it
    Case("weak-etag-200", 200, {**JSON, "ETag": 'W/"1"'}, SESSION, sc.Session,
         check=lambda s: s.etag == sc.ETag('W/"1"')),
    Case("garbage-etag", 200, {**JSON, "ETag": "no quotes"}, SESSION, sc.Session,
         check=lambda s: s.etag is None),
    Case("duplicated-etag", 200, [("Content-Type", "application/json"), ("ETag", '"1"'),
         ("ETag", '"2"')], SESSION, sc.Session, check=lambda s: s.etag == sc.ETag('"1"')),
    Case("foreign-content-location", 200, {**JSON, "Content-Location": "/elsewhere"}, SESSION,
         sc.Session, check=lambda s: s.ref == REF),
    Case("412-not-a-session", 412, JSON, b'{"error": "stale"}', sc.PreconditionFailedError,
         "stale", op="put", check=lambda e: e.session is None),
    Case("412-html", 412, HTML, b"<b>Precondition</b>", sc.PreconditionFailedError,
         "Precondition", op="put"),
    Case("403-html", 403, HTML, b"<h1>Forbidden by WAF</h1>", sc.ForbiddenError, "WAF"),
    # --- Retry-After in every shape
    # zero, negative or past: no usable wait (issue 11), so the back-off applies
    Case("retry-after-negative", 429, {"Retry-After": "-1"}, b"", sc.TooManyRequestsError,
         check=retry_after(None)),
    Case("retry-after-zero", 429, {"Retry-After": "0"}, b"", sc.TooManyRequestsError,
         check=retry_after(None)),
    Case("retry-after-go-duration", 429, {"Retry-After": "1m0s"}, b"", sc.TooManyRequestsError,
         check=retry_after(None)),
    Case("retry-after-huge", 429, {"Retry-After": "9999999999"}, b"", sc.TooManyRequestsError,
         check=lambda e: e.retry_after >= 3e7),
    Case("retry-after-no-zone", 503, {"Retry-After": "Wed, 21 Oct 2015 07:28:09",
         "Date": "Wed, 21 Oct 2015 07:28:00 GMT"}, b"", sc.ServiceUnavailableError,
         check=retry_after(9.0)),
    Case("retry-after-past-date", 503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, b"",
         sc.ServiceUnavailableError, check=retry_after(None)),
    Case("retry-after-duplicated", 429, [("Retry-After", "3"), ("Retry-After", "7")], b"",
         sc.TooManyRequestsError, check=retry_after(7.0)),
    Case("retry-after-decimal", 429, {"Retry-After": "1.5"}, b"", sc.TooManyRequestsError,
         check=retry_after(1.5)),
    Case("retry-after-ms", 429, {"retry-after-ms": "250"}, b"", sc.TooManyRequestsError,
         check=retry_after(0.25)),
    Case("429-report", 429, {**JSON, "Retry-After": "15"},
         b'{"currentRequests": 31, "maxRequests": 30, "periodInSeconds": 15, "limitType": "Rate"}',
         sc.TooManyRequestsError, "31 calls where 30 are allowed per 15 s"),
    Case("429-json-garbage", 429, JSON, b"{oops", sc.TooManyRequestsError, "{oops"),
    # --- statuses the table does not have
    Case("418", 418, TEXT, b"I'm a teapot", sc.ClientError, "teapot"),
    Case("451", 451, TEXT, b"", sc.ClientError),
    Case("599", 599, TEXT, b"", sc.ServerError),
    Case("302-redirect", 302, {"Location": "https://evil.example/"}, b"", sc.StatusError),
    Case("206-unexpected", 206, JSON, SESSION, sc.StatusError),
    Case("201-on-get", 201, JSON, SESSION, sc.StatusError),
    Case("304-without-if-none-match", 304, {}, b"", sc.MalformedResponseError, "If-None-Match"),
    Case("202-on-get", 202, TEXT, b"later", sc.StatusError),
    Case("204-with-a-body", 204, JSON, b"", type(None)),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus(make_client: MakeClient, case: Case) -> None:
    # Streamed in pieces, as from a socket: nothing is decoded before the SDK reads it.
    client = make_client(
        httpx.MockTransport(
            lambda _: httpx.Response(case.status, headers=case.headers, stream=Chunks(case.body))
        )
    )
    try:
        if case.op == "put":
            outcome: Any = client.put(REF, {}, if_match='"1"', retry=NEVER)
        else:
            outcome = client.get(REF, retry=NEVER)
    except sc.SessionClientError as error:
        outcome = error
        assert str(error)
        assert "\n" not in str(error)
    assert type(outcome) is case.expect, repr(outcome)
    if case.fragment:
        assert case.fragment in str(outcome)
    if case.check is not None:
        case.check(outcome)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
