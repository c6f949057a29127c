"""Whatever a server sends, interpretation yields a result or one of the SDK's errors."""

from __future__ import annotations

import os

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sessionclient as sc
from sessionclient._core import Reply, interpret, plan
from sessionclient._http import parse_retry_after

from .conftest import REF, Both

# CI runs a modest number of examples; FUZZ_EXAMPLES=100000 runs the large campaign.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))

content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "text/html",
     "application/problem+json", "", "application/octet-stream", "multipart/x; boundary=\x00"]
)  # fmt: skip
json_bodies = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
).map(lambda value: httpx.Response(200, json=value).content)
bodies = st.binary(max_size=300) | json_bodies
header_values = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=40)
headers = st.dictionaries(
    st.sampled_from(["ETag", "Retry-After", "retry-after-ms", "Date", "Allow",
                     "Content-Location", "X-Request-Id"]),
    header_values,
    max_size=5,
)  # fmt: skip
calls = st.sampled_from(
    [plan("GET", REF), plan("PUT", REF, changes={}), plan("DELETE", REF),
     plan("GET", REF, "members/me"), plan("PUT", REF, "properties", changes={})]
)  # fmt: skip


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    status=st.integers(100, 599),
    ctype=content_types,
    body=bodies,
    extra=headers,
    call=calls,
)
def test_interpret_never_raises_outside_the_tree(
    status: int, ctype: str, body: bytes, extra: dict[str, str], call: sc._core.Call
) -> None:
    # Raw bytes, as they come off the wire (httpx refuses non-ASCII str values).
    raw = {**extra, "Content-Type": ctype}
    response_headers = httpx.Headers([(k.encode(), v.encode("latin-1")) for k, v in raw.items()])
    try:
        reply = interpret(
            sc.MPSD, call, status, response_headers, body, url="https://x" + call.path, now=0.0
        )
    except sc.SessionClientError as error:
        assert str(error)
        assert error.retry_after is None or 0 <= error.retry_after < float("inf")
    else:
        assert isinstance(reply, Reply)


@settings(max_examples=EXAMPLES, deadline=None)
@given(values=st.lists(header_values, max_size=3), date=header_values, now=st.floats(0, 4e9))
def test_retry_after_is_none_or_finite_and_non_negative(
    values: list[str], date: str, now: float
) -> None:
    raw = [("Retry-After", v) for v in values] + [("Date", date)]
    headers = httpx.Headers([(k.encode(), v.encode("latin-1")) for k, v in raw])
    seconds = parse_retry_after(headers, now=now)
    assert seconds is None or 0.0 <= seconds <= sc._http.MAX_RETRY_AFTER


@pytest.mark.parametrize("op", ["get", "put", "delete_element"])
@settings(
    max_examples=max(EXAMPLES // 10, 20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(status=st.integers(100, 599), ctype=content_types, body=bodies)
def test_clients_return_or_raise_sdk_errors(
    client: Both, op: str, status: int, ctype: str, body: bytes
) -> None:
    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=[(b"Content-Type", ctype.encode())], content=body)

    client.client._http._transport = httpx.MockTransport(answer)
    args = {"get": (REF,), "put": (REF, {}), "delete_element": (REF, "members/me")}[op]
    try:
        getattr(client, op)(*args, retry=sc.RetryPolicy.never())
    except sc.SessionClientError as error:
        assert str(error)
