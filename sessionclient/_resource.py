"""Generic resource clients for the other services of the seeds (Windows Live
Contacts, Veeam Enterprise Manager), and tasks started by a 202.

They share everything with the session clients: the shells (``_base``), the
interpreter (``_core``), the exception tree and the retry policy. What differs is data
(the ``Profile``) and the planning of a call for a plain path.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import unquote, urlencode

import anyio
import attrs
import httpx

from ._auth import TokenProvider
from ._backend import GateBackend
from ._base import DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT, AsyncClient, Options, SyncClient
from ._core import SAFE_METHODS, Call, Pause, Reply, check_header, conditions, encode_json
from ._etag import ETag
from ._exceptions import (
    MalformedResponseError,
    TaskFailedError,
    TaskTimeoutError,
    TransportError,
)
from ._flows import Step
from ._http import format_http_date, parse_http_date
from ._models import Accepted, Created, NoContent, NotModified, PartialContent, Resource
from ._observe import POLL
from ._profiles import PROFILES, Body, Kind, Profile, Target
from ._retry import RetryPolicy

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
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    if_match: ETag | str | None = None,
    if_none_match: ETag | str | None = None,
    if_modified_since: Moment | None = None,
    if_unmodified_since: Moment | None = None,
) -> Call:
    """Plan a request to a resource; every argument is checked before anything exists."""
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
    body = None if json is None else encode_json(json, what="json", object_only=False)
    typed = [("Content-Type", "application/json")] if body is not None else []
    return Call(
        method,
        full,
        Target.RESOURCE,
        headers=(*extra, *dated, *typed, *(headers or {}).items()),
        body=body,
        # A PUT or DELETE guarded by an ETag or a date cannot apply twice: the repeat
        # gets 412. A POST creates something new each time, guarded or not.
        safe=method in SAFE_METHODS
        or (method in ("PUT", "DELETE") and (guarded or if_unmodified_since is not None)),
    )


def _last_modified(reply: Reply) -> datetime | None:
    value = reply.headers.get("last-modified")
    when = parse_http_date(value, now=time.time()) if value else None
    return None if when is None else datetime.fromtimestamp(when, timezone.utc)


ResourceResult = Resource | Created | PartialContent | NotModified | NoContent | Accepted
"""What a resource call returns (a 202 with a task returns a ``Task`` instead)."""


def result_of(call: Call, reply: Reply) -> ResourceResult:
    """The typed result of a successful reply to a resource call."""
    kind, path = reply.row.kind, call.path
    if kind is Kind.DOCUMENT:
        return Resource(path, reply.etag, _last_modified(reply), reply.document, reply.status)
    if kind is Kind.CREATED:
        return Created(path, reply.headers.get("location"), reply.etag, reply.document)
    if kind is Kind.PARTIAL:
        return PartialContent(path, reply.etag, reply.document)
    if kind is Kind.NOT_MODIFIED:
        return NotModified(path, reply.etag)
    if kind is Kind.ACCEPTED:
        return Accepted(path, reply.text)
    return NoContent(path)


# --- tasks ----------------------------------------------------------------------------

_FINISHED = {"finished", "completed", "complete", "succeeded", "success", "failed", "error",
             "cancelled", "canceled", "stopped"}  # fmt: skip
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
        return next((_field(link, "Href") for link in links if isinstance(link, Mapping)
                     and str(_field(link, "Rel")).lower() == "self"), None)  # fmt: skip
    return _field(document, "Href")


def task_of(call: Call, reply: Reply, base_url: str) -> tuple[str, dict[str, str]] | None:
    """Where to poll the task a 202 started, as (path below ``base_url``, query), or
    None when the reply starts no task. The task resource's ``Href`` (or ``Links``
    rel=Self) comes first, then ``Location``. A task on another origin, or a link that
    is not a clean path, is refused: the token must go nowhere else."""
    location = reply.headers.get("location")
    body = reply.row.body
    if reply.row.kind is not Kind.ACCEPTED or not (
        body is Body.TASK or (body is Body.NONE and location)
    ):
        # A 202 with a message (MPSD, rest) is an ``Accepted``: nothing to poll.
        return None
    href = _href(reply.document) or location

    def refuse(why: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"the 202 started a task the client cannot poll: {why}", status=reply.status,
            method=call.method, url=reply.url, headers=reply.headers,
        )  # fmt: skip

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
) -> Generator[Call | Pause, Any, Resource]:
    """Poll a task until it finishes: returns the final task as a ``Resource`` (with
    the ETag and Last-Modified of the last poll; none when the 202 already carried a
    finished task), or raises ``TaskFailedError`` / ``TaskTimeoutError``. Waits what
    the server's Retry-After asks, else ``interval`` growing by half each poll up to
    ``max_interval``. The operation's deadline is ``timeout``: a wait that would reach
    it ends the poll with ``TaskTimeoutError``."""
    if not (timeout > 0 and interval > 0):
        raise ValueError("timeout and interval must be positive seconds")
    start = yield Pause(0.0)
    wait, retry_after = interval, None
    now = start

    def timed_out() -> TaskTimeoutError:
        return TaskTimeoutError(
            f"the task had not finished after {now - start:.1f} s (deadline {timeout:g} s);"
            " it may still be running",
            task=document, method="GET", url=path, retry_after=step,
        )  # fmt: skip

    last: Reply | None = None
    while True:
        finished, succeeded, message = task_outcome(document)
        if finished and succeeded:
            if last is None:
                return Resource(path, None, None, document)
            return Resource(path, last.etag, _last_modified(last), document)
        if finished:
            raise TaskFailedError(message or "the task failed", task=document, method="GET",
                                  url=path)  # fmt: skip
        step = retry_after if retry_after is not None else wait
        now = yield Pause(step, timed_out, reason=POLL)
        try:
            last = yield plan_resource("GET", path, params=params)
        except TransportError:
            now = yield Pause(0.0, timed_out)  # a poll cut by the deadline is a timeout
            raise
        document, retry_after = last.document, last.retry_after
        wait = min(wait * 1.5, max_interval)


@attrs.frozen
class Task:
    """A task started by a 202; ``wait()`` polls it to its end."""

    path: str
    params: dict[str, str]
    document: Any = attrs.field(repr=False)
    _client: ResourceClient = attrs.field(repr=False, alias="client")

    def wait(self, *, timeout: float = 300.0, interval: float = 1.0) -> Resource:
        """Poll until the task finishes; return the final task as a ``Resource``
        (``.document`` is the task resource). Raises ``TaskFailedError`` when it fails,
        ``TaskTimeoutError`` after ``timeout``."""
        flow = poll_task(self.path, self.params, self.document, timeout=timeout, interval=interval)
        return self._client._operate(flow, None, deadline=timeout)


@attrs.frozen
class AsyncTask:
    """A task started by a 202, for the async client; ``await wait()`` polls it."""

    path: str
    params: dict[str, str]
    document: Any = attrs.field(repr=False)
    _client: AsyncResourceClient = attrs.field(repr=False, alias="client")

    async def wait(self, *, timeout: float = 300.0, interval: float = 1.0) -> Resource:
        """See ``Task.wait``."""
        flow = poll_task(self.path, self.params, self.document, timeout=timeout, interval=interval)
        return await self._client._operate(flow, None, deadline=timeout)


def request_step(call: Call) -> Step[tuple[Reply, ResourceResult]]:
    """One resource call: its reply and typed result."""
    return Step(call, lambda reply: (reply, result_of(call, reply)))


_HEADERS = {"Accept": "application/json"}


def _profile(profile: Profile | str) -> Profile:
    if isinstance(profile, Profile):
        return profile
    if not isinstance(profile, str) or profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(sorted(PROFILES))}")
    return PROFILES[profile]


class ResourceClient(SyncClient):
    """A synchronous client for any path below ``base_url``, interpreted by a status
    profile: ``"rest"`` (the default: RFC 9110's meanings, for any HTTP API),
    ``"contacts"``, ``"tasks"``, ``"mpsd"`` or your own ``Profile``.

    Same arguments as ``SessionClient`` (but ``profile`` instead of the MPSD contract
    version); same exceptions and retry policy. A 202 that carries a task returns a
    ``Task`` whose ``wait()`` polls it.
    """

    def __init__(
        self,
        base_url: str,
        *,
        profile: Profile | str = "rest",
        auth: httpx.Auth | TokenProvider | str | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        limits: httpx.Limits | None = None,
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        verify: ssl.SSLContext | str | Literal[True] = True,
        insecure_skip_tls_verify: bool = False,
        gate: GateBackend | None = None,
    ) -> None:
        options = Options(
            base_url=base_url, auth=auth, retry=retry, timeout=timeout, limits=limits,
            headers=headers, clock=clock, max_body_size=max_body_size, verify=verify,
            insecure_skip_tls_verify=insecure_skip_tls_verify, gate=gate,
        )  # fmt: skip
        super().__init__(
            options, profile=_profile(profile), headers=_HEADERS, transport=transport,
            sleep=sleep,
        )  # fmt: skip

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        if_match: ETag | str | None = None,
        if_none_match: ETag | str | None = None,
        if_modified_since: Moment | None = None,
        if_unmodified_since: Moment | None = None,
        retry: RetryPolicy | None = None,
    ) -> ResourceResult | Task:
        """Send ``method`` to ``path`` with a JSON body, query parameters, extra
        headers and the conditions RFC 9110 allows for the method (checked before
        anything is sent; see ``plan_resource``)."""
        call = plan_resource(
            method.upper(), path, json=json, params=params, headers=headers,
            if_match=if_match, if_none_match=if_none_match,
            if_modified_since=if_modified_since, if_unmodified_since=if_unmodified_since,
        )  # fmt: skip
        reply, result = self._operate(request_step(call), retry)
        task = task_of(call, reply, self._base_url)
        return result if task is None else Task(*task, reply.document, client=self)

    def get(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        if_none_match: ETag | str | None = None,
        if_modified_since: Moment | None = None,
        delta_sync: bool = False,
        retry: RetryPolicy | None = None,
    ) -> ResourceResult | Task:
        """GET ``path``. ``delta_sync=True`` sends ``DeltaSync: Basic`` (Contacts: the
        changes only, answered with 206)."""
        return self.request(
            "GET", path, params=params, if_none_match=if_none_match, retry=retry,
            if_modified_since=if_modified_since,
            headers={"DeltaSync": "Basic"} if delta_sync else None,
        )  # fmt: skip

    def post(
        self,
        path: str,
        json: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
    ) -> ResourceResult | Task:
        """POST a JSON body to ``path`` (never retried once it may have arrived)."""
        return self.request("POST", path, json=json, params=params, retry=retry)

    def put(
        self,
        path: str,
        json: Any,
        *,
        if_match: ETag | str | None = None,
        if_none_match: ETag | str | None = None,
        if_unmodified_since: Moment | None = None,
        retry: RetryPolicy | None = None,
    ) -> ResourceResult | Task:
        """PUT a JSON body to ``path``: only if unchanged (``if_match`` an ETag, or
        ``if_unmodified_since`` a date), only if it exists (``if_match=ANY``) or only if
        it does not (``if_none_match=ANY``: create only). A guarded PUT is safe to retry."""
        return self.request(
            "PUT", path, json=json, if_match=if_match, if_none_match=if_none_match,
            if_unmodified_since=if_unmodified_since, retry=retry,
        )  # fmt: skip

    def delete(
        self,
        path: str,
        *,
        if_match: ETag | str | None = None,
        if_unmodified_since: Moment | None = None,
        retry: RetryPolicy | None = None,
    ) -> ResourceResult | Task:
        """DELETE ``path``, optionally only if unchanged (``if_match`` an ETag, or
        ``if_unmodified_since`` a date)."""
        return self.request(
            "DELETE", path, if_match=if_match, if_unmodified_since=if_unmodified_since,
            retry=retry,
        )  # fmt: skip


class AsyncResourceClient(AsyncClient):
    """The asynchronous twin of ``ResourceClient``; 202 tasks are ``AsyncTask``."""

    def __init__(
        self,
        base_url: str,
        *,
        profile: Profile | str = "rest",
        auth: httpx.Auth | TokenProvider | str | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        limits: httpx.Limits | None = None,
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        verify: ssl.SSLContext | str | Literal[True] = True,
        insecure_skip_tls_verify: bool = False,
        gate: GateBackend | None = None,
    ) -> None:
        options = Options(
            base_url=base_url, auth=auth, retry=retry, timeout=timeout, limits=limits,
            headers=headers, clock=clock, max_body_size=max_body_size, verify=verify,
            insecure_skip_tls_verify=insecure_skip_tls_verify, gate=gate,
        )  # fmt: skip
        super().__init__(
            options, profile=_profile(profile), headers=_HEADERS, transport=transport,
            sleep=sleep,
        )  # fmt: skip

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        if_match: ETag | str | None = None,
        if_none_match: ETag | str | None = None,
        if_modified_since: Moment | None = None,
        if_unmodified_since: Moment | None = None,
        retry: RetryPolicy | None = None,
    ) -> ResourceResult | AsyncTask:
        """See ``ResourceClient.request``."""
        call = plan_resource(
            method.upper(), path, json=json, params=params, headers=headers,
            if_match=if_match, if_none_match=if_none_match,
            if_modified_since=if_modified_since, if_unmodified_since=if_unmodified_since,
        )  # fmt: skip
        reply, result = await self._operate(request_step(call), retry)
        task = task_of(call, reply, self._base_url)
        return result if task is None else AsyncTask(*task, reply.document, client=self)

    async def get(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        if_none_match: ETag | str | None = None,
        if_modified_since: Moment | None = None,
        delta_sync: bool = False,
        retry: RetryPolicy | None = None,
    ) -> ResourceResult | AsyncTask:
        """See ``ResourceClient.get``."""
        return await self.request(
            "GET", path, params=params, if_none_match=if_none_match, retry=retry,
            if_modified_since=if_modified_since,
            headers={"DeltaSync": "Basic"} if delta_sync else None,
        )  # fmt: skip

    async def post(
        self,
        path: str,
        json: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
    ) -> ResourceResult | AsyncTask:
        """See ``ResourceClient.post``."""
        return await self.request("POST", path, json=json, params=params, retry=retry)

    async def put(
        self,
        path: str,
        json: Any,
        *,
        if_match: ETag | str | None = None,
        if_none_match: ETag | str | None = None,
        if_unmodified_since: Moment | None = None,
        retry: RetryPolicy | None = None,
    ) -> ResourceResult | AsyncTask:
        """See ``ResourceClient.put``."""
        return await self.request(
            "PUT", path, json=json, if_match=if_match, if_none_match=if_none_match,
            if_unmodified_since=if_unmodified_since, retry=retry,
        )  # fmt: skip

    async def delete(
        self,
        path: str,
        *,
        if_match: ETag | str | None = None,
        if_unmodified_since: Moment | None = None,
        retry: RetryPolicy | None = None,
    ) -> ResourceResult | AsyncTask:
        """See ``ResourceClient.delete``."""
        return await self.request(
            "DELETE", path, if_match=if_match, if_unmodified_since=if_unmodified_since,
            retry=retry,
        )  # fmt: skip
