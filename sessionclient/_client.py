"""``SessionClient`` and ``AsyncSessionClient``: thin shells over httpx clients.

Everything that is decided is decided once, in ``_core`` (requests and replies),
``_retry`` (the policy and the gate), ``_engine`` (one call across attempts) and
``_flows`` (operations). The two classes below only send, read and sleep.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Literal, TypeVar, overload

import httpx
import tenacity

from . import _flows as flows
from ._auth import TokenProvider, to_auth
from ._core import Call, Reply
from ._engine import Run
from ._etag import ETag
from ._exceptions import SessionClientError
from ._models import Accepted, Element, NotModified, Session
from ._profiles import MPSD, Profile
from ._ref import SessionRef
from ._retry import CoolDown, RetryPolicy
from ._version import __version__

T = TypeVar("T")

DEFAULT_BASE_URL = "https://sessiondirectory.xboxlive.com"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024
CONTRACT_VERSION = 107


class _BaseClient:
    """Configuration and per-call state shared by the sync and async clients."""

    _profile: Profile = MPSD

    def __init__(
        self,
        base_url: str,
        *,
        retry: RetryPolicy | None,
        timeout: httpx.Timeout | float | None,
        contract_version: int,
        headers: Mapping[str, str] | None,
        clock: Callable[[], float],
        max_body_size: int,
        verify: ssl.SSLContext | str | bool,
        insecure_skip_tls_verify: bool,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
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
        self._policy = retry or RetryPolicy()
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._clock = clock
        self._max_body_size = max_body_size
        self._gate = CoolDown()
        self._verify: ssl.SSLContext | str | bool = False if insecure_skip_tls_verify else verify
        self._headers = {
            "x-xbl-contract-version": str(int(contract_version)),
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"sessionclient/{__version__}",
            **(headers or {}),
        }

    def _httpx_options(self, auth: httpx.Auth | TokenProvider | str | None) -> dict[str, Any]:
        return {
            "base_url": self._base_url,
            "headers": self._headers,
            "auth": to_auth(auth),
            "timeout": self._timeout,
            "follow_redirects": False,
            "verify": self._verify,
        }

    def _run(self, call: Call, retry: RetryPolicy | None) -> Run:
        return Run(
            call,
            url=self._base_url + call.path,
            policy=retry or self._policy,
            profile=self._profile,
            gate=self._gate,
            host=self._host,
            clock=self._clock,
            wallclock=time.time,
            max_body_size=self._max_body_size,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"


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


class SessionClient(_BaseClient):
    """A synchronous client of a multiplayer session directory (MPSD by default).

    ``auth`` is an ``httpx.Auth``, a token provider (``provider(force_refresh) ->
    Authorization value``, see ``XBLToken``) or None; ``retry`` the default
    ``RetryPolicy`` (each call may override it); ``transport`` any httpx transport
    (respx, the emulator's). ``clock`` and ``sleep`` are injectable so tests never
    wait. Use as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        auth: httpx.Auth | TokenProvider | str | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        limits: httpx.Limits | None = None,
        contract_version: int = CONTRACT_VERSION,
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        verify: ssl.SSLContext | str | Literal[True] = True,
        insecure_skip_tls_verify: bool = False,
    ) -> None:
        super().__init__(
            base_url, retry=retry, timeout=timeout, contract_version=contract_version,
            headers=headers, clock=clock, max_body_size=max_body_size, verify=verify,
            insecure_skip_tls_verify=insecure_skip_tls_verify,
        )  # fmt: skip
        self._sleep = sleep
        options = self._httpx_options(auth)
        self._http = httpx.Client(transport=transport, limits=limits or httpx.Limits(), **options)

    # --- plumbing -----------------------------------------------------------------

    def _attempt(self, run: Run) -> Reply:
        wait = run.admit()
        if wait > 0:
            self._sleep(wait)
        call = run.call
        timeout = run.timeout(self._timeout) or httpx.USE_CLIENT_DEFAULT
        request = self._http.build_request(
            call.method, call.path, headers=call.headers, content=call.body, timeout=timeout
        )
        try:
            response = self._http.send(request, stream=True)
            try:
                reader = run.body_reader(response)
                for chunk in response.iter_bytes():
                    reader.feed(chunk)
            finally:
                response.close()
            return run.interpret(response.status_code, response.headers, reader.body())
        except httpx.HTTPError as exc:
            raise run.failed(run.transport_error(exc)) from exc
        except SessionClientError as exc:
            raise run.failed(exc)  # noqa: B904 - the error keeps its own cause

    def _execute(self, call: Call, retry: RetryPolicy | None) -> Reply:
        run = self._run(call, retry)
        try:
            return self._attempt(run)  # the common case never enters tenacity
        except SessionClientError as error:
            if not run.decision.retry:
                raise
            first = error
        retrying = tenacity.Retrying(sleep=self._sleep, **run.retrying_kwargs())
        return retrying(_replay(first, functools.partial(self._attempt, run)))

    def _drive(self, flow: flows.Flow[T], retry: RetryPolicy | None) -> T:
        try:
            call = next(flow)
            while True:
                try:
                    reply = self._execute(call, retry)
                except SessionClientError as error:
                    call = flow.throw(error)
                else:
                    call = flow.send(reply)
        except StopIteration as stop:
            result: T = stop.value
            return result

    # --- sessions -----------------------------------------------------------------

    @overload
    def get(
        self, ref: SessionRef, *, if_none_match: None = None, retry: RetryPolicy | None = None
    ) -> Session | None: ...
    @overload
    def get(
        self, ref: SessionRef, *, if_none_match: ETag | str, retry: RetryPolicy | None = None
    ) -> Session | NotModified | None: ...
    def get(
        self,
        ref: SessionRef,
        *,
        if_none_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | NotModified | None:
        """Read a session: ``Session``; ``None`` when it does not exist (204);
        ``NotModified`` when ``if_none_match`` still matches (304)."""
        return self._drive(flows.get(ref, if_none_match=if_none_match), retry)

    def put(
        self,
        ref: SessionRef,
        changes: Mapping[str, Any],
        *,
        if_match: ETag | str | None = None,
        if_none_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Merge ``changes`` into a session, creating it if needed: the ``Session``
        (``created`` on 201); ``Accepted`` (202); ``None`` when the write deleted it.
        ``if_match=etag`` writes only that version, ``if_match=ANY`` only an existing
        session, ``if_none_match=ANY`` only a new one."""
        flow = flows.put(ref, changes, if_match=if_match, if_none_match=if_none_match)
        return self._drive(flow, retry)

    def delete(
        self,
        ref: SessionRef,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """Delete a session (a missing one is not an error)."""
        self._drive(flows.delete(ref, if_match=if_match), retry)

    # --- elements -----------------------------------------------------------------

    def get_element(
        self,
        ref: SessionRef,
        element: str,
        *,
        if_none_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Element | NotModified | None:
        """Read one element (``members/me``, ``members/3``, ``servers/x``,
        ``properties``): ``None`` when the session exists but the element does not."""
        return self._drive(flows.get_element(ref, element, if_none_match=if_none_match), retry)

    def put_element(
        self,
        ref: SessionRef,
        element: str,
        changes: Mapping[str, Any],
        *,
        if_match: ETag | str | None = None,
        if_none_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Write one element: the whole ``Session`` after the write, or ``None`` when
        neither the session nor the element exists any more."""
        flow = flows.put(ref, changes, element, if_match=if_match, if_none_match=if_none_match)
        return self._drive(flow, retry)

    def delete_element(
        self,
        ref: SessionRef,
        element: str,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Remove one element: the ``Session`` after it, or ``None`` when neither the
        session nor the element exists any more."""
        return self._drive(flows.delete(ref, element, if_match=if_match), retry)

    # --- conflicts and common verbs -------------------------------------------------

    def update(
        self,
        target: SessionRef | Session,
        mutate: flows.Mutate,
        *,
        create: bool = False,
        max_attempts: int = 5,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Read-modify-write: write ``mutate(current)`` with ``If-Match``, and on 412
        call ``mutate`` again on the session the 412 carried (no extra read). Starts
        from ``target`` when it is a ``Session``. ``mutate`` returns a delta, or None to
        write nothing; it gets None when the session does not exist, which is created
        only with ``create=True``. After ``max_attempts`` conflicting writes, raises
        ``PreconditionFailedError`` with the latest session. A retried write that may
        have landed is accepted when the session already holds every value the delta
        set (``members.me`` excepted); see the README for the limits of that rule."""
        flow = flows.update(target, mutate, create=create, max_attempts=max_attempts)
        return self._drive(flow, retry)

    def create(
        self,
        ref: SessionRef,
        changes: Mapping[str, Any] | None = None,
        *,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Create a session that must not exist yet (412 if it does)."""
        return self._drive(flows.create(ref, changes), retry)

    def join(
        self,
        ref: SessionRef,
        *,
        constants: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Join (or update your entry in) a session, creating it if needed.
        ``constants`` / ``properties`` are your member's objects as the service
        spells them, e.g. ``{"custom": {"ready": True}}``."""
        return self._drive(flows.join(ref, constants, properties), retry)

    def leave(self, ref: SessionRef, *, retry: RetryPolicy | None = None) -> bool:
        """Leave a session; returns whether it still exists (the last member leaving
        deletes it)."""
        return self._drive(flows.leave(ref), retry)

    def set_properties(
        self,
        ref: SessionRef,
        custom: Mapping[str, Any],
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Merge ``custom`` into the session's custom properties (null removes)."""
        return self._drive(flows.set_properties(ref, custom, if_match), retry)

    def remove_member(
        self,
        ref: SessionRef,
        index: int,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Remove the member at ``index`` (409 in large sessions)."""
        return self._drive(flows.remove_member(ref, index, if_match), retry)

    def set_server(
        self,
        ref: SessionRef,
        name: str,
        server: Mapping[str, Any] | None,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Set the server entry ``name``; ``server=None`` removes it."""
        return self._drive(flows.set_server(ref, name, server, if_match), retry)

    # --- lifecycle ----------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> SessionClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncSessionClient(_BaseClient):
    """The asynchronous twin of ``SessionClient``: the same arguments (``sleep`` is
    a coroutine function) and the same methods, awaitable."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        auth: httpx.Auth | TokenProvider | str | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        limits: httpx.Limits | None = None,
        contract_version: int = CONTRACT_VERSION,
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        verify: ssl.SSLContext | str | Literal[True] = True,
        insecure_skip_tls_verify: bool = False,
    ) -> None:
        super().__init__(
            base_url, retry=retry, timeout=timeout, contract_version=contract_version,
            headers=headers, clock=clock, max_body_size=max_body_size, verify=verify,
            insecure_skip_tls_verify=insecure_skip_tls_verify,
        )  # fmt: skip
        self._sleep = sleep
        options = self._httpx_options(auth)
        self._http = httpx.AsyncClient(
            transport=transport, limits=limits or httpx.Limits(), **options
        )

    # --- plumbing -----------------------------------------------------------------

    async def _attempt(self, run: Run) -> Reply:
        wait = run.admit()
        if wait > 0:
            await self._sleep(wait)
        call = run.call
        timeout = run.timeout(self._timeout) or httpx.USE_CLIENT_DEFAULT
        request = self._http.build_request(
            call.method, call.path, headers=call.headers, content=call.body, timeout=timeout
        )
        try:
            response = await self._http.send(request, stream=True)
            try:
                reader = run.body_reader(response)
                async for chunk in response.aiter_bytes():
                    reader.feed(chunk)
            finally:
                await response.aclose()
            return run.interpret(response.status_code, response.headers, reader.body())
        except httpx.HTTPError as exc:
            raise run.failed(run.transport_error(exc)) from exc
        except SessionClientError as exc:
            raise run.failed(exc)  # noqa: B904 - the error keeps its own cause

    async def _execute(self, call: Call, retry: RetryPolicy | None) -> Reply:
        run = self._run(call, retry)
        try:
            return await self._attempt(run)
        except SessionClientError as error:
            if not run.decision.retry:
                raise
            first = error
        retrying = tenacity.AsyncRetrying(sleep=self._sleep, **run.retrying_kwargs())
        return await retrying(_areplay(first, functools.partial(self._attempt, run)))

    async def _drive(self, flow: flows.Flow[T], retry: RetryPolicy | None) -> T:
        try:
            call = next(flow)
            while True:
                try:
                    reply = await self._execute(call, retry)
                except SessionClientError as error:
                    call = flow.throw(error)
                else:
                    call = flow.send(reply)
        except StopIteration as stop:
            result: T = stop.value
            return result

    # --- sessions -----------------------------------------------------------------

    @overload
    async def get(
        self, ref: SessionRef, *, if_none_match: None = None, retry: RetryPolicy | None = None
    ) -> Session | None: ...
    @overload
    async def get(
        self, ref: SessionRef, *, if_none_match: ETag | str, retry: RetryPolicy | None = None
    ) -> Session | NotModified | None: ...
    async def get(
        self,
        ref: SessionRef,
        *,
        if_none_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | NotModified | None:
        """Read a session (see ``SessionClient.get``)."""
        return await self._drive(flows.get(ref, if_none_match=if_none_match), retry)

    async def put(
        self,
        ref: SessionRef,
        changes: Mapping[str, Any],
        *,
        if_match: ETag | str | None = None,
        if_none_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Merge ``changes`` into a session (see ``SessionClient.put``)."""
        flow = flows.put(ref, changes, if_match=if_match, if_none_match=if_none_match)
        return await self._drive(flow, retry)

    async def delete(
        self,
        ref: SessionRef,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """Delete a session (see ``SessionClient.delete``)."""
        await self._drive(flows.delete(ref, if_match=if_match), retry)

    # --- elements -----------------------------------------------------------------

    async def get_element(
        self,
        ref: SessionRef,
        element: str,
        *,
        if_none_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Element | NotModified | None:
        """Read one element (see ``SessionClient.get_element``)."""
        flow = flows.get_element(ref, element, if_none_match=if_none_match)
        return await self._drive(flow, retry)

    async def put_element(
        self,
        ref: SessionRef,
        element: str,
        changes: Mapping[str, Any],
        *,
        if_match: ETag | str | None = None,
        if_none_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Write one element (see ``SessionClient.put_element``)."""
        flow = flows.put(ref, changes, element, if_match=if_match, if_none_match=if_none_match)
        return await self._drive(flow, retry)

    async def delete_element(
        self,
        ref: SessionRef,
        element: str,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Remove one element (see ``SessionClient.delete_element``)."""
        return await self._drive(flows.delete(ref, element, if_match=if_match), retry)

    # --- conflicts and common verbs -------------------------------------------------

    async def update(
        self,
        target: SessionRef | Session,
        mutate: flows.Mutate,
        *,
        create: bool = False,
        max_attempts: int = 5,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """See ``SessionClient.update``."""
        flow = flows.update(target, mutate, create=create, max_attempts=max_attempts)
        return await self._drive(flow, retry)

    async def create(
        self,
        ref: SessionRef,
        changes: Mapping[str, Any] | None = None,
        *,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """See ``SessionClient.create``."""
        return await self._drive(flows.create(ref, changes), retry)

    async def join(
        self,
        ref: SessionRef,
        *,
        constants: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """See ``SessionClient.join``."""
        return await self._drive(flows.join(ref, constants, properties), retry)

    async def leave(self, ref: SessionRef, *, retry: RetryPolicy | None = None) -> bool:
        """See ``SessionClient.leave``."""
        return await self._drive(flows.leave(ref), retry)

    async def set_properties(
        self,
        ref: SessionRef,
        custom: Mapping[str, Any],
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """See ``SessionClient.set_properties``."""
        return await self._drive(flows.set_properties(ref, custom, if_match), retry)

    async def remove_member(
        self,
        ref: SessionRef,
        index: int,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """See ``SessionClient.remove_member``."""
        return await self._drive(flows.remove_member(ref, index, if_match), retry)

    async def set_server(
        self,
        ref: SessionRef,
        name: str,
        server: Mapping[str, Any] | None,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """See ``SessionClient.set_server``."""
        return await self._drive(flows.set_server(ref, name, server, if_match), retry)

    # --- lifecycle ----------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncSessionClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
