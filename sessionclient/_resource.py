"""Calls to any path below a base URL, interpreted by a status profile (``rest``,
Windows Live Contacts, Veeam Enterprise Manager, MPSD or your own), and the polling of
tasks started by a 202.

They share everything with the session calls: the engine, the interpreter (``_core``),
the exception tree and the retry policy. What differs is data (the ``Profile``), the
planning of a call for a plain path, and the shape of a result.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote, urlencode

import attrs
import httpx

from ._core import (
    SAFE_METHODS,
    Call,
    Reply,
    Shape,
    check_header,
    conditions,
    encode_json,
)
from ._engine import Flow, Pause
from ._etag import ETag
from ._exceptions import (
    MalformedResponseError,
    TaskFailedError,
    TaskTimeoutError,
    TransportError,
)
from ._http import format_http_date, parse_http_date
from ._models import Accepted, Created, NoContent, NotModified, PartialContent, Resource
from ._observe import POLL
from ._profiles import PROFILES, Body, Kind, Profile, Target
from ._retry import poll_interval

_SEGMENT = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})+")
Moment = datetime | float
"""A point in time: a timezone-aware ``datetime`` or epoch seconds."""


def check_path(path: object) -> str:
    """Validate a path below the base URL: absolute (``/x/y``), made of URL-safe or
    percent-encoded segments, never ``.``/``..`` nor an encoded ``/``. Anything that
    could leave the base URL (a scheme, ``//host``, ``\\``) is refused."""
    if not isinstance(path, str):
        raise TypeError(f"path must be a str, not {type(path).__name__}")
    segments = path.split("/")
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"path must start with a single '/': {path!r}")
    last = len(segments) - 1
    for index, segment in enumerate(segments[1:], start=1):
        decoded = unquote(segment)
        if segment == "" and index == last:
            continue  # a trailing slash
        if not _SEGMENT.fullmatch(segment) or decoded in (".", "..") or "/" in decoded:
            raise ValueError(f"invalid path segment {segment!r} in {path!r}")
    return path


def _date(value: Moment, header: str) -> str:
    if isinstance(value, bool) or not isinstance(value, datetime | int | float):
        raise TypeError(f"{header} takes an aware datetime or epoch seconds")
    return format_http_date(value)


def plan_resource(
    method: str,
    path: str,
    *,
    json: Any = None,
    content: bytes | str | None = None,
    content_type: str | None = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    if_match: ETag | str | None = None,
    if_none_match: ETag | str | None = None,
    if_modified_since: Moment | None = None,
    if_unmodified_since: Moment | None = None,
) -> Call[ResourceResult | Started]:
    """Plan a request to a resource; every argument is checked before anything exists.

    The body is ``json`` (encoded, ``application/json``) or ``content``: bytes
    (``application/octet-stream``) or text (UTF-8, ``text/plain; charset=utf-8``);
    ``content_type`` names another type for either."""
    full = check_path(path)
    if params:
        full += "?" + urlencode(dict(params))
    extra, guarded = conditions(method, if_match=if_match, if_none_match=if_none_match)
    dated: list[tuple[str, str]] = []
    if if_modified_since is not None and method not in ("GET", "HEAD"):
        # RFC 9110 section 13.1.3: a server ignores it on any other method.
        raise ValueError(
            "if_modified_since only applies to GET and HEAD; "
            "a write takes if_unmodified_since or if_match"
        )
    if if_modified_since is not None:
        dated.append(("If-Modified-Since", _date(if_modified_since, "if_modified_since")))
    if if_unmodified_since is not None:
        dated.append(("If-Unmodified-Since", _date(if_unmodified_since, "if_unmodified_since")))
    for name, value in (headers or {}).items():
        check_header(name, value)
    body, kind = _body(json, content)
    if content_type is not None:
        check_header("Content-Type", content_type)
        if body is None:
            raise ValueError("content_type names the type of a body: give json or content")
        kind = content_type
    typed = [("Content-Type", kind)] if body is not None else []
    return Call(
        method,
        full,
        Target.RESOURCE,
        READ_RESOURCE if method in ("GET", "HEAD") else WRITE_RESOURCE,
        headers=(*extra, *dated, *typed, *(headers or {}).items()),
        body=body,
        # A PUT or DELETE guarded by an ETag or a date cannot apply twice: the repeat
        # gets 412. A POST creates something new each time, guarded or not.
        safe=method in SAFE_METHODS
        or (method in ("PUT", "DELETE") and (guarded or if_unmodified_since is not None)),
    )


def _body(json: Any, content: bytes | str | None) -> tuple[bytes | None, str]:
    """A request's body and its default content type."""
    if content is None:
        if json is None:
            return None, ""
        return encode_json(json, what="json", object_only=False), "application/json"
    if json is not None:
        raise ValueError("give json or content, not both")
    if isinstance(content, str):
        return content.encode("utf-8"), "text/plain; charset=utf-8"
    if isinstance(content, bytes | bytearray | memoryview):
        return bytes(content), "application/octet-stream"
    raise TypeError(f"content takes bytes or str, not {type(content).__name__}")


def _last_modified(reply: Reply) -> datetime | None:
    value = reply.headers.get("last-modified")
    when = parse_http_date(value, now=time.time()) if value else None
    return None if when is None else datetime.fromtimestamp(when, timezone.utc)


ResourceResult = Resource | Created | PartialContent | NotModified | NoContent | Accepted
"""What a resource call returns (a 202 with a task returns a ``Task`` instead)."""
ReadResult = Resource | PartialContent | NotModified | NoContent | Accepted
"""What a GET returns (or a ``Task``)."""
WriteResult = Resource | Created | NoContent | Accepted
"""What a PUT, POST or DELETE returns (or a ``Task``)."""


@attrs.frozen
class Started:
    """A 202 that started a task (the client makes it a ``Task`` to poll)."""

    call: Call[Any]
    reply: Reply


def _resource(call: Call[Any], reply: Reply) -> Resource:
    return Resource(call.path, reply.etag, _last_modified(reply), reply.document, reply.status)


def _created(call: Call[Any], reply: Reply) -> Created:
    return Created(call.path, reply.headers.get("location"), reply.etag, reply.document)


def _partial(call: Call[Any], reply: Reply) -> PartialContent:
    return PartialContent(call.path, reply.etag, reply.document)


def _accepted(call: Call[Any], reply: Reply) -> Accepted | Started:
    body = reply.row.body
    if body is Body.TASK or (body is Body.NONE and reply.headers.get("location")):
        return Started(call, reply)
    return Accepted(call.path, reply.text)  # a 202 with a message (MPSD, rest)


def _not_modified(call: Call[Any], reply: Reply) -> NotModified:
    return NotModified(call.path, reply.etag)


def _no_content(call: Call[Any], reply: Reply) -> NoContent:
    return NoContent(call.path, reply.etag)


READ_RESOURCE: Shape = {
    Kind.DOCUMENT: _resource,
    Kind.PARTIAL: _partial,
    Kind.NOT_MODIFIED: _not_modified,
    Kind.NO_CONTENT: _no_content,
    Kind.ACCEPTED: _accepted,
}
"""What a GET's reply becomes, by the kind of its row (a 201 is no answer to a GET)."""
WRITE_RESOURCE: Shape = {
    Kind.DOCUMENT: _resource,
    Kind.CREATED: _created,
    Kind.NO_CONTENT: _no_content,
    Kind.ACCEPTED: _accepted,
}
"""What a write's reply becomes (a 206 or a 304 is no answer to a write)."""


# --- tasks ----------------------------------------------------------------------------

_FINISHED = {
    "finished",
    "completed",
    "complete",
    "succeeded",
    "success",
    "failed",
    "error",
    "cancelled",
    "canceled",
    "stopped",
}
_FAILED = {"failed", "error", "cancelled", "canceled", "stopped"}


def _field(document: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        for key in (name, name.lower(), name[0].lower() + name[1:]):
            if key in document:
                return document[key]
    return None


def task_outcome(document: Any) -> tuple[bool, bool, str]:
    """(finished, succeeded, message) of a task resource, in the Veeam shape
    (``State`` Running/Finished, ``Result.Success``, ``Result.Message``) or close to it."""
    if not isinstance(document, Mapping):
        return False, False, ""
    state = str(_field(document, "State", "Status") or "").lower()
    result = _field(document, "Result")
    success: Any = _field(result, "Success") if isinstance(result, Mapping) else None
    message = _field(result, "Message") if isinstance(result, Mapping) else None
    if isinstance(success, str):
        success = success.lower() == "true"
    finished = state in _FINISHED
    failed = state in _FAILED or success is False
    return finished, finished and not failed, str(message or state or "")


def _href(document: Any) -> Any:
    if not isinstance(document, Mapping):
        return None
    links = _field(document, "Links")
    if _field(document, "Href") is None and isinstance(links, list):
        return next(
            (
                _field(link, "Href")
                for link in links
                if isinstance(link, Mapping) and str(_field(link, "Rel")).lower() == "self"
            ),
            None,
        )
    return _field(document, "Href")


def task_of(started: Started, base_url: str) -> tuple[str, dict[str, str]]:
    """Where to poll the task a 202 started, as (path below ``base_url``, query). The
    task resource's ``Href`` (or ``Links`` rel=Self) comes first, then ``Location``. A
    task on another origin, or a link that is not a clean path, is refused: the token
    must go nowhere else."""
    call, reply = started.call, started.reply
    href = _href(reply.document) or reply.headers.get("location")

    def refuse(why: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"the 202 started a task the client cannot poll: {why}",
            status=reply.status,
            method=call.method,
            url=reply.url,
            headers=reply.headers,
        )

    if not isinstance(href, str) or not href:
        raise refuse("it names none (no Href, no Location)")
    try:
        base = httpx.URL(base_url)
        url = base.join(href)
    except (httpx.InvalidURL, ValueError):
        raise refuse(f"{href!r} is not a URL") from None
    if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port):
        raise refuse(f"{href!r} is on another origin")
    prefix = base.raw_path.decode("ascii").rstrip("/")
    path = url.raw_path.decode("ascii").split("?", 1)[0]
    if prefix and not path.startswith(prefix + "/"):
        raise refuse(f"{href!r} is outside the base URL")
    try:
        return check_path(path[len(prefix) :]), dict(url.params)
    except ValueError:
        raise refuse(f"{href!r} is not a clean path") from None


def poll_task(
    path: str,
    params: Mapping[str, str],
    document: Any,
    *,
    timeout: float,
    interval: float,
    max_interval: float = 8.0,
) -> Flow[Resource]:
    """Poll a task until it finishes: returns the final task as a ``Resource`` (with
    the ETag and Last-Modified of the last poll; none when the 202 already carried a
    finished task), or raises ``TaskFailedError`` / ``TaskTimeoutError``. Waits what
    the server's Retry-After asks, else ``interval`` growing by half each poll up to
    ``max_interval``. The operation's deadline is ``timeout``: a wait that would reach
    it ends the poll with ``TaskTimeoutError``."""
    if not (timeout > 0 and interval > 0):
        raise ValueError("timeout and interval must be positive seconds")
    start = yield Pause(0.0)
    polls, retry_after = 0, None
    now = start

    def timed_out() -> TaskTimeoutError:
        return TaskTimeoutError(
            f"the task had not finished after {now - start:.1f} s (deadline {timeout:g} s);"
            " it may still be running",
            task=document,
            method="GET",
            url=path,
            retry_after=step,
        )

    last: Reply | None = None
    while True:
        finished, succeeded, message = task_outcome(document)
        if finished and succeeded:
            if last is None:
                return Resource(path, None, None, document)
            return Resource(path, last.etag, _last_modified(last), document)
        if finished:
            raise TaskFailedError(
                message or "the task failed", task=document, method="GET", url=path
            )
        step = poll_interval(interval, polls, retry_after, max_interval)
        now = yield Pause(step, timed_out, reason=POLL)
        try:
            last = yield plan_resource("GET", path, params=params)
        except TransportError:
            now = yield Pause(0.0, timed_out)  # a poll cut by the deadline is a timeout
            raise
        document, retry_after = last.document, last.retry_after
        polls += 1


def profile_of(profile: Profile | str) -> Profile:
    """A profile given as itself or by name."""
    if isinstance(profile, Profile):
        return profile
    if not isinstance(profile, str) or profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(sorted(PROFILES))}")
    return PROFILES[profile]
