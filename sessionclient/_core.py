"""The sans-I/O core: requests planned from validated input, responses interpreted.

Nothing here touches the network. ``plan_*`` turn caller input into a ``Call`` (or
raise ``ValueError`` / ``TypeError`` before anything is sent); ``interpret`` turns a
status, headers and body into a ``Reply`` or raises one of the SDK's exceptions, and
nothing else, whatever the bytes.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import attrs
import httpx

from ._etag import ETag
from ._exceptions import (
    MalformedResponseError,
    SessionClientError,
    class_for_status,
    reason_phrase,
)
from ._http import excerpt, parse_retry_after, request_id
from ._models import Session
from ._profiles import Body, Kind, Media, Profile, Row, Target
from ._ref import SessionRef, check_element

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class Call(NamedTuple):
    """One planned HTTP request and what the interpreter needs to know about it (a
    tuple: one is built per call, and tuples are the cheapest immutable value)."""

    method: str
    path: str
    target: Target
    ref: SessionRef | None = None
    element: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    safe: bool = False
    """Whether sending it twice has the effect of sending it once."""
    creates: bool = False
    """Each attempt creates a new resource (a handle POST): besides 429, only a 503
    that says when to come back (Retry-After) proves the attempt did nothing."""


@attrs.frozen
class Pause:
    """A flow's request to wait; the driver answers with its clock after the wait."""

    seconds: float


class Reply(NamedTuple):
    """An interpreted response that is not an error."""

    status: int
    row: Row
    headers: httpx.Headers
    url: str
    document: Any = None
    text: str = ""
    etag: ETag | None = None
    retry_after: float | None = None
    """When to ask again, for replies that invite it (202, task progress)."""
    location: str | None = None
    """``Content-Location``: the session a handle or alias resolved to."""


# --- planning -----------------------------------------------------------------------


def _ref(ref: object) -> SessionRef:
    if not isinstance(ref, SessionRef):
        raise TypeError(f"ref must be a SessionRef, not {type(ref).__name__}")
    return ref


def _etag(value: ETag | str, header: str) -> ETag:
    if not isinstance(value, ETag | str):
        raise TypeError(f"{header} takes an ETag or str, not {type(value).__name__}")
    return ETag.parse(value)


def conditions(
    method: str, *, if_match: ETag | str | None = None, if_none_match: ETag | str | None = None
) -> tuple[tuple[tuple[str, str], ...], bool]:
    """Validate conditional arguments; return the headers and whether they make a
    write safe to repeat (If-Match on a strong ETag, or create-only)."""
    if if_match is None and if_none_match is None:
        return (), False
    match = _etag(if_match, "if_match") if if_match is not None else None
    none_match = _etag(if_none_match, "if_none_match") if if_none_match is not None else None
    if match is not None and none_match is not None:
        raise ValueError("give if_match or if_none_match, not both: they contradict each other")
    if match is not None and match.weak:
        raise ValueError(f"If-Match needs a strong ETag, got the weak {match}")
    write = method not in ("GET", "HEAD")
    if none_match is not None and write and not none_match.is_any:
        raise ValueError("on a write, if_none_match only takes ANY ('*'): create only")
    headers: list[tuple[str, str]] = []
    if match is not None:
        headers.append(("If-Match", str(match)))
    if none_match is not None:
        headers.append(("If-None-Match", str(none_match)))
    guarded = (match is not None and not match.is_any) or (none_match is not None and write)
    return tuple(headers), guarded


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_VALUE = re.compile(r"[\x20-\x7e\x80-\xff]*")


def check_header(name: object, value: object) -> None:
    """Refuse a header that HTTP cannot carry (a bad name, a line break, a character
    outside Latin-1) before any request exists."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise TypeError("header names and values must be str")
    if not _TOKEN.fullmatch(name) or not _VALUE.fullmatch(value):
        raise ValueError(f"header {name!r} cannot be sent: bad name, line break or non-Latin-1")


def encode_json(value: object, *, what: str = "changes", object_only: bool = True) -> bytes:
    """Encode a JSON body (an object unless ``object_only`` is False); raise
    ``TypeError`` / ``ValueError`` on anything that is not JSON."""
    if object_only and not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a mapping (a JSON object), not {type(value).__name__}")
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{what} is not JSON-serialisable: {exc}") from None


def plan(
    method: str,
    ref: SessionRef,
    element: str | None = None,
    *,
    changes: Mapping[str, Any] | None = None,
    if_match: ETag | str | None = None,
    if_none_match: ETag | str | None = None,
) -> Call:
    """Plan a session or element request; all validation happens here."""
    ref = _ref(ref)
    path = ref.path if element is None else f"{ref.path}/{check_element(element)}"
    headers, guarded = conditions(method, if_match=if_match, if_none_match=if_none_match)
    body = encode_json(changes) if method == "PUT" else None
    return Call(
        method,
        path,
        Target.SESSION if element is None else Target.ELEMENT,
        ref=ref,
        element=element,
        headers=headers,
        body=body,
        safe=method in SAFE_METHODS or guarded,
    )


# --- interpretation -----------------------------------------------------------------


def media_of(content_type: str | None, body: bytes) -> Media:
    """What a body is: JSON by content type, nothing when empty, text otherwise."""
    if not body:
        return Media.NONE
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        return Media.JSON
    return Media.TEXT


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)  # one decoder, not one per call


def parse_json(body: bytes) -> Any:
    """Decode a UTF-8 JSON body or raise ``ValueError`` (never RecursionError or NaN)."""
    try:
        text = body.decode("utf-8-sig")  # RFC 8259: UTF-8; a BOM may be ignored
        return _DECODER.decode(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


_MESSAGE_KEYS = ("message", "Message", "errorMessage", "error_description", "error", "title")


def _message(body: bytes, media: Media) -> tuple[str, Any]:
    """The human message of an error body, and its JSON when it is JSON."""
    if media is Media.JSON:
        try:
            details = parse_json(body)
        except ValueError:
            return excerpt(body), None
        if isinstance(details, dict):
            if {"currentRequests", "maxRequests", "periodInSeconds"} <= details.keys():
                # The Fine-Grained Rate Limiting report: say it in words.
                kind = details.get("limitType")
                words = (
                    f"{details['currentRequests']} calls where {details['maxRequests']} are "
                    f"allowed per {details['periodInSeconds']} s"
                )
                return words + (f" ({kind} limit)" if kind else ""), details
            for key in _MESSAGE_KEYS:
                if isinstance(details.get(key), str) and details[key]:
                    # One printable line, like any other message: no escapes, no breaks.
                    return excerpt(details[key].encode(), 500), details
            return excerpt(json.dumps(details, separators=(", ", ": ")).encode()), details
        return excerpt(body), details
    return excerpt(body), None


_NEEDED = frozenset({b"content-type", b"etag", b"content-location", b"retry-after"})


def _needed(headers: httpx.Headers) -> dict[bytes, str]:
    """The headers interpretation reads, in one pass over the raw bytes (each httpx
    lookup is a scan that decodes every header)."""
    found: dict[bytes, str] = {}
    for key, value in headers.raw:
        name = key.lower()
        if name in _NEEDED and name not in found:
            found[name] = value.decode("latin-1")
    return found


def _session_ref(call: Call, location: str | None) -> SessionRef | None:
    """The session a reply is about: the one ``Content-Location`` names (a handle or an
    alias resolves to it), else the one the call named."""
    ref = call.ref
    if location and (ref is None or location != ref.path):
        with contextlib.suppress(ValueError):
            ref = SessionRef.from_url(location)
    return ref


def _context(call: Call, status: int, headers: httpx.Headers, url: str) -> dict[str, Any]:
    """What every error of a response carries."""
    return {
        "status": status, "method": call.method, "url": url, "headers": headers,
        "request_id": request_id(headers),
    }  # fmt: skip


def interpret(
    profile: Profile,
    call: Call,
    status: int,
    headers: httpx.Headers,
    body: bytes,
    *,
    url: str,
    now: float,
) -> Reply:
    """Interpret a response to ``call``; ``now`` is the wall clock (epoch seconds),
    used for Retry-After dates when the response has no ``Date``."""
    needed = _needed(headers)
    media = media_of(needed.get(b"content-type"), body)
    row = profile.select(status, call.method, call.target, media, body)
    if row is None:
        family = {4: "unknown.client", 5: "unknown.server"}.get(status // 100, "unknown.other")
        message = excerpt(body) or f"unexpected status for {call.method} {call.target.value}"
        raise class_for_status(status)(
            message,
            retry_after=parse_retry_after(headers, now=now),
            explanation_key=family,
            **_context(call, status, headers, url),
        )
    if row.kind is Kind.ERROR:
        raise _error(row, call, headers, body, media, now, _context(call, status, headers, url))
    # Only replies that invite another request (202, task progress) need Retry-After.
    invites = row.body is not Body.SESSION and b"retry-after" in needed
    retry_after = parse_retry_after(headers, now=now) if invites else None
    document, text = None, ""
    if row.body is Body.MESSAGE:
        text = _message(body, media)[0]
    elif row.body is not Body.NONE:
        document = _document(row, body, media, lambda: _context(call, status, headers, url))
    etag = ETag.from_header(needed.get(b"etag"))
    location = needed.get(b"content-location")
    return Reply(status, row, headers, url, document, text, etag, retry_after, location)


def _document(row: Row, body: bytes, media: Media, context: Callable[[], dict[str, Any]]) -> Any:
    """The JSON body a success row promises, or ``MalformedResponseError``."""
    want_object = row.body in (Body.SESSION, Body.TASK)
    problem = None
    if media is not Media.JSON:
        ctype = context()["headers"].get("content-type") or "no content type"
        problem = f"{ctype}: {excerpt(body)!r}" if body else "an empty body"
    else:
        try:
            document = parse_json(body)
        except ValueError as exc:
            problem = f"invalid JSON ({exc}): {excerpt(body)!r}"
        else:
            if not want_object or isinstance(document, dict):
                return document
            problem = f"a JSON {type(document).__name__}: {excerpt(body)!r}"
    want = "a JSON object" if want_object else "JSON"
    raise MalformedResponseError(
        f"{row.status} {reason_phrase(row.status)} promises {want}, got {problem}", **context()
    )


_SESSION_KEYS = frozenset({"members", "membersInfo", "constants", "properties", "servers"})


def _is_session(value: object) -> bool:
    """Whether an error body is a session document (not some other JSON object)."""
    return isinstance(value, dict) and not _SESSION_KEYS.isdisjoint(value)


def _error(
    row: Row,
    call: Call,
    headers: httpx.Headers,
    body: bytes,
    media: Media,
    now: float,
    context: dict[str, Any],
) -> SessionClientError:
    """The exception of an error row, carrying the session when the body is one."""
    session = None
    message, details = _message(body, media)
    ref = _session_ref(call, headers.get("content-location"))
    if row.body is Body.SESSION and _is_session(details) and ref is not None:
        session = Session(ref, ETag.from_header(headers.get("etag")), details, False)
        message, details = f"the current session is attached (ETag {session.etag})", None
    return class_for_status(row.status)(
        message or f"{reason_phrase(row.status).lower() or 'error'} (no message)",
        session=session,
        etag=session.etag if session else ETag.from_header(headers.get("etag")),
        retry_after=parse_retry_after(headers, now=now),
        details=details,
        explanation_key=row.key,
        **context,
    )


def session_of(call: Call, reply: Reply) -> Session:
    """The ``Session`` of a reply whose body is a session."""
    ref = _session_ref(call, reply.location)
    if ref is None:  # reached through a handle, and the answer does not say which
        raise MalformedResponseError(
            f"{reply.status} {reason_phrase(reply.status)} returned a session without a "
            "Content-Location naming it",
            status=reply.status, method=call.method, url=reply.url, headers=reply.headers,
        )  # fmt: skip
    return Session(ref, reply.etag, reply.document, reply.row.kind is Kind.CREATED)
