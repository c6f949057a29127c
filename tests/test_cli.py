"""The command line, run for real against the emulator over loopback."""

from __future__ import annotations

import functools
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

import sessionclient as sc
from sessionclient import _cli_base
from sessionclient._cli import main
from sessionclient.emulator import DEFAULT_SCID, Emulator, Throttle

from . import wire
from .conftest import FakeClock

TOKEN = "XBL3.0 x=2533274790395904;cli-s3cr3t"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with Emulator(throttle=Throttle(enabled=False)).serve() as base:
        yield base


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)


def cli(*argv: str, stdin: str = "", env: dict[str, str] | None = None) -> Run:
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        code = main(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Run(code, out.getvalue(), err.getvalue())


def session(name: str) -> str:
    return f"{DEFAULT_SCID}/lobby/{name}"


def test_put_get_and_delete(url: str) -> None:
    common = ("--base-url", url, "--token", TOKEN)
    created = cli("put", session("c1"), "--create-only", "--body", "-", *common,
                  stdin='{"properties": {"custom": {"map": "harbor"}}}')  # fmt: skip
    assert created.code == 0, created.err
    assert created.json()["created"] is True
    etag = created.json()["etag"]
    read = cli("get", session("c1"), *common)
    assert read.code == 0
    assert read.json()["session"]["properties"]["custom"] == {"map": "harbor"}
    assert read.json()["etag"] == etag
    unchanged = cli("get", session("c1"), "--if-none-match", etag, *common)
    assert unchanged.json() == {"ref": sc.SessionRef.from_url(
        f"/serviceconfigs/{DEFAULT_SCID}/sessiontemplates/lobby/sessions/c1").path,
        "etag": etag, "notModified": True}  # fmt: skip
    element = cli("get", session("c1"), "--element", "members/me", *common)
    assert element.json()["value"]["constants"]["system"]["index"] == 0
    assert cli("delete", session("c1"), *common).code == 0
    missing = cli("get", session("c1"), *common)
    assert (missing.code, missing.out.strip()) == (3, "null")


def test_environment_supplies_url_and_token(url: str) -> None:
    env = {"SESSIONCLIENT_BASE_URL": url, "SESSIONCLIENT_TOKEN": TOKEN}
    done = cli("put", session("env"), "--body", "-", env=env, stdin="{}")
    assert done.code == 0, done.err
    assert done.json()["created"] is True


@pytest.mark.parametrize("as_json", [False, True])
def test_precondition_failure_exits_4_with_one_line(url: str, as_json: bool) -> None:
    common = ("--base-url", url, "--token", TOKEN)
    cli("put", session("c2"), "--body", "-", *common, stdin="{}")
    flags = ("--json",) if as_json else ()
    stale = cli(*flags, "put", session("c2"), "--if-match", '"nope"', "--body", "-", *common,
                stdin="{}")  # fmt: skip
    assert stale.code == 4
    if as_json:  # the session the 412 carried, as `get` prints it
        assert stale.json()["ref"] == sc.SessionRef(DEFAULT_SCID, "lobby", "c2").path
    else:
        assert stale.out == ""
    assert len(stale.err.strip().splitlines()) == 1
    if as_json:
        report = json.loads(stale.err)
        assert (report["error"], report["status"]) == ("PreconditionFailedError", 412)
    else:
        assert stale.err.startswith("sessionclient: 412 Precondition Failed on PUT ")
    assert "cli-s3cr3t" not in stale.err + stale.out


def test_exit_codes_per_outcome(url: str) -> None:
    common = ("--base-url", url, "--token", TOKEN)
    assert cli("get", f"{DEFAULT_SCID}/nope/x", *common).code == 3  # 404
    cli("put", session("c3"), "--body", "-", *common, stdin='{"constants": {"custom": {"a": 1}}}')
    conflict = cli("put", session("c3"), "--body", "-", *common,
                   stdin='{"constants": {"custom": {"a": 2}}}')  # fmt: skip
    assert conflict.code == 4  # 409
    assert cli("put", session("c4"), "--body", "-", *common, stdin='{"members": 1}').code == 6
    assert cli("get", session("c3"), "--base-url", url, "--token", "nonsense").code == 6  # 403
    refused = cli("get", session("c3"), "--base-url", "http://127.0.0.1:9", "--token", TOKEN,
                  "--max-attempts", "1")  # fmt: skip
    assert refused.code == 8
    assert cli("get", "not/a/ref/at/all").code == 2
    assert cli("get", session("c3"), "--if-none-match", "unquoted", *common).code == 2
    weak = cli("put", session("c3"), "--if-match", 'W/"weak"', "--body", "-", *common, stdin="{}")
    assert weak.code == 2
    assert "weak" in weak.err
    assert cli("frobnicate").code == 2


def test_throttled_exits_5(url: str) -> None:
    emulator = Emulator(throttle=Throttle(burst_limit=1, burst_window=3600))
    with emulator.serve() as slow:
        common = ("--base-url", slow, "--token", TOKEN)
        assert cli("get", session("t"), *common).code == 3
        throttled = cli("--json", "get", session("t"), *common)
    assert throttled.code == 5
    assert json.loads(throttled.err)["retryAfter"] > 3000


def test_explain_in_korean() -> None:
    done = cli("explain", "412", "--service", "mpsd", "--lang", "ko")
    assert done.code == 0
    lines = done.out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["412 (empty)", "412 (session)"]
    assert "세션" in done.out
    assert cli("explain", "418", "--lang", "fr").out.startswith("418: Le service")


def test_demo_prints_the_transcript() -> None:
    done = cli("demo")
    assert done.code == 0, done.err
    for status in ("201 Created", "412 Precondition Failed", "429 Too Many Requests",
                   "304 Not Modified", "204 No Content"):  # fmt: skip
        assert status in done.out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_emulator_command_serves_what_raw_http_and_the_sdk_read() -> None:
    port = free_port()
    command = [sys.executable, "-m", "sessionclient", "emulator", "--port", str(port)]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as server:
        try:
            deadline = time.monotonic() + 20
            while True:  # wait for the server to listen
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the emulator did not start"
                    assert server.poll() is None, server.stderr.read() if server.stderr else ""
                    time.sleep(0.05)
            base = f"http://127.0.0.1:{port}"
            ref = sc.SessionRef(DEFAULT_SCID, "lobby", "served")
            with sc.SessionClient(base, auth=TOKEN) as client:
                created = client.create(ref)
            assert isinstance(created, sc.Session)
            raw = httpx.get(base + ref.path, headers={"Authorization": TOKEN})  # as curl would
            assert raw.status_code == 200
            assert raw.headers["etag"] == str(created.etag)
            assert raw.json()["members"]["0"]["constants"]["system"]["xuid"] == "2533274790395904"
        finally:
            server.terminate()
            server.wait(timeout=20)


def test_python_dash_m_and_console_script_agree() -> None:
    for command in ([sys.executable, "-m", "sessionclient"],
                    [os.path.join(os.path.dirname(sys.executable), "sessionclient")]):  # fmt: skip
        done = subprocess.run([*command, "explain", "204"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("204 (get-session):")


# --- a session given as a URL: the token goes only where the user pointed (issue 25.1) ---

PATH = f"/serviceconfigs/{DEFAULT_SCID}/sessiontemplates/lobby/sessions/u1"
DEFAULT_HOST = "sessiondirectory.xboxlive.com"


@pytest.fixture
def default_host() -> Iterator[respx.Route]:
    """Catches every request to the default service; the others go out for real."""
    with respx.mock(assert_all_called=False) as router:
        route = router.route(host=DEFAULT_HOST).respond(404)
        router.route().pass_through()
        yield route


@pytest.mark.parametrize(
    ("session_url", "base", "where", "code"),
    [
        ("{a}" + PATH, None, "a", 3),  # the URL alone: its host
        ("{a}" + PATH, "--base-url={a}/", "a", 3),  # the same origin, said twice
        ("{a}" + PATH, "env={a}", "a", 3),
        ("{a}" + PATH, "--base-url={b}", None, 2),  # another port
        ("{a}" + PATH, "env={b}", None, 2),
        ("{a}" + PATH, "--base-url={a}/prefix", None, 2),  # the base would add a path
        ("{a}" + PATH, f"env=https://{DEFAULT_HOST}", None, 2),
        ("{a_https}" + PATH, "--base-url={a}", None, 2),  # another scheme
        ("{a}" + PATH.replace("/serviceconfigs", "/serviceConfigs"), None, "a", 3),
        (PATH, "--base-url={b}", "b", 3),  # a path: the base URL's host
        (
            f"https://{DEFAULT_HOST.upper()}:443" + PATH,
            f"--base-url=https://{DEFAULT_HOST}",
            "default",
            3,
        ),  # the same origin, spelt otherwise
    ],
)
def test_a_session_url_names_where_the_token_goes(
    default_host: respx.Route, session_url: str, base: str | None, where: str | None, code: int
) -> None:
    with wire.Scripted() as a, wire.Scripted() as b:
        a.play(wire.response("404 Not Found"))
        b.play(wire.response("404 Not Found"))
        names = {"a": a.url, "b": b.url, "a_https": a.url.replace("http:", "https:")}
        argv = ["get", session_url.format(**names), "--token", TOKEN, "--max-attempts", "1"]
        env = {"SESSIONCLIENT_BASE_URL": ""}
        if base and base.startswith("env="):
            env["SESSIONCLIENT_BASE_URL"] = base[4:].format(**names)
        elif base:
            argv.append(base.format(**names))
        done = cli(*argv, env=env)
        assert done.code == code, done.err
        heads = {"a": a.heads, "b": b.heads}
    if where in heads:
        [head] = heads[where]
        assert head.startswith(f"GET {PATH} ".encode())
        assert wire.header(head, "authorization") == TOKEN.encode()
    assert all(not h for name, h in heads.items() if name != where), heads
    if where == "default":
        [call] = default_host.calls
        assert call.request.url.path == PATH
        assert call.request.headers["authorization"] == TOKEN
    else:
        assert not default_host.called
    if code == 2:
        assert len(done.err.strip().splitlines()) == 1
        assert "session URL" in done.err
        assert "cli-s3cr3t" not in done.err


def test_a_session_url_with_a_password_is_refused_unsent(default_host: respx.Route) -> None:
    with wire.Scripted() as a:
        done = cli("get", a.url.replace("//", "//user:pa55@") + PATH, "--token", TOKEN)
        assert a.heads == []
    assert done.code == 2
    assert "pa55" not in done.err
    assert not default_host.called


def test_put_to_a_session_url_writes_on_that_emulator(url: str) -> None:
    """The issue's own command: a URL on the served emulator, no --base-url."""
    done = cli("put", url + PATH.replace("u1", "by-url"), "--body", "-", "--token", TOKEN,
               stdin="{}", env={"SESSIONCLIENT_BASE_URL": ""})  # fmt: skip
    assert done.code == 0, done.err
    assert done.json()["created"] is True
    again = cli("get", session("by-url"), "--base-url", url, "--token", TOKEN)
    assert again.json()["etag"] == done.json()["etag"]


# --- a wait on the service shows on a terminal (issue 25.5) --------------------------


class Terminal(io.StringIO):
    """stderr as a terminal."""

    def isatty(self) -> bool:
        return True


def throttled_get(
    monkeypatch: pytest.MonkeyPatch, *flags: str, stderr: io.StringIO, retry_after: str = "3"
) -> tuple[int, FakeClock, list[bytes]]:
    """``get`` answered 429 (Retry-After), then 204 (no such session), on a fake clock."""
    clock = FakeClock()
    fake = functools.partial(_cli_base.Progress, clock=clock, sleep=clock.sleep)
    monkeypatch.setattr(_cli_base, "Progress", fake)
    with wire.Scripted() as server:
        server.play(wire.response("429 Too Many Requests", [("Retry-After", retry_after)]),
                    wire.response("204 No Content"))  # fmt: skip
        argv = ["get", session("slow"), "--base-url", server.url, "--token", TOKEN, *flags]
        code = main(argv, stdin=io.StringIO(), stdout=io.StringIO(), stderr=stderr)
        return code, clock, server.heads


def test_a_throttled_wait_counts_down_in_place_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stderr = Terminal()
    code, clock, heads = throttled_get(monkeypatch, stderr=stderr)
    assert (code, len(heads)) == (3, 2)  # retried once, after the wait
    assert 3 < sum(clock.sleeps) < 3.1
    shown = stderr.getvalue()
    assert shown.startswith("\r")
    assert shown.endswith("\r")  # the line is erased
    lines = [line.rstrip() for line in shown.split("\r")[1:-1]]
    why = f"sessionclient: 429 Too Many Requests; attempt 2 of {sc.RetryPolicy().max_attempts} in"
    assert lines[:-1] == [f"{why} 3 s", f"{why} 2 s", f"{why} 1 s"]
    assert lines[-1] == ""
    assert "\n" not in shown


@pytest.mark.parametrize(
    ("flags", "stderr"),
    [((), io.StringIO()), (("--quiet",), Terminal()), (("--json",), Terminal())],
    ids=["not-a-terminal", "quiet", "json"],
)
def test_a_throttled_wait_is_silent(
    monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...], stderr: io.StringIO
) -> None:
    code, clock, heads = throttled_get(monkeypatch, *flags, stderr=stderr)
    assert (code, len(heads)) == (3, 2)
    assert sum(clock.sleeps) > 3  # it did wait
    assert stderr.getvalue() == ""


def test_a_wait_of_a_second_or_less_is_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = Terminal()
    code, clock, _ = throttled_get(monkeypatch, stderr=stderr, retry_after="0.5")
    assert code == 3
    assert 0.5 < sum(clock.sleeps) < 1
    assert stderr.getvalue() == ""


@pytest.mark.parametrize("status", ["429 Too Many Requests", "503 Service Unavailable"])
def test_the_plain_throttling_error_says_when_to_retry(status: str) -> None:
    with wire.Scripted() as server:
        server.play(wire.response(status, [("Retry-After", "120")]))
        done = cli("get", session("x"), "--base-url", server.url, "--token", TOKEN)
    assert done.code == 5
    [line] = done.err.splitlines()
    assert line.startswith(f"sessionclient: {status} on GET ")
    assert line.endswith("; retry in 120 s, as the service asked")


def test_watch_prints_a_json_line_per_change() -> None:
    """``sessionclient watch`` over a real socket: the session as it is, then one line
    per change, until ``--count``; exit 0. A deleted session ends it with exit 3."""
    import threading

    emulator = Emulator(throttle=Throttle(enabled=False))
    ref = sc.SessionRef(DEFAULT_SCID, "lobby", "watched")
    with emulator.serve() as base:
        common = ("--base-url", base, "--token", TOKEN)
        with sc.SessionClient(base, auth=sc.XBLToken("1", "t")) as other:
            other.create(ref)
            runs: list[Run] = []
            thread = threading.Thread(
                target=lambda: runs.append(cli("watch", session("watched"), "--count", "2",
                                               "--changes", "membersList", *common))
            )  # fmt: skip
            thread.start()
            deadline = time.monotonic() + 10
            while not any(c.subscribed for c in emulator.rta.connections()):
                assert time.monotonic() < deadline, "the watch never subscribed"
                time.sleep(0.005)  # the socket's round trips, nothing more
            _wait_for_member(emulator, ref, deadline)
            with sc.SessionClient(base, auth=sc.XBLToken("2", "t")) as player:
                player.join(ref)
            thread.join(timeout=10)
        (run,) = runs
        assert run.code == 0, run.err
        first, second = (json.loads(line) for line in run.out.splitlines())
        assert first["changes"] == ["everything"]
        assert second["changes"] == ["membersList"]
        assert second["changeNumber"] > first["changeNumber"]
        assert second["ref"] == ref.path
        assert len(second["session"]["members"]) == 3
        assert "cli-s3cr3t" not in run.out + run.err


def _wait_for_member(emulator: Emulator, ref: sc.SessionRef, deadline: float) -> None:
    """Until the watcher's member holds its connection (its first line is printed)."""
    while True:
        document = emulator.session(ref.scid, ref.template, ref.name) or {}
        members = document.get("members", {}).values()
        if any("connection" in m["properties"]["system"] for m in members):
            return
        assert time.monotonic() < deadline, "the watch never wrote its connection"
        time.sleep(0.005)


def test_watch_of_a_missing_session_fails(url: str) -> None:
    run = cli("watch", session("never-made"), "--base-url", url, "--token", TOKEN)
    assert run.code == 3, run.err
    assert "no session" in run.err
