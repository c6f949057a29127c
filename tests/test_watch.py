"""``watch``: change notifications over Real-Time Activity (issue 26), against the
emulator in-process (sync, asyncio, trio) and over real sockets (uvicorn).

What the client follows, in Microsoft's SDK (XSAPI, ``microsoft/xbox-live-api``):
- ``Source/Services/RealTimeActivityManager/real_time_activity_connection.cpp``: the
  endpoint and subprotocol (lines 10-11), the message types and status codes (56-73),
  the subscribe frame ``[1, seq, uri]`` (355-369) and its answer ``[1, seq, status,
  subscriptionId, data]`` (415-438), unsubscribe ``[2, seq, subscriptionId]`` (391-405),
  events ``[3, subscriptionId, data]`` (625-644), resync ``[4]`` (868-875), the retry of a
  subscribe answered 1001/1002 after min(attempt², 60) s (490-518) and the reconnect
  back-off (718-729), subscriptions sent again on every new connection (665-670).
- ``Source/Services/Multiplayer/multiplayer_subscription.cpp``: the ``connections/``
  resource (line 9), its ``ConnectionId`` (57-77) and the ``shoulderTaps`` with
  ``resource`` ``scid~template~name``, ``changeNumber`` and ``branch`` (79-132).
- ``Source/Services/Multiplayer/multiplayer_session_member.cpp`` lines 610-649: the member
  writes ``active``, ``connection`` and ``subscription: {id, changeTypes}`` into its own
  ``properties.system``.

And a second public client, df-mc's ``go-xsapi`` (Go), which shares one socket and one
``connections/`` subscription among every session it tracks as this SDK does: events go
to their subscription by id (``rta/conn.go:567-582``), a tap to every tracked session it
names (``mpsd/subscription.go:134-185``), and a new ConnectionId is written into every
tracked session (``mpsd/subscription.go:84-127``).
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sessionclient as sc
from sessionclient import _watch as sc_watch
from sessionclient._watch import (
    EMULATOR_RTA_PATH,
    Link,
    Refused,
    Resync,
    Subscribed,
    Taps,
    Watcher,
    backoff,
    bucket,
)
from sessionclient.emulator import DEFAULT_SCID, EMULATOR_URL, Emulator

from .conftest import FakeClock, Runner

REF = sc.SessionRef(DEFAULT_SCID, "lobby", "game-1")
OTHER = sc.SessionRef(DEFAULT_SCID, "lobby", "game-2")
HOST, PLAYER = "100", "200"


class Watching:
    """One watch of the client under test, pulled one change at a time from the test
    thread (async kinds run it on the test's loop)."""

    def __init__(
        self, client: Any, loop: Runner | None, ref: sc.SessionRef = REF, **options: Any
    ) -> None:
        self.iterator = client.watch(ref, **options)
        self.loop = loop

    def next(self) -> sc.Change | None:
        """The next change, or None when the watch ended."""
        if self.loop is None:
            return next(self.iterator, None)

        async def step() -> sc.Change | None:
            try:
                change: sc.Change = await self.iterator.__anext__()
            except StopAsyncIteration:
                return None
            return change

        return self.loop.run_until_complete(step())  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.loop is None:
            self.iterator.close()
        else:
            self.loop.run_until_complete(self.iterator.aclose())


@pytest.fixture
def emulator(clock: FakeClock) -> Emulator:
    return Emulator(clock=clock)


@pytest.fixture
def player(emulator: Emulator) -> Iterator[sc.SessionClient]:
    with emulator.client(PLAYER) as client:
        yield client


@pytest.fixture
def host(kind: str, clock: FakeClock, loop: Runner, emulator: Emulator) -> Iterator[Any]:
    """The watching client (sync or async), signed in as HOST, its sleeps on the clock."""
    auth = sc.XBLToken(HOST, "emulator-token")
    if kind == "sync":
        client: Any = sc.SessionClient(
            EMULATOR_URL, auth=auth, transport=emulator.transport(), clock=clock, sleep=clock.sleep
        )
        yield client
        client.close()
    else:
        client = sc.AsyncSessionClient(
            EMULATOR_URL, auth=auth, transport=emulator.transport(), clock=clock, sleep=clock.asleep
        )
        yield client
        loop.run_until_complete(client.aclose())


@pytest.fixture
def watching(kind: str, host: Any, loop: Runner, emulator: Emulator) -> Iterator[Any]:
    made: list[Watching] = []

    def start(ref: sc.SessionRef = REF, **options: Any) -> Watching:
        with emulator.client(HOST) as creator:
            if emulator.session(ref.scid, ref.template, ref.name) is None:
                creator.create(ref)
        watch = Watching(host, None if kind == "sync" else loop, ref, **options)
        made.append(watch)
        return watch

    yield start
    for watch in made:
        watch.close()


def _key() -> tuple[str, str, str]:
    return REF.scid, REF.template, REF.name


def member_system(session: sc.Session, xuid: str) -> dict[str, Any]:
    member = session.member(xuid)
    assert member is not None
    system: dict[str, Any] = member.document["properties"]["system"]
    return system


def gets(emulator: Emulator) -> int:
    return sum(r.method == "GET" for r in emulator.requests)


# --- in-process, every kind


def test_first_change_is_the_session_with_the_member_subscribed(
    watching: Any, emulator: Emulator
) -> None:
    """The first change is the session as it is (previous None, "everything"); the
    watcher's member holds the RTA connection id and a subscription with the change
    types asked for (multiplayer_session_member.cpp:620-648)."""
    watch = watching(changes=["membersList", "customProperty"])
    first = watch.next()
    assert first is not None
    assert first.previous is None
    assert first.changes == {"everything"}
    system = member_system(first.session, HOST)
    (connection,) = emulator.rta.connections()
    assert system["connection"] == connection.id
    assert system["subscription"]["changeTypes"] == ["customProperty", "membersList"]
    assert system["active"] is True
    assert first.change_number == first.session.change_number


def test_changes_arrive_in_order_with_their_types(watching: Any, player: sc.SessionClient) -> None:
    """Each write is one tap; each tap one read; each read one change, with the
    previous session and what changed between them."""
    watch = watching()
    first = watch.next()
    assert first is not None
    player.join(REF)
    joined = watch.next()
    assert joined is not None
    assert joined.changes == {"membersList"}
    assert joined.previous == first.session
    player.set_properties(REF, {"map": "harbor"})
    custom = watch.next()
    assert custom is not None
    assert custom.changes == {"customProperty"}
    assert custom.previous == joined.session
    assert first.change_number < joined.change_number < custom.change_number


def test_a_burst_of_taps_is_one_read(
    watching: Any, player: sc.SessionClient, emulator: Emulator
) -> None:
    """Three writes before the watcher reads: three taps, one GET, one change with the
    newest session; the later taps (not newer than what was read) cost nothing."""
    watch = watching()
    assert watch.next() is not None
    player.join(REF)
    player.set_properties(REF, {"map": "harbor"})
    player.set_properties(REF, {"mode": "ctf"})
    before = gets(emulator)
    change = watch.next()
    assert change is not None
    assert change.changes == {"membersList", "customProperty"}
    assert change.session.custom_properties == {"map": "harbor", "mode": "ctf"}
    player.leave(REF)
    left = watch.next()
    assert left is not None
    assert left.changes == {"membersList"}
    assert gets(emulator) - before == 2  # the burst, then the leave


def test_only_the_change_types_asked_for_are_yielded(
    watching: Any, player: sc.SessionClient
) -> None:
    """``changes`` filters: a custom property alone is not yielded to a watcher of
    membersList; the next membersList change is, with the changes accumulated since
    the last one yielded."""
    watch = watching(changes=["membersList"])
    assert watch.next() is not None
    player.join(REF)
    joined = watch.next()
    assert joined is not None
    assert joined.changes == {"membersList"}
    player.set_properties(REF, {"map": "harbor"})  # not asked for: not yielded
    player.leave(REF)
    left = watch.next()
    assert left is not None
    assert left.changes == {"membersList", "customProperty"}
    assert left.previous == joined.session


def test_a_dropped_socket_reconnects_and_rewrites_the_connection(
    watching: Any, player: sc.SessionClient, emulator: Emulator, clock: FakeClock
) -> None:
    """RTA drops the socket; a change made meanwhile (no tap: the connection is gone)
    is found by the re-read after the reconnection, whose new ConnectionId is written
    into the member (real_time_activity_connection.cpp:760-825 reconnects, 665-670
    subscribes again)."""
    watch = watching()
    first = watch.next()
    assert first is not None
    old = member_system(first.session, HOST)["connection"]
    emulator.rta.drop()
    player.join(REF)  # no tap reaches the watcher
    change = watch.next()
    assert change is not None
    assert change.changes == {"membersList"}
    new = member_system(change.session, HOST)["connection"]
    assert new != old
    assert [c.id for c in emulator.rta.connections()] == [new]
    assert clock.sleeps == [backoff(1)] == [1.0]


def test_a_resync_rereads_the_session(
    watching: Any, player: sc.SessionClient, emulator: Emulator
) -> None:
    """A tap lost on the service's side, then ``[4]``: the watcher reads the session
    again and yields the change it had missed (connection.cpp:868-875)."""
    watch = watching()
    assert watch.next() is not None
    player.join(REF)
    emulator.rta.discard()  # the tap never leaves
    emulator.rta.resync()
    change = watch.next()
    assert change is not None
    assert change.changes == {"membersList"}


def test_a_throttled_subscribe_is_retried_after_the_back_off(
    watching: Any, host: Any, emulator: Emulator, clock: FakeClock
) -> None:
    """Subscribes answered 1001 then 1002 are sent again after 1 s then 4 s
    (connection.cpp:490-518: min(attempt², 60) s). Each wait is a window of the
    client's cool-down gate for RTA's bucket, as a 429 and a 503 would close it, so
    that every call of that bucket waits it too; the calls that follow are paced a
    while (the emulator serves MPSD on RTA's host)."""
    emulator.rta.refuse(1001)
    emulator.rta.refuse(1002)
    watch = watching()
    assert watch.next() is not None
    assert clock.sleeps[:2] == [1.0, 4.0]
    assert all(pace < 1.0 for pace in clock.sleeps[2:])
    settings = host._settings
    key = bucket(settings.bucket, EMULATOR_URL, EMULATOR_URL + EMULATOR_RTA_PATH)
    closure = settings.gate.closure(key)
    assert (closure.status, closure.url) == (503, EMULATOR_URL + EMULATOR_RTA_PATH)


def test_delayed_taps_yield_the_newest_session(
    watching: Any, player: sc.SessionClient, emulator: Emulator, clock: FakeClock
) -> None:
    """Taps held back 5 emulated seconds leave no sooner; then the burst is one read
    and one change, with the newest session."""
    watch = watching()
    assert watch.next() is not None
    (connection,) = emulator.rta.connections()
    emulator.rta.delay_taps(5)
    player.join(REF)
    player.set_properties(REF, {"map": "harbor"})
    clock.now += 4.9
    assert connection.held == 2
    clock.now += 0.1
    assert connection.held == 0
    before = gets(emulator)
    change = watch.next()
    assert change is not None
    assert change.changes == {"membersList", "customProperty"}
    assert change.session.custom_properties == {"map": "harbor"}
    assert gets(emulator) - before == 1


def test_late_taps_never_yield_an_older_session(
    watching: Any, player: sc.SessionClient, emulator: Emulator
) -> None:
    """Taps held until released, while a resync makes the watcher read the newest
    session: the late taps, no newer than what was read, cost no read and yield
    nothing; the next change follows the newest session, not an older one."""
    watch = watching()
    assert watch.next() is not None
    emulator.rta.delay_taps(None)
    player.join(REF)
    player.set_properties(REF, {"map": "harbor"})
    emulator.rta.resync()
    newest = watch.next()
    assert newest is not None
    assert newest.session.custom_properties == {"map": "harbor"}
    emulator.rta.release_taps()  # the two taps of the changes already read
    before = gets(emulator)
    player.set_properties(REF, {"mode": "ctf"})
    change = watch.next()
    assert change is not None
    assert change.previous == newest.session
    assert change.changes == {"customProperty"}
    assert change.change_number == newest.change_number + 1
    assert gets(emulator) - before == 1


def test_delay_taps_checks_its_argument(emulator: Emulator) -> None:
    for bad in (-1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="seconds"):
            emulator.rta.delay_taps(bad)


def test_a_throttled_reconnect_waits_for_the_gate(
    watching: Any, player: sc.SessionClient, emulator: Emulator, clock: FakeClock
) -> None:
    """The socket drops; the reconnect after 1 s is answered 429 with Retry-After 20,
    which closes the client's gate for RTA's bucket; the next reconnect waits its
    back-off (4 s) and then the gate (16 s), each a Pause carried out by the client's
    sleep, and opens no socket before the gate opens."""
    watch = watching()
    assert watch.next() is not None
    emulator.rta.throttle_upgrades(20)
    dropped = clock()
    emulator.rta.drop()
    player.join(REF)
    change = watch.next()
    assert change is not None
    assert change.changes == {"membersList"}
    (connection,) = emulator.rta.connections()
    throttled_at = dropped + backoff(1)
    assert connection.opened >= throttled_at + 20
    # Then the gate paces this bucket a while (slow start): the emulator serves RTA
    # and MPSD on one host, so the calls that follow share RTA's bucket.
    assert clock.sleeps[:3] == [1.0, 4.0, 16.0]
    assert all(pace < 1.0 for pace in clock.sleeps[3:])


def test_a_reconnect_that_would_wait_past_the_deadline_raises(
    watching: Any, emulator: Emulator, clock: FakeClock
) -> None:
    """A 429 whose Retry-After (300 s) is past the reconnect's deadline (the policy's,
    30 s, as for an HTTP call): the watch raises WatchError(status=429) after the
    back-off that fits, without waiting for the gate nor opening a socket."""
    watch = watching()
    assert watch.next() is not None
    emulator.rta.throttle_upgrades(300)
    emulator.rta.drop()
    with pytest.raises(sc.WatchError, match="cool down") as caught:
        watch.next()
    assert caught.value.status == 429
    assert clock.sleeps == [1.0, 4.0]
    assert emulator.rta.connections() == []


@pytest.mark.parametrize("status", [1, 2, 3])
def test_a_refused_subscribe_raises(watching: Any, emulator: Emulator, status: int) -> None:
    """Unknown resource, subscription limit, no resource data: no retry can help
    (connection.cpp:482-489); the iterator raises WatchError with the RTA status."""
    emulator.rta.refuse(status)
    watch = watching()
    with pytest.raises(sc.WatchError) as caught:
        watch.next()
    assert caught.value.status == status
    assert str(caught.value)


def test_frames_to_ignore_are_ignored(
    watching: Any, player: sc.SessionClient, emulator: Emulator
) -> None:
    """Malformed frames, events of another subscription and taps for another session
    or an old change number are ignored (connection.cpp:877-880 ignores unknown
    payloads; multiplayer_subscription.cpp:83-104 skips malformed taps)."""
    watch = watching()
    first = watch.next()
    assert first is not None
    resource = f"{DEFAULT_SCID}~lobby~"
    for frame in [
        "not json",
        "{}",
        "[]",
        '["3"]',
        "[3, 999, {}]",
        '[3, 1, {"shoulderTaps": "no"}]',
        json.dumps(
            [3, 1, {"shoulderTaps": [{"resource": resource + "other", "changeNumber": 99}]}]
        ),
        json.dumps(
            [3, 1, {"shoulderTaps": [{"resource": resource + "game-1", "changeNumber": 1}]}]
        ),
        "[1, 77, 0, 5, {}]",
    ]:
        emulator.rta.send(frame)
    before = gets(emulator)
    player.join(REF)
    change = watch.next()
    assert change is not None
    assert change.changes == {"membersList"}
    assert gets(emulator) - before == 1


def test_the_watch_ends_when_the_session_is_deleted(
    watching: Any, player: sc.SessionClient, emulator: Emulator
) -> None:
    """Deleting the session taps its members; the read finds no session (204) and the
    iteration ends."""
    watch = watching()
    assert watch.next() is not None
    player.join(REF)
    assert watch.next() is not None
    with emulator.client(HOST) as other:
        other.delete(REF)
    assert watch.next() is None
    assert emulator.session(*_key()) is None


def test_closing_unsubscribes_and_closes_the_socket(watching: Any, emulator: Emulator) -> None:
    """Closing the iterator sends ``[2, seq, id]`` and closes the socket: the service
    holds no connection any more."""
    watch = watching()
    assert watch.next() is not None
    (connection,) = emulator.rta.connections()
    assert connection.subscribed
    watch.close()
    assert emulator.rta.connections() == []
    assert not connection.subscribed


def test_a_member_whose_connection_closed_goes_inactive(
    watching: Any, emulator: Emulator, clock: FakeClock, player: sc.SessionClient
) -> None:
    """MPSD makes a member inactive a while after its RTA connection goes away: the
    emulator after ``inactive_after`` (its clock), then it taps the other watchers."""
    watch = watching()
    assert watch.next() is not None
    watch.close()
    player.join(REF)
    clock.now += emulator.inactive_after - 1
    assert member_system(_read(player), HOST)["active"] is True
    clock.now += 1
    system = member_system(_read(player), HOST)
    assert system["active"] is False
    assert "connection" not in system


def _read(client: sc.SessionClient) -> sc.Session:
    session = client.get(REF)
    assert session is not None
    return session


# --- keep-alive (real waits of a few KEEPALIVE of 50 ms: socket reads time out for real)


def test_a_silent_socket_is_pinged_then_reopened(
    watching: Any,
    player: sc.SessionClient,
    emulator: Emulator,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The network goes away without closing anything: after KEEPALIVE of silence the
    watch pings, after as long again without an answer it takes the socket for dead
    and reopens one (libHttpClient pings to notice this,
    websocketpp_websocket.cpp:1460-1501), writing the new connection and reading the
    change it missed."""
    monkeypatch.setattr(sc_watch, "KEEPALIVE", 0.05)
    watch = watching()
    assert watch.next() is not None
    (old,) = emulator.rta.connections()
    emulator.rta.silence()
    player.join(REF)  # its tap is lost in the silence
    change = watch.next()
    assert change is not None
    assert change.changes == {"membersList"}
    (new,) = emulator.rta.connections()
    assert new is not old
    assert old.closed
    assert member_system(change.session, HOST)["connection"] == new.id
    assert clock.sleeps == [backoff(1)]


def test_an_idle_socket_that_answers_pings_stays_open(
    watching: Any,
    player: sc.SessionClient,
    emulator: Emulator,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Silence answered by pongs is only a quiet session: the watch keeps its socket."""
    import threading
    import time

    monkeypatch.setattr(sc_watch, "KEEPALIVE", 0.05)
    watch = watching()
    assert watch.next() is not None
    (connection,) = emulator.rta.connections()

    def write_after_pings() -> None:
        limit = time.monotonic() + 10
        while connection.pings < 3 and time.monotonic() < limit:
            time.sleep(0.01)  # waits for the pings, not for a time
        player.join(REF)

    writer = threading.Thread(target=write_after_pings)
    writer.start()
    change = watch.next()
    writer.join()
    assert connection.pings >= 3
    assert change is not None
    assert change.changes == {"membersList"}
    assert emulator.rta.connections() == [connection]
    assert clock.sleeps == []


# --- several watches on one client: one socket


def test_watches_on_one_client_share_one_socket(
    watching: Any, player: sc.SessionClient, emulator: Emulator
) -> None:
    """Two sessions watched by one client: one socket and one ``connections/``
    subscription, whose ConnectionId both members hold, and each watch gets the taps of
    its own session; the socket stays open while a watch remains, and the last one
    unsubscribes and closes it, as XSAPI's manager does (real_time_activity_manager.cpp
    :53-90 keeps one connection per user and closes it at no subscriptions;
    real_time_activity_connection.cpp:166-186 adds a subscription to the open one)."""
    lobby, other = watching(), watching(OTHER)
    first, second = lobby.next(), other.next()
    assert first is not None
    assert second is not None
    (connection,) = emulator.rta.connections()
    assert member_system(first.session, HOST)["connection"] == connection.id
    assert member_system(second.session, HOST)["connection"] == connection.id
    player.join(OTHER)
    joined = other.next()
    assert joined is not None
    assert joined.session.ref == OTHER
    assert joined.changes == {"membersList"}
    player.join(REF)
    joined = lobby.next()
    assert joined is not None
    assert joined.session.ref == REF
    lobby.close()
    assert emulator.rta.connections() == [connection]
    assert connection.subscribed
    player.set_properties(OTHER, {"map": "harbor"})
    change = other.next()
    assert change is not None
    assert change.changes == {"customProperty"}
    other.close()
    assert emulator.rta.connections() == []
    assert not connection.subscribed


def test_a_drop_reconnects_once_for_every_watch(
    watching: Any, player: sc.SessionClient, emulator: Emulator, clock: FakeClock
) -> None:
    """The shared socket drops: one reconnection (one back-off), whose new ConnectionId
    is written into the member of every watched session, each read again (its taps
    were missed)."""
    lobby, other = watching(), watching(OTHER)
    assert lobby.next() is not None
    assert other.next() is not None
    emulator.rta.drop()
    player.join(REF)
    player.join(OTHER)
    changes = [lobby.next(), other.next()]
    (connection,) = emulator.rta.connections()
    for change in changes:
        assert change is not None
        assert change.changes == {"membersList"}
        assert member_system(change.session, HOST)["connection"] == connection.id
    assert clock.sleeps == [backoff(1)]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_concurrent_watches_each_get_their_own_changes(backend: str, clock: FakeClock) -> None:
    """Two tasks each iterate a watch of one client: one reads the socket, the other
    waits for it; a change of either session reaches its own task, whichever reads."""
    import anyio

    emulator = Emulator(clock=clock)
    with emulator.client(HOST) as creator:
        creator.create(REF)
        creator.create(OTHER)
    seen: dict[sc.SessionRef, list[frozenset[str]]] = {REF: [], OTHER: []}

    async def main() -> None:
        async with emulator.async_client(HOST, clock=clock, sleep=clock.asleep) as client:

            async def consume(ref: sc.SessionRef) -> None:
                async for change in client.watch(ref):
                    seen[ref].append(change.changes)

            async with anyio.create_task_group() as group:
                group.start_soon(consume, REF)
                group.start_soon(consume, OTHER)
                await anyio.wait_all_tasks_blocked()
                assert len(emulator.rta.connections()) == 1
                with emulator.client(PLAYER) as player:
                    player.join(OTHER)
                    await anyio.wait_all_tasks_blocked()
                    player.join(REF)
                    await anyio.wait_all_tasks_blocked()
                    player.leave(OTHER)
                    await anyio.wait_all_tasks_blocked()
                group.cancel_scope.cancel()
            assert emulator.rta.connections() == []

    anyio.run(main, backend=backend)
    assert seen[REF] == [{"everything"}, {"membersList"}]
    assert seen[OTHER] == [{"everything"}, {"membersList"}, {"membersList"}]


def test_threads_watching_on_one_sync_client_each_get_their_changes(
    emulator: Emulator, clock: FakeClock
) -> None:
    """Two threads each iterate a watch of one sync client: whichever reads the shared
    socket hands the other its taps, and neither starves."""
    import queue
    import threading

    writer = emulator.client(HOST)
    writer.create(REF)
    writer.create(OTHER)
    seen: queue.Queue[tuple[sc.SessionRef, frozenset[str]]] = queue.Queue()
    client = emulator.client(HOST, clock=clock, sleep=clock.sleep)
    watches = [client.watch(REF), client.watch(OTHER)]

    def consume(watch: Iterator[sc.Change]) -> None:
        for change in watch:
            seen.put((change.session.ref, change.changes))

    threads = [threading.Thread(target=consume, args=(w,), daemon=True) for w in watches]
    for thread in threads:
        thread.start()
    firsts = {seen.get(timeout=10), seen.get(timeout=10)}
    assert firsts == {(REF, frozenset({"everything"})), (OTHER, frozenset({"everything"}))}
    for ref in (OTHER, REF, OTHER, REF):
        writer.set_properties(ref, {"n": clock()})
        clock.now += 1  # a new value each time
        assert seen.get(timeout=10) == (ref, frozenset({"customProperty"}))
    assert len(emulator.rta.connections()) == 1
    writer.delete(REF)
    writer.delete(OTHER)  # both iterations end
    writer.close()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()
    client.close()
    assert emulator.rta.connections() == []


# --- calling it


def test_bad_arguments_raise_before_anything_is_sent(host: Any, emulator: Emulator) -> None:
    with pytest.raises(TypeError, match="str"):
        host.watch(REF, changes="membersList")
    with pytest.raises(ValueError, match="nope"):
        host.watch(REF, changes=["nope"])
    with pytest.raises(ValueError, match="at least one"):
        host.watch(REF, changes=[])
    with pytest.raises(TypeError, match="SessionRef"):
        host.watch("lobby")
    assert emulator.requests == []
    assert emulator.rta.connections() == []


def test_without_the_extra_watch_names_it(
    host: Any, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without wsproto (the ``watch`` extra), calling watch raises at once, naming
    ``sessionclient[watch]``; the package itself imports without it."""
    monkeypatch.setitem(sys.modules, "wsproto.connection", None)
    with pytest.raises(ModuleNotFoundError, match=r"sessionclient\[watch\]"):
        host.watch(REF)
    assert emulator.requests == []


# --- the sans-I/O watcher


def test_link_reads_each_frame_kind() -> None:
    link = Link()
    assert link.idle()
    frame = json.loads(link.subscribe())
    assert not link.idle()  # its answer is awaited
    assert frame[0] == 1
    assert frame[2] == "https://sessiondirectory.xboxlive.com/connections/"
    seq = frame[1]
    assert link.read(json.dumps([1, seq, 1001])) == Refused(1001)
    assert link.idle()
    assert link.refusals == 1
    seq = json.loads(link.subscribe())[1]
    assert link.read(json.dumps([1, seq, 0, 7, {"ConnectionId": "c-1"}])) == Subscribed("c-1")
    assert (link.connection_id, link.generation, link.refusals) == ("c-1", 1, 0)
    assert json.loads(link.unsubscribe() or "") == [2, seq + 1, 7]
    assert link.read("[4]") == Resync()
    tap = {"resource": f"{DEFAULT_SCID.upper()}~lobby~game-1", "changeNumber": 3}
    assert link.read(json.dumps([3, 7, {"shoulderTaps": [tap, "not a tap"]}])) == Taps((tap,))
    assert link.read(json.dumps([3, 8, {"shoulderTaps": [tap]}])) is None  # not ours
    link.dropped()
    assert link.idle()
    assert link.unsubscribe() is None
    # A success that lacks its data is no subscription.
    seq = json.loads(link.subscribe())[1]
    assert link.read(json.dumps([1, seq, 0, 7, {}])) == Refused(-1)
    assert link.generation == 1


def test_a_watcher_takes_the_taps_of_its_own_session() -> None:
    watcher = Watcher(REF, frozenset({"everything"}))
    other = {"resource": f"{DEFAULT_SCID}~lobby~game-2", "changeNumber": 5}
    assert not watcher.tapped([other])
    mine = {"resource": f"{DEFAULT_SCID.upper()}~lobby~game-1", "changeNumber": 0}
    assert watcher.tapped([other, mine])  # the scid is compared without case
    watcher.stale = False
    assert watcher.offer(_session(0)) is not None
    assert not watcher.tapped([mine])  # already read
    assert not watcher.tapped([{"resource": 7}, {"changeNumber": 9}])


def _session(number: int) -> sc.Session:
    document = {"changeNumber": number, "properties": {"custom": {"n": number}}}
    return sc.Session(REF, sc.ETag(f'"{number}"'), document)


@given(st.lists(st.integers(min_value=0, max_value=20), max_size=30))
def test_watcher_never_yields_an_older_session(numbers: list[int]) -> None:
    """Reads may come back in any order (a retried GET, a resync racing a tap): the
    changes yielded have strictly growing change numbers, each with the previous one
    yielded."""
    watcher = Watcher(REF, frozenset({"everything"}))
    yielded = [c for c in (watcher.offer(_session(n)) for n in numbers) if c is not None]
    assert [c.change_number for c in yielded] == sorted({c.change_number for c in yielded})
    if numbers:
        assert yielded[-1].change_number == max(numbers)
    for before, after in itertools.pairwise(yielded):
        assert after.previous is before.session


# --- over real sockets (uvicorn)


def test_watch_over_a_real_socket(kind: str, loop: Runner, clock: FakeClock) -> None:
    """The same watch against the emulator under uvicorn on 127.0.0.1: the upgrade, the
    frames and the taps cross a real socket; a drop reconnects."""
    emulator = Emulator(clock=clock)
    with emulator.serve() as url:
        auth = sc.XBLToken(HOST, "emulator-token")
        options: dict[str, Any] = {"auth": auth, "clock": clock}
        with sc.SessionClient(url, **options) as creator:
            creator.create(REF)
        if kind == "sync":
            client: Any = sc.SessionClient(url, sleep=clock.sleep, **options)
        else:
            client = sc.AsyncSessionClient(url, sleep=clock.asleep, **options)
        watch = Watching(client, None if kind == "sync" else loop)
        try:
            first = watch.next()
            assert first is not None
            assert first.changes == {"everything"}
            with sc.SessionClient(url, auth=sc.XBLToken(PLAYER, "t")) as player:
                player.join(REF)
                change = watch.next()
                assert change is not None
                assert change.changes == {"membersList"}
                emulator.rta.drop()
                player.set_properties(REF, {"map": "harbor"})
                change = watch.next()
                assert change is not None
                assert change.changes == {"customProperty"}
            assert clock.sleeps == [1.0]
        finally:
            watch.close()
            if kind == "sync":
                client.close()
            else:
                loop.run_until_complete(client.aclose())


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_cancelling_a_waiting_watch_unsubscribes(backend: str, clock: FakeClock) -> None:
    """A watch cancelled while it waits for a frame still sends its unsubscribe and
    closes its socket (shielded, bounded by CLOSE_SECONDS), then the cancellation
    goes on."""
    import anyio

    emulator = Emulator(clock=clock)
    with emulator.client(HOST) as creator:
        creator.create(REF)
    seen: list[sc.Change] = []

    async def main() -> None:
        async with emulator.async_client(HOST, clock=clock, sleep=clock.asleep) as client:

            async def consume() -> None:
                async for change in client.watch(REF):
                    seen.append(change)

            async with anyio.create_task_group() as group:
                group.start_soon(consume)
                await anyio.wait_all_tasks_blocked()
                (connection,) = emulator.rta.connections()
                assert connection.subscribed
                group.cancel_scope.cancel()
            assert not connection.subscribed
            assert emulator.rta.connections() == []

    anyio.run(main, backend=backend)
    assert len(seen) == 1


def test_the_demo_watches_a_lobby() -> None:
    """The demo's chapter: a host watches its lobby while two players join and one
    leaves by losing his connection (membersStatus after the inactivity timeout)."""
    import io

    from sessionclient.emulator._demo import run_demo

    out = io.StringIO()
    assert run_demo(out) == 0
    chapter = out.getvalue().split("\n19. ", 1)[1]
    assert "⇄ 101 Switching Protocols" in chapter
    changes = [line for line in chapter.splitlines() if line.startswith("   = change")]
    assert [line.split(": ")[1].split(" (")[0] for line in changes] == [
        "everything", "membersList", "membersList", "membersStatus"
    ]  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "fr", "ko"])
def test_watch_error_explains_itself(lang: str) -> None:
    error = sc.WatchError("RTA refused the subscription (status 2)", status=2)
    assert "Real-Time Activity" in error.explain(lang)
    assert "status 2" in str(error)


def test_a_new_branch_numbers_changes_anew() -> None:
    """Change numbers count within a branch; a session on a new branch is news even with
    a lower number, and so is a tap of another branch (MPSD how-tos, xbox-live-docs
    ``features/multiplayer/mpsd/how-to/live-mpsd-how-tos.md`` lines 69-86; the branch
    is in the session, ``api-ref/xbox-live-rest/json/json-multiplayersession.md`` line 97)."""
    watcher = Watcher(REF, frozenset({"everything"}))
    old = sc.Session(REF, None, {"branch": "a", "changeNumber": 7})
    assert watcher.offer(old) is not None
    assert watcher.offer(sc.Session(REF, None, {"branch": "a", "changeNumber": 3})) is None
    resource = f"{DEFAULT_SCID}~lobby~game-1"
    tap = {"resource": resource, "changeNumber": 2, "branch": "a"}
    assert not watcher.tapped([tap])
    tap["branch"] = "b"
    assert watcher.tapped([tap])
    new = sc.Session(
        REF, None, {"branch": "b", "changeNumber": 2, "properties": {"custom": {"x": 1}}}
    )
    change = watcher.offer(new)
    assert change is not None
    assert change.change_number == 2
    assert change.previous is old
