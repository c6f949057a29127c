"""The ``sessionclient`` command against the emulator it serves itself (a subprocess):
its ``main`` with its own streams and environment, or the installed command where the
working directory matters; every mistake on purpose gets one clear line."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest

from sessionclient import __version__
from sessionclient._cli import _parser, main
from sessionclient.emulator import DEFAULT_SCID

ROOT = Path(__file__).resolve().parent.parent
COMMAND = Path(sys.executable).with_name("sessionclient")
TOKEN = "XBL3.0 x=1001;cli-s3cr3t"
STRANGER = "XBL3.0 x=1002;other-s3cr3t"


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:
        return f"Run(code={self.code}, out={self.out!r}, err={self.err!r})"


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIONCLIENT_")}
    return {**env, **(extra or {})}


def run(
    *argv: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None
) -> Run:
    """The command with these arguments: the installed one in a subprocess where the
    working directory matters, else its ``main`` in this process with its own streams,
    environment and terminal width (as a pipe has: 80), which saves a second of start-up
    per call (``test_cli.py`` checks that both entry points are ``main``)."""
    if cwd is not None:
        done = subprocess.run(
            [str(COMMAND), *argv], input=stdin, capture_output=True, text=True, timeout=60,
            env=environment(env), cwd=cwd,
        )  # fmt: skip
        return Run(done.returncode, done.stdout, done.stderr)
    out, err = io.StringIO(), io.StringIO()
    variables = {"COLUMNS": "80", **environment(env)}
    with (
        mock.patch.dict(os.environ, variables, clear=True),
        contextlib.redirect_stdout(out),  # what argparse prints itself: --help
        contextlib.redirect_stderr(err),
    ):
        code = main(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return Run(code, out.getvalue(), err.getvalue())


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def start_emulator(*options: str) -> tuple[subprocess.Popen[str], str]:
    """``sessionclient emulator`` on a free port; its first line names the URL."""
    server = subprocess.Popen(
        [str(COMMAND), "emulator", "--port", "0", *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(),
    )  # fmt: skip
    assert server.stdout is not None
    first = server.stdout.readline()
    match = re.search(r"http://[\d.]+:\d+", first)
    if match is None:
        server.kill()
        raise AssertionError(f"no URL in {first!r}: {server.communicate()}")
    return server, match.group(0)


def stop(server: subprocess.Popen[str]) -> None:
    server.terminate()
    server.communicate(timeout=20)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    server, base = start_emulator("--no-throttle")
    try:
        yield base
    finally:
        stop(server)


def session(name: str) -> str:
    return f"{DEFAULT_SCID}/lobby/{name}"


def common(url: str, token: str = TOKEN) -> tuple[str, ...]:
    return ("--base-url", url, "--token", token)


# --- item 4: a token is required ------------------------------------------------------


def test_without_a_token_nothing_is_sent_and_both_ways_are_named(url: str) -> None:
    done = run("get", session("t1"), "--base-url", url)
    assert done.code == 2, done
    line = one_line(done.err)
    assert "SESSIONCLIENT_TOKEN" in line
    assert "--token" in line
    assert done.out == ""


def test_no_auth_reaches_an_emulator_on_loopback_only(url: str) -> None:
    created = run("put", session("t2"), "--body", "-", "--base-url", url, "--no-auth",
                  stdin="{}")  # fmt: skip
    assert created.code == 0, created
    assert created.json()["created"] is True
    remote = run("get", session("t2"), "--base-url", "https://sessiondirectory.xboxlive.com",
                 "--no-auth")  # fmt: skip
    assert remote.code == 2, remote
    assert "loopback" in one_line(remote.err)


def test_the_token_comes_from_the_environment(url: str) -> None:
    env = {"SESSIONCLIENT_BASE_URL": url, "SESSIONCLIENT_TOKEN": TOKEN}
    done = run("put", session("t3"), "--body", "-", stdin="{}", env=env)
    assert done.code == 0, done
    assert "cli-s3cr3t" not in done.out + done.err


# --- item 5: put needs a body ----------------------------------------------------------


def test_put_without_a_body_is_a_usage_error(url: str) -> None:
    missing = run("put", session("b1"), *common(url))
    assert missing.code == 2, missing
    assert "--body" in missing.err
    empty = run("put", session("b1"), "--body", "-", *common(url), stdin="  \n")
    assert empty.code == 2, empty
    assert "empty" in one_line(empty.err)
    assert run("get", session("b1"), *common(url)).code == 3  # nothing was written


# --- item 6: the emulator command ------------------------------------------------------


def test_the_emulator_prints_its_url_once_listening_and_sends_one_date() -> None:
    server, base = start_emulator()
    try:
        # The line was read before any wait: the port must already accept connections.
        response = httpx.get(base + "/serviceconfigs", headers={"Authorization": TOKEN})
        assert len(response.headers.get_list("date")) == 1  # item 15
        with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=5):
            pass
    finally:
        stop(server)


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("emulator", "--port", str(port))
    assert done.code == 2, done
    line = one_line(done.err)
    assert str(port) in line
    assert done.out == ""  # no URL was announced


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error(port: str) -> None:
    done = run("emulator", "--port", port)
    assert done.code == 2, done
    assert "0-65535" in done.err
    assert "Traceback" not in done.err


# --- items 7, 8: --json anywhere, --version ---------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_json_is_accepted_before_and_after_the_subcommand(url: str, where: str) -> None:
    argv = ["get", f"{DEFAULT_SCID}/nope/x", *common(url)]
    done = run(*(["--json", *argv] if where == "before" else [*argv, "--json"]))
    assert done.code == 3, done
    assert json.loads(done.err)["status"] == 404


@pytest.mark.parametrize("where", [0, 1, 2, 4])
def test_json_goes_anywhere_in_nested_subcommands(url: str, where: int) -> None:
    """``--json`` before, between ``activity`` and ``get``, after: the error is JSON."""
    argv = ["activity", "get", DEFAULT_SCID, "--xuid", "1001", "--base-url", url]
    argv.insert(where, "--json")
    done = run(*argv)  # no token: a usage error
    assert done.code == 2, done
    assert json.loads(one_line(done.err))["error"] == "usage"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["get"], "required: session"),
        (["get", "x", "--max-attempts", "0"], "--max-attempts"),
        (["get", "x", "--frob"], "unrecognized arguments: --frob"),
        (
            ["activity", "get", DEFAULT_SCID, "--xuid", "1", "--frob", "1"],
            "unrecognized arguments: --frob 1",
        ),
        (["activity", "run"], "invalid choice: 'run'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_argparse_errors_are_json_under_json(argv: list[str], words: str) -> None:
    for place in (0, len(argv)):
        done = run(*argv[:place], "--json", *argv[place:])
        assert done.code == 2, done
        report = json.loads(one_line(done.err))
        assert report["error"] == "usage"
        assert words in report["message"], report
        assert done.out == ""


@pytest.mark.parametrize(
    ("argv", "prog"),
    [
        (["get", "x", "--frob"], "sessionclient get"),
        (["put", "x", "--body", "-", "--frob"], "sessionclient put"),
        (["activity", "get", DEFAULT_SCID, "--xuid", "1", "--frob"], "sessionclient activity get"),
        (["activity", "--frob", "get", DEFAULT_SCID, "--xuid", "1"], "sessionclient activity get"),
        (["ls", DEFAULT_SCID, "--frob"], "sessionclient ls"),
        (["frobnicate"], "sessionclient"),
    ],
)
def test_an_unknown_flag_prints_its_subcommands_usage(argv: list[str], prog: str) -> None:
    done = run(*argv)
    assert done.code == 2, done
    assert done.err.startswith(f"usage: {prog} [-h]"), done.err
    assert done.err.strip().splitlines()[-1].startswith(f"{prog}: error: "), done.err


def test_help_says_json_goes_anywhere() -> None:
    assert "--json" in run("get", "--help").out
    assert "after the subcommand" in run("--help").out


def test_version() -> None:
    done = run("--version")
    assert (done.code, done.out.strip()) == (0, f"sessionclient {__version__}")


# --- item 9: 412 and 403 show the session -------------------------------------------------


def test_a_stale_write_prints_the_attached_session(url: str) -> None:
    created = run("put", session("p1"), "--create-only", "--body", "-", *common(url),
                  stdin='{"properties": {"custom": {"round": 1}}}')  # fmt: skip
    assert created.code == 0, created
    stale = run("put", session("p1"), "--if-match", '"stale"', "--body", "-", *common(url),
                stdin="{}")  # fmt: skip
    assert stale.code == 4, stale
    assert "--json" in one_line(stale.err)  # says how to see the session
    with_json = run("put", session("p1"), "--if-match", '"stale"', "--body", "-", "--json",
                    *common(url), stdin="{}")  # fmt: skip
    assert with_json.code == 4
    assert with_json.json()["session"]["properties"]["custom"] == {"round": 1}
    assert with_json.json()["etag"] == created.json()["etag"]
    assert json.loads(with_json.err)["status"] == 412


def test_a_second_create_only_says_the_session_exists(url: str) -> None:
    argv = ("put", session("p2"), "--create-only", "--body", "-", *common(url))
    assert run(*argv, stdin="{}").code == 0
    again = run(*argv, stdin="{}")
    assert again.code == 4, again
    assert "already exists" in one_line(again.err)
    assert "no message" not in again.err


def test_a_non_members_write_says_not_a_member_and_shows_the_session(url: str) -> None:
    assert run("put", session("p3"), "--body", "-", *common(url), stdin="{}").code == 0
    forbidden = run("put", session("p3"), "--element", "properties", "--body", "-", "--json",
                    *common(url, STRANGER), stdin='{"custom": {"x": 1}}')  # fmt: skip
    assert forbidden.code == 6, forbidden
    assert "not a member" in json.loads(forbidden.err)["message"]
    assert "0" in forbidden.json()["session"]["members"]
    assert "other-s3cr3t" not in forbidden.out + forbidden.err


# --- item 10: a missing body file ----------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True])
def test_a_missing_body_file_is_one_line_naming_the_option(
    url: str, tmp_path: Path, as_json: bool
) -> None:
    flags = ["--json"] if as_json else []
    done = run(*flags, "put", session("f1"), "--body", "lobby.json", *common(url), cwd=tmp_path)
    assert done.code == 2, done
    line = one_line(done.err)
    assert "--body lobby.json" in line
    assert "Errno" not in line
    if as_json:
        assert json.loads(line)["error"] == "usage"


def test_a_body_file_that_is_not_json_names_the_option(url: str, tmp_path: Path) -> None:
    (tmp_path / "lobby.json").write_text("{not json")
    done = run("put", session("f2"), "--body", "lobby.json", *common(url), cwd=tmp_path)
    assert done.code == 2, done
    assert "--body lobby.json" in one_line(done.err)


# --- items 11, 12: explain -----------------------------------------------------------------


def test_an_unknown_language_is_a_usage_error_listing_the_accepted() -> None:
    done = run("explain", "412", "--lang", "de")
    assert done.code == 2, done
    assert "en, fr, ko" in done.err
    assert run("explain", "412", "--lang", "fr-CA").code == 0


@pytest.mark.parametrize("status", ["0", "-1", "999", "abc", "99"])
def test_a_status_outside_100_599_is_a_usage_error(status: str) -> None:
    done = run("explain", status)
    assert done.code == 2, done
    assert "100-599" in done.err


@pytest.mark.parametrize(("status", "service"), [("201", "contacts"), ("202", "tasks")])
@pytest.mark.parametrize("lang", ["en", "fr", "ko"])
def test_explain_prints_each_line_once(status: str, service: str, lang: str) -> None:
    done = run("explain", status, "--service", service, "--lang", lang)
    assert done.code == 0, done
    lines = done.out.strip().splitlines()
    assert len(lines) == len(set(lines)) == 1, lines


# --- item 13: help --------------------------------------------------------------------------


def parsers() -> dict[str, tuple[argparse.ArgumentParser, str | None]]:
    """Every parser of the command, nested ones included, by its name (``activity get``),
    with the help its parent lists it with (None for the top level)."""
    found: dict[str, tuple[argparse.ArgumentParser, str | None]] = {}

    def walk(parser: argparse.ArgumentParser, help: str | None) -> None:
        found[parser.prog] = (parser, help)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {choice.dest: choice.help for choice in action._choices_actions}
                for name, child in action.choices.items():
                    walk(child, helps.get(name))

    walk(_parser(), None)
    return found


def test_every_parser_is_walked() -> None:
    names = set(parsers())
    assert {"sessionclient activity get", "sessionclient activity set", "sessionclient ls",
            "sessionclient templates", "sessionclient put",
            "sessionclient watch", "sessionclient transfer"} <= names  # fmt: skip
    assert len(names) == 16


def test_every_command_has_a_description_and_a_help_line() -> None:
    for name, (parser, help) in parsers().items():
        assert parser.description, name
        if name != "sessionclient":
            assert help, name


def test_every_option_shows_its_default_or_says_it_is_required() -> None:
    """Every option of every parser: '(default: ...)' with the real default when it
    has one, or 'required'; positionals are all required."""
    for name, (parser, _) in parsers().items():
        formatter = parser._get_formatter()
        for action in parser._actions:
            if not action.option_strings or action.dest in ("help", "version"):
                continue
            where = f"{name} {action.option_strings[0]}"
            shown = " ".join(formatter._expand_help(action).split())
            if action.required:
                assert "required" in shown, where
                continue
            assert "(default: " in shown, where
            if action.default not in (None, False, argparse.SUPPRESS):
                assert f"(default: {action.default})" in shown, where


def test_shown_defaults_read_well() -> None:
    explain = run("explain", "--help").out
    assert "(default: mpsd)" in explain
    assert "(default: en)" in explain
    emulator = run("emulator", "--help").out
    assert "(default: 127.0.0.1)" in emulator
    assert "(default: 8080)" in emulator
    assert "(default: 0.01)" in run("demo", "--help").out


def normalized(text: str) -> str:
    return " ".join(text.split())


def test_the_exit_codes_in_help_are_the_manuals() -> None:
    readme = normalized((ROOT / "docs" / "cli.md").read_text())
    codes = re.search(r"Exit codes: (0 success.*?8 transport error)\.", readme)
    assert codes is not None
    assert codes.group(1) in normalized(run("--help").out)


# --- item 14: the demo shows every request it counts ---------------------------------------


def test_the_demo_shows_every_request_it_counts() -> None:
    done = run("demo")
    assert done.code == 0, done
    shown = done.out.count("         ← ")
    folded = sum(int(n) for n in re.findall(r"… (\d+) more exchanges", done.out))
    total = re.search(r"\n(\d+) requests in", done.out)
    assert total is not None
    assert shown + folded == int(total.group(1))
