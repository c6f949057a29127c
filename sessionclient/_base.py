"""The I/O shells every client shares: one sync, one async.

They send a planned ``Call``, read the body under the cap and the deadline, hand the
response to the call's ``Run`` and sleep when a decision says so. Everything they do
not do is decided in ``_core``, ``_retry``, ``_engine`` and ``_flows``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import ssl
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx
import tenacity

from ._auth import TokenProvider, to_auth
from ._core import Call, Pause, Reply
from ._engine import Run
from ._exceptions import SessionClientError
from ._flows import Done, Step, resume
from ._profiles import Profile
from ._retry import CoolDown, RetryPolicy
from ._version import __version__

T = TypeVar("T")
S = TypeVar("S", bound="SyncClient")
A = TypeVar("A", bound="AsyncClient")
AnyFlow = Generator[Call | Pause, Any, T]

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
"""5 s to connect, 10 s for each read, write and pool wait."""
DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024
"""Response bodies above 4 MiB are refused (``MalformedResponseError``)."""
USER_AGENT = f"sessionclient/{__version__}"

AuthTypes = httpx.Auth | TokenProvider | str | None


class _BaseClient:
    """Configuration and per-call state shared by the sync and async shells."""

    def __init__(
        self,
        base_url: str,
        *,
        profile: Profile,
        headers: Mapping[str, str],
        retry: RetryPolicy | None,
        timeout: httpx.Timeout | float | None,
        clock: Callable[[], float],
        max_body_size: int,
        verify: ssl.SSLContext | str | bool,
        insecure_skip_tls_verify: bool,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            raise ValueError("base_url must be an http(s) URL")
        if httpx.URL(base_url).userinfo:
            # It would be repeated in every error message and repr: use auth= instead.
            raise ValueError("base_url must not carry credentials; pass them as auth=")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy, not {type(retry).__name__}")
        if not isinstance(max_body_size, int) or max_body_size < 1:
            raise ValueError("max_body_size must be a positive number of bytes")
        if verify is False and not insecure_skip_tls_verify:
            raise ValueError(
                "TLS verification stays on unless you pass insecure_skip_tls_verify=True"
            )
        self._base_url = base_url.rstrip("/")
        self._host = httpx.URL(self._base_url).host
        self._profile = profile
        self._policy = retry or RetryPolicy()
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._clock = clock
        self._max_body_size = max_body_size
        self._gate = CoolDown()
        self._verify: ssl.SSLContext | str | bool = False if insecure_skip_tls_verify else verify
        self._headers = {"User-Agent": USER_AGENT, **headers}

    def _httpx_options(self, auth: AuthTypes, limits: httpx.Limits | None) -> dict[str, Any]:
        flow, fixed = to_auth(auth)
        headers = self._headers if fixed is None else {**self._headers, "Authorization": fixed}
        return {
            "base_url": self._base_url,
            "headers": headers,  # httpx masks Authorization in every repr
            "auth": flow,
            "timeout": self._timeout,
            "limits": limits or httpx.Limits(),
            "follow_redirects": False,  # never carry the token to another origin
            "verify": self._verify,
        }

    def _deadline(self, retry: RetryPolicy | None, seconds: float | None) -> float:
        """When an operation must end: one deadline for all of its requests."""
        limit = seconds if seconds is not None else (retry or self._policy).deadline
        return self._clock() + limit if limit is not None else math.inf

    def _run(self, call: Call, retry: RetryPolicy | None, deadline_at: float) -> Run:
        return Run(
            call,
            url=self._base_url + call.path,
            policy=retry or self._policy,
            profile=self._profile,
            gate=self._gate,
            host=self._host,
            deadline_at=deadline_at,
            clock=self._clock,
            wallclock=time.time,
            max_body_size=self._max_body_size,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"


def _encoded(headers: tuple[tuple[str, str], ...]) -> list[tuple[bytes, bytes]] | None:
    # Latin-1, so that an ETag with obs-text goes back byte for byte as it came.
    return [(name.encode(), value.encode("latin-1")) for name, value in headers] or None


class _Within:
    """Cancels the block after ``seconds`` and raises ``TimeoutError`` instead (no timer
    when the deadline is infinite). A plain class: a generator-based context manager,
    or ``asyncio.timeout``, costs more per call than the timer itself."""

    __slots__ = ("_fired", "_handle", "_seconds", "_task")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._fired = False
        self._handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[Any] | None = None

    async def __aenter__(self) -> None:
        if self._seconds != math.inf:
            self._task = asyncio.current_task()
            loop = asyncio.get_running_loop()
            self._handle = loop.call_later(max(self._seconds, 0.0), self._fire)

    def _fire(self) -> None:
        self._fired = True
        if self._task is not None:
            self._task.cancel()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: Any
    ) -> None:
        if self._handle is not None:
            self._handle.cancel()
        if self._fired and kind is asyncio.CancelledError:
            if self._task is not None and hasattr(self._task, "uncancel"):
                self._task.uncancel()  # Python 3.11+: this cancellation is ours, not theirs
            raise TimeoutError from None


def _replay(first: BaseException, attempt: Callable[[], T]) -> Callable[[], T]:
    """``attempt``, except that its first call re-raises ``first``: hands an attempt
    that already failed to tenacity without sending it again."""
    pending = [first]

    def replayed() -> T:
        if pending:
            raise pending.pop()
        return attempt()

    return replayed


def _areplay(
    first: BaseException, attempt: Callable[[], Awaitable[T]]
) -> Callable[[], Awaitable[T]]:
    """The async ``_replay`` (tenacity awaits only coroutine functions)."""
    pending = [first]

    async def replayed() -> T:
        if pending:
            raise pending.pop()
        return await attempt()

    return replayed


def _check_transport(transport: object, kind: type) -> None:
    """Refuse anything but an httpx transport of the client's kind, at construction."""
    if transport is not None and not isinstance(transport, kind):
        raise TypeError(
            f"transport must be an {kind.__module__}.{kind.__name__} (or None), "
            f"not {type(transport).__name__}"
        )


class SyncClient(_BaseClient):
    """The synchronous shell: an ``httpx.Client`` and a ``sleep``."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: AuthTypes,
        transport: httpx.BaseTransport | None,
        limits: httpx.Limits | None,
        sleep: Callable[[float], None],
        **config: Any,
    ) -> None:
        _check_transport(transport, httpx.BaseTransport)
        super().__init__(base_url, **config)
        self._sleep = sleep
        self._http = httpx.Client(transport=transport, **self._httpx_options(auth, limits))

    def _attempt(self, run: Run) -> Reply:
        wait = run.admit()
        if wait > 0:
            self._sleep(wait)
        call = run.call
        timeout = run.timeout(self._timeout) or httpx.USE_CLIENT_DEFAULT
        request = self._http.build_request(
            call.method,
            call.path,
            headers=_encoded(call.headers),
            content=call.body,
            timeout=timeout,
        )
        try:
            response = self._http.send(request, stream=True)
            try:
                reader = run.body_reader(response)
                if reader.preloaded is not None:
                    reader.feed(reader.preloaded)
                else:
                    for chunk in response.iter_raw():
                        reader.feed(chunk)
            finally:
                response.close()
            return run.interpret(response.status_code, response.headers, reader.body())
        except httpx.HTTPError as exc:
            raise run.failed(run.transport_error(exc)) from exc
        except SessionClientError as exc:
            raise run.failed(exc)  # noqa: B904 - the error keeps its own cause

    def _execute(self, call: Call, retry: RetryPolicy | None, deadline_at: float) -> Reply:
        run = self._run(call, retry, deadline_at)
        try:
            return self._attempt(run)  # the common case never enters tenacity
        except SessionClientError as error:
            if not run.decision.retry:
                raise
            first = error
        retrying = tenacity.Retrying(sleep=self._sleep, **run.retrying_kwargs())
        return retrying(_replay(first, functools.partial(self._attempt, run)))

    def _drive(
        self, flow: AnyFlow[T] | Step[T], retry: RetryPolicy | None, deadline: float | None = None
    ) -> T:
        deadline_at = self._deadline(retry, deadline)
        if isinstance(flow, Step):  # one request: no generator on the common path
            return flow.finish(self._execute(flow.call, retry, deadline_at))
        step = resume(flow)
        while not isinstance(step, Done):
            if isinstance(step, Pause):
                if step.seconds > 0:
                    self._sleep(step.seconds)
                step = resume(flow, self._clock())
                continue
            try:
                reply = self._execute(step, retry, deadline_at)
            except SessionClientError as error:
                step = resume(flow, error=error)
            else:
                step = resume(flow, reply)
        return step.value

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
    """The asynchronous shell: an ``httpx.AsyncClient`` and an async ``sleep``."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: AuthTypes,
        transport: httpx.AsyncBaseTransport | None,
        limits: httpx.Limits | None,
        sleep: Callable[[float], Awaitable[None]],
        **config: Any,
    ) -> None:
        _check_transport(transport, httpx.AsyncBaseTransport)
        super().__init__(base_url, **config)
        self._sleep = sleep
        options = self._httpx_options(auth, limits)
        self._http = httpx.AsyncClient(transport=transport, **options)
        # Calls beyond the pool's size wait here, on the call's deadline, rather than in
        # httpcore's pool, whose waiters time out after `pool` seconds and whose
        # bookkeeping grows with their number.
        size = options["limits"].max_connections
        self._slots = asyncio.Semaphore(size) if size else None

    async def _attempt(self, run: Run) -> Reply:
        wait = run.admit()
        if wait > 0:
            await self._sleep(wait)
        call = run.call
        timeout = run.timeout(self._timeout) or httpx.USE_CLIENT_DEFAULT
        request = self._http.build_request(
            call.method,
            call.path,
            headers=_encoded(call.headers),
            content=call.body,
            timeout=timeout,
        )
        sending = False
        try:
            async with _Within(run.remaining()), self._slot():  # even trickling headers
                sending = True
                response = await self._http.send(request, stream=True)
                try:
                    reader = run.body_reader(response)
                    if reader.preloaded is not None:
                        reader.feed(reader.preloaded)
                    else:
                        async for chunk in response.aiter_raw():
                            reader.feed(chunk)
                finally:
                    await response.aclose()
            return run.interpret(response.status_code, response.headers, reader.body())
        except TimeoutError:
            kind = httpx.ReadTimeout if sending else httpx.PoolTimeout
            timed_out = kind("the call's deadline passed during the attempt")
            raise run.failed(run.transport_error(timed_out)) from None
        except httpx.HTTPError as exc:
            raise run.failed(run.transport_error(exc)) from exc
        except SessionClientError as exc:
            raise run.failed(exc)  # noqa: B904 - the error keeps its own cause

    def _slot(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self._slots if self._slots is not None else contextlib.nullcontext()

    async def _execute(self, call: Call, retry: RetryPolicy | None, deadline_at: float) -> Reply:
        run = self._run(call, retry, deadline_at)
        try:
            return await self._attempt(run)
        except SessionClientError as error:
            if not run.decision.retry:
                raise
            first = error
        retrying = tenacity.AsyncRetrying(sleep=self._sleep, **run.retrying_kwargs())
        return await retrying(_areplay(first, functools.partial(self._attempt, run)))

    async def _drive(
        self, flow: AnyFlow[T] | Step[T], retry: RetryPolicy | None, deadline: float | None = None
    ) -> T:
        deadline_at = self._deadline(retry, deadline)
        if isinstance(flow, Step):
            return flow.finish(await self._execute(flow.call, retry, deadline_at))
        step = resume(flow)
        while not isinstance(step, Done):
            if isinstance(step, Pause):
                if step.seconds > 0:
                    await self._sleep(step.seconds)
                step = resume(flow, self._clock())
                continue
            try:
                reply = await self._execute(step, retry, deadline_at)
            except SessionClientError as error:
                step = resume(flow, error=error)
            else:
                step = resume(flow, reply)
        return step.value

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
