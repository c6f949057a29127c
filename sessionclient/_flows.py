"""Operations written once as generators, driven by the sync and async clients.

A flow yields each ``Call`` it needs and receives the ``Reply`` (or has the call's
exception thrown into it); its return value is the operation's result. Single calls
are one-step flows; read-modify-write is a longer one. This is the pattern of httpx's
``Auth.auth_flow``: the logic exists once, the I/O twice.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Mapping
from typing import Any, TypeVar

from ._core import Call, Reply, plan, session_of
from ._etag import ETag
from ._exceptions import MalformedResponseError
from ._models import Accepted, Element, NotModified, Session
from ._profiles import Kind
from ._ref import SessionRef

T = TypeVar("T")
Flow = Generator[Call, Reply, T]


def _unexpected(call: Call, reply: Reply, why: str) -> MalformedResponseError:
    return MalformedResponseError(
        f"{reply.status} is not a valid answer to {call.method} {call.target.value}: {why}",
        status=reply.status, method=call.method, url=reply.url, headers=reply.headers,
    )  # fmt: skip


def _write_result(call: Call, reply: Reply) -> Session | Accepted | None:
    kind = reply.row.kind
    if kind is Kind.NO_CONTENT:
        return None
    if kind is Kind.ACCEPTED:
        assert call.ref is not None
        return Accepted(call.ref, reply.text)
    if kind in (Kind.DOCUMENT, Kind.CREATED):
        return session_of(call, reply)
    raise _unexpected(call, reply, f"a write does not yield {kind.value}")


def _read(call: Call, reply: Reply, build: Callable[[Reply], T]) -> T | NotModified | None:
    kind = reply.row.kind
    if kind is Kind.NO_CONTENT:
        return None
    if kind is Kind.NOT_MODIFIED:
        if not any(name == "If-None-Match" for name, _ in call.headers):
            raise _unexpected(call, reply, "304 answers only a request with If-None-Match")
        assert call.ref is not None
        return NotModified(call.ref, reply.etag)
    if kind is not Kind.DOCUMENT:
        raise _unexpected(call, reply, f"a read does not yield {kind.value}")
    return build(reply)


def get(
    ref: SessionRef, *, if_none_match: ETag | str | None = None
) -> Flow[Session | NotModified | None]:
    """GET a session."""
    call = plan("GET", ref, if_none_match=if_none_match)
    return _read(call, (yield call), functools.partial(session_of, call))


def get_element(
    ref: SessionRef, element: str, *, if_none_match: ETag | str | None = None
) -> Flow[Element | NotModified | None]:
    """GET one element of a session."""
    call = plan("GET", ref, element, if_none_match=if_none_match)
    reply = yield call
    return _read(call, reply, lambda r: Element(ref, element, r.etag, r.document))


def put(
    ref: SessionRef,
    changes: Mapping[str, Any],
    element: str | None = None,
    *,
    if_match: ETag | str | None = None,
    if_none_match: ETag | str | None = None,
) -> Flow[Session | Accepted | None]:
    """PUT a delta to a session or one of its elements."""
    call = plan(
        "PUT", ref, element, changes=changes, if_match=if_match, if_none_match=if_none_match
    )
    return _write_result(call, (yield call))


def delete(
    ref: SessionRef, element: str | None = None, *, if_match: ETag | str | None = None
) -> Flow[Session | Accepted | None]:
    """DELETE a session or one of its elements."""
    call = plan("DELETE", ref, element, if_match=if_match)
    return _write_result(call, (yield call))
