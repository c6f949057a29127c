"""Real-Time Activity (RTA) as the emulator serves it: connections, subscriptions and
MPSD's shoulder taps, without I/O.

The protocol is XSAPI's (``Source/Services/RealTimeActivityManager/
real_time_activity_connection.cpp``): frames are JSON arrays, ``[1, seq, uri]`` subscribes
(answered ``[1, seq, status, subscriptionId, data]``), ``[2, seq, subscriptionId]``
unsubscribes (``[2, seq, status]``), ``[3, subscriptionId, data]`` is an event and ``[4]``
asks the client to resync. A subscription to MPSD's ``connections/`` resource answers
with the connection's ``ConnectionId``; a member who writes it (and a ``subscription``)
into its own ``properties.system`` gets a tap for every change of that session.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

RTA_PATH = "/rta/connect"
"""Where the emulator serves RTA (the real service: ``wss://rta.xboxlive.com/connect``)."""
SUBPROTOCOL = "rta.xboxlive.com.V2"
CONNECTIONS_URI = "https://sessiondirectory.xboxlive.com/connections/"

SUBSCRIBE, UNSUBSCRIBE, EVENT, RESYNC = 1, 2, 3, 4
SUCCESS, UNKNOWN_RESOURCE = 0, 1

Waker = Callable[[], None]


class RtaConnection:
    """One client's WebSocket, seen from the service: frames in, frames out.

    ``receive`` takes a frame from the client; ``take`` hands the frames to send.
    ``wakers`` are called (outside any lock of the hub) whenever there is something to
    send or the connection closed, so that an adapter waiting on it wakes up.
    """

    def __init__(self, hub: RtaHub, caller: str, connection_id: str) -> None:
        self.caller = caller
        self.id = connection_id
        self.opened = hub.now()
        """When it opened (directory clock)."""
        self.closed = False
        self.silent = False
        """The network went away without a word (``RtaHub.silence``): nothing more
        arrives on either side, not even an answer to a ping."""
        self.pings = 0
        """How many pings the client sent that were answered."""
        self.wakers: set[Waker] = set()
        self._hub = hub
        self._outbox: deque[str] = deque()
        self._held: deque[tuple[float, str]] = deque()  # delayed taps, with when they are due
        self._subscription: int | None = None  # the id of its connections/ subscription

    @property
    def subscribed(self) -> bool:
        """Whether it holds a subscription to MPSD's connections/ resource."""
        return self._subscription is not None

    @property
    def held(self) -> int:
        """How many taps ``RtaHub.delay_taps`` holds back on it now."""
        with self._hub.lock:
            if self._held:
                self._release(self._hub.now())
            return len(self._held)

    def pending(self) -> bool:
        """Whether there are frames to send (or the connection closed)."""
        if self._held:  # its own only: waking others here could deadlock two readers
            with self._hub.lock:
                self._release(self._hub.now())
        return bool(self._outbox) or self.closed

    def take(self) -> list[str]:
        """The frames to send, oldest first."""
        with self._hub.lock:
            if self._held:
                self._release(self._hub.now())
            frames = list(self._outbox)
            self._outbox.clear()
            return frames

    def receive(self, text: str) -> None:
        """Handle one frame from the client. Frames the service cannot read are
        ignored, as RTA ignores them."""
        try:
            frame = json.loads(text)
        except ValueError:
            return
        if not isinstance(frame, list) or len(frame) < 3 or not isinstance(frame[1], int):
            return
        with self._hub.lock:
            kind, seq = frame[0], frame[1]
            if kind == SUBSCRIBE:
                self._push(json.dumps(self._subscribe(seq, frame[2])))
            elif kind == UNSUBSCRIBE:
                if frame[2] == self._subscription:
                    self._subscription = None
                self._push(json.dumps([UNSUBSCRIBE, seq, SUCCESS]))
        self._hub.wake(self)

    def _subscribe(self, seq: int, uri: object) -> list[Any]:
        refusal = self._hub.next_refusal()
        if refusal is not None:
            return [SUBSCRIBE, seq, refusal]
        if not isinstance(uri, str) or uri.lower() != CONNECTIONS_URI:
            return [SUBSCRIBE, seq, UNKNOWN_RESOURCE]
        self._subscription = next(self._hub.subscription_ids)
        return [SUBSCRIBE, seq, SUCCESS, self._subscription, {"ConnectionId": self.id}]

    def _push(self, frame: str) -> None:
        """Queue a frame (the hub's lock is held)."""
        if not self.closed:
            self._outbox.append(frame)

    def tap(self, resource: str, change_number: int, branch: str) -> None:
        """Queue a shoulder tap (the hub's lock is held)."""
        if self._subscription is None:
            return
        tap = {"resource": resource, "changeNumber": change_number, "branch": branch}
        frame = json.dumps([EVENT, self._subscription, {"shoulderTaps": [tap]}])
        due = self._hub.due(self.id)
        if due is None and not self._held:
            self._push(frame)
        else:  # held, or behind held ones: taps leave in the order they were made
            self._held.append((self._hub.now() if due is None else due, frame))

    def _release(self, now: float) -> bool:
        """Move the held taps due by ``now`` to the outbox (the hub's lock is held):
        whether any moved."""
        moved = False
        while self._held and self._held[0][0] <= now:
            self._push(self._held.popleft()[1])
            moved = True
        return moved


class RtaHub:
    """Every RTA connection of a directory, and the faults to stage on them.

    Faults: ``drop()`` closes every connection (the client sees the socket go away);
    ``resync()`` sends ``[4]`` to every connection; ``send(frame)`` sends any frame;
    ``discard()`` loses the frames not sent yet; ``refuse(status, times)`` answers the
    next subscribes with ``status`` (1001 throttled, 1002 service unavailable ...);
    ``delay_taps(seconds)`` holds taps back, ``release_taps()`` lets them go;
    ``throttle_upgrades(retry_after, times)`` answers the next upgrades 429.
    """

    def __init__(self, clock: Callable[[], float], time_scale: float = 1.0) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self._time_scale = time_scale
        self._delays: dict[str | None, float | None] = {}  # connection id (None: all) -> delay
        self.subscription_ids = itertools.count(1)
        self._connections: dict[str, RtaConnection] = {}
        self._refusals: deque[int] = deque()
        self._upgrade_refusals: deque[float | None] = deque()
        self.closed_at: dict[str, float] = {}
        """When each closed connection closed (directory clock): its members go inactive."""

    def connect(self, caller: str) -> RtaConnection:
        """A new connection for ``caller``, with a new ``ConnectionId``."""
        with self.lock:
            connection = RtaConnection(self, caller, str(uuid.uuid4()))
            self._connections[connection.id] = connection
            return connection

    def disconnect(self, connection: RtaConnection) -> None:
        """The client's socket closed (or the service closed it)."""
        with self.lock:
            connection.closed = True
            if self._connections.pop(connection.id, None) is not None:
                self.closed_at[connection.id] = self._clock()
        self.wake(connection)

    def connections(self) -> list[RtaConnection]:
        """The open connections."""
        with self.lock:
            return list(self._connections.values())

    def connection(self, connection_id: str) -> RtaConnection | None:
        """The open connection with this id, or None."""
        with self.lock:
            return self._connections.get(connection_id)

    def wake(self, connection: RtaConnection) -> None:
        """Tell whoever waits on ``connection`` that it has news."""
        for waker in list(connection.wakers):
            waker()

    def next_upgrade_refusal(self) -> tuple[float | None] | None:
        """The Retry-After (emulated seconds, None: no header) of a 429 to answer the
        next WebSocket upgrade with, in a tuple, if one was staged."""
        with self.lock:
            return (self._upgrade_refusals.popleft(),) if self._upgrade_refusals else None

    def next_refusal(self) -> int | None:
        """The status to answer the next subscribe with, if one was staged."""
        with self.lock:
            return self._refusals.popleft() if self._refusals else None

    def now(self) -> float:
        """The directory's clock."""
        return self._clock()

    def due(self, connection_id: str) -> float | None:
        """When a tap made now for this connection may leave (directory clock) under
        ``delay_taps`` (``math.inf``: at ``release_taps``); None when it is not held."""
        delays = self._delays
        key = connection_id if connection_id in delays else None
        if key not in delays:
            return None
        delay = delays[key]
        return math.inf if delay is None else self.now() + delay * self._time_scale

    def flush(self) -> None:
        """Send the held taps that are due (the emulator calls it on every request, and
        a connection whenever it is asked for frames)."""
        with self.lock:
            now = self.now()
            woken = [c for c in self._connections.values() if c._release(now)]
        for connection in woken:
            self.wake(connection)

    # --- faults

    def drop(self, connection_id: str | None = None) -> None:
        """Close every connection (or the one with this id), as a failing service or
        network would."""
        with self.lock:
            connections = [c for c in self._connections.values() if connection_id in (None, c.id)]
        for connection in connections:
            self.disconnect(connection)

    def silence(self, connection_id: str | None = None) -> None:
        """Let every connection (or the one with this id) go silent, as when a network
        cable is pulled: it stays open, but nothing more is sent or answered, not even
        a ping, and nothing the client sends arrives."""
        with self.lock:
            for connection in self._connections.values():
                if connection_id in (None, connection.id):
                    connection.silent = True

    def resync(self) -> None:
        """Send a resync frame ``[4]`` on every connection."""
        with self.lock:
            connections = list(self._connections.values())
            for connection in connections:
                connection._push(json.dumps([RESYNC]))
        for connection in connections:
            self.wake(connection)

    def send(self, frame: str) -> None:
        """Send ``frame`` as it is on every connection (malformed frames, taps for
        sessions nobody watches ...)."""
        with self.lock:
            connections = list(self._connections.values())
            for connection in connections:
                connection._push(frame)
        for connection in connections:
            self.wake(connection)

    def discard(self) -> None:
        """Lose every frame not sent yet (taps that never arrive)."""
        with self.lock:
            for connection in self._connections.values():
                connection._outbox.clear()

    def delay_taps(self, seconds: float | None = None, *, connection_id: str | None = None) -> None:
        """From now on, hold the taps of every connection (or of the one with this id)
        back: each leaves ``seconds`` emulated seconds after its change, at the first
        request or read of the emulator once due; None: until ``release_taps()``.
        Taps leave in the order they were made."""
        if seconds is not None and not 0 <= seconds < math.inf:
            raise ValueError(f"seconds must be None or finite and >= 0, not {seconds!r}")
        with self.lock:
            self._delays[connection_id] = seconds

    def release_taps(self) -> None:
        """End ``delay_taps`` and send every tap held back, now."""
        with self.lock:
            self._delays.clear()
            woken = [c for c in self._connections.values() if c._release(math.inf)]
        for connection in woken:
            self.wake(connection)

    def throttle_upgrades(self, retry_after: float | None = None, *, times: int = 1) -> None:
        """Answer the next ``times`` WebSocket upgrades 429 Too Many Requests, with
        ``Retry-After: retry_after`` (emulated seconds; None: without the header).
        In-process only (the transport); under uvicorn the ASGI app does not refuse."""
        with self.lock:
            self._upgrade_refusals.extend([retry_after] * times)

    def refuse(self, status: int, *, times: int = 1) -> None:
        """Answer the next ``times`` subscribes with ``status`` instead of success."""
        with self.lock:
            self._refusals.extend([status] * times)
