"""ETags byte for byte over a real socket: whatever obs-text a server puts in an ETag
comes back in If-Match / If-None-Match exactly, whichever status carried it (200, 201,
304, 412), for both clients. httpx decodes a response's headers as UTF-8 when they all
happen to decode, so only the raw bytes on the wire can show a difference.

Property runs over real sockets (25 examples each, sync, asyncio and trio): marked slow,
they run in CI's second pass."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sessionclient as sc

from .conftest import AUTH, REF, Both
from .wire import Scripted, header, response

JSON = ("Content-Type", "application/json")
SESSION = json.dumps({"members": {"0": {"constants": {}}}}).encode()
NEVER = sc.RetryPolicy.never()

# etagc = %x21 / %x23-7E / obs-text (RFC 9110 section 8.8.3)
ETAGC = [0x21, *range(0x23, 0x7F), *range(0x80, 0x100)]
opaque = st.lists(st.sampled_from(ETAGC), max_size=12).map(lambda c: b'"' + bytes(c) + b'"')


@pytest.fixture(scope="module")
def server() -> Iterator[Scripted]:
    with Scripted() as scripted:
        yield scripted


def client(kind: str, url: str, loop: asyncio.AbstractEventLoop, **options: Any) -> Both:
    resource = options.pop("resource", False)
    options.setdefault("retry", NEVER)
    if kind == "sync":
        cls: Any = sc.ResourceClient if resource else sc.SessionClient
        return Both(cls(url, auth=AUTH, **options), None)
    acls: Any = sc.AsyncResourceClient if resource else sc.AsyncSessionClient
    return Both(acls(url, auth=AUTH, **options), loop)


SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.slow
@SETTINGS
@given(first=opaque, second=opaque)
@example(first=b'"\xc3\xa9"', second=b'"\xe2\x82\xac"')  # UTF-8 é and €: the case
def test_etags_of_200_and_412_go_back_byte_for_byte(
    server: Scripted, kind: str, loop: asyncio.AbstractEventLoop, first: bytes, second: bytes
) -> None:
    server.play(
        response("200 OK", [JSON, ("ETag", first)], SESSION),
        response("412 Precondition Failed", [JSON, ("ETag", second)], SESSION),
        response("200 OK", [JSON, ("ETag", b'"done"')], SESSION),
    )
    both = client(kind, server.url, loop)
    try:
        session = both.update(REF, lambda current: {"properties": {"custom": {"n": 1}}})
    finally:
        both.close()
    assert session.etag == sc.ETag('"done"')
    assert [header(head, "If-Match") for head in server.heads[1:]] == [first, second]


@pytest.mark.slow
@SETTINGS
@given(etag=opaque)
@example(etag=b'"\xc3\xa9"')
def test_etag_of_201_goes_back_byte_for_byte(
    server: Scripted, kind: str, loop: asyncio.AbstractEventLoop, etag: bytes
) -> None:
    server.play(
        response("201 Created", [JSON, ("ETag", etag)], SESSION),
        response("200 OK", [JSON, ("ETag", b'"2"')], SESSION),
    )
    both = client(kind, server.url, loop)
    try:
        created = both.put(REF, {}, if_none_match=sc.ANY)
        both.put(REF, {}, if_match=created.etag)
    finally:
        both.close()
    assert header(server.heads[1], "If-Match") == etag


@pytest.mark.slow
@SETTINGS
@given(etag=opaque, weak=st.booleans())
@example(etag=b'"\xc3\xa9"', weak=False)
def test_etag_of_304_goes_back_byte_for_byte(
    server: Scripted, kind: str, loop: asyncio.AbstractEventLoop, etag: bytes, weak: bool
) -> None:
    sent = b"W/" + etag if weak else etag
    server.play(
        response("304 Not Modified", [("ETag", sent)]),
        response("304 Not Modified", [("ETag", sent)]),
    )
    both = client(kind, server.url, loop)
    try:
        cached = both.get(REF, if_none_match='"old"')
        both.get(REF, if_none_match=cached.etag)
    finally:
        both.close()
    assert header(server.heads[1], "If-None-Match") == sent


@pytest.mark.slow
@SETTINGS
@given(etag=opaque)
@example(etag=b'"\xc3\xa9"')
def test_etag_of_a_resource_412_goes_back_byte_for_byte(
    server: Scripted, kind: str, loop: asyncio.AbstractEventLoop, etag: bytes
) -> None:
    server.play(
        response("412 Precondition Failed", [("Content-Type", "text/plain"), ("ETag", etag)],
                 b"changed"),
        response("204 No Content"),
    )  # fmt: skip
    both = client(kind, server.url, loop, resource=True, profile="contacts")
    try:
        with pytest.raises(sc.PreconditionFailedError) as caught:
            both.put("/r", {}, if_match='"old"')
        both.put("/r", {}, if_match=caught.value.etag)
    finally:
        both.close()
    assert header(server.heads[1], "If-Match") == etag
    assert caught.value.headers["etag"].encode("latin-1") == etag  # the headers agree
