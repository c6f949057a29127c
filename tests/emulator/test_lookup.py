"""The emulator's directory beyond one session, sans I/O: the routes of queries,
handles and templates, what each refuses, and the search filter grammar."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionclient.emulator._directory import (
    DEFAULT_SCID,
    Directory,
    EmulatedRequest,
    EmulatedResponse,
    Throttle,
)
from sessionclient.emulator._filter import parse_filter, parse_order

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
    handle = send(directory, "POST", "/handles", {"version": 1, "type": "activity",
                                                  "sessionRef": REF}).json()  # fmt: skip
    assert send(directory, "PUT", f"/handles/{handle['id']}", {}).header("Allow") == "GET, DELETE"
    assert send(directory, "DELETE", f"/handles/{handle['id']}/session").status == 405
    assert_text(send(directory, "GET", f"/handles/{handle['id']}/members"), 404)


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
          "filter": "Strings/map eq"}, "ends too early"),
        ({"type": "search", "scid": SCID, "templateName": "lobby",
          "orderBy": "Tags/x desc"}, "tag"),
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


# --- the filter grammar ---------------------------------------------------------------

ATTRIBUTES = {"tags": ["Casual"], "numbers": {"skill": 5, "level": 2.5},
              "strings": {"map": "Harbor", "mode": "it's"}}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("Strings/map eq 'harbor'", True),
        ("strings/MAP EQ 'HARBOR'", True),
        ("Strings/map ne 'harbor'", False),
        ("Strings/mode eq 'it''s'", True),
        ("Numbers/skill gt 4 and Numbers/level le 2.5", True),
        ("Numbers/skill lt 5", False),
        ("Numbers/skill ge -1", True),
        ("Numbers/missing ge 0", False),
        ("Strings/missing ne 'x'", False),
        ("Tags/casual eq true", True),
        ("Tags/ranked eq true", False),
        ("Tags/ranked ne true", True),
        ("Numbers/skill eq 1 or Numbers/skill eq 5 and Strings/map eq 'x'", False),
        ("(Numbers/skill eq 1 or Numbers/skill eq 5) and Strings/map eq 'harbor'", True),
        ("Numbers/skill eq 5 or Numbers/skill eq 1 and Strings/map eq 'x'", True),
    ],
)
def test_filters(text: str, matches: bool) -> None:
    assert parse_filter(text)(ATTRIBUTES) is matches


@pytest.mark.parametrize(
    "text",
    ["", "Colour eq 'red'", "Strings/map eq", "Strings/map is 'x'", "Strings/map eq 3",
     "Numbers/skill eq 'x'", "Tags/casual gt true", "(Strings/map eq 'x'",
     "Strings/map eq 'x')", "Strings/map eq 'x' Strings/map eq 'y'", "Strings/map eq 'x' #"],
)  # fmt: skip
def test_filters_outside_the_grammar(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        parse_filter(text)


def test_order_by() -> None:
    assert parse_order("Numbers/skill desc, Strings/map") == [
        ("numbers", "skill", True), ("strings", "map", False)
    ]  # fmt: skip
    for text in ("", "Numbers/skill up", "Numbers/skill desc now", "Tags/x"):
        with pytest.raises(ValueError):  # noqa: PT011
            parse_order(text)


@given(st.text(max_size=40))
def test_any_filter_text_parses_or_raises_value_error(text: str) -> None:
    try:
        predicate = parse_filter(text)
    except ValueError:
        return
    assert predicate(ATTRIBUTES) in (True, False)
