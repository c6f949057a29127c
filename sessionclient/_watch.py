"""Watching a session through Real-Time Activity (RTA), without I/O.

The protocol follows Microsoft's SDK (XSAPI):
``Source/Services/RealTimeActivityManager/real_time_activity_connection.cpp`` (the socket,
the frames ``[1, seq, uri]`` / ``[1, seq, status, id, data]`` / ``[2, seq, id]`` /
``[3, id, data]`` / ``[4]``, the status codes and the back-off) and
``Source/Services/Multiplayer/multiplayer_subscription.cpp`` (MPSD's ``connections/``
resource, its ``ConnectionId`` and the ``shoulderTaps`` of its events). A member asks
for taps by writing ``connection`` and ``subscription`` into its own
``properties.system`` (``multiplayer_session_member.cpp``, ``Serialize``).

``Link`` keeps what a client's one socket knows (its ``connections/`` subscription, the
connection id) and turns frames into steps; ``Watcher`` keeps what one watch knows (its
session's taps, the newest session seen); ``Frames`` is the client's end of the
WebSocket (wsproto, from the ``watch`` extra). The drivers (``_async``/``_sync``, their
``RtaHub``) do the I/O.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs
import httpx

from ._backend import GateBackend
from ._engine import Flow, Pause, Settings
from ._exceptions import ServiceUnavailableError, SessionClientError, TooManyRequestsError
from ._gate import Closure
from ._http import parse_retry_after
from ._models import CHANGE_TYPES, Session
from ._observe import GATE
from ._ref import SessionRef
from ._retry import RetryPolicy

RTA_URL = "https://rta.xboxlive.com/connect"
"""Xbox Live's RTA endpoint (``wss://``: the WebSocket upgrade of this URL)."""
SUBPROTOCOL = "rta.xboxlive.com.V2"
CONNECTIONS_URI = "https://sessiondirectory.xboxlive.com/connections/"
EMULATOR_RTA_PATH = "/rta/connect"
"""Where a directory other than Xbox Live's (the emulator) serves RTA, below its URL."""

SUBSCRIBE, UNSUBSCRIBE, EVENT, RESYNC = 1, 2, 3, 4
SUCCESS = 0
RETRYABLE_THROTTLED, RETRYABLE_UNAVAILABLE = 1001, 1002
RETRYABLE = frozenset({RETRYABLE_THROTTLED, RETRYABLE_UNAVAILABLE})
MAX_BACKOFF = 60.0
MAX_FAILURES = 5
"""Connections in a row that may fail (or drop before any change came) before the watch
gives up with the last error."""
TOO_MANY, UNAVAILABLE = 429, 503
RECONNECT = "reconnect"
"""The reason of a reconnection's back-off ``Pause`` (a gate's is ``GATE``)."""
KEEPALIVE = 30.0
"""Seconds without a byte from RTA after which the watch sends a ping; as long again
without one and the socket is taken for dead (a pulled cable closes nothing), and
reopened. libHttpClient pings for the same reason (websocketpp_websocket.cpp:1460-1501)."""
CLOSE_SECONDS = 1.0
"""How long the goodbye (unsubscribe, close) may take: best effort."""

EXTRA_MISSING = "watch needs the optional extra: pip install 'sessionclient[watch]'"


@attrs.frozen
class Change:
    """One change of a watched session: ``session`` after it, ``previous`` (the last
    one yielded, None for the first), ``changes`` (MPSD change types, see
    ``Session.changes_since``) and ``change_number`` (the session's ``changeNumber``)."""

    session: Session
    previous: Session | None
    changes: frozenset[str]
    change_number: int


class WatchError(SessionClientError):
    """A watch cannot go on: RTA refused the subscription, the session to watch does
    not exist, or the socket could not be opened or kept open. ``.status`` is the RTA
    status or the HTTP status of a refused upgrade, when there was one."""

    explanation_key = "watch"


class Disconnected(Exception):
    """The socket ended, or could not be opened yet; the driver reconnects. ``status``
    and ``headers`` are those of a refused upgrade (a 429 closes the gate)."""

    def __init__(
        self, message: str, status: int | None = None, headers: httpx.Headers | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers if headers is not None else httpx.Headers()


def backoff(attempt: int) -> float:
    """XSAPI's wait before attempt ``attempt`` (1, 2, ...): min(attempt², 60) seconds
    (real_time_activity_connection.cpp:500 and :728, without the jitter)."""
    return min(float(attempt * attempt), MAX_BACKOFF)


def bucket(client_bucket: str, base_url: str, url: str) -> str:
    """The gate's key for RTA: its host with the client's identity (the client's own
    key starts with the directory's host)."""
    identity = client_bucket.removeprefix(httpx.URL(base_url).host)
    return httpx.URL(url).host + identity


def reconnect(
    gate: GateBackend, key: str, wait: float, policy: RetryPolicy, url: str
) -> Flow[None]:
    """Before a socket opens: ``wait`` (the back-off, 0 the first time), then for the
    cool-down gate of RTA's bucket, as an HTTP call waits (``throttle`` of the policy
    says whether); each wait a ``Pause`` that must fit the operation's deadline."""

    def refused() -> WatchError:
        return WatchError(
            "RTA asked this client to cool down (429 on the WebSocket upgrade); waiting "
            "would pass the deadline, so the watch did not reconnect",
            status=TOO_MANY,
            url=url,
        )

    clock = yield Pause(wait, refused, reason=RECONNECT)
    if policy.throttle == "off":
        return
    if policy.throttle == "fail" and gate.window(key, clock) is not None:
        raise refused()
    ticket = None
    try:
        while True:
            verdict = gate.admit(key, clock, ticket, math.inf)
            ticket = verdict.ticket
            if not verdict.wait:
                return
            clock = yield Pause(verdict.wait, refused, reason=GATE)
    finally:
        if ticket is not None:
            gate.give_back(ticket)  # cancelled or past the deadline: its place is free


def judge(
    settings: Settings,
    key: str,
    policy: RetryPolicy,
    sent_at: float,
    url: str,
    error: Disconnected | None = None,
) -> None:
    """Tell the gate of RTA's bucket how the upgrade sent at ``sent_at`` went, as the
    engine does for an HTTP call: a 429 closes it (its Retry-After, or the gate's own
    back-off); any other answer opens it again (a probe that worked)."""
    if policy.throttle == "off" or (error is not None and error.status is None):
        return  # no gate; or no answer, which says nothing of the pace
    gate, now = settings.gate, settings.clock()
    if error is None or error.status != TOO_MANY:
        gate.passed(key, now, sent_at)
        return
    retry_after = parse_retry_after(error.headers, now=settings.wallclock())
    _close(settings, key, policy, retry_after, sent_at, TOO_MANY, url)


def refused(
    settings: Settings, key: str, policy: RetryPolicy, status: int, attempt: int, url: str
) -> float:
    """A subscribe answered 1001 (throttled) or 1002 (unavailable) for the ``attempt``-th
    time in a row: XSAPI sends it again after ``backoff(attempt)``
    (real_time_activity_connection.cpp:490-518). That wait closes the gate of RTA's
    bucket, as a 429 or a 503 with that Retry-After would, so that every caller of
    the bucket waits it; the wait left to the caller (none, unless ``throttle`` is
    "off")."""
    wait = backoff(attempt)
    if policy.throttle == "off":
        return wait
    as_http = TOO_MANY if status == RETRYABLE_THROTTLED else UNAVAILABLE
    _close(settings, key, policy, wait, settings.clock(), as_http, url)
    return 0.0


def _close(
    settings: Settings,
    key: str,
    policy: RetryPolicy,
    retry_after: float | None,
    sent_at: float,
    status: int,
    url: str,
) -> None:
    """Close the gate of RTA's bucket as an HTTP ``status`` (429 or 503) with that
    Retry-After would."""
    kind = TooManyRequestsError if status == TOO_MANY else ServiceUnavailableError
    closure = Closure(kind, status, "GET", url)
    gate, now = settings.gate, settings.clock()
    gate.hold(
        key,
        now,
        retry_after,
        sent_at=sent_at,
        rate=None,
        closure=closure,
        cap=policy.retry_after_max,
    )


def rta_url(base_url: str, default_base_url: str) -> str:
    """The RTA endpoint that goes with a session directory's URL."""
    if base_url.rstrip("/") == default_base_url.rstrip("/"):
        return RTA_URL
    return base_url.rstrip("/") + EMULATOR_RTA_PATH


def change_types(changes: Iterable[str] | None) -> frozenset[str]:
    """The change types to subscribe to, checked (None: ``everything``)."""
    if changes is None:
        return frozenset({"everything"})
    if isinstance(changes, str):
        raise TypeError("changes must be an iterable of change types, not a str")
    wanted = frozenset(changes)
    unknown = wanted - CHANGE_TYPES
    if unknown or not wanted:
        raise ValueError(
            f"unknown change types {sorted(unknown)}: expected some of {sorted(CHANGE_TYPES)}"
            if unknown
            else "changes must name at least one change type"
        )
    return wanted


# --- what frames mean


@attrs.frozen
class Subscribed:
    """The ``connections/`` subscription holds; ``connection_id`` goes into the members."""

    connection_id: str


@attrs.frozen
class Refused:
    """The subscription was refused with ``status`` (retry on 1001/1002)."""

    status: int


@attrs.frozen
class Taps:
    """MPSD's shoulder taps of an event on the subscription (each a ``dict``)."""

    taps: tuple[Mapping[str, object], ...]


@attrs.frozen
class Resync:
    """The service lost state: every watched session must be read again."""


Step = Subscribed | Refused | Taps | Resync | None


@attrs.define
class Link:
    """What a client's one RTA socket knows between frames: its ``connections/``
    subscription, shared by every session the client watches (XSAPI keeps one
    connection per user, ``real_time_activity_manager.cpp:39-51``, and MPSD one
    ``connections/`` subscription per connection, ``multiplayer_subscription.cpp``)."""

    connection_id: str | None = None
    generation: int = 0
    """How many subscriptions have held: a member written for an older one points at a
    connection that is gone."""
    refusals: int = 0
    _service_id: int | None = None
    _seq: Iterator[int] = attrs.field(factory=lambda: itertools.count(1))
    _asked: int = 0
    _pending: bool = False

    def subscribe(self) -> str:
        """The frame that subscribes to MPSD's ``connections/``."""
        self._asked = next(self._seq)
        self._service_id = None
        self._pending = True
        return json.dumps([SUBSCRIBE, self._asked, CONNECTIONS_URI])

    def idle(self) -> bool:
        """Whether a subscribe must be sent: none holds, none is awaiting its answer."""
        return self._service_id is None and not self._pending

    def dropped(self) -> None:
        """The socket is gone, and its subscription with it."""
        self._service_id, self._pending = None, False

    def unsubscribe(self) -> str | None:
        """The frame that ends the subscription, if one holds."""
        if self._service_id is None:
            return None
        return json.dumps([UNSUBSCRIBE, next(self._seq), self._service_id])

    def read(self, text: str) -> Step:
        """What a frame means; None for frames to ignore (malformed, or about other
        subscriptions)."""
        try:
            frame = json.loads(text)
        except ValueError:
            return None
        if not isinstance(frame, list) or not frame or not _is_int(frame[0]):
            return None
        kind = frame[0]
        if kind == RESYNC:
            return Resync()
        if kind == SUBSCRIBE and len(frame) >= 3 and frame[1] == self._asked:
            return self._answer(frame)
        if kind == EVENT and len(frame) >= 3 and frame[1] == self._service_id:
            taps = frame[2].get("shoulderTaps") if isinstance(frame[2], dict) else None
            if isinstance(taps, list):
                return Taps(tuple(tap for tap in taps if isinstance(tap, dict)))
        return None

    def _answer(self, frame: list[Any]) -> Step:
        status = frame[2]
        if not _is_int(status):
            return None
        self._pending = False
        if status != SUCCESS:
            self.refusals += 1
            return Refused(status)
        data = frame[4] if len(frame) >= 5 else None
        connection = data.get("ConnectionId") if isinstance(data, dict) else None
        if not _is_int(frame[3]) or not isinstance(connection, str) or not connection:
            self.refusals += 1
            return Refused(-1)  # a success without its data: as good as a refusal
        self.refusals = 0
        self.generation += 1
        self._service_id = frame[3]
        self.connection_id = connection
        return Subscribed(connection)


@attrs.define
class Watcher:
    """What one watch of a session knows between reads."""

    ref: SessionRef
    wanted: frozenset[str]
    subscription_id: str = attrs.field(factory=lambda: str(uuid.uuid4()))
    stale: bool = False
    """A tap newer than what was read came (or a resync): read the session again."""
    written: int = 0
    """The ``Link.generation`` the member was pointed at (0: not yet)."""
    shown: Session | None = None
    """The last session yielded."""
    seen: int = -1
    """The highest change number read (of ``branch``)."""
    branch: str | None = None
    """The branch of the sessions read: change numbers count within a branch, and a new
    branch starts them again (MPSD how-tos, "Parsing duplicate session change
    notifications")."""

    def mutate(self, link: Link) -> Callable[[Session | None], dict[str, Any] | None]:
        """``update()``'s mutation that points the caller's member at ``link``'s
        connection (nothing to write when the session does not exist)."""
        system = {
            "active": True,
            "connection": link.connection_id,
            "subscription": {"id": self.subscription_id, "changeTypes": sorted(self.wanted)},
        }
        delta = {"members": {"me": {"properties": {"system": system}}}}
        return lambda current: None if current is None else delta

    def tapped(self, taps: Iterable[Mapping[str, object]]) -> bool:
        """Whether a tap is about this session and newer than what was read (then
        ``stale``); taps for other sessions, or already read, are ignored."""
        mine = "~".join((self.ref.scid.lower(), self.ref.template, self.ref.name))
        for tap in taps:
            resource, number, branch = (
                tap.get("resource"),
                tap.get("changeNumber"),
                tap.get("branch"),
            )
            if not isinstance(resource, str):
                continue
            scid, _, rest = resource.partition("~")
            # Without a number, or on another branch, only a read tells what is news.
            same = branch is None or self.branch is None or branch == self.branch
            newer = number > self.seen if isinstance(number, int) and same else True
            if f"{scid.lower()}~{rest}" == mine and newer:
                self.stale = True
        return self.stale

    def offer(self, session: Session) -> Change | None:
        """The change to yield for a session just read, or None: never one older than
        what was read before, nor one without a change the watch asked for."""
        number = session.change_number
        branch = session.document.get("branch")
        if isinstance(branch, str) and branch != self.branch:
            self.branch, self.seen = branch, -1  # a new branch numbers changes anew
        number = self.seen + 1 if number is None else number
        if number <= self.seen:
            return None
        self.seen = number
        changes = session.changes_since(self.shown)
        relevant = changes if "everything" in self.wanted else changes & self.wanted
        if self.shown is not None and not relevant:
            return None
        change = Change(session, self.shown, changes, number)
        self.shown = session
        return change


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- the client's end of the WebSocket


class Frames:
    """RFC 6455 framing for the client (wsproto), with the handshake's headers."""

    def __init__(self) -> None:
        try:
            from wsproto.connection import Connection, ConnectionType
        except ImportError as exc:
            raise ModuleNotFoundError(EXTRA_MISSING) from exc
        self._ws = Connection(ConnectionType.CLIENT)
        self._key = base64.b64encode(os.urandom(16)).decode()
        self._texts: deque[str] = deque()
        self._partial = ""
        self.closed = False

    def handshake(self) -> dict[str, str]:
        """The upgrade request's headers."""
        return {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": self._key,
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Protocol": SUBPROTOCOL,
        }

    def accepts(self, headers: Mapping[str, str]) -> bool:
        """Whether a 101's headers complete this handshake (RFC 6455, 4.1)."""
        guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        expected = base64.b64encode(hashlib.sha1((self._key + guid).encode()).digest())
        return headers.get("sec-websocket-accept", "") == expected.decode()

    def send(self, text: str) -> bytes:
        """The bytes of a text frame."""
        from wsproto.events import TextMessage

        return self._ws.send(TextMessage(text))

    def ping(self) -> bytes:
        """The bytes of a ping (any answer proves the socket alive)."""
        from wsproto.events import Ping

        return self._ws.send(Ping())

    def feed(self, data: bytes) -> bytes:
        """Take bytes from the server; return what must be answered (pongs, the
        closing handshake)."""
        from wsproto.events import CloseConnection, Ping, TextMessage
        from wsproto.utilities import LocalProtocolError, RemoteProtocolError

        if not data:
            self.closed = True
            return b""
        reply = b""
        try:
            self._ws.receive_data(data)
            for event in self._ws.events():
                if isinstance(event, TextMessage):
                    self._partial += event.data
                    if event.message_finished:
                        self._texts.append(self._partial)
                        self._partial = ""
                elif isinstance(event, Ping):
                    reply += self._ws.send(event.response())
                elif isinstance(event, CloseConnection):
                    reply += self._ws.send(event.response())
                    self.closed = True
        except (LocalProtocolError, RemoteProtocolError):
            self.closed = True  # a broken stream is a dropped one: reconnect
        return reply

    def next(self) -> str | None:
        """The next text received, or None."""
        return self._texts.popleft() if self._texts else None

    def close(self) -> bytes:
        """The closing frame, if the socket is still open."""
        from wsproto.connection import ConnectionState
        from wsproto.events import CloseConnection

        if self.closed or self._ws.state is not ConnectionState.OPEN:
            return b""
        self.closed = True
        return self._ws.send(CloseConnection(code=1000))
