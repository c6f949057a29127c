"""The emulator through the real clients, sync and async, in-process and over real
sockets (uvicorn on 127.0.0.1): every status of the seed table it can produce."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID, EMULATOR_URL, Emulator, Fault, Template, Throttle

from .conftest import FakeClock, World, world_of

NEVER = sc.RetryPolicy.never()
users = (str(2533274790000000 + n) for n in itertools.count())
TEMPLATES = {DEFAULT_SCID: (Template.of("lobby"), Template.of("arena", large=True))}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Emulator, FakeClock, str]]:
    clock = FakeClock()
    emulator = Emulator(TEMPLATES, clock=clock, throttle=Throttle(enabled=False))
    with emulator.serve() as url:
        yield emulator, clock, url


@pytest.fixture(params=["in-process", "socket"])
def world(request: pytest.FixtureRequest, kind: str, loop: Any) -> Iterator[World]:
    if request.param == "socket":  # one server for the module: starting uvicorn takes time
        emulator, clock, url = request.getfixturevalue("served")
        here = World(emulator, clock, url, kind, loop)
        yield here
        here.close()
        return
    clock = FakeClock()
    emulator = Emulator(TEMPLATES, clock=clock, throttle=Throttle(enabled=False))
    with world_of(emulator, clock, kind, loop, socket=False) as here:
        yield here


def test_create_read_and_304(world: World) -> None:
    host, ref = world.client(), world.ref()
    created = host.create(ref, {"properties": {"custom": {"map": "harbor"}}})
    assert isinstance(created, sc.Session)
    assert created.created
    assert created.etag is not None
    assert not created.etag.weak
    read = host.get(ref)
    assert isinstance(read, sc.Session)
    assert read.etag == created.etag
    assert read.custom_properties == {"map": "harbor"}
    assert host.get(ref, if_none_match=read.etag) == sc.NotModified(ref, read.etag)
    updated = host.set_properties(ref, {"map": "dunes"})
    assert isinstance(updated, sc.Session)
    assert updated.etag != read.etag
    assert host.get(ref, if_none_match=read.etag) == updated


def test_missing_session_reads_as_none(world: World) -> None:
    assert world.client().get(world.ref()) is None


def test_preconditions(world: World) -> None:
    host, ref = world.client(), world.ref()
    first = host.create(ref)
    assert isinstance(first, sc.Session)
    with pytest.raises(sc.PreconditionFailedError) as exists:
        host.create(ref)  # If-None-Match: * on an existing session: no body
    assert exists.value.session is None
    second = host.set_properties(ref, {"n": 1})
    assert isinstance(second, sc.Session)
    with pytest.raises(sc.PreconditionFailedError) as stale:
        host.set_properties(ref, {"n": 2}, if_match=first.etag)
    assert stale.value.session is not None
    assert stale.value.etag == second.etag
    assert stale.value.session.custom_properties == {"n": 1}
    with pytest.raises(sc.PreconditionFailedError) as missing:
        host.put(world.ref(), {}, if_match=first.etag)
    assert missing.value.session is None


def test_constants_conflict_and_large_sessions(world: World) -> None:
    host, guest = world.client(), world.client()
    ref = world.ref()
    host.create(ref, {"constants": {"custom": {"mode": 1}}})
    with pytest.raises(sc.ConflictError):
        host.put(ref, {"constants": {"custom": {"mode": 2}}})
    arena = world.ref("arena")
    host.create(arena)
    joined = guest.join(arena)
    assert isinstance(joined, sc.Session)
    with pytest.raises(sc.ConflictError):
        host.remove_member(arena, 1)  # another member, in a large session


def test_authorization(world: World) -> None:
    host, ref = world.client(), world.ref()
    host.create(ref)
    with pytest.raises(sc.ForbiddenError) as not_member:
        world.client().set_properties(ref, {"x": 1})  # readable, not writable
    assert not_member.value.session is not None
    with pytest.raises(sc.UnauthorizedError):
        world.client(auth=None).get(ref)
    with pytest.raises(sc.ForbiddenError) as bad_token:
        world.client(auth="Bearer nonsense").get(ref)
    assert bad_token.value.session is None


def test_bad_request_and_not_found(world: World) -> None:
    host, ref = world.client(), world.ref()
    with pytest.raises(sc.BadRequestError):
        host.put(ref, {"members": "everyone"})
    with pytest.raises(sc.NotFoundError):
        host.get(sc.SessionRef(DEFAULT_SCID, "no-such-template", "x"))
    with pytest.raises(sc.NotFoundError):
        host.get(sc.SessionRef("11111111-2222-3333-4444-555555555555", "lobby", "x"))
    with pytest.raises(sc.NotFoundError):
        host.get_element(ref, "members/me")  # the session does not exist


def test_wrong_verb_is_405_with_allow(world: World) -> None:
    ref = world.ref()
    options: dict[str, Any] = {"profile": "mpsd", "auth": sc.XBLToken(next(users), "t")}
    if world.url is None:
        options["transport"] = world.emulator.transport()
    base = world.url or EMULATOR_URL
    if world.kind == "sync":
        with (
            sc.ResourceClient(base, **options) as client,
            pytest.raises(sc.MethodNotAllowedError) as caught,
        ):
            client.post(ref.path, {})
    else:

        async def post() -> None:
            async with sc.AsyncResourceClient(base, **options) as client:
                await client.post(ref.path, {})

        with pytest.raises(sc.MethodNotAllowedError) as caught:
            world.loop.run_until_complete(post())
    assert set(caught.value.allow) == {"GET", "PUT", "DELETE"}


def test_elements(world: World) -> None:
    host, ref = world.client(), world.ref()
    host.create(ref)
    me = host.get_element(ref, "members/me")
    assert isinstance(me, sc.Element)
    assert me.document["constants"]["system"]["index"] == 0
    assert host.get_element(ref, "servers/relay") is None  # session exists, element not
    written = host.put_element(ref, "servers/relay", {"region": "eu"})
    assert isinstance(written, sc.Session)
    assert written.document["servers"]["relay"] == {"region": "eu"}
    props = host.put_element(ref, "properties", {"custom": {"round": 3}})
    assert isinstance(props, sc.Session)
    assert props.custom_properties == {"round": 3}
    assert host.delete_element(ref, "members/me") is None  # last member: neither exists
    assert host.get(ref) is None


def test_last_member_leaving_deletes_the_session(world: World) -> None:
    host, guest, ref = world.client(), world.client(), world.ref()
    host.create(ref)
    guest.join(ref)
    assert guest.leave(ref) is True
    assert host.leave(ref) is False
    assert host.get(ref) is None
    host.create(ref)
    assert host.delete(ref) is None
    assert host.get(ref) is None


def test_throttling_is_honoured(world: World) -> None:
    emulator = Emulator(TEMPLATES, clock=world.clock, throttle=Throttle(burst_limit=3))
    with world.separate(emulator) as here:
        host, ref = here.client(), here.ref()
        for _ in range(3):
            assert host.get(ref) is None
        with pytest.raises(sc.TooManyRequestsError) as caught:
            host.get(ref, retry=NEVER)
        assert caught.value.retry_after is not None
        assert 0 < caught.value.retry_after <= 15
        assert caught.value.details["maxRequests"] == 3
        slept = sum(here.clock.sleeps)
        assert host.get(ref) is None  # waits out the window, then succeeds
        assert sum(here.clock.sleeps) - slept >= caught.value.retry_after - 1e-9
        # The cool-down gate held the last call until the window ended: one 429 only.
        assert [r.status for r in here.emulator.requests] == [204, 204, 204, 429, 204]


def test_faults(world: World) -> None:
    host, ref = world.client(), world.ref()
    host.create(ref)
    world.emulator.inject(Fault.status(503, retry_after=2), path_contains=ref.name)
    assert isinstance(host.get(ref), sc.Session)  # retried after the Retry-After
    world.emulator.inject(Fault.status(500), path_contains=ref.name)
    with pytest.raises(sc.InternalServerError):
        host.set_properties(ref, {"x": 1})  # unconditional: not repeated
    world.emulator.inject(Fault.status(500), path_contains=ref.name)
    assert isinstance(host.get(ref), sc.Session)  # a read is repeated


def test_ambiguous_write_is_reconciled_without_applying_twice(world: World) -> None:
    host, ref = world.client(), world.ref()
    host.create(ref, {"properties": {"custom": {"counter": 0}}})

    def increment(session: sc.Session | None) -> dict[str, Any]:
        assert session is not None
        return {"properties": {"custom": {"counter": session.custom_properties["counter"] + 1}}}

    # The PUT is applied, its response is lost; the retry's If-Match is then stale.
    world.emulator.inject(Fault.lose_response(), method="PUT", path_contains=ref.name)
    result = host.update(ref, increment)
    assert isinstance(result, sc.Session)
    assert result.custom_properties == {"counter": 1}
    stored = world.emulator.session(DEFAULT_SCID, "lobby", ref.name)
    assert stored is not None
    assert stored["properties"]["custom"]["counter"] == 1


def test_concurrent_writers_lose_nothing() -> None:
    """Eight threads increment one counter through update(); every success counts once."""
    emulator = Emulator(TEMPLATES, throttle=Throttle(enabled=False))
    ref = sc.SessionRef(DEFAULT_SCID, "lobby", "contended")
    writers = [emulator.client(str(1000 + n)) for n in range(8)]
    writers[0].create(ref, {"properties": {"custom": {"counter": 0}}})
    for writer in writers[1:]:
        writer.join(ref)
    successes: list[int] = []

    def increment(session: sc.Session | None) -> dict[str, Any]:
        assert session is not None
        return {"properties": {"custom": {"counter": session.custom_properties["counter"] + 1}}}

    def work(client: sc.SessionClient) -> None:
        for _ in range(20):
            try:
                client.update(ref, increment, max_attempts=50)
            except sc.PreconditionFailedError:
                continue
            successes.append(1)

    threads = [threading.Thread(target=work, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stored = emulator.session(DEFAULT_SCID, "lobby", "contended")
    assert stored is not None
    assert stored["properties"]["custom"]["counter"] == len(successes) == 160
    assert any(r.status == 412 for r in emulator.requests)  # there was contention
    for writer in writers:
        writer.close()
