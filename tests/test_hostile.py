"""Hostile inputs, round three (issue 24): writes that land on the wrong session,
secrets in Redis and traces, errors that escape untyped, resources and protocol. Each
test reproduces one finding; over real sockets where the defect crosses the wire."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import logging
import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sessionclient as sc
from sessionclient._backend import identity
from sessionclient._cli import main
from sessionclient.emulator import DEFAULT_SCID, Emulator, Throttle

from .conftest import BASE, REF, SCID, FakeClock, MakeClient
from .redis_server import REDIS_SERVER, RedisServer
from .wire import Scripted, header, response

SESSION_DOC = {"members": {"0": {}}, "properties": {"custom": {}}}


class Recorder:
    """A transport that answers every request with a session, and keeps them."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=SESSION_DOC, headers={"ETag": '"e1"'})


def cli(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# --- 1. an element or template name that is None or empty -----------------------------


@pytest.mark.parametrize("element", [None, ""])
@pytest.mark.parametrize("method", ["get_element", "put_element", "delete_element"])
def test_a_missing_element_is_refused_before_sending(
    make_client: MakeClient, method: str, element: Any
) -> None:
    recorder = Recorder()
    client = make_client(httpx.MockTransport(recorder))
    extra: tuple[Any, ...] = ({},) if method == "put_element" else ()
    with pytest.raises(ValueError, match="element"):
        getattr(client, method)(REF, element, *extra)
    assert recorder.requests == []


@pytest.mark.parametrize("name", [None, ""])
def test_a_missing_template_name_is_refused_before_sending(
    make_client: MakeClient, name: Any
) -> None:
    recorder = Recorder()
    client = make_client(httpx.MockTransport(recorder))
    with pytest.raises(ValueError, match="template"):
        client.template(SCID, name)
    assert recorder.requests == []


@pytest.mark.parametrize("command", ["get", "put", "delete"])
def test_the_cli_refuses_an_empty_element_and_leaves_the_session(command: str) -> None:
    with Emulator(throttle=Throttle(enabled=False)).serve() as url:
        common = ("--base-url", url, "--no-auth")
        target = f"{DEFAULT_SCID}/lobby/kept"
        assert cli("put", target, "--body", "-", *common, stdin='{"members": {"me": {}}}')[0] == 0
        body = ("--body", "-") if command == "put" else ()
        code, _, err = cli(command, target, "--element", "", *body, *common, stdin="{}")
        assert code == 2, err
        assert "element" in err
        assert cli("get", target, *common)[0] == 0  # still there


# --- 2. Content-Location cannot retarget a session the request named -----------------

ELSEWHERE = sc.SessionRef("0b9a8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", "other", "victim")


def test_a_foreign_content_location_never_retargets_update(make_client: MakeClient) -> None:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        status = 200 if request.method == "GET" else 201
        headers = {"ETag": f'"e{len(requests)}"', "Content-Location": ELSEWHERE.path}
        return httpx.Response(status, json=SESSION_DOC, headers=headers)

    client = make_client(httpx.MockTransport(answer))
    read = client.get(REF)
    assert read.ref == REF
    written = client.update(read, lambda current: {"properties": {"custom": {"n": 1}}})
    assert written.ref == REF
    assert [r.url.path for r in requests] == [REF.path, REF.path]


def test_a_412_session_keeps_the_named_ref(make_client: MakeClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"ETag": '"e9"', "Content-Location": ELSEWHERE.path}
        return httpx.Response(412, json=SESSION_DOC, headers=headers)

    client = make_client(httpx.MockTransport(answer))
    with pytest.raises(sc.PreconditionFailedError) as caught:
        client.put(REF, {}, if_match='"e1"', retry=sc.RetryPolicy(max_attempts=1))
    assert caught.value.session is not None
    assert caught.value.session.ref == REF


def test_a_handle_read_still_takes_its_ref_from_content_location(
    make_client: MakeClient,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"ETag": '"e1"', "Content-Location": ELSEWHERE.path}
        return httpx.Response(200, json=SESSION_DOC, headers=headers)

    client = make_client(httpx.MockTransport(answer))
    assert client.get_by_handle("h1").ref == ELSEWHERE


# --- 3. member keys are parsed strictly ------------------------------------------------


def _member(xuid: str) -> dict[str, Any]:
    return {"constants": {"system": {"xuid": xuid}}}


@pytest.mark.parametrize("key", ["x.5", "a.b.5", "05", "+5", " 5", "5 ", "\uff15", "5.0", "-5"])
def test_a_member_key_that_is_not_an_index_never_reads_as_one(key: str) -> None:
    session = sc.Session(REF, None, {"members": {key: _member("111"), "7": _member("222")}})
    with pytest.raises(sc.MalformedResponseError, match="not an index"):
        session.member("111")


@given(st.text(max_size=12))
def test_a_member_index_is_its_key_or_nothing(key: str) -> None:
    session = sc.Session(REF, None, {"members": {key: _member("111")}})
    try:
        index = session.members[0].index
    except sc.MalformedResponseError:
        assert not (key.isascii() and key.isdigit() and str(int(key)) == key)
    else:
        assert str(index) == key


# --- 4. what reaches Redis: no credential material, no query string -------------------

BASIC = "Basic " + base64.b64encode(b"admin:hunter2").decode()


def _unsalted(value: str) -> str:
    """What the identity was before: a plain SHA-256 anyone can recompute."""
    return hashlib.sha256(f"value:{value}".encode()).hexdigest()[:16]


def test_an_authorization_value_is_never_hashed_without_a_secret() -> None:
    # A dictionary of four words recovers the password when the hash is plain.
    words = ["admin:admin", "admin:password", "admin:hunter2", "root:toor"]
    found = {_unsalted("Basic " + base64.b64encode(w.encode()).decode()) for w in words}
    assert identity(BASIC).lstrip("#") not in found
    assert identity(BASIC) != identity(BASIC, b"a deployment secret")
    assert identity(BASIC, b"a deployment secret") == identity(BASIC, b"a deployment secret")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    pytest.importorskip("redis")
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    running = RedisServer().start()
    yield running.url
    running.stop()


def _stored(url: str, namespace: str) -> bytes:
    import redis

    store = redis.Redis.from_url(url)
    try:
        found = b""
        for key in store.keys(f"{namespace}:*"):
            found += key + b"\n"
            if store.type(key) == b"hash":
                found += b"".join(k + v for k, v in store.hgetall(key).items())
            elif store.type(key) == b"zset":
                found += b"".join(store.zrange(key, 0, -1))
        return found
    finally:
        store.close()


def test_redis_keeps_no_credential_hash_and_no_query_string(
    redis_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    namespace = f"hostile-{uuid.uuid4().hex[:8]}"
    gate = sc.RedisGate.from_url(redis_url, namespace=namespace, clock=clock)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": "30"}, text="busy")

    resource = sc.ResourceClient(
        BASE, auth=BASIC, transport=httpx.MockTransport(answer), clock=clock,
        sleep=clock.sleep, gate=gate, retry=sc.RetryPolicy(max_attempts=1),
    )  # fmt: skip
    caplog.set_level(logging.DEBUG, logger="sessionclient")
    with resource, contextlib.closing(gate):
        with pytest.raises(sc.ServiceUnavailableError):
            resource.get("/things/1", params={"api_key": "k3y-in-the-query"})
        with pytest.raises(sc.ServiceUnavailableError) as refused:
            resource.get(
                "/things/2", params={"api_key": "k3y-in-the-query"},
                retry=sc.RetryPolicy(throttle="fail"),
            )  # fmt: skip
    stored = _stored(redis_url, namespace)
    assert stored  # the window is there
    assert b"k3y-in-the-query" not in stored
    assert _unsalted(BASIC).encode() not in stored
    assert "k3y-in-the-query" not in refused.value.message
    assert all("k3y-in-the-query" not in r.getMessage() for r in caplog.records)


def test_a_deployment_key_lets_a_fleet_share_a_credential_bucket(redis_url: str) -> None:
    def bucket(key: str | None) -> str:
        gate = sc.RedisGate.from_url(redis_url, identity_key=key)
        with contextlib.closing(gate), sc.ResourceClient(BASE, auth=BASIC, gate=gate) as client:
            return client._settings.bucket

    assert bucket("fleet-secret") == bucket("fleet-secret") != bucket("another-secret")
    assert bucket(None) != bucket("fleet-secret")


# --- 11. several retry-after-ms headers: the longest wins -----------------------------


@pytest.mark.parametrize(
    "values", [("100", "5000"), ("5000", "100"), ("100, 5000",), ("x", "5000", "-1")]
)
def test_the_longest_retry_after_ms_wins(make_client: MakeClient, values: tuple[str, ...]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = [(b"retry-after-ms", v.encode()) for v in values]
        return httpx.Response(429, headers=headers, json={"message": "slow down"})

    client = make_client(httpx.MockTransport(answer), retry=sc.RetryPolicy(max_attempts=1))
    with pytest.raises(sc.TooManyRequestsError) as caught:
        client.get(REF)
    assert caught.value.retry_after == 5.0


# --- 7. deeply nested JSON and filters --------------------------------------------------

DEEP = b'{"message":' * 500 + b'"x"' + b"}" * 500
DEEP_LIST = b"[" * 500 + b"]" * 500


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, sc.BadRequestError),
        (412, sc.PreconditionFailedError),
        (429, sc.TooManyRequestsError),
        (503, sc.ServiceUnavailableError),
    ],
)
@pytest.mark.parametrize("body", [DEEP, DEEP_LIST])
def test_deep_json_in_an_error_body_stays_typed(
    make_client: MakeClient, status: int, error: type[Exception], body: bytes
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "application/json", "Retry-After": "1"}
        return httpx.Response(status, headers=headers, content=body)

    client = make_client(httpx.MockTransport(answer), retry=sc.RetryPolicy(max_attempts=1))
    with pytest.raises(error) as caught:
        client.put(REF, {}, if_match='"e1"')
    assert str(caught.value)


def test_a_deep_session_document_is_malformed(make_client: MakeClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = b'{"properties":' + DEEP + b"}"
        return httpx.Response(200, headers={"Content-Type": "application/json"}, content=body)

    client = make_client(httpx.MockTransport(answer))
    with pytest.raises(sc.MalformedResponseError, match="nested"):
        client.get(REF)


def test_the_cli_refuses_deep_json_on_stdin() -> None:
    target = f"{DEFAULT_SCID}/lobby/deep"
    code, _, err = cli(
        "put", target, "--body", "-", "--no-auth", "--base-url", "http://127.0.0.1:9",
        stdin="[" * 100_000 + "]" * 100_000,
    )  # fmt: skip
    assert code == 2
    assert "nested" in err


def test_the_emulator_answers_a_deep_filter_with_400() -> None:
    from sessionclient.emulator._filter import parse_filter

    with pytest.raises(ValueError, match="nested"):
        parse_filter("(" * 1000 + "Strings/x eq 'a'" + ")" * 1000)
    emulator = Emulator(throttle=Throttle(enabled=False))
    with (
        sc.SessionClient(
            BASE, auth=sc.XBLToken("1", "t"), transport=emulator.transport()
        ) as client,
        pytest.raises(sc.BadRequestError),
    ):
        client.search(SCID, "lobby", filter="(" * 1000 + "Strings/x eq 'a'" + ")" * 1000)


# --- 8. what Redis answers is validated like any server input ---------------------------


class _Pool:
    connection_kwargs = {"host": "fake", "port": 6379, "db": 0}  # noqa: RUF012


class LyingRedis:
    """A redis-py client stand-in whose gate script answers ``admit`` with ``answer``
    (and everything else with nothing)."""

    connection_pool = _Pool()

    def __init__(self, answer: list[bytes]) -> None:
        self.answer = answer

    def register_script(self, source: str) -> Any:
        def run(keys: list[str], args: list[str]) -> Any:
            return self.answer if args[0] == "admit" else []

        return run

    def close(self) -> None:
        pass


@pytest.mark.parametrize("wait", [b"nan", b"-1", b"30", b"1e300", b"inf", b"x"])
def test_a_wait_from_redis_is_checked(
    make_client: MakeClient, clock: FakeClock, wait: bytes
) -> None:
    gate = sc.RedisGate(LyingRedis([b"wait", wait, b"g:1"]), clock=clock)  # type: ignore[arg-type]
    client = make_client(
        httpx.MockTransport(lambda request: httpx.Response(204)),
        gate=gate, retry=sc.RetryPolicy(deadline=2.0),
    )  # fmt: skip
    started = clock.now
    assert client.get(REF) is None  # decided in the process instead: the gate is open
    assert clock.now - started <= 2.0


@pytest.mark.parametrize(
    "answer",
    [[b"refused", b"nan"], [b"refused", b"-5"], [b"refused", b"inf"], [b"go", b"extra"], [b"wait"]],
)
def test_any_other_bad_verdict_falls_back(
    make_client: MakeClient, clock: FakeClock, answer: list[bytes]
) -> None:
    gate = sc.RedisGate(LyingRedis(answer), clock=clock)  # type: ignore[arg-type]
    client = make_client(httpx.MockTransport(lambda request: httpx.Response(204)), gate=gate)
    assert client.get(REF) is None


# --- 10. RedisGate's in-process state is bounded ----------------------------------------


def test_the_redis_gates_local_state_does_not_grow_per_identity(clock: FakeClock) -> None:
    gate = sc.RedisGate(LyingRedis([b"go"]), clock=clock)  # type: ignore[arg-type]
    gate.passed("warm-up", clock(), clock())
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for n in range(20_000):
            gate.passed(f"host#{n:016x}", clock(), clock())
            clock.now += 0.001
        grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    assert grown < 3 * 2**20, f"{grown / 2**20:.1f} MiB for 20,000 identities"


# --- 9. the command line ----------------------------------------------------------------

SESSION_ARG = f"{DEFAULT_SCID}/lobby/cli"


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://user:pa55word@[::1", "http://user:pa55word@127.0.0.1:9"]
)
@pytest.mark.parametrize("auth", [("--no-auth",), ("--token", "XBL3.0 x=1;t0ken")])
def test_the_cli_refuses_a_bad_url_in_one_line_without_its_password(
    url: str, auth: tuple[str, ...]
) -> None:
    code, out, err = cli("get", SESSION_ARG, "--base-url", url, *auth)
    assert code == 2
    assert err.count("\n") == 1
    assert "pa55word" not in err + out


def test_the_cli_prints_a_session_holding_a_lone_surrogate() -> None:
    body = b'{"members": {}, "properties": {"custom": {"x": "\\ud800"}}}'
    ok = response("200 OK", [("Content-Type", "application/json"), ("ETag", '"e1"')], body)
    raw = io.BytesIO()
    stdout, stderr = io.TextIOWrapper(raw, encoding="utf-8"), io.StringIO()  # as a terminal's
    with Scripted([ok]) as server:
        argv = ["get", SESSION_ARG, "--base-url", server.url, "--no-auth"]
        code = main(argv, stdin=io.StringIO(), stdout=stdout, stderr=stderr)
    stdout.flush()
    assert code == 0, stderr.getvalue()
    assert json.loads(raw.getvalue())["session"]["properties"]["custom"]["x"] == "\ud800"


# --- 6. a token echoed in a malformed header -------------------------------------------

BEARER_SECRET = "sk-live-echoed-0123456789"


@pytest.mark.parametrize(
    "auth", [f"Bearer {BEARER_SECRET}", sc.XBLToken("2533274790395904", BEARER_SECRET)]
)
def test_a_token_echoed_in_a_malformed_header_is_redacted(
    make_client: MakeClient, auth: Any
) -> None:
    def echo(head: bytes) -> bytes:
        sent = header(head, "authorization") or b""
        return b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" + sent + b"\r\n\r\n"

    with Scripted([echo]) as server:
        client = make_client(base_url=server.url, auth=auth, retry=sc.RetryPolicy(max_attempts=1))
        with pytest.raises(sc.TransportError) as caught:
            client.get(REF)
    chain: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert len(chain) >= 1
    for each in chain:
        assert BEARER_SECRET not in str(each)
        assert BEARER_SECRET not in repr(each.args)
