"""Time, waits and cancellation (issue 11): every rule with a fake clock, so nothing here
waits for real, except where bytes cross a socket. Each test names the item it covers."""

from __future__ import annotations

import asyncio
import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
import respx
import trio
import trio.testing

import sessionclient as sc
from sessionclient.emulator import Emulator, Throttle

from .conftest import AUTH, BASE, REF, SCID, FakeClock, MakeClient
from .test_sockets import Broken, read_request

REF2 = sc.SessionRef(SCID, "lobby", "game-2")


def no_session() -> httpx.Response:
    return httpx.Response(204)  # a new one each time: a response is read once


def doc(n: int) -> dict[str, Any]:
    return {"members": {}, "properties": {"custom": {"n": n}}}


def increment(session: sc.Session | None) -> dict[str, Any]:
    assert session is not None
    return {"properties": {"custom": {"n": session.document["properties"]["custom"]["n"] + 1}}}


# --- 1, 2: update() holds its deadline and raises the 412 that ended it ---------------


@pytest.mark.parametrize("deadline", [2.0, 5.0])
def test_update_ends_by_its_deadline_with_the_last_412(
    make_client: MakeClient, clock: FakeClock, deadline: float
) -> None:
    versions = iter(range(2, 1000))

    def conflict(request: httpx.Request) -> httpx.Response:
        # The server takes 1.8 s to say someone else wrote first; the client's
        # timeouts, cut to the time left, end the attempt sooner when they must.
        limit = request.extensions["timeout"]["read"]
        if limit is not None and limit < 1.8:
            clock.now += limit
            raise httpx.ReadTimeout("cut at the deadline")
        clock.now += 1.8
        n = next(versions)
        return httpx.Response(412, json=doc(n), headers={"ETag": f'"v{n}"'})

    client = make_client(httpx.MockTransport(conflict), retry=sc.RetryPolicy(deadline=deadline))
    start = clock.now
    with pytest.raises(sc.PreconditionFailedError) as caught:
        client.update(sc.Session(REF, sc.ETag('"v1"'), doc(1)), increment)
    assert clock.now - start <= deadline
    assert type(caught.value) is sc.PreconditionFailedError  # never a 429 nobody sent
    assert caught.value.status == 412
    assert caught.value.session is not None
    assert caught.value.session.etag is not None


# --- 3: Task.wait raises TaskTimeoutError when its time runs out ----------------------


def test_task_wait_times_out_as_a_task_timeout(make_client: MakeClient, clock: FakeClock) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        limit = request.extensions["timeout"]["read"]
        if limit is not None and limit < 1.0:
            clock.now += limit
            raise httpx.ReadTimeout("cut at the deadline")
        clock.now += 1.0  # each poll takes a second
        running = {"Href": f"{BASE}/api/tasks/t1", "State": "Running"}
        return httpx.Response(202 if request.method == "POST" else 200, json=running)

    client = make_client(httpx.MockTransport(answer), resource=True, profile="tasks")
    task = client.post("/api/jobs/1/start")
    start = clock.now

    def wait() -> object:
        waiting = task.wait(timeout=3, interval=0.5)
        return client.loop.run_until_complete(waiting) if client.is_async else waiting

    with pytest.raises(sc.TaskTimeoutError):
        wait()
    assert clock.now - start <= 3.0


# --- 4: a trickling server cannot hold a call past its deadline, sync or async --------


def trickle(prefix: bytes, slow: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def behaviour(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(prefix)
        for byte in slow * 100:
            if stop.wait(0.05):
                return
            sock.sendall(bytes([byte]))

    return behaviour


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    ("prefix", "slow"),
    [
        (HEAD, b"1"),  # a chunk-size line that never ends
        (HEAD + b"2\r\n{}\r\n0\r\n", b"X-Trailer: y"),  # trailers, a byte at a time
        (b"", b"HTTP/1.1 100 Continue\r\n\r\n"),  # 1xx responses, a byte at a time
    ],
    ids=["chunk-size", "trailers", "1xx"],
)
def test_a_trickled_response_ends_by_the_deadline(
    kind: str, loop: Any, prefix: bytes, slow: bytes
) -> None:
    deadline, bound = 0.5, 0.4
    with Broken(trickle(prefix, slow)) as server:
        policy = sc.RetryPolicy(deadline=deadline, max_attempts=1)

        def get() -> None:
            if kind == "sync":
                with sc.SessionClient(server.url, auth=AUTH, retry=policy) as client:
                    client.get(REF)
                return

            async def run() -> None:
                async with sc.AsyncSessionClient(server.url, auth=AUTH, retry=policy) as ac:
                    await ac.get(REF)

            loop.run_until_complete(run())

        started = time.monotonic()
        with pytest.raises(sc.TransportError):
            get()
        assert time.monotonic() - started < deadline + bound


# --- 5, 8: the gate's hold is capped, and a refusal says what closed it --------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "86400"},
        {"retry-after-ms": "1" + "0" * 20},
        {"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"},
        {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT", "Date": "Thu, 01 Jan 1970 00:00:00 GMT"},
    ],
    ids=["a-day", "ms-1e20", "year-9999", "server-in-1970"],
)
@pytest.mark.parametrize(("retry_after_max", "reopens"), [(5.0, 5.0), (None, 300.0)])
def test_an_absurd_retry_after_closes_the_gate_no_longer_than_its_cap(
    client: Any,
    router: respx.Router,
    clock: FakeClock,
    headers: dict[str, str],
    retry_after_max: float | None,
    reopens: float,
) -> None:
    route = router.route().mock(side_effect=[httpx.Response(429, headers=headers), no_session()])
    policy = sc.RetryPolicy(retry_after_max=retry_after_max)
    with pytest.raises(sc.TooManyRequestsError):
        client.get(REF, retry=policy)  # raised at once: nobody waits a day
    clock.now += reopens + 0.01
    assert client.get(REF2, retry=policy) is None  # the service recovered: sent
    assert clock.sleeps == []
    assert route.call_count == 2


@pytest.mark.parametrize("throttle", ["fail", "wait"])
def test_a_503_cool_down_is_refused_as_a_503(
    client: Any, router: respx.Router, throttle: str
) -> None:
    busy = httpx.Response(503, headers={"Retry-After": "20"})
    route = router.route().mock(side_effect=[busy, no_session()])
    with pytest.raises(sc.ServiceUnavailableError):
        client.get(REF, retry=sc.RetryPolicy(max_attempts=1))
    policy = sc.RetryPolicy(throttle=throttle, deadline=10)  # type: ignore[arg-type]
    with pytest.raises(sc.ServiceUnavailableError, match="cool-down") as caught:
        client.get(REF2, retry=policy)
    assert caught.value.status == 503
    assert route.call_count == 1


# --- 9, 10: no storm on Retry-After 0, no herd with throttle="off" ---------------------


@pytest.mark.parametrize("value", ["0", "-3", "Thu, 01 Jan 1970 00:00:00 GMT"])
def test_an_unusable_retry_after_backs_off(
    client: Any, router: respx.Router, clock: FakeClock, value: str
) -> None:
    route = router.route().respond(429, headers={"Retry-After": value})
    with pytest.raises(sc.TooManyRequestsError):
        client.get(REF, retry=sc.RetryPolicy(max_attempts=1000, deadline=2))
    assert route.call_count <= 4  # 0.25-0.5 s, then doubling: not a thousand requests
    assert all(wait >= 0.25 for wait in clock.sleeps)


def test_throttle_off_spreads_the_retries_over_part_of_the_retry_after() -> None:
    waits = []
    for _ in range(20):
        clock = FakeClock()
        answers = [httpx.Response(429, headers={"Retry-After": "2"}), no_session()]
        with sc.SessionClient(
            BASE, auth=AUTH, transport=httpx.MockTransport(lambda _, a=answers: a.pop(0)),
            retry=sc.RetryPolicy(throttle="off"), clock=clock, sleep=clock.sleep,
        ) as client:  # fmt: skip
            client.get(REF)
        waits += clock.sleeps
    assert min(waits) >= 2.0  # never earlier than asked
    assert max(waits) <= 2.0 + 0.5 + 0.002
    assert max(waits) - min(waits) > 0.1  # and not all together


# --- 6, 7: cancelled waiters give their place back; waiters re-check -----------------


def held(clock: Callable[[], float], sent: list[float], answers: list[httpx.Response]) -> Any:
    def answer(_: httpx.Request) -> httpx.Response:
        sent.append(clock())
        return answers.pop(0) if answers else no_session()

    return httpx.MockTransport(answer)


REPORT = {"currentRequests": 3, "maxRequests": 2, "periodInSeconds": 1, "limitType": "Rate"}


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_cancelled_waiters_give_their_slots_back(backend: str) -> None:
    clock, sent = FakeClock(), []
    parked: list[float] = []

    async def park(seconds: float) -> None:
        parked.append(seconds)
        await anyio.sleep_forever()

    async def scenario() -> None:
        throttled = httpx.Response(429, json=REPORT, headers={"Retry-After": "1"})
        transport = held(clock, sent, [throttled])
        async with sc.AsyncSessionClient(
            BASE, auth=AUTH, transport=transport, clock=clock, sleep=park
        ) as client:
            with pytest.raises(sc.TooManyRequestsError):
                await client.get(REF, retry=sc.RetryPolicy(max_attempts=1))
            async with anyio.create_task_group() as group:
                for _ in range(30):
                    group.start_soon(client.get, REF)
                while len(parked) < 30:
                    await anyio.sleep(0)
                group.cancel_scope.cancel()
            clock.now += 2.0  # the 1 s window is long over
            recorded: list[float] = []

            async def record(seconds: float) -> None:
                recorded.append(seconds)

            client._sleep = record
            assert await client.get(REF) is None
            assert recorded == []  # went at once: no slot was kept by the cancelled

    anyio.run(scenario, backend=backend)
    assert len(sent) == 2


def test_waiters_recheck_a_window_that_grew_while_they_waited() -> None:
    """Trio's virtual clock: a 429 closes the gate for 1 s; seven callers wait; the
    first one released gets a 429 for 5 s more; nobody is sent inside that window."""
    sent: list[float] = []
    answers = [
        httpx.Response(429, json=REPORT, headers={"Retry-After": "1"}),
        httpx.Response(429, headers={"Retry-After": "5"}),
    ]

    async def scenario() -> None:
        transport = held(trio.current_time, sent, answers)
        async with sc.AsyncSessionClient(
            BASE, auth=AUTH, transport=transport, clock=trio.current_time, sleep=trio.sleep,
            retry=sc.RetryPolicy(max_attempts=1),
        ) as client:  # fmt: skip
            with pytest.raises(sc.TooManyRequestsError):
                await client.get(REF)
            outcomes: list[object] = []

            async def call() -> None:
                try:
                    outcomes.append(await client.get(REF))
                except sc.TooManyRequestsError as error:
                    outcomes.append(error)

            async with trio.open_nursery() as nursery:
                for _ in range(7):
                    nursery.start_soon(call)
        assert outcomes.count(None) == 6

    trio.run(scenario, clock=trio.testing.MockClock(autojump_threshold=0))
    first, second, *rest = sent
    assert second >= first + 1.0
    assert rest
    assert all(t >= second + 5.0 for t in rest)  # none inside the window the 429 extended


# --- 12: a cancel from outside always propagates ---------------------------------------


class Stall(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")


def test_an_outside_cancel_propagates_on_asyncio() -> None:
    async def scenario() -> None:
        async with sc.AsyncSessionClient(
            BASE, auth=AUTH, transport=Stall(), retry=sc.RetryPolicy(deadline=0.05)
        ) as client:
            task = asyncio.ensure_future(client.get(REF))
            await asyncio.sleep(0.01)
            task.get_loop().call_at(task.get_loop().time() + 0.04, task.cancel)
            with pytest.raises(asyncio.CancelledError):
                await task
            assert task.cancelled()

    asyncio.run(scenario())


def test_an_outside_cancel_propagates_on_trio() -> None:
    async def scenario() -> None:
        async with sc.AsyncSessionClient(BASE, auth=AUTH, transport=Stall()) as client:
            with trio.move_on_after(0.05) as scope:
                await client.get(REF)
            assert scope.cancelled_caught

    trio.run(scenario)


# --- 13: a token provider's own failure is the provider's, in both clients -----------


def test_a_providers_timeout_is_raised_as_it_is_and_not_retried(kind: str, loop: Any) -> None:
    calls: list[bool] = []
    sent: list[httpx.Request] = []

    def provider(force: bool) -> str:
        calls.append(force)
        raise TimeoutError("the token service did not answer")

    async def aprovider(force: bool) -> str:
        return provider(force)

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return no_session()

    def get() -> None:
        if kind == "sync":
            with sc.SessionClient(BASE, auth=provider, transport=httpx.MockTransport(answer)) as c:
                c.get(REF)
            return

        async def run() -> None:
            async with sc.AsyncSessionClient(
                BASE, auth=aprovider, transport=httpx.MockTransport(answer)
            ) as client:
                await client.get(REF)

        loop.run_until_complete(run())

    with pytest.raises(TimeoutError, match="token service"):
        get()
    assert calls == [False]
    assert sent == []


# --- 14: the default pool is httpx's, and async calls beyond it wait for a slot --------


def test_the_default_pool_is_bounded_like_httpx() -> None:
    """150 concurrent calls: the server holds every request it gets until 150 came or
    none came for 0.2 s, so an unbounded pool shows as 150 at once, and the default one
    as exactly 100 (httpx's ``max_connections``). The listen backlog fits them all."""
    arrived, active, peak = [0], [0], [0]
    lock, release = threading.Lock(), threading.Event()
    last = [time.monotonic()]

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            if not read_request(sock):
                return
            with lock:
                arrived[0] += 1
                active[0] += 1
                peak[0] = max(peak[0], active[0])
                last[0] = time.monotonic()
                if arrived[0] == 150:
                    release.set()
            release.wait(5)
            with lock:
                active[0] -= 1
            sock.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        request_queue_size = 256

    def quiet() -> None:  # releases the held requests once no more arrive
        while not release.wait(0.02):
            with lock:
                if arrived[0] and time.monotonic() - last[0] > 0.2:
                    release.set()

    with Server(("127.0.0.1", 0), Handler) as server:
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        threading.Thread(target=quiet, daemon=True).start()
        host, port = server.server_address[:2]

        async def scenario() -> list[object]:
            # The gate's slow start would ramp a fresh host up: off, the pool is what bounds.
            policy = sc.RetryPolicy(throttle="off")
            async with sc.AsyncSessionClient(
                f"http://{host}:{port}", auth=AUTH, retry=policy
            ) as client:
                return await asyncio.gather(*(client.get(REF) for _ in range(150)))

        try:
            assert asyncio.run(scenario()) == [None] * 150
        finally:
            server.shutdown()
    assert peak[0] == 100


# --- 15: update() resolves light contention with the defaults --------------------------


@pytest.mark.parametrize("writers", [3, 8])
@pytest.mark.parametrize("where", ["in-process", pytest.param("loopback", marks=pytest.mark.slow)])
def test_update_completes_every_write_under_light_contention(
    kind: str, writers: int, where: str
) -> None:
    emulator = Emulator(throttle=Throttle(enabled=False))  # conflicts, not throttling
    ref = sc.SessionRef("00000000-0000-0000-0000-00000000abcd", "lobby", f"count-{writers}")
    rounds = 20

    def bump(session: sc.Session | None) -> dict[str, Any]:
        n = 0 if session is None else session.document["properties"]["custom"].get("n", 0)
        return {"properties": {"custom": {"n": n + 1}}}

    def options(i: int) -> dict[str, Any]:
        return {"auth": sc.XBLToken(f"user{i}", "t")}

    with emulator.serve() if where == "loopback" else _nothing() as url:
        base = url or "http://sessiondirectory.emulator"

        def transport() -> Any:
            return None if url else emulator.transport()

        with sc.SessionClient(base, transport=transport(), **options(0)) as host:
            host.create(ref, {"properties": {"custom": {"n": 0}}})
        if kind == "sync":

            def writer(i: int) -> None:
                with sc.SessionClient(base, transport=transport(), **options(i)) as client:
                    client.join(ref)  # only members may write the session
                    for _ in range(rounds):
                        client.update(ref, bump)

            threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        else:

            async def awriter(i: int) -> None:
                async with sc.AsyncSessionClient(
                    base, transport=transport(), **options(i)
                ) as client:
                    await client.join(ref)
                    for _ in range(rounds):
                        await client.update(ref, bump)

            async def scenario() -> None:
                async with anyio.create_task_group() as group:
                    for i in range(writers):
                        group.start_soon(awriter, i)

            anyio.run(scenario, backend=kind)
        with sc.SessionClient(base, transport=transport(), **options(0)) as host:
            final = host.get(ref)
    assert final is not None
    assert final.document["properties"]["custom"]["n"] == writers * rounds


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


# --- 16: an unconditional write is repeated only when the service said it did nothing --


@pytest.mark.parametrize(
    ("answer", "sent"),
    [
        (httpx.Response(503), 1),  # may come from a proxy after the service acted
        (httpx.Response(503, headers={"Retry-After": "1"}), 2),  # the service did nothing
        (httpx.Response(429), 2),
    ],
)
@pytest.mark.parametrize("resource", [False, True])
def test_an_unconditional_write_is_repeated_only_after_a_real_throttle(
    make_client: MakeClient, answer: httpx.Response, sent: int, resource: bool
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(answer.status_code, headers=answer.headers)
        if resource:
            return httpx.Response(204)
        return httpx.Response(200, json=doc(1), headers={"ETag": '"v1"'})

    if resource:
        client = make_client(httpx.MockTransport(handler), resource=True, profile="tasks")
        call: Callable[[], object] = lambda: client.post("/api/jobs", json={"a": 1})  # noqa: E731
    else:
        client = make_client(httpx.MockTransport(handler))
        call = lambda: client.put(REF, {"properties": {}})  # noqa: E731
    if sent == 1:
        with pytest.raises(sc.ServiceUnavailableError):
            call()
    else:
        call()
    assert len(calls) == sent
    assert json.loads(calls[0].content)  # a body was sent, unconditionally
