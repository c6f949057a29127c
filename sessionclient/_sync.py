"""The synchronous clients, generated from ``_async.py`` by ``.ci/unasync.py``: edit
that file, not this one.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

import attrs
import httpcore
import httpx

from . import _directory as directory
from . import _flows as flows
from . import _watch as watching
from ._base import BaseClient, ClientOptions, Options, check_sleep, check_transport, encoded
from ._core import BodyReader, Call, plan
from ._engine import Answer, Operable, Operation, Outcome, Pause, Send
from ._etag import ETag
from ._exceptions import SessionClientError
from ._models import Accepted, Element, NotModified, Resource, Session
from ._profiles import MPSD, Profile
from ._ref import SessionRef, check_element
from ._resource import (
    Moment,
    ReadResult,
    ResourceResult,
    Started,
    WriteResult,
    plan_resource,
    poll_task,
    profile_of,
    task_of,
)
from ._retry import RetryPolicy
from ._transport import DEADLINE, http_transport
from ._views import Activity, Handle, SearchResult, SessionSummary
from ._watch import Change, WatchError

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

T = TypeVar("T")


class SyncOptions(ClientOptions, total=False):
    """``ClientOptions``, with the I/O of a synchronous client."""

    transport: httpx.BaseTransport | None
    """Any httpx transport (respx, the emulator's); default: httpx's, with sockets
    bound by each call's deadline."""
    sleep: Callable[[float], None]
    """How to wait (default ``time.sleep``), injectable so that tests never wait."""


class SyncClient(BaseClient):
    """The synchronous driver: an ``httpx.Client`` and a ``sleep``."""

    def __init__(
        self,
        base_url: str,
        profile: Profile,
        headers: Mapping[str, str],
        options: SyncOptions,
    ) -> None:
        transport = options.pop("transport", None)
        sleep = options.pop("sleep", time.sleep)
        settings = Options(**cast(ClientOptions, options))
        check_transport(transport, httpx.BaseTransport)
        check_sleep(sleep)
        self._sleep = sleep
        self._bounded = transport is None  # the SDK's own sockets end by the deadline
        if transport is None:
            transport = http_transport(settings.tls, settings.limits)
        arguments = self._configure(base_url, profile, headers, settings)
        self._http = httpx.Client(transport=transport, **arguments)

    def _operate(
        self, name: str, op: Operable[T], retry: RetryPolicy | None, seconds: float | None = None
    ) -> T:
        """Carry out the operation ``name``: the one loop."""
        settings = self._settings
        steps = Operation(settings, retry or settings.policy, name, seconds).run(op)
        outcome: Outcome | None = None
        while True:
            try:
                need = steps.send(outcome)
            except StopIteration as done:
                value: T = done.value
                return value
            try:
                if isinstance(need, Pause):
                    self._sleep(need.seconds)
                    outcome = None
                else:
                    outcome = self._exchange(need)
            except BaseException as exc:  # cancelled, interrupted: the operation ends
                steps.throw(exc)
                raise

    def _exchange(self, send: Send) -> Outcome:
        """One HTTP exchange: the response with its body read under the cap, or the
        httpx error that prevented it."""
        call = send.call
        request = self._http.build_request(
            call.method,
            call.path,
            headers=encoded(call.headers) if call.headers else None,
            content=call.body,
            timeout=send.timeout or httpx.USE_CLIENT_DEFAULT,
        )
        bound = time.monotonic() + send.left if self._bounded and send.left < math.inf else None
        token = DEADLINE.set(bound)
        response: httpx.Response | None = None
        try:
            response = self._http.send(request, stream=True)
            reader = BodyReader(response, self._settings.max_body_size, call.method, send.url)
            if response.is_stream_consumed:  # a mock transport or a hook read it already
                return Answer(response, reader.preloaded())
            chunks = cast(Generator[bytes, None, None], response.iter_raw())
            try:
                for chunk in chunks:
                    reader.feed(chunk)
            finally:
                chunks.close()  # now, not when collected
            return Answer(response, reader.body())
        except (httpx.HTTPError, SessionClientError) as exc:
            if response is None:
                if isinstance(exc, SessionClientError):
                    raise
                return exc
            return Answer(response, b"", exc)
        finally:
            if response is not None:
                response.close()
            DEADLINE.reset(token)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SessionClient(SyncClient):
    """A synchronous client of a multiplayer session directory (MPSD by default).

    Takes the keywords of ``SyncOptions``: ``auth`` (an ``httpx.Auth``, a token
    provider such as ``XBLToken``, or None), ``retry`` (the default ``RetryPolicy``;
    each call may override it), ``transport``, ``timeout``, ``limits``, ``headers``,
    ``clock`` and ``sleep`` (injectable so that tests never wait), ``max_body_size``,
    ``verify``, ``insecure_skip_tls_verify`` and ``gate`` (where the cool-down gate
    keeps its state; ``RedisGate`` shares it with a fleet). Use it as a context
    manager, or close it.
    """

    def __init__(
        self,
        base_url: str = flows.DEFAULT_BASE_URL,
        *,
        contract_version: int = flows.CONTRACT_VERSION,
        **options: Unpack[SyncOptions],
    ) -> None:
        super().__init__(base_url, MPSD, flows.mpsd_headers(contract_version), options)
        self._contract_version = contract_version
        self._hubs: dict[str, RtaHub] = {}  # the RTA socket of the watches, per URL
        self._watching = threading.Lock()

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
        call: Call[Session | NotModified | None] = plan("GET", ref, if_none_match=if_none_match)
        return self._operate("get", call, retry)

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
        call: Call[Session | Accepted | None]
        call = plan("PUT", ref, changes=changes, if_match=if_match, if_none_match=if_none_match)
        return self._operate("put", call, retry)

    def delete(
        self,
        ref: SessionRef,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """Delete a session (a missing one is not an error)."""
        self._operate("delete", plan("DELETE", ref, if_match=if_match), retry)

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
        call: Call[Element | NotModified | None]
        call = plan("GET", ref, check_element(element), if_none_match=if_none_match)
        return self._operate("get_element", call, retry)

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
        call: Call[Session | Accepted | None] = plan(
            "PUT",
            ref,
            check_element(element),
            changes=changes,
            if_match=if_match,
            if_none_match=if_none_match,
        )
        return self._operate("put_element", call, retry)

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
        call: Call[Session | Accepted | None] = plan(
            "DELETE", ref, check_element(element), if_match=if_match
        )
        return self._operate("delete_element", call, retry)

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
        set (``members.me`` excepted); the manual's Conflicts page says where that rule
        cannot tell."""
        flow = flows.update(target, mutate, create=create, max_attempts=max_attempts)
        return self._operate("update", flow, retry)

    def create(
        self,
        ref: SessionRef,
        changes: Mapping[str, Any] | None = None,
        *,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Create a session that must not exist yet (412 if it does)."""
        return self._operate("create", flows.create(ref, changes), retry)

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
        return self._operate("join", flows.join(ref, constants, properties), retry)

    def leave(self, ref: SessionRef, *, retry: RetryPolicy | None = None) -> bool:
        """Leave a session; returns whether it still exists (the last member leaving
        deletes it)."""
        return self._operate("leave", flows.leave(ref), retry) is not None

    def set_properties(
        self,
        ref: SessionRef,
        custom: Mapping[str, Any],
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Merge ``custom`` into the session's custom properties (null removes)."""
        call = flows.set_properties(ref, custom, if_match)
        return self._operate("set_properties", call, retry)

    def remove_member(
        self,
        ref: SessionRef,
        index: int,
        *,
        if_match: ETag | str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Session | Accepted | None:
        """Remove the member at ``index`` (409 in large sessions)."""
        call = flows.remove_member(ref, index, if_match)
        return self._operate("remove_member", call, retry)

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
        call = flows.set_server(ref, name, server, if_match)
        return self._operate("set_server", call, retry)

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
        version: int | None = None,
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
        repeat). ``template`` narrows to one template; ``visibility`` to ``private``
        (with ``private=True``), ``visible``, ``full`` or ``open`` sessions; ``version``
        to sessions of that major version or lower; ``take`` (1-100) caps the results.
        A filter (xuid, xuids or keyword) is required, and a xuid filter for
        ``reservations`` and ``inactive``."""
        call = directory.query(
            scid,
            template=template,
            xuid=xuid,
            xuids=xuids,
            keyword=keyword,
            visibility=visibility,
            version=version,
            private=private,
            reservations=reservations,
            inactive=inactive,
            take=take,
            contract_version=self._contract_version,
        )
        return self._operate("query", call, retry)

    def set_activity(self, ref: SessionRef, *, retry: RetryPolicy | None = None) -> Handle | None:
        """Make ``ref`` your current activity (what your friends see you playing): the
        activity handle, or None when the service answers without a body (MPSD
        documents none). Like every handle POST, retried only on 429 or 503 with
        Retry-After."""
        return self._operate("set_activity", directory.set_activity(ref), retry)

    def activities(
        self,
        scid: str,
        xuids: Iterable[str] | None = None,
        *,
        social_group: str | None = None,
        social_group_xuid: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[Activity]:
        """What these users (``xuids``), or the users of ``social_group_xuid``'s
        ``social_group`` (``people``, ``favorites``), are playing in ``scid``: one
        ``Activity`` per activity handle, with ``related_info`` about its session."""
        call = directory.activities(
            scid, xuids, social_group=social_group, social_group_xuid=social_group_xuid
        )
        return self._operate("activities", call, retry)

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
        order. ``title_id`` is required (``ValueError`` without it): the title id in
        your token, a 32-bit unsigned integer. When one invite fails, its exception is
        raised with ``.handles`` holding the invites already created."""
        flow = directory.invite(
            ref,
            xuids,
            context=context,
            context_string=context_string,
            sender_string=sender_string,
            title_id=title_id,
        )
        return self._operate("invite", flow, retry)

    def create_transfer_handle(
        self, target: SessionRef, origin: SessionRef, *, retry: RetryPolicy | None = None
    ) -> Handle:
        """Let the members of ``origin`` (a lobby) join ``target`` (a game session):
        each joins with ``put_by_handle(handle.id, {"members": {"me": {}}})``."""
        call = directory.create_transfer_handle(target, origin)
        return self._operate("create_transfer_handle", call, retry)

    def get_handle(self, handle_id: str, *, retry: RetryPolicy | None = None) -> Handle:
        """Read a handle (404: no such handle, or its session is gone)."""
        return self._operate("get_handle", directory.get_handle(handle_id), retry)

    def delete_handle(self, handle_id: str, *, retry: RetryPolicy | None = None) -> None:
        """Delete a handle; the session stays."""
        self._operate("delete_handle", directory.delete_handle(handle_id), retry)

    def get_by_handle(self, handle_id: str, *, retry: RetryPolicy | None = None) -> Session | None:
        """Read the session behind a handle (``Session.ref`` is the session's own)."""
        return self._operate("get_by_handle", directory.get_by_handle(handle_id), retry)

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
        call = directory.put_by_handle(handle_id, changes, if_match=if_match)
        return self._operate("put_by_handle", call, retry)

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
        call = directory.create_search_handle(ref, tags=tags, numbers=numbers, strings=strings)
        return self._operate("create_search_handle", call, retry)

    def search(
        self,
        scid: str,
        template: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        social_group: str | None = None,
        social_group_xuid: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[SearchResult]:
        """Search handles of ``template``: ``filter`` in MPSD's OData subset (``eq ne
        gt ge lt le``, ``and``, one ``or`` at the root, ``tolower``, ``any``; e.g.
        ``tolower(strings/map) eq 'harbor' and tags/any(d:d eq 'casual')``), checked
        here only for balanced quotes and parentheses; ``order_by`` e.g.
        ``numbers/skill desc``; ``social_group`` (with ``social_group_xuid``) narrows to
        sessions with members of that social group. Search handles have their own, much
        lower, rate limits."""
        call = directory.search(
            scid,
            template,
            filter=filter,
            order_by=order_by,
            social_group=social_group,
            social_group_xuid=social_group_xuid,
        )
        return self._operate("search", call, retry)

    def templates(self, scid: str, *, retry: RetryPolicy | None = None) -> list[str]:
        """The names of the session templates of ``scid``."""
        return self._operate("templates", directory.templates(scid), retry)

    def template(self, scid: str, name: str, *, retry: RetryPolicy | None = None) -> dict[str, Any]:
        """One session template: ``{"contractVersion": ..., "constants": {...}}``."""
        return self._operate("template", directory.template(scid, name), retry)

    # --- change notifications ---------------------------------------------------------

    def watch(
        self,
        ref: SessionRef,
        changes: Iterable[str] | None = None,
        *,
        retry: RetryPolicy | None = None,
    ) -> Generator[Change, None, None]:
        """Iterate over the changes of a session as Xbox Live's Real-Time Activity
        service (RTA) reports them: ``Change(session, previous, changes,
        change_number)``, the first one for the session as it is, then one per change
        of the types in ``changes`` (default: everything; see ``Session.changes_since``).

        It opens a WebSocket to RTA (the emulator's ``/rta/connect`` below a base URL
        other than Xbox Live's), writes the connection and a subscription into your
        member (``members.me``, the same read-modify-write as ``update()``: you join if
        you are not a member yet), and reads the session after each tap newer than what
        it read, so it never yields an older session after a newer one. Every watch of
        a client shares one socket (the first opens it, the last closes it). A dropped
        socket is reopened after XSAPI's back-off (1, 4, 9 ... s) and the new
        connection written into every watched member. Opening a socket waits as an
        HTTP call does: for the cool-down gate of RTA's host (a 429 answering the
        upgrade closes it), each wait within the retry policy's deadline.
        ``WatchError`` ends every watch of the client when RTA refuses (other than
        throttling), when a wait would pass the deadline, or after ``MAX_FAILURES``
        failed connections. The iteration ends when the session is deleted; closing
        the iterator stops it at once (the last one unsubscribes and closes the
        socket). Needs the extra ``sessionclient[watch]``."""
        if not isinstance(ref, SessionRef):
            raise TypeError(f"ref must be a SessionRef, not {type(ref).__name__}")
        watcher = watching.Watcher(ref, watching.change_types(changes))
        watching.Frames()  # the extra is installed, or ModuleNotFoundError names it now
        url = watching.rta_url(self._base_url, flows.DEFAULT_BASE_URL)
        return self._watch(watcher, url, retry)

    def _watch(
        self, watcher: watching.Watcher, url: str, retry: RetryPolicy | None
    ) -> Generator[Change, None, None]:
        with self._watching:  # the client's one socket: the first watch opens it
            hub = self._hubs.get(url) or self._hubs.setdefault(url, RtaHub(self, url))
            hub.watchers.append(watcher)
        try:
            while True:
                hub.news(watcher, retry)
                session: Session | Accepted | None
                watcher.stale = False  # a tap from now on calls for another read
                if watcher.written != hub.link.generation:  # a new connection: point at it
                    watcher.written = hub.link.generation
                    flow = flows.update(watcher.ref, watcher.mutate(hub.link))
                    session = self._operate("watch", flow, retry)
                    if session is None and watcher.shown is None:
                        raise WatchError("the session to watch does not exist", url=url)
                else:
                    session = self.get(watcher.ref, retry=retry)
                if session is None:
                    return  # the session was deleted
                change = watcher.offer(session) if isinstance(session, Session) else None
                if change is not None:
                    yield change
        finally:
            with self._watching:  # the last watch closes it
                hub.watchers.remove(watcher)
                last = not hub.watchers
                if last:
                    del self._hubs[url]
            if last:
                hub.close()


class RtaHub:
    """A client's one RTA socket, shared by its watches, as XSAPI shares one connection
    per user (real_time_activity_manager.cpp:39-98). Whichever watch waits for news
    reads the socket, one frame at a time, and hands each watch the taps of its
    session; the others wait for that turn to end. Each turn does one thing: open the
    socket (after the back-off and the gate), subscribe, or read a frame."""

    def __init__(self, client: SessionClient, url: str) -> None:
        self.url = url
        self.link = watching.Link()
        self.watchers: list[watching.Watcher] = []
        self._client = client
        self._socket: RtaSocket | None = None
        self._failures = 0  # connections in a row that failed or dropped
        self._pause = 0.0  # before the next subscribe (after a refusal)
        self._error: WatchError | None = None  # the hub cannot go on: every watch ends
        self._turn: threading.Event | None = None  # set when the reader's turn ends
        self._lock = threading.Lock()  # taking the turn, between threads

    def news(self, watcher: watching.Watcher, retry: RetryPolicy | None) -> None:
        """Return once ``watcher`` has news (a tap, a resync, a new connection to write
        into its member), reading the socket meanwhile unless another watch does."""
        while True:
            if self._error is not None:
                raise self._error
            if watcher.stale or watcher.written != self.link.generation:
                return
            with self._lock:
                turn, mine = self._turn, self._turn is None
                if turn is None:
                    self._turn = turn = threading.Event()
            if not mine:
                turn.wait()
                continue
            try:
                self._step(retry)
            except WatchError as exc:
                self._error = exc
                raise
            finally:
                self._turn = None
                turn.set()

    def _step(self, retry: RetryPolicy | None) -> None:
        client, settings = self._client, self._client._settings
        policy = retry or settings.policy
        key = watching.bucket(settings.bucket, client._base_url, self.url)
        if self._socket is None or self.link.idle():
            # The back-off and the cool-down gate, as an HTTP call waits for them.
            wait = self._pause if self._socket else watching.backoff(self._failures)
            flow = watching.reconnect(settings.gate, key, wait, policy, self.url)
            client._operate("watch", flow, retry)
        try:
            if self._socket is None:
                sent_at = settings.clock()
                try:
                    self._socket = RtaSocket.open(client._http, self.url)
                except watching.Disconnected as exc:
                    watching.judge(settings, key, policy, sent_at, self.url, exc)
                    raise
                watching.judge(settings, key, policy, sent_at, self.url)
                self._pause = 0.0
            elif self.link.idle():
                self._socket.send(self.link.subscribe())
            else:
                step = self.link.read(self._socket.receive())
                if isinstance(step, watching.Refused):
                    if step.status not in watching.RETRYABLE:
                        raise WatchError(
                            f"RTA refused the subscription (status {step.status})",
                            status=step.status,
                            url=self.url,
                        )
                    status, refusals = step.status, self.link.refusals
                    self._pause = watching.refused(
                        settings, key, policy, status, refusals, self.url
                    )
                elif isinstance(step, watching.Subscribed):
                    self._failures = 0
                elif isinstance(step, watching.Taps):
                    for watcher in tuple(self.watchers):  # (a thread may join or leave)
                        watcher.tapped(step.taps)
                elif isinstance(step, watching.Resync):
                    for watcher in tuple(self.watchers):
                        watcher.stale = True
        except watching.Disconnected as exc:
            socket, self._socket = self._socket, None
            self.link.dropped()
            self._failures += 1
            if socket is not None:
                socket.close(None)
            if self._failures >= watching.MAX_FAILURES:
                what = "keeps dropping the socket" if socket else "unreachable"
                raise WatchError(f"RTA {what}: {exc}", status=exc.status, url=self.url) from exc

    def close(self) -> None:
        """Unsubscribe and close the socket (best effort, bounded)."""
        socket, self._socket = self._socket, None
        if socket is not None:
            socket.close(self.link.unsubscribe())


class RtaSocket:
    """One RTA WebSocket, opened through the client's own httpx client (its auth,
    transport and TLS settings): the I/O of ``_watch.Frames``."""

    def __init__(
        self,
        stream: httpcore.NetworkStream,
        response: httpx.Response,
        frames: watching.Frames,
    ) -> None:
        self._stream = stream
        self._response = response
        self._frames = frames
        self._pinged = False  # a ping awaits its answer (any byte)

    @classmethod
    def open(cls, http: httpx.Client, url: str) -> RtaSocket:
        """Upgrade ``url`` to a WebSocket: ``Disconnected`` when that may work later,
        ``WatchError`` when it will not (the service refused)."""
        frames = watching.Frames()
        request = http.build_request("GET", url, headers=frames.handshake())
        try:
            response = http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise watching.Disconnected(str(exc) or type(exc).__name__) from exc
        stream = response.extensions.get("network_stream")
        if response.status_code == 101 and stream is not None and frames.accepts(response.headers):
            return cls(stream, response, frames)
        response.close()
        if response.status_code >= 500 or response.status_code == watching.TOO_MANY:
            raise watching.Disconnected(
                f"the WebSocket upgrade got {response.status_code}",
                response.status_code,
                response.headers,
            )
        raise WatchError(
            "RTA refused the WebSocket upgrade", status=response.status_code, method="GET", url=url
        )

    def send(self, text: str) -> None:
        """Send one text frame."""
        try:
            self._stream.write(self._frames.send(text))
        except (httpcore.NetworkError, httpcore.TimeoutException, OSError) as exc:
            raise watching.Disconnected(str(exc) or type(exc).__name__) from exc

    def receive(self) -> str:
        """The next text frame (answering pings and the closing handshake on the way,
        and pinging after ``KEEPALIVE`` s of silence); ``Disconnected`` when the socket
        ends, or stays silent after a ping."""
        while True:
            text = self._frames.next()
            if text is not None:
                return text
            if self._frames.closed:
                raise watching.Disconnected("the RTA socket closed")
            try:
                try:
                    data = self._stream.read(65536, watching.KEEPALIVE)
                except httpcore.ReadTimeout:
                    if self._pinged:
                        silent = f"RTA answered no ping in {watching.KEEPALIVE:g} s"
                        raise watching.Disconnected(silent) from None
                    self._pinged = True
                    self._stream.write(self._frames.ping())
                    continue
                self._pinged = False
                reply = self._frames.feed(data)
                if reply:
                    self._stream.write(reply)
            except (httpcore.NetworkError, httpcore.TimeoutException, OSError) as exc:
                raise watching.Disconnected(str(exc) or type(exc).__name__) from exc

    def close(self, goodbye: str | None) -> None:
        """Send ``goodbye`` (the unsubscribe frame) and close: best effort, bounded by
        ``CLOSE_SECONDS``, also when the watch is being cancelled."""
        self._goodbye(goodbye)

    def _goodbye(self, goodbye: str | None) -> None:
        try:
            if goodbye is not None and not self._frames.closed:
                self._stream.write(self._frames.send(goodbye), watching.CLOSE_SECONDS)
            closing = self._frames.close()
            if closing:
                self._stream.write(closing, watching.CLOSE_SECONDS)
        except (httpcore.NetworkError, httpcore.TimeoutException, OSError):
            pass  # the service drops the subscriptions of a closed socket anyway
        finally:
            self._stream.close()
            self._response.close()


class ResourceClient(SyncClient):
    """A synchronous client for any path below ``base_url``, interpreted by a status
    profile: ``"rest"`` (the default: RFC 9110's meanings, for any HTTP API),
    ``"contacts"``, ``"tasks"``, ``"mpsd"`` or your own ``Profile``.

    Takes the keywords of ``SessionClient`` (but ``profile`` instead of the MPSD
    contract version); the same exceptions and retry policy. A 202 that carries a task
    returns an ``Task`` whose ``wait()`` polls it.
    """

    def __init__(
        self, base_url: str, *, profile: Profile | str = "rest", **options: Unpack[SyncOptions]
    ) -> None:
        super().__init__(base_url, profile_of(profile), {"Accept": "application/json"}, options)

    def request(
        self,
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
        retry: RetryPolicy | None = None,
    ) -> ResourceResult | Task:
        """Send ``method`` to ``path`` with a body (``json``, or ``content``: bytes or
        text, with ``content_type``), query parameters, extra headers and the conditions
        RFC 9110 allows for the method (checked before anything is sent; see
        ``plan_resource``)."""
        call = plan_resource(
            method.upper(),
            path,
            json=json,
            content=content,
            content_type=content_type,
            params=params,
            headers=headers,
            if_match=if_match,
            if_none_match=if_none_match,
            if_modified_since=if_modified_since,
            if_unmodified_since=if_unmodified_since,
        )
        done = self._operate("request", call, retry)
        if isinstance(done, Started):
            path, params = task_of(done, self._base_url)
            return Task(path, params, done.reply.document, client=self)
        return done

    def get(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        if_none_match: ETag | str | None = None,
        if_modified_since: Moment | None = None,
        delta_sync: bool = False,
        retry: RetryPolicy | None = None,
    ) -> ReadResult | Task:
        """GET ``path``. ``delta_sync=True`` sends ``DeltaSync: Basic`` (Contacts: the
        changes only, answered with 206)."""
        done = self.request(
            "GET",
            path,
            params=params,
            if_none_match=if_none_match,
            if_modified_since=if_modified_since,
            headers={"DeltaSync": "Basic"} if delta_sync else None,
            retry=retry,
        )
        return cast("ReadResult | Task", done)  # a GET's shape has no Created

    def post(
        self,
        path: str,
        json: Any = None,
        *,
        content: bytes | str | None = None,
        content_type: str | None = None,
        params: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
    ) -> WriteResult | Task:
        """POST a body (``json``, or ``content`` with ``content_type``) to ``path``
        (never retried once it may have arrived)."""
        done = self.request(
            "POST",
            path,
            json=json,
            content=content,
            content_type=content_type,
            params=params,
            retry=retry,
        )
        return cast("WriteResult | Task", done)  # a write's shape: no 206, no 304

    def put(
        self,
        path: str,
        json: Any = None,
        *,
        content: bytes | str | None = None,
        content_type: str | None = None,
        if_match: ETag | str | None = None,
        if_none_match: ETag | str | None = None,
        if_unmodified_since: Moment | None = None,
        retry: RetryPolicy | None = None,
    ) -> WriteResult | Task:
        """PUT a body (``json``, or ``content`` with ``content_type``) to ``path``: only
        if unchanged (``if_match`` an ETag, or ``if_unmodified_since`` a date), only if
        it exists (``if_match=ANY``) or only if it does not (``if_none_match=ANY``:
        create only). A guarded PUT is safe to retry."""
        done = self.request(
            "PUT",
            path,
            json=json,
            content=content,
            content_type=content_type,
            if_match=if_match,
            if_none_match=if_none_match,
            if_unmodified_since=if_unmodified_since,
            retry=retry,
        )
        return cast("WriteResult | Task", done)

    def delete(
        self,
        path: str,
        *,
        if_match: ETag | str | None = None,
        if_unmodified_since: Moment | None = None,
        retry: RetryPolicy | None = None,
    ) -> WriteResult | Task:
        """DELETE ``path``, optionally only if unchanged (``if_match`` an ETag, or
        ``if_unmodified_since`` a date)."""
        done = self.request(
            "DELETE", path, if_match=if_match, if_unmodified_since=if_unmodified_since, retry=retry
        )
        return cast("WriteResult | Task", done)


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
        return self._client._operate("wait", flow, None, timeout)
