"""The emulator's directory beyond one session, sans I/O: the routes of queries,
handles and templates, what each refuses, and the search filter grammar."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sessionclient.emulator._directory import (
    DEFAULT_SCID,
    Directory,
    EmulatedRequest,
    EmulatedResponse,
    Throttle,
)

SCID = DEFAULT_SCID
CONFIG = f"/serviceconfigs/{SCID}"
LOBBY = f"{CONFIG}/sessiontemplates/lobby/sessions/game-1"


def make() -> Directory:
    return Directory(clock=lambda: 1000.0, wallclock=lambda: 1_700_000_000.0,
                     throttle=Throttle(enabled=False))  # fmt: skip


def assert_text(response: EmulatedResponse, status: int) -> str:
    assert response.status == status
    assert response.header("Content-Type") == "text/plain; charset=utf-8"
    return response.body.decode()


REF = {"scid": SCID, "templateName": "lobby", "name": "game-1"}


def send(directory: Directory, method: str, path: str, body: Any = None, *, query: str = "",
         user: str = "alice") -> Any:  # fmt: skip
    raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"authorization": f"XBL3.0 x={user};t"}
    return directory.handle(EmulatedRequest(method, path, headers, raw, query))


@pytest.fixture
def directory() -> Directory:
    directory = make()
    assert send(directory, "PUT", LOBBY, {}).status == 201
    return directory


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", f"{CONFIG}/sessions", "GET"),
        ("GET", f"{CONFIG}/batch", "POST"),
        ("DELETE", f"{CONFIG}/sessiontemplates", "GET"),
        ("PUT", f"{CONFIG}/sessiontemplates/lobby", "GET"),
        ("GET", "/handles", "POST"),
        ("GET", "/handles/query", "POST"),
    ],
)
def test_wrong_verbs_are_405_with_allow(
    directory: Directory, method: str, path: str, allow: str
) -> None:
    answer = send(directory, method, path, {})
    assert_text(answer, 405)
    assert answer.header("Allow") == allow


def test_handle_routes_refuse_other_verbs_once_found(directory: Directory) -> None:
    created = send(directory, "POST", "/handles", {"version": 1, "type": "activity",
                                                   "sessionRef": REF})  # fmt: skip
    where = created.header("Location")  # (no body: none for an activity, as documented)
    assert (created.status, created.body, where is not None) == (201, b"", True)
    assert send(directory, "PUT", f"{where}", {}).header("Allow") == "GET, DELETE"
    assert send(directory, "DELETE", f"{where}/session").status == 405
    assert_text(send(directory, "GET", f"{where}/members"), 404)


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("", "keyword or xuid"),
        ("xuid=alice&take=101", "take"),
        ("xuid=alice&take=x", "take"),
        ("keyword=a&visibility=hidden", "visibility"),
        ("xuid=alice&inactive=yes", "inactive"),
        ("keyword=a&private=true", "private and reservations"),
        ("xuid=a%20b", "xuid"),
    ],
)
def test_bad_session_queries_are_400(directory: Directory, query: str, fragment: str) -> None:
    assert fragment in assert_text(send(directory, "GET", f"{CONFIG}/sessions", query=query), 400)


@pytest.mark.parametrize(
    "body", [b"nope", [], {}, {"xuids": []}, {"xuids": "alice"}, {"xuids": [1]},
             {"xuids": ["x"] * 101}],
)  # fmt: skip
def test_bad_batches_are_400(directory: Directory, body: Any) -> None:
    assert_text(send(directory, "POST", f"{CONFIG}/batch", body), 400)


def test_batch_repeats_a_shared_session(directory: Directory) -> None:
    answer = send(directory, "POST", f"{CONFIG}/batch", {"xuids": ["alice", "bob", "alice"]},
                  query="inactive=true")  # fmt: skip
    results = answer.json()["results"]
    assert [(r["xuid"], r["sessionRef"]) for r in results] == [("alice", REF), ("alice", REF)]


def test_queries_of_unknown_configs_and_templates_are_404(directory: Directory) -> None:
    other = "/serviceconfigs/11111111-2222-3333-4444-555555555555"
    assert "service configuration" in assert_text(send(directory, "GET", f"{other}/sessions"), 404)
    unknown = f"{CONFIG}/sessiontemplates/ranked/sessions"
    assert "template" in assert_text(send(directory, "GET", unknown, query="xuid=a"), 404)


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"type": "activity", "sessionRef": REF}, 400, "version 1"),
        ({"version": 1, "type": "party", "sessionRef": REF}, 400, "version 1"),
        ({"version": 1, "type": "activity"}, 400, "sessionRef"),
        ({"version": 1, "type": "activity", "sessionRef": {**REF, "name": 3}}, 400, "sessionRef"),
        ({"version": 1, "type": "invite", "sessionRef": REF}, 400, "invitedXuid"),
        ({"version": 1, "type": "invite", "sessionRef": REF, "invitedXuid": "b",
          "inviteAttributes": {"colour": "red"}}, 400, "inviteAttributes"),
        ({"version": 1, "type": "search", "sessionRef": REF,
          "searchAttributes": {"tags": ["a b"]}}, 400, "tags"),
        ({"version": 1, "type": "search", "sessionRef": REF,
          "searchAttributes": {"numbers": {"n": "1"}}}, 400, "numbers"),
        ({"version": 1, "type": "search", "sessionRef": REF,
          "searchAttributes": {"strings": {"s": 1}}}, 400, "strings"),
        ({"version": 1, "type": "activity", "sessionRef": {**REF, "name": "gone"}}, 404, "session"),
        ({"version": 1, "type": "activity", "sessionRef": {**REF, "templateName": "x"}}, 404,
         "template"),
    ],
)  # fmt: skip
def test_bad_handles_are_refused(
    directory: Directory, body: Any, status: int, fragment: str
) -> None:
    assert fragment in assert_text(send(directory, "POST", "/handles", body), status)


def test_a_created_handle_is_located(directory: Directory) -> None:
    answer = send(
        directory,
        "POST",
        "/handles",
        {"version": 1, "type": "invite", "sessionRef": REF, "invitedXuid": "bob"},
    )
    handle = answer.json()
    assert answer.status == 201
    assert (
        answer.header("Location") == answer.header("Content-Location") == f"/handles/{handle['id']}"
    )
    assert set(handle) >= {
        "id",
        "createTime",
        "gameTypes",
        "inviteProtocol",
        "ownerXuid",
        "sessionRef",
        "titleId",
        "type",
        "version",
        "invitedXuid",
    }
    assert (handle["ownerXuid"], handle["sessionRef"], handle["titleId"]) == ("alice", REF, "0")
    behind = send(directory, "GET", f"/handles/{handle['id']}/session", user="bob")
    assert behind.status == 200
    assert behind.header("Content-Location") == LOBBY
    assert send(directory, "DELETE", f"/handles/{handle['id']}", user="bob").status == 204


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"type": "activity", "scid": "nope", "owners": {"xuids": ["a"]}}, "scid"),
        ({"type": "activity", "scid": SCID}, "owners.xuids"),
        ({"type": "party", "scid": SCID}, "activity or search"),
        ({"type": "search", "scid": SCID}, "templateName"),
        ({"type": "search", "scid": SCID, "templateName": "lobby", "filter": 3}, "strings"),
        ({"type": "search", "scid": SCID, "templateName": "lobby",
          "filter": "strings/map eq"}, "position 14"),
        ({"type": "search", "scid": SCID, "templateName": "lobby",
          "orderBy": "tags desc"}, "string or number"),
    ],
)  # fmt: skip
def test_bad_handle_queries_are_400(directory: Directory, body: Any, fragment: str) -> None:
    assert fragment in assert_text(send(directory, "POST", "/handles/query", body), 400)


def test_templates_list_and_one(directory: Directory) -> None:
    listed = send(directory, "GET", f"{CONFIG}/sessiontemplates").json()
    assert listed == {"results": [{"name": "lobby", "contractVersion": 107},
                                  {"name": "arena", "contractVersion": 107}]}  # fmt: skip
    one = send(directory, "GET", f"{CONFIG}/sessiontemplates/lobby").json()
    assert one["constants"]["system"]["maxMembersCount"] == 8


def test_a_query_version_above_the_contract_modulo_100_is_400(directory: Directory) -> None:
    """uri-serviceconfigsscidsessionsget.md:55: at most the contract version modulo 100."""
    query = "xuid=alice&version=8"
    answer = send(directory, "GET", f"{CONFIG}/sessions", query=query)
    assert "modulo 100" in assert_text(answer, 400)
    assert send(directory, "GET", f"{CONFIG}/sessions", query="xuid=alice&version=7").status == 200
