"""Shared fixtures: a fake clock, and every client test run against the sync client and
the async one on asyncio and on trio."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio
import anyio.from_thread
import httpx
import pytest
import respx

import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID, EMULATOR_URL, Emulator

BASE = "https://sessiondirectory.example"
SCID = "4a3e0b6c-1d2f-4e5a-9b8c-7d6e5f4a3b2c"
REF = sc.SessionRef(SCID, "lobby", "game-1")
TOKEN = "s3cr3t-t0ken-value"
AUTH = sc.XBLToken("2533274790395904", TOKEN)


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await anyio.sleep(0)  # still yield, as a real sleep would


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that arrives in pieces, as from a socket (not preloaded)."""

    def __init__(self, data: bytes, size: int = 65536) -> None:
        self.pieces = [data[i : i + size] for i in range(0, len(data), size)]

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _Pieces(list(self.pieces))


class _Pieces:
    """An async iterator that is not a generator: nothing to finalise when abandoned."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def __aiter__(self) -> _Pieces:
        return self

    async def __anext__(self) -> bytes:
        if not self.pieces:
            raise StopAsyncIteration
        return self.pieces.pop(0)


class Runner:
    """Runs awaitables from the (sync) test on an event loop of the chosen backend, in
    a thread of its own (anyio's blocking portal); started on first use."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._stack = contextlib.ExitStack()
        self._portal: anyio.from_thread.BlockingPortal | None = None

    def run_until_complete(self, awaitable: Awaitable[Any]) -> Any:
        if self._portal is None:
            portal = anyio.from_thread.start_blocking_portal(self.backend)
            self._portal = self._stack.enter_context(portal)

        async def run() -> Any:
            return await awaitable

        return self._portal.call(run)

    def close(self) -> None:
        self._stack.close()


class Both:
    """A sync facade over either client: async methods run on the test's own loop."""

    def __init__(self, client: Any, loop: Runner | None) -> None:
        self.client = client
        self.loop = loop
        self.is_async = loop is not None

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if self.loop is None or not callable(attribute):
            return attribute
        loop = self.loop

        def run(*args: Any, **kwargs: Any) -> Any:
            return loop.run_until_complete(attribute(*args, **kwargs))

        return run

    def close(self) -> None:
        if self.loop is None:
            self.client.close()
        else:
            self.loop.run_until_complete(self.client.aclose())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sync", "asyncio", "trio"])
def kind(request: pytest.FixtureRequest) -> str:
    """The client under test: sync, or async on one of the two runtimes."""
    return str(request.param)


@pytest.fixture(scope="session")
def _runners() -> Iterator[dict[str, Runner]]:
    runners = {backend: Runner(backend) for backend in ("asyncio", "trio")}
    yield runners
    for runner in runners.values():
        runner.close()


@pytest.fixture
def loop(kind: str, _runners: dict[str, Runner]) -> Runner:
    """The event loop of the async kinds (asyncio for the sync kind): one per backend for
    the whole session, since starting one costs more than most tests (each test closes
    the clients it made)."""
    return _runners["trio" if kind == "trio" else "asyncio"]


MakeClient = Callable[..., Both]


@pytest.fixture
def make_client(kind: str, clock: FakeClock, loop: Runner) -> Iterator[MakeClient]:
    """Build the client under test (sync or async) with the fake clock."""
    made: list[Both] = []

    def make(transport: Any = None, *, resource: bool = False, **options: Any) -> Both:
        """``resource=True`` builds a (Async)ResourceClient instead of a session client."""
        options.setdefault("auth", AUTH)
        options.setdefault("clock", clock)
        options.setdefault("base_url", BASE)
        if kind == "sync":
            options.setdefault("sleep", clock.sleep)
            cls: Any = sc.ResourceClient if resource else sc.SessionClient
            both = Both(cls(transport=transport, **options), None)
        else:
            options.setdefault("sleep", clock.asleep)
            acls: Any = sc.AsyncResourceClient if resource else sc.AsyncSessionClient
            both = Both(acls(transport=transport, **options), loop)
        made.append(both)
        return both

    yield make
    for both in made:
        both.close()


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(base_url=BASE, assert_all_called=False)


@pytest.fixture
def client(make_client: MakeClient, router: respx.Router) -> Both:
    """The client under test, answering through the respx router."""
    return make_client(httpx.MockTransport(router.handler))


# --- a world: an emulator and clients of the kind under test ---------------------------

_names = (f"w{n}" for n in itertools.count())
_users = (str(2533274790000000 + n) for n in itertools.count())


class World:
    """An emulator and clients of the kind under test wired to it: in-process, or over
    a real socket when ``url`` (the emulator served by uvicorn) is set."""

    def __init__(
        self, emulator: Emulator, clock: FakeClock, url: str | None, kind: str, loop: Any
    ) -> None:
        self.emulator, self.clock, self.url, self.kind, self.loop = emulator, clock, url, kind, loop
        self.made: list[Both] = []

    def client(self, userhash: str | None = None, **options: Any) -> Both:
        """A client signed in as ``userhash`` (else a new user)."""
        options.setdefault("auth", sc.XBLToken(userhash or next(_users), "t"))
        options.setdefault("clock", self.clock)
        if self.url is None:
            transport = self.emulator.transport(
                sleep=self.clock.sleep, async_sleep=self.clock.asleep
            )
            options.setdefault("transport", transport)
        base = self.url or EMULATOR_URL
        if self.kind == "sync":
            both = Both(sc.SessionClient(base, sleep=self.clock.sleep, **options), None)
        else:
            both = Both(sc.AsyncSessionClient(base, sleep=self.clock.asleep, **options), self.loop)
        self.made.append(both)
        return both

    def ref(self, template: str = "lobby") -> sc.SessionRef:
        """A session that does not exist yet."""
        return sc.SessionRef(DEFAULT_SCID, template, next(_names))

    def lobby(self, owner: Both, template: str = "lobby", **changes: Any) -> sc.SessionRef:
        """A session ``owner`` created (with ``changes``)."""
        ref = self.ref(template)
        owner.create(ref, changes or None)
        return ref

    def close(self) -> None:
        for both in self.made:
            both.close()

    @contextlib.contextmanager
    def separate(self, emulator: Emulator) -> Iterator[World]:
        """The same kind of world around another emulator."""
        with world_of(emulator, self.clock, self.kind, self.loop, socket=self.url is not None) as w:
            yield w


@contextlib.contextmanager
def world_of(
    emulator: Emulator, clock: FakeClock, kind: str, loop: Any, *, socket: bool
) -> Iterator[World]:
    """A world around ``emulator``, served on 127.0.0.1 when ``socket``."""
    with emulator.serve() if socket else contextlib.nullcontext(None) as url:
        world = World(emulator, clock, url, kind, loop)
        try:
            yield world
        finally:
            world.close()
