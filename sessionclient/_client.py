"""``SessionClient`` and ``AsyncSessionClient``: the session verbs over the shells.

Each method plans a flow (``_flows``) and drives it; everything that is decided is
decided once, in ``_core``, ``_retry``, ``_engine`` and ``_flows``.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Literal, overload

import anyio
import httpx

from . import _directory as directory
from . import _flows as flows
from ._auth import TokenProvider
from ._backend import GateBackend
from ._base import DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT, AsyncClient, Options, SyncClient
from ._etag import ETag
from ._models import Accepted, Element, NotModified, Session
from ._profiles import MPSD
from ._ref import SessionRef
from ._retry import RetryPolicy
from ._views import Activity, Handle, SearchResult, SessionSummary

DEFAULT_BASE_URL = "https://sessiondirectory.xboxlive.com"
CONTRACT_VERSION = 107


def _headers(contract_version: int) -> dict[str, str]:
    if isinstance(contract_version, bool) or not isinstance(contract_version, int):
        raise TypeError("contract_version must be an int")
    return {
        "x-xbl-contract-version": str(contract_version),
        "Content-Type": "application/json",  # MPSD documents it for every call
        "Accept": "application/json",
    }


class SessionClient(SyncClient):
    """A synchronous client of a multiplayer session directory (MPSD by default).

    ``auth`` is an ``httpx.Auth``, a token provider (``provider(force_refresh) ->
    Authorization value``, see ``XBLToken``) or None; ``retry`` the default
    ``RetryPolicy`` (each call may override it); ``transport`` any httpx transport
    (respx, the emulator's). ``clock`` and ``sleep`` are injectable so tests never
    wait. ``gate`` is where the cool-down gate keeps its state (default: in this
    client; ``RedisGate`` shares it with every client of a fleet). Use as a context
    manager, or call ``close()``.
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
        gate: GateBackend | None = None,
    ) -> None:
        options = Options(
            base_url=base_url, auth=auth, retry=retry, timeout=timeout, limits=limits,
            headers=headers, clock=clock, max_body_size=max_body_size, verify=verify,
            insecure_skip_tls_verify=insecure_skip_tls_verify, gate=gate,
        )  # fmt: skip
        super().__init__(
            options, profile=MPSD, headers=_headers(contract_version), transport=transport,
            sleep=sleep,
        )  # fmt: skip

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
        return self._operate(flows.get(ref, if_none_match=if_none_match), retry)

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
        return self._operate(flow, retry)

    def delete(
        self,
        ref: SessionRef,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """Delete a session (a missing one is not an error)."""
        self._operate(flows.delete(ref, if_match=if_match), retry)

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
        return self._operate(flows.get_element(ref, element, if_none_match=if_none_match), retry)

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
        return self._operate(flow, retry)

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
        return self._operate(flows.delete(ref, element, if_match=if_match), retry)

    # --- conflicts and common verbs -------------------------------------------------

    def update(
        self,
        target: SessionRef | Session,
        mutate: flows.Mutate,
        *,
        create: bool = False,
        max_attempts: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Read-modify-write: write ``mutate(current)`` with ``If-Match``, and on 412
        call ``mutate`` again on the session the 412 carried (no extra read). Starts
        from ``target`` when it is a ``Session``. ``mutate`` returns a delta, or None to
        write nothing; it gets None when the session does not exist, which is created
        only with ``create=True``. Conflicts are resolved until the call's deadline (or
        ``max_attempts`` conflicting writes, when given); then it raises
        ``PreconditionFailedError`` with the latest session. A retried write that may
        have landed is accepted when the session already holds every value the delta
        set (``members.me`` excepted); see the README for the limits of that rule."""
        flow = flows.update(target, mutate, create=create, max_attempts=max_attempts)
        return self._operate(flow, retry)

    def create(
        self,
        ref: SessionRef,
        changes: Mapping[str, Any] | None = None,
        *,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Create a session that must not exist yet (412 if it does)."""
        return self._operate(flows.create(ref, changes), retry)

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
        return self._operate(flows.join(ref, constants, properties), retry)

    def leave(self, ref: SessionRef, *, retry: RetryPolicy | None = None) -> bool:
        """Leave a session; returns whether it still exists (the last member leaving
        deletes it)."""
        return self._operate(flows.leave(ref), retry)

    def set_properties(
        self,
        ref: SessionRef,
        custom: Mapping[str, Any],
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Merge ``custom`` into the session's custom properties (null removes)."""
        return self._operate(flows.set_properties(ref, custom, if_match), retry)

    def remove_member(
        self,
        ref: SessionRef,
        index: int,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Remove the member at ``index`` (409 in large sessions)."""
        return self._operate(flows.remove_member(ref, index, if_match), retry)

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
        return self._operate(flows.set_server(ref, name, server, if_match), retry)

    # --- the directory: queries, handles, search, templates ---------------------------

    def query(
        self,
        scid: str,
        *,
        template: str | None = None,
        xuid: str | None = None,
        xuids: Iterable[str] | None = None,
        keyword: str | None = None,
        visibility: str | None = None,
        private: bool = False,
        reservations: bool = False,
        inactive: bool = False,
        take: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[SessionSummary]:
        """Find sessions: those ``xuid`` is in (``reservations``: also where it holds a
        place it has not taken; ``inactive``: also where it is not active; ``private``:
        also private ones, for your own xuid), or those with ``keyword``. Several
        ``xuids`` go as one batch POST, the results in xuid order (a session may
        repeat). ``template`` narrows to one template; ``take`` (0-100) caps the
        results. A filter (xuid, xuids or keyword) is required."""
        step = directory.query(
            scid, template=template, xuid=xuid, xuids=xuids, keyword=keyword,
            visibility=visibility, private=private, reservations=reservations,
            inactive=inactive, take=take,
        )  # fmt: skip
        return self._operate(step, retry)

    def set_activity(self, ref: SessionRef, *, retry: RetryPolicy | None = None) -> Handle:
        """Make ``ref`` your current activity (what your friends see you playing).
        Like every handle POST, retried only on 429 or 503 with Retry-After."""
        return self._operate(directory.set_activity(ref), retry)

    def activities(
        self, scid: str, xuids: Iterable[str], *, retry: RetryPolicy | None = None
    ) -> list[Activity]:
        """What these users are playing in ``scid``: one ``Activity`` per activity
        handle, with ``related_info`` about its session."""
        return self._operate(directory.activities(scid, xuids), retry)

    def invite(
        self,
        ref: SessionRef,
        xuids: Iterable[str],
        *,
        context: str | None = None,
        context_string: str | None = None,
        sender_string: str | None = None,
        title_id: str | int | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[Handle]:
        """Invite users to ``ref``: one invite handle (one POST) per distinct xuid, in
        order. When one fails, its exception is raised with ``.handles`` holding the
        invites already created."""
        flow = directory.invite(
            ref, xuids, context=context, context_string=context_string,
            sender_string=sender_string, title_id=title_id,
        )  # fmt: skip
        return self._operate(flow, retry)

    def get_handle(self, handle_id: str, *, retry: RetryPolicy | None = None) -> Handle:
        """Read a handle (404: no such handle, or its session is gone)."""
        return self._operate(directory.get_handle(handle_id), retry)

    def delete_handle(self, handle_id: str, *, retry: RetryPolicy | None = None) -> None:
        """Delete a handle; the session stays."""
        self._operate(directory.delete_handle(handle_id), retry)

    def get_by_handle(self, handle_id: str, *, retry: RetryPolicy | None = None) -> Session | None:
        """Read the session behind a handle (``Session.ref`` is the session's own)."""
        return self._operate(directory.get_by_handle(handle_id), retry)

    def put_by_handle(
        self,
        handle_id: str,
        changes: Mapping[str, Any],
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Write a delta to the session behind a handle, e.g. join through an invite
        with ``{"members": {"me": {}}}``; ``None`` when the write deleted it."""
        return self._operate(directory.put_by_handle(handle_id, changes, if_match=if_match), retry)

    def create_search_handle(
        self,
        ref: SessionRef,
        *,
        tags: Iterable[str] = (),
        numbers: Mapping[str, float] | None = None,
        strings: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
    ) -> Handle:
        """Publish ``ref`` for ``search`` with attributes its filter can test:
        ``tags``, ``numbers`` and ``strings``."""
        step = directory.create_search_handle(ref, tags=tags, numbers=numbers, strings=strings)
        return self._operate(step, retry)

    def search(
        self,
        scid: str,
        template: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[SearchResult]:
        """Search handles of ``template``: ``filter`` in MPSD's grammar (``eq ne gt
        ge lt le``, ``and``/``or``, e.g. ``Strings/map eq 'harbor'``), checked here
        only for balanced quotes and parentheses; ``order_by`` e.g. ``Numbers/skill
        desc``. Search handles have their own, much lower, rate limits."""
        step = directory.search(scid, template, filter=filter, order_by=order_by)
        return self._operate(step, retry)

    def templates(self, scid: str, *, retry: RetryPolicy | None = None) -> list[str]:
        """The names of the session templates of ``scid``."""
        return self._operate(directory.templates(scid), retry)

    def template(self, scid: str, name: str, *, retry: RetryPolicy | None = None) -> dict[str, Any]:
        """One session template: ``{"contractVersion": ..., "constants": {...}}``."""
        return self._operate(directory.template(scid, name), retry)


class AsyncSessionClient(AsyncClient):
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
            options, profile=MPSD, headers=_headers(contract_version), transport=transport,
            sleep=sleep,
        )  # fmt: skip

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
        return await self._operate(flows.get(ref, if_none_match=if_none_match), retry)

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
        return await self._operate(flow, retry)

    async def delete(
        self,
        ref: SessionRef,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """Delete a session (see ``SessionClient.delete``)."""
        await self._operate(flows.delete(ref, if_match=if_match), retry)

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
        return await self._operate(flow, retry)

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
        return await self._operate(flow, retry)

    async def delete_element(
        self,
        ref: SessionRef,
        element: str,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Remove one element (see ``SessionClient.delete_element``)."""
        return await self._operate(flows.delete(ref, element, if_match=if_match), retry)

    # --- conflicts and common verbs -------------------------------------------------

    async def update(
        self,
        target: SessionRef | Session,
        mutate: flows.Mutate,
        *,
        create: bool = False,
        max_attempts: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """See ``SessionClient.update``."""
        flow = flows.update(target, mutate, create=create, max_attempts=max_attempts)
        return await self._operate(flow, retry)

    async def create(
        self,
        ref: SessionRef,
        changes: Mapping[str, Any] | None = None,
        *,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """See ``SessionClient.create``."""
        return await self._operate(flows.create(ref, changes), retry)

    async def join(
        self,
        ref: SessionRef,
        *,
        constants: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """See ``SessionClient.join``."""
        return await self._operate(flows.join(ref, constants, properties), retry)

    async def leave(self, ref: SessionRef, *, retry: RetryPolicy | None = None) -> bool:
        """See ``SessionClient.leave``."""
        return await self._operate(flows.leave(ref), retry)

    async def set_properties(
        self,
        ref: SessionRef,
        custom: Mapping[str, Any],
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """See ``SessionClient.set_properties``."""
        return await self._operate(flows.set_properties(ref, custom, if_match), retry)

    async def remove_member(
        self,
        ref: SessionRef,
        index: int,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """See ``SessionClient.remove_member``."""
        return await self._operate(flows.remove_member(ref, index, if_match), retry)

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
        return await self._operate(flows.set_server(ref, name, server, if_match), retry)

    # --- the directory: queries, handles, search, templates ---------------------------

    async def query(
        self,
        scid: str,
        *,
        template: str | None = None,
        xuid: str | None = None,
        xuids: Iterable[str] | None = None,
        keyword: str | None = None,
        visibility: str | None = None,
        private: bool = False,
        reservations: bool = False,
        inactive: bool = False,
        take: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[SessionSummary]:
        """Find sessions: those ``xuid`` is in (``reservations``: also where it holds a
        place it has not taken; ``inactive``: also where it is not active; ``private``:
        also private ones, for your own xuid), or those with ``keyword``. Several
        ``xuids`` go as one batch POST, the results in xuid order (a session may
        repeat). ``template`` narrows to one template; ``take`` (0-100) caps the
        results. A filter (xuid, xuids or keyword) is required."""
        step = directory.query(
            scid, template=template, xuid=xuid, xuids=xuids, keyword=keyword,
            visibility=visibility, private=private, reservations=reservations,
            inactive=inactive, take=take,
        )  # fmt: skip
        return await self._operate(step, retry)

    async def set_activity(self, ref: SessionRef, *, retry: RetryPolicy | None = None) -> Handle:
        """Make ``ref`` your current activity (what your friends see you playing).
        Like every handle POST, retried only on 429 or 503 with Retry-After."""
        return await self._operate(directory.set_activity(ref), retry)

    async def activities(
        self, scid: str, xuids: Iterable[str], *, retry: RetryPolicy | None = None
    ) -> list[Activity]:
        """What these users are playing in ``scid``: one ``Activity`` per activity
        handle, with ``related_info`` about its session."""
        return await self._operate(directory.activities(scid, xuids), retry)

    async def invite(
        self,
        ref: SessionRef,
        xuids: Iterable[str],
        *,
        context: str | None = None,
        context_string: str | None = None,
        sender_string: str | None = None,
        title_id: str | int | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[Handle]:
        """Invite users to ``ref``: one invite handle (one POST) per distinct xuid, in
        order. When one fails, its exception is raised with ``.handles`` holding the
        invites already created."""
        flow = directory.invite(
            ref, xuids, context=context, context_string=context_string,
            sender_string=sender_string, title_id=title_id,
        )  # fmt: skip
        return await self._operate(flow, retry)

    async def get_handle(self, handle_id: str, *, retry: RetryPolicy | None = None) -> Handle:
        """Read a handle (404: no such handle, or its session is gone)."""
        return await self._operate(directory.get_handle(handle_id), retry)

    async def delete_handle(self, handle_id: str, *, retry: RetryPolicy | None = None) -> None:
        """Delete a handle; the session stays."""
        await self._operate(directory.delete_handle(handle_id), retry)

    async def get_by_handle(
        self, handle_id: str, *, retry: RetryPolicy | None = None
    ) -> Session | None:
        """Read the session behind a handle (``Session.ref`` is the session's own)."""
        return await self._operate(directory.get_by_handle(handle_id), retry)

    async def put_by_handle(
        self,
        handle_id: str,
        changes: Mapping[str, Any],
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Write a delta to the session behind a handle, e.g. join through an invite
        with ``{"members": {"me": {}}}``; ``None`` when the write deleted it."""
        return await self._operate(
            directory.put_by_handle(handle_id, changes, if_match=if_match), retry
        )

    async def create_search_handle(
        self,
        ref: SessionRef,
        *,
        tags: Iterable[str] = (),
        numbers: Mapping[str, float] | None = None,
        strings: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
    ) -> Handle:
        """Publish ``ref`` for ``search`` with attributes its filter can test:
        ``tags``, ``numbers`` and ``strings``."""
        step = directory.create_search_handle(ref, tags=tags, numbers=numbers, strings=strings)
        return await self._operate(step, retry)

    async def search(
        self,
        scid: str,
        template: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[SearchResult]:
        """Search handles of ``template``: ``filter`` in MPSD's grammar (``eq ne gt
        ge lt le``, ``and``/``or``, e.g. ``Strings/map eq 'harbor'``), checked here
        only for balanced quotes and parentheses; ``order_by`` e.g. ``Numbers/skill
        desc``. Search handles have their own, much lower, rate limits."""
        step = directory.search(scid, template, filter=filter, order_by=order_by)
        return await self._operate(step, retry)

    async def templates(self, scid: str, *, retry: RetryPolicy | None = None) -> list[str]:
        """The names of the session templates of ``scid``."""
        return await self._operate(directory.templates(scid), retry)

    async def template(
        self, scid: str, name: str, *, retry: RetryPolicy | None = None
    ) -> dict[str, Any]:
        """One session template: ``{"contractVersion": ..., "constants": {...}}``."""
        return await self._operate(directory.template(scid, name), retry)
