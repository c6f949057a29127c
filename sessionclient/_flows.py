"""Session operations, written once for both clients.

A one-request operation is its planned ``Call``, whose shape says what the reply
becomes (``_core.READ``, ``WRITE`` ...). A longer operation is a flow (``_engine.Flow``):
a generator that yields each ``Call`` it needs and receives the ``Reply`` (or has the
call's exception thrown into it) and yields ``Pause``s; its return value is the result.
This is the pattern of httpx's ``Auth.auth_flow``: the logic exists once, and the
engine drives it the same way for the sync and the async client.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from ._core import WRITE, Call, Reply, plan, result
from ._engine import Flow, Pause
from ._etag import ANY, ETag
from ._exceptions import (
    AmbiguousWriteError,
    MalformedResponseError,
    PreconditionFailedError,
    SessionClientError,
    TransportError,
)
from ._models import Accepted, Session
from ._observe import CONFLICT
from ._ref import SessionRef, check_element
from ._retry import conflict_pause

SessionWrite = Call[Session | Accepted | None]

DEFAULT_BASE_URL = "https://sessiondirectory.xboxlive.com"
CONTRACT_VERSION = 107


def mpsd_headers(contract_version: int) -> dict[str, str]:
    """The headers MPSD wants on every call, for ``contract_version``."""
    if isinstance(contract_version, bool) or not isinstance(contract_version, int):
        raise TypeError("contract_version must be an int")
    return {
        "x-xbl-contract-version": str(contract_version),
        "Content-Type": "application/json",  # MPSD documents it for every call
        "Accept": "application/json",
    }


def put(
    ref: SessionRef,
    changes: Mapping[str, Any],
    element: str | None = None,
    *,
    if_match: ETag | str | None = None,
    if_none_match: ETag | str | None = None,
) -> SessionWrite:
    """PUT a delta to a session or one of its elements."""
    return plan(
        "PUT",
        ref,
        element,
        shape=WRITE,
        changes=changes,
        if_match=if_match,
        if_none_match=if_none_match,
    )


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
    call: Call[Session | None] = plan("GET", ref)
    found = result(call, (yield call))
    return found if isinstance(found, Session) else None


def _guard(ref: SessionRef, current: Session | None) -> tuple[ETag | None, ETag | None]:
    """(If-Match, If-None-Match) of the next write: the version read, or create-only."""
    if current is None:
        return None, ANY
    if current.etag is None or current.etag.weak:
        raise MalformedResponseError(
            f"the session came with {'a weak ETag' if current.etag else 'no ETag'}, so it "
            "cannot guard a write (If-Match needs a strong one); a proxy may be altering it",
            method="GET",
            url=ref.path,
        )
    return current.etag, None


def update(
    target: SessionRef | Session,
    mutate: Mutate,
    *,
    create: bool = False,
    max_attempts: int | None = None,
    rand: Callable[[], float] = random.random,
) -> Flow[Session | Accepted | None]:
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
        call = put(ref, delta, if_match=if_match, if_none_match=if_none_match)
        sent_at = yield Pause(0.0, gave_up if conflicts else None)
        try:
            reply: Reply = yield call
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
            pause = conflict_pause(round_trip, len(conflicts), rand())
            yield Pause(pause, gave_up, round_trip, reason=CONFLICT)
            continue
        return result(call, reply)
    raise gave_up()


def _gave_up(
    conflicts: list[SessionClientError], latest: Session | None
) -> PreconditionFailedError:
    """The last 412, told that update() gave up, and carrying the latest session."""
    last = conflicts[-1]
    error = PreconditionFailedError(
        f"the session kept changing: gave up after {len(conflicts)} conditional write"
        f"{'s' if len(conflicts) > 1 else ''} ({last.message})",
        status=last.status,
        method=last.method,
        url=last.url,
        headers=last.headers,
        session=latest,
        etag=latest.etag if latest is not None else None,
        request_id=last.request_id,
        explanation_key="mpsd.412.session",
    )
    error.history = tuple(attempt for c in conflicts for attempt in c.history)
    error.attempts = len(error.history)
    error.__cause__ = last
    return error


# --- verbs ----------------------------------------------------------------------------


def create(ref: SessionRef, changes: Mapping[str, Any] | None) -> SessionWrite:
    """Create a session that must not exist yet (``If-None-Match: *``)."""
    return put(ref, {} if changes is None else changes, if_none_match=ANY)


def join(
    ref: SessionRef, constants: Mapping[str, Any] | None, properties: Mapping[str, Any] | None
) -> SessionWrite:
    """Add or update the caller's member (``members.me``); its constants and properties
    are the objects the service defines (``{"system": {...}, "custom": {...}}``)."""
    me: dict[str, Any] = {}
    if constants is not None:
        me["constants"] = constants
    if properties is not None:
        me["properties"] = properties
    return put(ref, {"members": {"me": me}})


def leave(ref: SessionRef) -> SessionWrite:
    """Remove the caller from the session (the result is None once it is gone)."""
    return put(ref, {"members": {"me": None}})


def set_properties(
    ref: SessionRef, custom: Mapping[str, Any], if_match: ETag | str | None
) -> SessionWrite:
    """Merge ``custom`` into the session's ``properties.custom`` (null removes a key)."""
    return put(ref, {"properties": {"custom": custom}}, if_match=if_match)


def remove_member(ref: SessionRef, index: int, if_match: ETag | str | None) -> SessionWrite:
    """Remove the member at ``index``."""
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"a member index is a non-negative int, not {index!r}")
    return put(ref, {"members": {str(index): None}}, if_match=if_match)


def set_server(
    ref: SessionRef, name: str, server: Mapping[str, Any] | None, if_match: ETag | str | None
) -> SessionWrite:
    """Set (or, with ``server=None``, remove) the server entry ``name``."""
    check_element(f"servers/{name}")
    return put(ref, {"servers": {name: server}}, if_match=if_match)
