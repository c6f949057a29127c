"""The I/O drivers every client shares: one sync, one async.

A call goes ``client.get`` → ``_operate`` (an operation: one request, or a flow of
requests and pauses) → ``_request`` (one request; tenacity drives its retries) →
``_attempt`` (one HTTP exchange: pass the gate, send, read, interpret). Every wait is
decided in ``_engine`` (``Deadline.allow``, ``Run.admit``, ``Run.failed``); the
drivers only sleep.
"""

from __future__ import annotations

import math
import ssl
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping
from types import TracebackType
from typing import Any, TypeVar, cast

import anyio
import attrs
import httpx
import tenacity

from ._auth import TokenProvider, to_auth
from ._backend import GateBackend, identity
from ._core import Call, Pause, Reply, check_header
from ._engine import Deadline, Run, Settings, preloaded_body
from ._exceptions import SessionClientError
from ._flows import Done, Step, resume
from ._gate import Gate
from ._http import check_base_url
from ._observe import watching
from ._profiles import Profile
from ._retry import RetryPolicy
from ._transport import DEADLINE, async_http_transport, http_transport
from ._version import __version__

T = TypeVar("T")
S = TypeVar("S", bound="SyncClient")
A = TypeVar("A", bound="AsyncClient")
AnyFlow = Generator[Call | Pause, Any, T]

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
"""5 s to connect, 10 s for each read, write and pool wait."""
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
"""httpx's own default pool: 100 connections, 20 kept alive. Async calls beyond
``max_connections`` wait for a slot, on the call's deadline."""
DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024
"""Response bodies above 4 MiB are refused (``MalformedResponseError``)."""
USER_AGENT = f"sessionclient/{__version__}"

AuthTypes = httpx.Auth | TokenProvider | str | None
Verify = ssl.SSLContext | str | bool


def _limits(limits: object) -> httpx.Limits:
    if limits is None:
        return DEFAULT_LIMITS
    if not isinstance(limits, httpx.Limits):
        raise TypeError(f"limits must be an httpx.Limits, not {type(limits).__name__}")
    return limits


def _timeout(timeout: object) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)):
        raise TypeError(
            f"timeout must be seconds or an httpx.Timeout, not {type(timeout).__name__}"
        )
    return httpx.Timeout(timeout)


def _headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    return dict(headers or {})


@attrs.frozen(kw_only=True)
class Options:
    """What every client is built from, validated once: the four clients' constructors
    take these as keywords (plus what is theirs: a contract version or a profile)."""

    base_url: str
    auth: AuthTypes = attrs.field(default=None, repr=False)
    retry: RetryPolicy | None = None
    timeout: httpx.Timeout = attrs.field(default=DEFAULT_TIMEOUT, converter=_timeout)
    limits: httpx.Limits = attrs.field(default=None, converter=_limits)
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_headers)
    clock: Callable[[], float] = time.monotonic
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    verify: Verify = True
    insecure_skip_tls_verify: bool = False
    gate: GateBackend | None = None

    def __attrs_post_init__(self) -> None:
        check_base_url(self.base_url)
        for name, value in self.headers.items():
            check_header(name, value)  # before any request: h11's error would quote it
        if self.retry is not None and not isinstance(self.retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy, not {type(self.retry).__name__}")
        if not callable(self.clock):
            raise TypeError("clock must be a callable returning seconds")
        if self.gate is not None and not isinstance(self.gate, GateBackend):
            raise TypeError(
                f"gate must be a gate backend (RedisGate), not {type(self.gate).__name__}"
            )
        size = self.max_body_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError("max_body_size must be a positive number of bytes")
        if self.verify is False and not self.insecure_skip_tls_verify:
            raise ValueError(
                "TLS verification stays on unless you pass insecure_skip_tls_verify=True"
            )


class _BaseClient:
    """Configuration shared by the sync and async drivers."""

    _settings: Settings

    def _configure(
        self, options: Options, profile: Profile, headers: Mapping[str, str], bounded: bool
    ) -> dict[str, Any]:
        """Keep the call settings; return the ``httpx`` client's arguments."""
        base_url = options.base_url.rstrip("/")
        self._base_url = base_url
        self._timeout = options.timeout
        self._policy = options.retry or RetryPolicy()
        self._clock = options.clock
        self._settings = Settings(
            base_url, profile, self._policy, options.timeout, options.max_body_size,
            options.clock, gate=options.gate if options.gate is not None else Gate(),
            bucket=httpx.URL(base_url).host + identity(options.auth), bounded=bounded,
        )  # fmt: skip
        flow, fixed = to_auth(options.auth)
        merged = {
            "User-Agent": USER_AGENT,
            # Only what the body reader decodes under its cap (and checks for a cut).
            "Accept-Encoding": "gzip, deflate",
            **headers,
            **options.headers,
        }
        if fixed is not None:
            merged["Authorization"] = fixed
        return {
            "base_url": base_url,
            "headers": merged,  # httpx masks Authorization in every repr
            "auth": flow,
            "timeout": options.timeout,
            "follow_redirects": False,  # never carry the token to another origin
        }

    def _begin(
        self, retry: RetryPolicy | None, seconds: float | None
    ) -> tuple[RetryPolicy, Deadline]:
        """An operation's policy and its one deadline for all of its requests, with
        whoever watches it (None: nobody)."""
        policy = retry or self._policy
        limit = seconds if seconds is not None else policy.deadline
        at = self._clock() + limit if limit is not None else math.inf
        time_left = Deadline(at, self._clock)
        time_left.watch = watching(self._settings, policy, depth=3)  # via _operate
        return policy, time_left

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"


def _encoded(headers: tuple[tuple[str, str], ...]) -> list[tuple[bytes, bytes]] | None:
    # Latin-1, so that an ETag with obs-text goes back byte for byte as it came.
    return [(name.encode(), value.encode("latin-1")) for name, value in headers] or None


def _verify(options: Options) -> Verify:
    return False if options.insecure_skip_tls_verify else options.verify


def _check_transport(transport: object, kind: type) -> None:
    """Refuse anything but an httpx transport of the client's kind, at construction."""
    if transport is not None and not isinstance(transport, kind):
        raise TypeError(
            f"transport must be an {kind.__module__}.{kind.__name__} (or None), "
            f"not {type(transport).__name__}"
        )


class SyncClient(_BaseClient):
    """The synchronous driver: an ``httpx.Client`` and a ``sleep``."""

    def __init__(
        self,
        options: Options,
        *,
        profile: Profile,
        headers: Mapping[str, str],
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None],
    ) -> None:
        _check_transport(transport, httpx.BaseTransport)
        bounded = transport is None
        if transport is None:
            transport = http_transport(_verify(options), options.limits)
        if not callable(sleep):
            raise TypeError("sleep must be a callable taking seconds")
        self._sleep = sleep
        self._http = httpx.Client(
            transport=transport, **self._configure(options, profile, headers, bounded)
        )

    def _operate(
        self, flow: AnyFlow[T] | Step[T], retry: RetryPolicy | None, deadline: float | None = None
    ) -> T:
        """Carry out an operation: one request (a ``Step``), or a flow's requests and
        pauses under one deadline."""
        policy, time_left = self._begin(retry, deadline)
        watch = time_left.watch
        try:
            if isinstance(flow, Step):  # one request: no generator on the common path
                result = flow.finish(self._request(flow.call, policy, time_left))
            else:
                step = resume(flow)
                while not isinstance(step, Done):
                    if isinstance(step, Pause):
                        seconds = time_left.pause(step)
                        if seconds > 0:
                            self._sleep(seconds)
                        step = resume(flow, self._clock())
                        continue
                    try:
                        reply = self._request(step, policy, time_left)
                    except SessionClientError as error:
                        step = resume(flow, error=error)
                    else:
                        step = resume(flow, reply)
                result = step.value
        except BaseException as exc:
            if watch is not None:
                watch.failed(exc)
            raise
        if watch is not None:
            watch.done(result)
        return result

    def _request(self, call: Call, policy: RetryPolicy, time_left: Deadline) -> Reply:
        """One request; after a first attempt that failed and may be retried,
        tenacity drives the rest with the policy's strategies."""
        run = Run(call, self._settings, policy, time_left)
        try:
            return self._attempt(run)  # most calls end here: no tenacity on that path
        except SessionClientError:
            if not run.decision.retry:
                raise
        self._sleep(run.decision.wait)
        retrying = tenacity.Retrying(sleep=self._sleep, **run.retrying_kwargs())
        return retrying(self._attempt, run)

    def _attempt(self, run: Run) -> Reply:
        """One exchange: pass the gate, send, read the body under its cap, interpret."""
        wait = run.admit()
        if wait:
            try:
                while wait:
                    self._sleep(wait)
                    wait = run.admit()
            finally:
                run.give_back()
        call = run.call
        request = self._http.build_request(
            call.method,
            call.path,
            headers=_encoded(call.headers),
            content=call.body,
            timeout=run.timeout(self._timeout) or httpx.USE_CLIENT_DEFAULT,
        )
        error: SessionClientError
        token = DEADLINE.set(run.socket_deadline()) if self._settings.bounded else None
        try:
            response = self._http.send(request, stream=True)
            run.response = response  # its credentials are kept out of any error
            try:
                if response.is_stream_consumed:
                    body = preloaded_body(run, response)
                else:
                    reader = run.reader(response)
                    for chunk in response.iter_raw():
                        reader.feed(chunk)
                    body = reader.body()
            finally:
                response.close()
            return run.interpret(response.status_code, response.headers, body)
        except httpx.HTTPError as exc:
            error = run.transport_error(exc)
        except SessionClientError as exc:
            error = exc
        finally:
            if token is not None:
                DEADLINE.reset(token)
        # Raised outside the handler: a library error quoting a header is never chained.
        raise run.failed(error)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self: S) -> S:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """The asynchronous driver: an ``httpx.AsyncClient`` and an async ``sleep``; runs
    on asyncio and trio alike (anyio)."""

    def __init__(
        self,
        options: Options,
        *,
        profile: Profile,
        headers: Mapping[str, str],
        transport: httpx.AsyncBaseTransport | None,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        _check_transport(transport, httpx.AsyncBaseTransport)
        bounded = transport is None
        if transport is None:
            transport = async_http_transport(_verify(options), options.limits)
        if not callable(sleep):
            raise TypeError("sleep must be a coroutine function taking seconds")
        self._sleep = sleep
        options_ = self._configure(options, profile, headers, bounded)
        self._http = httpx.AsyncClient(transport=transport, **options_)
        # Calls beyond the pool's size wait here, on the call's deadline, rather than
        # in httpcore's pool, whose bookkeeping grows with the number of waiters.
        size = options.limits.max_connections
        self._slots = anyio.Semaphore(size) if size else None

    async def _operate(
        self, flow: AnyFlow[T] | Step[T], retry: RetryPolicy | None, deadline: float | None = None
    ) -> T:
        """See ``SyncClient._operate``."""
        policy, time_left = self._begin(retry, deadline)
        watch = time_left.watch
        try:
            if isinstance(flow, Step):
                result = flow.finish(await self._request(flow.call, policy, time_left))
            else:
                step = resume(flow)
                while not isinstance(step, Done):
                    if isinstance(step, Pause):
                        seconds = time_left.pause(step)
                        if seconds > 0:
                            await self._sleep(seconds)
                        step = resume(flow, self._clock())
                        continue
                    try:
                        reply = await self._request(step, policy, time_left)
                    except SessionClientError as error:
                        step = resume(flow, error=error)
                    else:
                        step = resume(flow, reply)
                result = step.value
        except BaseException as exc:
            if watch is not None:
                watch.failed(exc)
            raise
        if watch is not None:
            watch.done(result)
        return result

    async def _request(self, call: Call, policy: RetryPolicy, time_left: Deadline) -> Reply:
        """See ``SyncClient._request``."""
        run = Run(call, self._settings, policy, time_left)
        try:
            return await self._attempt(run)
        except SessionClientError:
            if not run.decision.retry:
                raise
        await self._sleep(run.decision.wait)
        retrying = tenacity.AsyncRetrying(sleep=self._sleep, **run.retrying_kwargs())
        return await retrying(self._attempt, run)

    async def _attempt(self, run: Run) -> Reply:
        """See ``SyncClient._attempt``."""
        wait = run.admit()
        if wait:
            try:
                while wait:
                    await self._sleep(wait)
                    wait = run.admit()
            finally:
                run.give_back()
        call = run.call
        request = self._http.build_request(
            call.method,
            call.path,
            headers=_encoded(call.headers),
            content=call.body,
            timeout=run.timeout(self._timeout) or httpx.USE_CLIENT_DEFAULT,
        )
        error: SessionClientError
        slots = self._slots
        if slots is not None:
            await self._take_slot(slots, run)
        token = DEADLINE.set(run.socket_deadline()) if self._settings.bounded else None
        try:
            response = await self._http.send(request, stream=True)
            run.response = response  # its credentials are kept out of any error
            try:
                if response.is_stream_consumed:
                    body = preloaded_body(run, response)
                else:
                    reader = run.reader(response)
                    chunks = cast(AsyncGenerator[bytes, None], response.aiter_raw())
                    try:
                        async for chunk in chunks:
                            reader.feed(chunk)
                    finally:
                        await chunks.aclose()  # now, not when collected (trio warns)
                    body = reader.body()
            finally:
                await response.aclose()
            return run.interpret(response.status_code, response.headers, body)
        except httpx.HTTPError as exc:
            error = run.transport_error(exc)
        except SessionClientError as exc:
            error = exc
        finally:
            if token is not None:
                DEADLINE.reset(token)
            if slots is not None:
                slots.release()
        raise run.failed(error)

    @staticmethod
    async def _take_slot(slots: anyio.Semaphore, run: Run) -> None:
        """A connection slot, waited for on the call's deadline."""
        try:
            slots.acquire_nowait()
            return
        except anyio.WouldBlock:
            pass
        with anyio.move_on_after(max(run.deadline.left(), 0.0)):
            await slots.acquire()
            return
        raise run.failed(run.transport_error(httpx.PoolTimeout("no free connection in time")))

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self: A) -> A:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
