"""Operations written once, driven by the sync and async clients.

A one-request operation is a ``Step``: its planned ``Call`` and how the ``Reply``
becomes the result. A longer operation is a flow, a generator that yields each ``Call``
it needs and receives the ``Reply`` (or has the call's exception thrown into it); its
return value is the result. This is the pattern of httpx's ``Auth.auth_flow``: the
logic exists once, the I/O twice. Steps compose into flows with ``step.flow()``.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Generator, Mapping
from typing import Any, Generic, TypeVar

import attrs

from ._core import Call, Pause, Reply, plan, session_of
from ._etag import ANY, ETag
from ._exceptions import (
    AmbiguousWriteError,
    MalformedResponseError,
    PreconditionFailedError,
    SessionClientError,
    TransportError,
)
from ._models import Accepted, Element, NotModified, Session
from ._observe import CONFLICT
from ._profiles import Kind
from ._ref import SessionRef, check_element

T = TypeVar("T")
U = TypeVar("U")
Flow = Generator[Call, Reply, T]


class Step(Generic[T]):
    """A one-request operation: the call, and what its reply means. Drivers send the
    call directly (no generator on the common path); flows use ``flow()``. (A plain
    class: one is built per call.)"""

    __slots__ = ("call", "finish")

    def __init__(self, call: Call, finish: Callable[[Reply], T]) -> None:
        self.call = call
        self.finish = finish

    def flow(self) -> Flow[T]:
        """This step as a flow, to ``yield from`` in a longer one."""
        return self.finish((yield self.call))

    def then(self, after: Callable[[T], U]) -> Step[U]:
        """The same call, with ``after`` applied to its result."""
        finish = self.finish
        return Step(self.call, lambda reply: after(finish(reply)))


@attrs.frozen
class Done(Generic[T]):
    """A flow's end, with its result."""

    value: T


def resume(
    flow: Generator[Call | Pause, Any, T], value: object = None, error: BaseException | None = None
) -> Call | Pause | Done[T]:
    """Advance ``flow`` with a value (or an error thrown into it): its next request,
    pause, or its end. Only the flow's own ``StopIteration`` ends it; the drivers call
    the network outside, so a stray ``StopIteration`` cannot pass for a result."""
    try:
        return flow.throw(error) if error is not None else flow.send(value)
    except StopIteration as stop:
        return Done(stop.value)


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


def _read(call: Call, build: Callable[[Reply], T], reply: Reply) -> T | NotModified | None:
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
) -> Step[Session | NotModified | None]:
    """GET a session."""
    call = plan("GET", ref, if_none_match=if_none_match)
    return Step(call, functools.partial(_read, call, functools.partial(session_of, call)))


def get_element(
    ref: SessionRef, element: str, *, if_none_match: ETag | str | None = None
) -> Step[Element | NotModified | None]:
    """GET one element of a session."""
    call = plan("GET", ref, element, if_none_match=if_none_match)

    def build(reply: Reply) -> Element:
        return Element(ref, element, reply.etag, reply.document)

    return Step(call, functools.partial(_read, call, build))


def put(
    ref: SessionRef,
    changes: Mapping[str, Any],
    element: str | None = None,
    *,
    if_match: ETag | str | None = None,
    if_none_match: ETag | str | None = None,
) -> Step[Session | Accepted | None]:
    """PUT a delta to a session or one of its elements."""
    call = plan(
        "PUT", ref, element, changes=changes, if_match=if_match, if_none_match=if_none_match
    )
    return Step(call, functools.partial(_write_result, call))


def delete(
    ref: SessionRef, element: str | None = None, *, if_match: ETag | str | None = None
) -> Step[Session | Accepted | None]:
    """DELETE a session or one of its elements."""
    call = plan("DELETE", ref, element, if_match=if_match)
    return Step(call, functools.partial(_write_result, call))


# --- read-modify-write --------------------------------------------------------------

Mutate = Callable[[Session | None], Mapping[str, Any] | None]
"""Given the current session (None: it does not exist), the delta to write, or None
to write nothing."""


def applied(
    delta: Mapping[str, Any], document: Mapping[str, Any], path: tuple[str, ...] = ()
) -> bool:
    """Whether ``document`` already holds every value ``delta`` sets: each key it sets
    to a value has that value, each key it sets to null is absent. ``members.me``
    names the caller, whose index the client does not know: a delta that touches it
    cannot be confirmed, so it counts as not applied (writing one's own member entry
    again is a harmless merge)."""
    for key, value in delta.items():
        if (*path, key) == ("members", "me"):
            return False
        if value is None:
            if key in document:
                return False
        elif isinstance(value, Mapping):
            inner = document.get(key)
            if not isinstance(inner, Mapping) or not applied(value, inner, (*path, key)):
                return False
        elif document.get(key) != value:
            return False
    return True


def _current(ref: SessionRef) -> Flow[Session | None]:
    result = yield from get(ref).flow()
    return result if isinstance(result, Session) else None


def _guard(ref: SessionRef, current: Session | None) -> tuple[ETag | None, ETag | None]:
    """(If-Match, If-None-Match) of the next write: the version read, or create-only."""
    if current is None:
        return None, ANY
    if current.etag is None or current.etag.weak:
        raise MalformedResponseError(
            f"the session came with {'a weak ETag' if current.etag else 'no ETag'}, so it "
            "cannot guard a write (If-Match needs a strong one); a proxy may be altering it",
            method="GET", url=ref.path,
        )  # fmt: skip
    return current.etag, None


def update(
    target: SessionRef | Session,
    mutate: Mutate,
    *,
    create: bool = False,
    max_attempts: int | None = None,
    rand: Callable[[], float] = random.random,
) -> Generator[Call | Pause, Any, Session | Accepted | None]:
    """Read-modify-write with optimistic concurrency.

    Starts from ``target`` when it is a ``Session`` (no read), else reads it. Writes
    ``mutate(current)`` with ``If-Match: <etag>`` (``If-None-Match: *`` to create, only
    with ``create=True``). On 412 the session in the body is the new ``current`` (no
    extra GET; a 412 without one costs a GET). After a retried write that may have
    landed, the 412's session is checked with ``applied``: when it already holds the
    delta, the write counts as done. Returns the written session, or None when there is
    none (it does not exist and ``create`` is False, or the write deleted it).

    A conflict is not a failure of the service: the flow keeps resolving them until
    the operation's deadline, or ``max_attempts`` conflicting writes when given; then
    the last 412 is raised, carrying the latest session.

    Writers that lose a race all learn the new version at once; rewriting at once, they
    would collide again. So after each conflict the flow waits a random part of a few
    round trips of its own last write (doubling with each conflict, at most 16), which
    spreads the writers out and spends fewer requests per committed change. That wait
    is not taken when it would reach the deadline: the 412 is raised instead.
    """
    if max_attempts is not None and (
        isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1
    ):
        raise ValueError("max_attempts must be a positive integer, or None (until the deadline)")
    if not callable(mutate):
        raise TypeError("mutate must be callable: (Session | None) -> delta | None")
    if isinstance(target, Session):
        ref, current = target.ref, target
    else:
        ref, current = target, None
        current = yield from _current(ref)
    conflicts: list[SessionClientError] = []

    def gave_up() -> PreconditionFailedError:
        return _gave_up(conflicts, current)

    while max_attempts is None or len(conflicts) < max_attempts:
        delta = mutate(current)
        if delta is None:
            return current
        if current is None and not create:
            return None
        if_match, if_none_match = _guard(ref, current)
        call = plan("PUT", ref, changes=delta, if_match=if_match, if_none_match=if_none_match)
        sent_at = yield Pause(0.0, gave_up if conflicts else None)
        try:
            reply = yield call
        except TransportError:
            if conflicts:
                yield Pause(0.0, gave_up)  # cut by the deadline: the last 412 ended it
            raise
        except (PreconditionFailedError, AmbiguousWriteError) as conflict:
            conflicts.append(conflict)
            round_trip = (yield Pause(0.0, gave_up)) - sent_at
            latest = conflict.session
            if latest is None:
                latest = yield from _current(ref)
            ambiguous = isinstance(conflict, AmbiguousWriteError)
            if ambiguous and latest is not None and applied(delta, latest.document):
                return latest
            current = latest
            # Not worth it when the write after the pause could not end in time.
            pause = rand() * round_trip * min(2 ** len(conflicts), 16)
            yield Pause(pause, gave_up, round_trip, reason=CONFLICT)
            continue
        return _write_result(call, reply)
    raise gave_up()


def _gave_up(
    conflicts: list[SessionClientError], latest: Session | None
) -> PreconditionFailedError:
    """The last 412, told that update() gave up, and carrying the latest session."""
    last = conflicts[-1]
    error = PreconditionFailedError(
        f"the session kept changing: gave up after {len(conflicts)} conditional write"
        f"{'s' if len(conflicts) > 1 else ''} ({last.message})",
        status=last.status, method=last.method, url=last.url, headers=last.headers,
        session=latest, etag=latest.etag if latest is not None else None,
        request_id=last.request_id, explanation_key="mpsd.412.session",
    )  # fmt: skip
    error.history = tuple(attempt for c in conflicts for attempt in c.history)
    error.attempts = len(error.history)
    error.__cause__ = last
    return error


# --- verbs ----------------------------------------------------------------------------


def create(ref: SessionRef, changes: Mapping[str, Any] | None) -> Step[Session | Accepted | None]:
    """Create a session that must not exist yet (``If-None-Match: *``)."""
    return put(ref, {} if changes is None else changes, if_none_match=ANY)


def join(
    ref: SessionRef, constants: Mapping[str, Any] | None, properties: Mapping[str, Any] | None
) -> Step[Session | Accepted | None]:
    """Add or update the caller's member (``members.me``); its constants and properties
    are the objects the service defines (``{"system": {...}, "custom": {...}}``)."""
    me: dict[str, Any] = {}
    if constants is not None:
        me["constants"] = constants
    if properties is not None:
        me["properties"] = properties
    return put(ref, {"members": {"me": me}})


def leave(ref: SessionRef) -> Step[bool]:
    """Remove the caller from the session; True while the session still exists."""
    return put(ref, {"members": {"me": None}}).then(lambda result: result is not None)


def set_properties(
    ref: SessionRef, custom: Mapping[str, Any], if_match: ETag | str | None
) -> Step[Session | Accepted | None]:
    """Merge ``custom`` into the session's ``properties.custom`` (null removes a key)."""
    return put(ref, {"properties": {"custom": custom}}, if_match=if_match)


def remove_member(
    ref: SessionRef, index: int, if_match: ETag | str | None
) -> Step[Session | Accepted | None]:
    """Remove the member at ``index``."""
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"a member index is a non-negative int, not {index!r}")
    return put(ref, {"members": {str(index): None}}, if_match=if_match)


def set_server(
    ref: SessionRef, name: str, server: Mapping[str, Any] | None, if_match: ETag | str | None
) -> Step[Session | Accepted | None]:
    """Set (or, with ``server=None``, remove) the server entry ``name``."""
    check_element(f"servers/{name}")
    return put(ref, {"servers": {name: server}}, if_match=if_match)
