"""The directory commands, run through the command line's ``main`` (stdin, stdout and
stderr its own; ``python -m sessionclient`` itself is tested in ``test_cli.py``) against
the emulator served on loopback."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

import sessionclient as sc
from sessionclient._cli import main
from sessionclient.emulator import DEFAULT_SCID, Emulator, Throttle

HOST, FRIEND = "2533274790395904", "2533274790395905"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(throttle=Throttle(enabled=False))
    with emulator.serve() as url:
        yield emulator, url


def run(url: str, *argv: str, user: str = HOST) -> tuple[int, Any, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIONCLIENT_")}
    env.update(SESSIONCLIENT_BASE_URL=url, SESSIONCLIENT_TOKEN=f"XBL3.0 x={user};cli-s3cr3t")
    stdout, stderr = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, env, clear=True):
        code = main(list(argv), stdin=io.StringIO(""), stdout=stdout, stderr=stderr)
    printed, complaint = stdout.getvalue(), stderr.getvalue()
    assert "cli-s3cr3t" not in printed + complaint
    return code, json.loads(printed) if printed.strip() else None, complaint


def test_ls_invite_activity_search_templates(served: tuple[Emulator, str]) -> None:
    emulator, url = served
    ref = sc.SessionRef(DEFAULT_SCID, "lobby", "cli-lobby")
    with emulator.client(HOST) as host:
        host.create(ref, {"properties": {"system": {"keywords": ["cli"]}}})
        host.create_search_handle(ref, strings={"map": "harbor"})
    session = f"{DEFAULT_SCID}/lobby/cli-lobby"

    code, listed, err = run(url, "ls", DEFAULT_SCID, "--xuid", HOST, "--inactive")
    assert code == 0, err
    assert [r["sessionRef"]["name"] for r in listed] == ["cli-lobby"]
    code, listed, _ = run(url, "ls", DEFAULT_SCID, "--xuid", HOST, "--xuid", FRIEND,
                          "--inactive", "--template", "lobby")  # fmt: skip
    assert [r["xuid"] for r in listed] == [HOST]  # one batch POST; the friend is in none
    assert run(url, "ls", DEFAULT_SCID, "--keyword", "cli")[1][0]["keywords"] == ["cli"]

    code, invites, err = run(url, "invite", session, "--xuid", FRIEND, "--title-id", "1234",
                           "--context-string", "hi")  # fmt: skip
    assert code == 0, err
    assert [(h["type"], h["invitedXuid"]) for h in invites] == [("invite", FRIEND)]

    code, done, err = run(url, "activity", "set", session)
    assert (code, done) == (0, None), err  # MPSD answers without a body: null
    code, seen, _ = run(url, "activity", "get", DEFAULT_SCID, "--xuid", HOST, user=FRIEND)
    assert [(a["ownerXuid"], a["relatedInfo"]["membersCount"]) for a in seen] == [(HOST, 1)]

    code, found, err = run(url, "search", f"{DEFAULT_SCID}/lobby",
                           "--filter", "strings/map eq 'harbor'")  # fmt: skip
    assert code == 0, err
    assert [r["sessionRef"]["name"] for r in found] == ["cli-lobby"]

    assert run(url, "templates", DEFAULT_SCID)[1] == ["lobby", "arena"]


def test_exit_codes_of_directory_commands(served: tuple[Emulator, str]) -> None:
    _, url = served
    code, out, err = run(url, "ls", DEFAULT_SCID)
    assert (code, out) == (2, None)
    assert "filter" in err
    code, _, err = run(url, "ls", DEFAULT_SCID, "--xuid", FRIEND, "--private")
    assert code == 6  # 403: another user's private sessions
    assert "403" in err
    code, _, err = run(url, "invite", f"{DEFAULT_SCID}/lobby/nowhere", "--xuid", FRIEND,
                       "--title-id", "1234")  # fmt: skip
    assert code == 3  # 404: no such session
    code, _, _ = run(url, "search", DEFAULT_SCID, "--filter", "x")
    assert code == 2
    code, _, err = run(url, "search", f"{DEFAULT_SCID}/lobby", "--filter", "Strings/map eq 'x")
    assert (code, "unclosed quote" in err) == (2, True)


def test_transfer_and_social_groups(served: tuple[Emulator, str]) -> None:
    """Issue 23 item 10 on the command line: a transfer handle, then activities and a
    search by social group."""
    emulator, url = served
    lobby = sc.SessionRef(DEFAULT_SCID, "lobby", "cli-transfer-lobby")
    game = sc.SessionRef(DEFAULT_SCID, "arena", "cli-transfer-game")
    with emulator.client(HOST) as host:
        host.create(lobby, None)
        host.create(game, None)
        host.set_activity(game)
        host.create_search_handle(lobby)  # its own: the tests of this module run in any order
    emulator.set_social_group(FRIEND, "favorites", [HOST])
    code, handle, err = run(url, "transfer", f"{DEFAULT_SCID}/arena/cli-transfer-game",
                            "--from", f"{DEFAULT_SCID}/lobby/cli-transfer-lobby")  # fmt: skip
    assert code == 0, err
    assert handle["type"] == "transfer"
    assert handle["originSessionRef"]["name"] == "cli-transfer-lobby"
    code, seen, err = run(url, "activity", "get", DEFAULT_SCID, "--xuid", FRIEND,
                          "--social-group", "favorites", user=FRIEND)  # fmt: skip
    assert code == 0, err
    assert [a["sessionRef"]["name"] for a in seen] == ["cli-transfer-game"]
    code, _, err = run(url, "activity", "get", DEFAULT_SCID, "--xuid", FRIEND, "--xuid", HOST,
                       "--social-group", "favorites")  # fmt: skip
    assert (code, "one --xuid" in err) == (2, True)
    code, found, err = run(url, "search", f"{DEFAULT_SCID}/lobby",
                           "--social-group", f"favorites/{FRIEND}")  # fmt: skip
    assert code == 0, err
    assert found
    assert {r["ownerXuid"] for r in found} == {HOST}
    code, found, err = run(url, "search", f"{DEFAULT_SCID}/lobby",
                           "--social-group", f"people/{FRIEND}")  # fmt: skip
    assert (code, found) == (0, []), err
