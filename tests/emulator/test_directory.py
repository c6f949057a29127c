"""The emulator's sans-I/O directory, driven through ``Directory.handle`` with a fake
clock: every status it answers, the merge rules, ETags, rate limits and faults."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sessionclient as sc
from sessionclient.emulator._directory import (
    DEFAULT_SCID,
    Directory,
    EmulatedRequest,
    EmulatedResponse,
    Fault,
    FaultKind,
    HandledRequest,
    Template,
    Throttle,
)

SCID = DEFAULT_SCID
OTHER_SCID = "11111111-2222-3333-4444-555555555555"
SESSIONS = f"/serviceconfigs/{SCID}/sessiontemplates"
LOBBY = f"{SESSIONS}/lobby/sessions/game-1"
ARENA = f"{SESSIONS}/arena/sessions/big-1"
WALL = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
STRONG_ETAG = re.compile(r'"[^"]+"')
NO_THROTTLE = Throttle(enabled=False)


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def token(user: str) -> str:
    return f"secret-token-of-{user}"


def call(
    directory: Directory,
    method: str,
    path: str,
    body: object = None,
    *,
    user: str | None = "alice",
    **headers: str,
) -> EmulatedResponse:
    """One request: ``body`` is JSON-encoded unless it is bytes; header keyword names
    use underscores (``if_match``)."""
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    if user is not None:
        sent["authorization"] = f"XBL3.0 x={user};{token(user)}"
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    return directory.handle(EmulatedRequest(method, path, sent, raw))


def make(**options: Any) -> Directory:
    options.setdefault("clock", FakeClock())
    options.setdefault("wallclock", lambda: WALL)
    options.setdefault("throttle", NO_THROTTLE)
    return Directory(**options)


@pytest.fixture
def directory() -> Directory:
    return make()


@pytest.fixture
def lobby(directory: Directory) -> EmulatedResponse:
    """Alice's session, created with a property."""
    created = call(directory, "PUT", LOBBY, {"properties": {"custom": {"map": "harbor"}}})
    assert created.status == 201
    return created


def etag_of(response: EmulatedResponse) -> str:
    etag = response.header("ETag")
    assert etag is not None
    return etag


def stored(directory: Directory, path: str = LOBBY) -> dict[str, Any] | None:
    _, _, scid, _, template, _, name = path.split("/")[:7]
    return directory.session(scid, template, name)


def assert_text(response: EmulatedResponse, status: int) -> str:
    assert response.status == status
    assert response.header("Content-Type") == "text/plain; charset=utf-8"
    assert response.body
    return response.body.decode()


def assert_session(response: EmulatedResponse, status: int, directory: Directory) -> Any:
    """A whole-session answer, equal to what the directory stores."""
    assert response.status == status
    assert response.header("Content-Type") == "application/json"
    assert response.header("Content-Location") == LOBBY
    assert STRONG_ETAG.fullmatch(etag_of(response))
    document = response.json()
    assert document == stored(directory)
    return document


def assert_empty(response: EmulatedResponse, status: int) -> None:
    assert (response.status, response.body, response.header("Content-Type")) == (status, b"", None)


# --- creating and reading -----------------------------------------------------------


def test_create_answers_201_with_the_whole_new_session(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    document = assert_session(lobby, 201, directory)
    assert document["constants"] == {
        "system": {"maxMembersCount": 8, "capabilities": {"large": False}},
        "custom": {},
    }
    assert document["properties"] == {"system": {}, "custom": {"map": "harbor"}}
    assert document["members"] == {
        "0": {
            "constants": {"system": {"xuid": "alice", "index": 0}, "custom": {}},
            "properties": {"system": {}, "custom": {}},
            "joinTime": "2023-11-14T22:13:20.000Z",
            "gamertag": "Player alice",
        }
    }
    assert document["membersInfo"] == {"first": 0, "next": 1, "count": 1, "accepted": 1}
    assert document["servers"] == {}
    assert document["startTime"] == "2023-11-14T22:13:20.000Z"
    assert re.fullmatch(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}", document["correlationId"])
    assert lobby.header("Date") == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_get_answers_the_stored_session_and_its_etag(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    read = call(directory, "GET", LOBBY, user="bob")  # anyone may read
    assert assert_session(read, 200, directory) == lobby.json()
    assert etag_of(read) == etag_of(lobby)


def test_get_of_a_missing_session_is_204(directory: Directory) -> None:
    assert_empty(call(directory, "GET", LOBBY), 204)


@pytest.mark.parametrize(
    ("header", "status"),
    [("{etag}", 304), ("*", 304), ("W/{etag}", 304), ('"other", {etag}', 304), ('"other"', 200)],
)
def test_get_with_if_none_match(
    directory: Directory, lobby: EmulatedResponse, header: str, status: int
) -> None:
    etag = etag_of(lobby)
    response = call(directory, "GET", LOBBY, if_none_match=header.format(etag=etag))
    assert (response.status, etag_of(response)) == (status, etag)
    assert bool(response.body) is (status == 200)


def test_literal_segments_and_scid_match_case_insensitively_and_segments_are_decoded(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    path = f"/ServiceConfigs/{SCID.upper()}/sessionTemplates/lobby/Sessions/game%2D1"
    read = call(directory, "GET", path)
    assert (read.status, read.header("Content-Location")) == (200, LOBBY)


def test_responses_carry_deterministic_request_ids() -> None:
    first, second = make(), make()
    ids = [call(d, "GET", LOBBY).header("X-Request-Id") for d in (first, second, first)]
    assert ids[0] == ids[1] != ids[2]


def test_request_headers_are_matched_whatever_their_case(directory: Directory) -> None:
    request = EmulatedRequest("PUT", LOBBY, {"Authorization": "XBL3.0 x=alice;t"}, b"{}")
    assert directory.handle(request).status == 201


# --- writes: ETags, merges, members -----------------------------------------------------


def test_every_write_changes_the_etag_and_reads_do_not(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    writes = [
        call(directory, "PUT", LOBBY, {"properties": {"custom": {"n": 1}}}),
        call(directory, "PUT", f"{LOBBY}/servers/host", {"region": "eu"}),
        call(directory, "PUT", f"{LOBBY}/members/me", {"properties": {"custom": {"ready": 1}}}),
        call(directory, "DELETE", f"{LOBBY}/servers/host"),
        call(directory, "PUT", LOBBY, {}),  # an empty delta is still a write
    ]
    etags = [etag_of(lobby)] + [etag_of(w) for w in writes]
    assert [w.status for w in writes] == [200] * 5
    assert len(set(etags)) == len(etags)
    assert etag_of(call(directory, "GET", LOBBY)) == etags[-1]


@pytest.mark.parametrize(
    ("delta", "section", "expected"),
    [
        (
            {"properties": {"custom": {"map": None, "mode": "ffa"}}},
            "properties",
            {"system": {}, "custom": {"mode": "ffa"}},
        ),
        (
            {"properties": {"custom": {"rules": {"a": 1, "b": None}}, "system": {"x": [1]}}},
            "properties",
            {"system": {"x": [1]}, "custom": {"map": "harbor", "rules": {"a": 1}}},
        ),
        (
            {"servers": {"host": {"region": "eu", "ip": None}}},
            "servers",
            {"host": {"region": "eu"}},
        ),
    ],
)
def test_deltas_merge_recursively_and_null_removes(
    directory: Directory, lobby: EmulatedResponse, delta: Any, section: str, expected: Any
) -> None:
    response = call(directory, "PUT", LOBBY, delta)
    assert assert_session(response, 200, directory)[section] == expected


def test_nested_objects_merge_and_null_removes_a_whole_server(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    call(directory, "PUT", LOBBY, {"servers": {"host": {"region": "eu", "slots": {"a": 1}}}})
    merged = call(directory, "PUT", LOBBY, {"servers": {"host": {"slots": {"b": 2}}}}).json()
    assert merged["servers"] == {"host": {"region": "eu", "slots": {"a": 1, "b": 2}}}
    removed = call(directory, "PUT", LOBBY, {"servers": {"host": None}})
    assert assert_session(removed, 200, directory)["servers"] == {}


@pytest.mark.parametrize(
    ("constants", "conflict"),
    [
        ({"custom": {"mode": "ffa"}}, None),  # new keys at creation
        ({"system": {"maxMembersCount": 8}}, None),  # the template's own value
        ({"system": {"maxMembersCount": 4}}, "constants.system.maxMembersCount"),
        ({"system": {"maxMembersCount": 8.0}}, "constants.system.maxMembersCount"),  # not 8
        ({"system": {"capabilities": {"large": True}}}, "constants.system.capabilities.large"),
    ],
)
def test_constants_at_creation(directory: Directory, constants: Any, conflict: str | None) -> None:
    response = call(directory, "PUT", LOBBY, {"constants": constants})
    if conflict is None:
        document = assert_session(response, 201, directory)
        assert document["constants"]["custom"] == constants.get("custom", {})
        assert document["constants"]["system"]["maxMembersCount"] == 8
    else:
        assert f"constant {conflict} conflicts" in assert_text(response, 409)
        assert stored(directory) is None


@pytest.mark.parametrize(
    ("delta", "status"),
    [
        ({"constants": {"custom": {"mode": "ffa"}}}, 200),  # identical: fine
        ({"constants": {"custom": {"mode": "ctf"}}}, 409),  # different
        ({"constants": {"custom": {"extra": 1}}}, 409),  # new after creation
        ({"members": {"me": {"constants": {"custom": {"team": 1}}}}}, 409),
        ({"members": {"me": {"constants": {"system": {"xuid": "alice"}}}}}, 200),
    ],
)
def test_constants_of_an_existing_session_cannot_change(
    directory: Directory, delta: Any, status: int
) -> None:
    call(directory, "PUT", LOBBY, {"constants": {"custom": {"mode": "ffa"}}})
    before = stored(directory)
    response = call(directory, "PUT", LOBBY, delta)
    assert response.status == status
    if status == 409:
        assert "constant" in assert_text(response, 409)
        assert stored(directory) == before


def test_member_indexes_increase_and_are_never_reused(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    join = {"members": {"me": {"properties": {"custom": {"ready": True}}}}}
    assert call(directory, "PUT", LOBBY, join, user="bob").status == 200
    assert call(directory, "PUT", LOBBY, {"members": {"me": None}}, user="bob").status == 200
    assert call(directory, "PUT", LOBBY, join, user="carol").status == 200
    left = call(directory, "DELETE", f"{LOBBY}/members/me")  # alice, member 0
    document = assert_session(left, 200, directory)
    assert {i: m["constants"]["system"]["xuid"] for i, m in document["members"].items()} == {
        "2": "carol"
    }
    assert document["members"]["2"]["properties"]["custom"] == {"ready": True}
    assert document["membersInfo"] == {"first": 2, "next": 3, "count": 1, "accepted": 1}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", LOBBY, {"members": {"me": None}}),
        ("PUT", LOBBY, {"members": {"0": None}}),
        ("DELETE", f"{LOBBY}/members/me", None),
        ("DELETE", f"{LOBBY}/members/0", None),
    ],
)
def test_the_last_member_leaving_deletes_the_session(
    directory: Directory, lobby: EmulatedResponse, method: str, path: str, body: Any
) -> None:
    assert_empty(call(directory, method, path, body), 204)
    assert stored(directory) is None
    assert_empty(call(directory, "GET", LOBBY), 204)


def test_creating_with_me_null_makes_a_session_without_members(directory: Directory) -> None:
    response = call(directory, "PUT", LOBBY, {"members": {"me": None}})
    document = assert_session(response, 201, directory)
    assert (document["members"], document["membersInfo"]["count"]) == ({}, 0)


def test_a_reservation_adds_a_member_who_accepts_by_joining(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    reserve = {"members": {"reserve_0": {"constants": {"system": {"xuid": "bob"}}}}}
    reserved = call(directory, "PUT", LOBBY, reserve).json()
    assert reserved["members"]["1"]["reserved"] is True
    assert reserved["membersInfo"] == {"first": 0, "next": 2, "count": 2, "accepted": 1}
    accept = {"members": {"me": {"constants": {"custom": {"team": "red"}}}}}
    accepted = assert_session(call(directory, "PUT", LOBBY, accept, user="bob"), 200, directory)
    assert "reserved" not in accepted["members"]["1"]
    assert accepted["members"]["1"]["constants"]["custom"] == {"team": "red"}
    assert accepted["membersInfo"]["accepted"] == 2


def test_members_of_a_normal_session_may_remove_others(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    call(directory, "PUT", LOBBY, {"members": {"me": {}}}, user="bob")
    removed = assert_session(
        call(directory, "PUT", LOBBY, {"members": {"1": None}}), 200, directory
    )
    assert list(removed["members"]) == ["0"]


# --- 403 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", LOBBY, {"properties": {"custom": {"map": "dunes"}}}),
        ("PUT", LOBBY, {}),
        ("PUT", f"{LOBBY}/properties", {"custom": {"map": "dunes"}}),
        ("PUT", f"{LOBBY}/members/0", {"properties": {"custom": {"x": 1}}}),
        ("DELETE", f"{LOBBY}/properties", None),
    ],
)
def test_a_non_member_gets_403_with_the_whole_session(
    directory: Directory, lobby: EmulatedResponse, method: str, path: str, body: Any
) -> None:
    response = call(directory, method, path, body, user="mallory")
    assert assert_session(response, 403, directory) == lobby.json()
    assert etag_of(response) == etag_of(lobby)


def test_a_member_cannot_write_another_members_entry(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    joined = call(directory, "PUT", LOBBY, {"members": {"me": {}}}, user="bob")
    for path, body in [
        (LOBBY, {"members": {"0": {"properties": {"custom": {"x": 1}}}}}),
        (f"{LOBBY}/members/0", {"properties": {"custom": {"x": 1}}}),
    ]:
        response = call(directory, "PUT", path, body, user="bob")
        assert assert_session(response, 403, directory) == joined.json()
    own = call(
        directory, "PUT", f"{LOBBY}/members/1", {"properties": {"custom": {"x": 1}}}, user="bob"
    )
    assert assert_session(own, 200, directory)["members"]["1"]["properties"]["custom"] == {"x": 1}


def test_a_non_member_may_join_with_members_me(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    delta = {"members": {"me": {}}, "properties": {"custom": {"map": "dunes"}}}
    document = assert_session(call(directory, "PUT", LOBBY, delta, user="bob"), 200, directory)
    assert document["membersInfo"]["count"] == 2
    assert document["properties"]["custom"]["map"] == "dunes"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer abc", "XBL3.0 x=alice;", "XBL3.0 x=;tok", "XBL3.0 alice;tok", "XBL3.0 x=a b;tok", ""],
)
def test_an_unparsable_authorization_is_403_text(directory: Directory, authorization: str) -> None:
    request = EmulatedRequest("PUT", LOBBY, {"authorization": authorization}, b"{}")
    assert assert_text(directory.handle(request), 403) == "authorization failed"
    assert stored(directory) is None


def test_a_missing_authorization_is_401(directory: Directory) -> None:
    assert "authorization" in assert_text(call(directory, "GET", LOBBY, user=None), 401)


def test_the_token_is_never_echoed() -> None:
    directory = make(throttle=Throttle(burst_limit=2))
    secret = token("alice").encode()
    requests = [
        ("PUT", LOBBY, b"{"),
        ("PUT", LOBBY, {"members": {"me": {"x": 1}}}),
        ("PUT", LOBBY, {}),
        ("GET", "/nope", None),
    ]
    answers = [call(directory, m, p, b) for m, p, b in requests]
    assert [a.status for a in answers] == [400, 400, 429, 404]  # no SCID: another bucket
    for answer in answers:
        assert secret not in answer.body
        assert all(secret.decode() not in value for _, value in answer.headers)


# --- 400, 404, 405 ------------------------------------------------------------------------


def _deep(levels: int) -> Any:
    value: Any = {}
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b'{"properties": NaN}', "not valid JSON"),
        (b"\xff", "not valid JSON"),
        (b"[]", "JSON object, not list"),
        (b"null", "JSON object, not NoneType"),
        (b"[" * 100_000, "not valid JSON"),
        (b'{"membersInfo": {}}', "unknown field 'membersInfo'"),
        (b'{"properties": []}', "properties must be a JSON object"),
        (b'{"properties": {"public": {}}}', "unknown field 'public'"),
        (b'{"properties": {"custom": 1}}', "properties.custom must be a JSON object"),
        (b'{"members": {"me": 1}}', "members.me must be a JSON object"),
        # XSAPI writes a member's roles at its root (multiplayer_session_member.cpp:635)
        (b'{"members": {"me": {"role": {}}}}', "unknown field 'role'"),
        (b'{"members": {"me": {"roles": {"lfg": 1}}}}', "roles map role types"),
        (b'{"members": {"guest": {}}}', "unknown member key 'guest'"),
        (b'{"members": {"reserve_1": {}}}', "reservation needs constants.system.xuid"),
        (b'{"servers": {"a/b": {}}}', "invalid server name"),
        (b'{"servers": {"host": 3}}', "servers.host must be a JSON object"),
        (json.dumps({"properties": {"custom": _deep(70)}}).encode(), "nested deeper than 64"),
    ],
)
def test_a_malformed_body_is_400_and_changes_nothing(
    directory: Directory, lobby: EmulatedResponse, body: bytes, fragment: str
) -> None:
    assert fragment in assert_text(call(directory, "PUT", LOBBY, body), 400)
    assert stored(directory) == lobby.json()


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({"x_xbl_contract_version": "latest"}, "contract-version"),
        ({"x_xbl_contract_version": "1.07"}, "contract-version"),
        ({"if_none_match": '"abc"'}, "If-None-Match"),
    ],
)
def test_bad_headers_are_400(directory: Directory, headers: dict[str, str], fragment: str) -> None:
    assert fragment in assert_text(call(directory, "PUT", LOBBY, {}, **headers), 400)
    assert call(directory, "GET", LOBBY, x_xbl_contract_version="107").status == 204


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/", "no such resource"),
        ("/handles/abc/session", "no such handle"),
        (f"/serviceconfigs/{SCID}/templates/lobby/sessions/g", "no such resource"),
        (
            f"/serviceconfigs/{OTHER_SCID}/sessiontemplates/lobby/sessions/g",
            "service configuration",
        ),
        (f"{SESSIONS}/ranked/sessions/g", "unknown session template"),
        (f"{SESSIONS}/lobby/sessions/..", "invalid session name"),
        (f"{SESSIONS}/lobby/sessions/a%2Fb", "invalid session name"),
        (f"{SESSIONS}/lobby/sessions/%ff", "no such resource"),
        (f"{SESSIONS}/lobby/sessions/g/", "no such session element"),
        (f"{LOBBY}/members", "no such session element"),
        (f"{LOBBY}/members/-1", "no such session element"),
        (f"{LOBBY}/members/01", "no such session element"),
        (f"{LOBBY}/servers/a/b", "no such session element"),
        (f"{LOBBY}/handles", "no such session element"),
    ],
)
def test_unknown_uris_are_404(directory: Directory, path: str, fragment: str) -> None:
    assert fragment in assert_text(call(directory, "PUT", path, {}), 404)


@pytest.mark.parametrize(
    ("method", "element"), [("GET", "properties"), ("PUT", "members/me"), ("DELETE", "servers/s")]
)
def test_elements_of_a_missing_session_are_404(
    directory: Directory, method: str, element: str
) -> None:
    response = call(directory, method, f"{LOBBY}/{element}", {})
    assert assert_text(response, 404) == "session does not exist"


@pytest.mark.parametrize("method", ["POST", "PATCH", "HEAD", "OPTIONS"])
@pytest.mark.parametrize("path", [LOBBY, f"{LOBBY}/members/me"])
def test_other_verbs_are_405_with_allow(directory: Directory, method: str, path: str) -> None:
    response = call(directory, method, path, {})
    assert method in assert_text(response, 405)
    assert response.header("Allow") == "GET, PUT, DELETE"


# --- large sessions ---------------------------------------------------------------------


def test_large_sessions_refuse_adding_or_removing_others(directory: Directory) -> None:
    assert call(directory, "PUT", ARENA, {}).status == 201
    assert call(directory, "PUT", ARENA, {"members": {"me": {}}}, user="bob").status == 200
    attempts = [
        ("PUT", ARENA, {"members": {"1": None}}),
        ("DELETE", f"{ARENA}/members/1", None),
        ("PUT", ARENA, {"members": {"reserve_0": {"constants": {"system": {"xuid": "carol"}}}}}),
    ]
    before = stored(directory, ARENA)
    for method, path, body in attempts:
        assert "large session" in assert_text(call(directory, method, path, body), 409)
    assert stored(directory, ARENA) == before
    left = call(directory, "DELETE", f"{ARENA}/members/1", user="bob")  # leaving is fine
    assert list(left.json()["members"]) == ["0"]


# --- conditional writes -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize(
    ("headers", "status", "body"),
    [
        ({"if_none_match": "*"}, 412, "none"),
        ({"if_match": '"stale"'}, 412, "session"),
        ({"if_match": "W/{etag}"}, 412, "session"),  # If-Match compares strongly
        ({"if_match": "{etag}"}, None, ""),
        ({"if_match": "*"}, None, ""),
    ],
)
def test_conditional_writes_on_an_existing_session(
    directory: Directory,
    lobby: EmulatedResponse,
    method: str,
    headers: dict[str, str],
    status: int | None,
    body: str,
) -> None:
    etag = etag_of(lobby)
    sent = {name: value.format(etag=etag) for name, value in headers.items()}
    response = call(directory, method, LOBBY, {}, **sent)
    if status is None:  # the precondition holds: the write happens
        assert response.status == {"PUT": 200, "DELETE": 204}[method]
        return
    if body == "none":
        assert_empty(response, 412)
    else:
        assert assert_session(response, 412, directory) == lobby.json()
        assert etag_of(response) == etag
    assert stored(directory) == lobby.json()


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize("if_match", ['"0000000000000001"', "*"])
def test_if_match_on_a_missing_session_is_412_without_body(
    directory: Directory, method: str, if_match: str
) -> None:
    assert_empty(call(directory, method, LOBBY, {}, if_match=if_match), 412)
    assert stored(directory) is None


def test_if_none_match_star_creates(directory: Directory) -> None:
    assert assert_session(call(directory, "PUT", LOBBY, {}, if_none_match="*"), 201, directory)


@pytest.mark.parametrize("if_match", [None, "*"])
def test_delete_session(
    directory: Directory, lobby: EmulatedResponse, if_match: str | None
) -> None:
    headers = {} if if_match is None else {"if_match": if_match}
    refused = call(directory, "DELETE", LOBBY, user="bob", **headers)  # not a member
    assert_session(refused, 403, directory)
    assert_empty(call(directory, "DELETE", LOBBY, **headers), 204)
    assert stored(directory) is None
    assert_empty(call(directory, "DELETE", LOBBY), 204)  # already gone


# --- elements ---------------------------------------------------------------------------


def test_get_element_answers_the_element_with_the_session_etag(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    call(directory, "PUT", f"{LOBBY}/servers/host", {"region": "eu"})
    session = call(directory, "GET", LOBBY).json()
    for element, expected in [
        ("members/me", session["members"]["0"]),
        ("members/0", session["members"]["0"]),
        ("servers/host", {"region": "eu"}),
        ("properties", session["properties"]),
    ]:
        response = call(directory, "GET", f"{LOBBY}/{element}")
        assert (response.status, response.json()) == (200, expected)
        assert etag_of(response) == etag_of(call(directory, "GET", LOBBY))


@pytest.mark.parametrize(("element", "user"), [("members/me", "bob"), ("members/5", "alice")])
def test_get_of_a_missing_element_is_204(
    directory: Directory, lobby: EmulatedResponse, element: str, user: str
) -> None:
    assert_empty(call(directory, "GET", f"{LOBBY}/{element}", user=user), 204)
    assert_empty(call(directory, "GET", f"{LOBBY}/servers/none"), 204)


@pytest.mark.parametrize(
    ("element", "body", "user", "where", "expected"),
    [
        (
            "members/me",
            {"properties": {"custom": {"ready": 1}}},
            "bob",
            ["members", "1", "properties", "custom"],
            {"ready": 1},
        ),
        (
            "properties",
            {"custom": {"map": None, "mode": "ctf"}},
            "alice",
            ["properties", "custom"],
            {"mode": "ctf"},
        ),
        ("servers/host", {"region": "eu"}, "alice", ["servers"], {"host": {"region": "eu"}}),
    ],
)
def test_put_element_answers_200_with_the_whole_session(
    directory: Directory,
    lobby: EmulatedResponse,
    element: str,
    body: Any,
    user: str,
    where: list[str],
    expected: Any,
) -> None:
    response = call(directory, "PUT", f"{LOBBY}/{element}", body, user=user)
    value = assert_session(response, 200, directory)
    for key in where:
        value = value[key]
    assert value == expected


def test_delete_element_answers_the_whole_session(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    call(directory, "PUT", f"{LOBBY}/servers/host", {"region": "eu"})
    removed = assert_session(call(directory, "DELETE", f"{LOBBY}/servers/host"), 200, directory)
    assert removed["servers"] == {}
    etag = etag_of(call(directory, "GET", LOBBY))
    # No such element, but the session is there: 204 would say neither exists.
    again = call(directory, "DELETE", f"{LOBBY}/servers/host")
    assert_session(again, 200, directory)
    assert_session(call(directory, "DELETE", f"{LOBBY}/members/7"), 200, directory)
    assert etag_of(call(directory, "GET", LOBBY)) == etag == etag_of(again)  # nothing written
    cleared = assert_session(call(directory, "DELETE", f"{LOBBY}/properties"), 200, directory)
    assert cleared["properties"] == {"system": {}, "custom": {}}


# --- throttling ---------------------------------------------------------------------------


def throttled(**limits: Any) -> tuple[Directory, FakeClock]:
    clock = FakeClock()
    return make(clock=clock, throttle=Throttle(**limits)), clock


def calls_at(directory: Directory, clock: FakeClock, times: list[float]) -> list[EmulatedResponse]:
    answers = []
    for at in times:
        clock.now = 1000.0 + at
        answers.append(call(directory, "GET", LOBBY))
    return answers


@pytest.mark.parametrize("with_body", [True, False])
def test_burst_limit_answers_429_with_retry_after(with_body: bool) -> None:
    directory, clock = throttled(burst_limit=3, with_body=with_body)
    answers = calls_at(directory, clock, [0, 1.25, 2, 3])
    assert [a.status for a in answers] == [204, 204, 204, 429]
    # The call at t=1.25 leaves the 15 s window at t=16.25: 13.25 s, rounded up.
    assert answers[-1].header("Retry-After") == "14"
    if with_body:
        assert answers[-1].header("Content-Type") == "application/json"
        assert answers[-1].json() == {
            "currentRequests": 4,
            "maxRequests": 3,
            "periodInSeconds": 15,
            "limitType": "burst",
        }
    else:
        assert_empty(answers[-1], 429)


@pytest.mark.parametrize(("at", "status"), [(16.249, 429), (16.25, 204)])
def test_a_call_after_retry_after_is_admitted(at: float, status: int) -> None:
    directory, clock = throttled(burst_limit=3)
    assert calls_at(directory, clock, [0, 1.25, 2, 3, at])[-1].status == status


def test_throttled_calls_count() -> None:
    directory, clock = throttled(burst_limit=3)
    answers = calls_at(directory, clock, [0, 1, 2, 3, 3, 3])
    assert [a.header("Retry-After") for a in answers[3:]] == ["13", "14", "15"]
    assert [a.json()["currentRequests"] for a in answers[3:]] == [4, 5, 6]
    assert calls_at(directory, clock, [16.0])[0].status == 429  # the refused ones still count


def test_sustain_limit() -> None:
    directory, clock = throttled(burst_limit=100, sustain_limit=5)
    answers = calls_at(directory, clock, [0, 10, 20, 30, 40, 50.5])
    assert answers[-1].status == 429
    assert answers[-1].header("Retry-After") == "260"  # ceil(10 + 300 - 50.5)
    assert answers[-1].json() == {
        "currentRequests": 6,
        "maxRequests": 5,
        "periodInSeconds": 300,
        "limitType": "sustain",
    }


def test_retry_after_also_waits_for_a_full_window() -> None:
    directory, clock = throttled(burst_limit=2, sustain_limit=3, sustain_window=100)
    answers = calls_at(directory, clock, [0, 1, 2])
    # Burst is exceeded (back at t=16), sustain merely full (room again at t=100).
    assert (answers[-1].header("Retry-After"), answers[-1].json()["limitType"]) == ("98", "burst")


def test_limits_are_per_caller_and_scid() -> None:
    clock = FakeClock()
    configs = {SCID: [Template.of("lobby")], OTHER_SCID: [Template.of("lobby")]}
    directory = make(clock=clock, throttle=Throttle(burst_limit=1), service_configs=configs)
    other = LOBBY.replace(SCID, OTHER_SCID.upper())
    statuses = [
        call(directory, "GET", path, user=user).status
        for path, user in [(LOBBY, "alice"), (LOBBY, "alice"), (LOBBY, "bob"), (other, "alice")]
    ]
    assert statuses == [204, 429, 204, 204]


def test_throttling_comes_after_authentication_and_before_routing() -> None:
    directory, _ = throttled(burst_limit=1)
    unknown = f"{SESSIONS}/ranked/sessions/g"
    statuses = [
        call(directory, "GET", unknown, user=None).status,  # not counted
        call(directory, "GET", unknown).status,
        call(directory, "GET", unknown).status,
        call(directory, "POST", LOBBY).status,
    ]
    assert statuses == [401, 404, 429, 429]


def test_disabled_throttle_admits_everything() -> None:
    directory, clock = throttled(burst_limit=1, enabled=False)
    assert {a.status for a in calls_at(directory, clock, [0] * 50)} == {204}


def test_time_scale_shrinks_windows_and_retry_after() -> None:
    clock = FakeClock()
    directory = make(clock=clock, throttle=Throttle(burst_limit=3), time_scale=0.01)
    answers = calls_at(directory, clock, [0, 0.001, 0.002, 0.003])
    assert answers[-1].header("Retry-After") == "0.148"  # 0.001 + 0.15 - 0.003
    assert answers[-1].json()["periodInSeconds"] == 0.15  # the window as scaled
    assert calls_at(directory, clock, [0.16])[0].status == 204  # the window is 0.15 s


# --- faults ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "time_scale", "status", "retry_after", "body"),
    [
        (Fault.status(503, retry_after=1.5), 1.0, 503, "2", b""),
        (Fault.status(503, retry_after=1.5), 0.5, 503, "0.75", b""),
        (Fault.status(503, retry_after=3), 0.5, 503, "1.5", b""),
        (Fault.status(503, retry_after=4), 0.5, 503, "2", b""),
        (Fault.status(503), 1.0, 503, None, b""),
        (Fault.status(500), 1.0, 500, None, b"emulated fault: 500"),
    ],
)
def test_status_faults_apply_nothing(
    fault: Fault, time_scale: float, status: int, retry_after: str | None, body: bytes
) -> None:
    directory = make(time_scale=time_scale)
    directory.inject(fault)
    response = call(directory, "PUT", LOBBY, {})
    assert (response.status, response.header("Retry-After"), response.body) == (
        status,
        retry_after,
        body,
    )
    assert response.header("Content-Type") == "text/plain; charset=utf-8"
    assert stored(directory) is None
    assert call(directory, "PUT", LOBBY, {}).status == 201  # one fault, then service


def test_drop_applies_nothing_and_lose_response_applies() -> None:
    directory = make()
    directory.inject(Fault.drop())
    directory.inject(Fault.lose_response())
    dropped = call(directory, "PUT", LOBBY, {})
    assert (dropped.status, dropped.fault) == (0, Fault.drop())
    assert stored(directory) is None
    lost = call(directory, "PUT", LOBBY, {})
    assert (lost.status, lost.fault) == (201, Fault.lose_response())
    assert stored(directory) == lost.json()


def test_delay_answers_normally_with_scaled_seconds() -> None:
    directory = make(time_scale=0.1)
    directory.inject(Fault.delay(2.0))
    response = call(directory, "PUT", LOBBY, {})
    assert response.status == 201
    assert response.fault is not None
    assert response.fault.kind is FaultKind.DELAY
    assert response.fault.seconds == pytest.approx(0.2)


def test_injected_faults_match_method_and_path_and_run_in_order(directory: Directory) -> None:
    directory.inject(Fault.status(500), times=2, method="put", path_contains="/members/")
    directory.inject(Fault.status(503))
    sequence = [
        ("GET", LOBBY),
        ("PUT", f"{LOBBY}/members/me"),
        ("GET", f"{LOBBY}/members/me"),
        ("PUT", f"{LOBBY}/members/me"),
        ("PUT", f"{LOBBY}/members/me"),
    ]
    statuses = [call(directory, m, p, {}).status for m, p in sequence]
    assert statuses == [503, 500, 404, 500, 404]


def test_requests_records_every_request_faulted_or_not(directory: Directory) -> None:
    directory.inject(Fault.drop(), method="GET")
    call(directory, "GET", LOBBY)
    call(directory, "PUT", LOBBY, {}, user=None)
    call(directory, "PUT", LOBBY, {})
    assert directory.requests == [
        HandledRequest("GET", LOBBY, 0),
        HandledRequest("PUT", LOBBY, 401),
        HandledRequest("PUT", LOBBY, 201),
    ]


def fault_pattern(directory: Directory, count: int) -> list[str]:
    answers = [call(directory, "GET", LOBBY) for _ in range(count)]
    return [a.fault.kind.name if a.fault else str(a.status) for a in answers]


RATES = {Fault.status(503, retry_after=1): 0.2, Fault.drop(): 0.1, Fault.delay(1.0): 0.1}


def test_probabilistic_faults_are_seeded() -> None:
    first, again = (fault_pattern(make(seed=7, fault_rate=RATES), 200) for _ in range(2))
    other = fault_pattern(make(seed=8, fault_rate=RATES), 200)
    assert first == again != other
    counts = {kind: first.count(kind) for kind in ("STATUS", "DROP", "DELAY", "204")}
    assert 20 <= counts["STATUS"] <= 60
    assert 5 <= counts["DROP"] <= 35
    assert 5 <= counts["DELAY"] <= 35
    assert sum(counts.values()) == 200


def test_scripted_faults_do_not_shift_the_probabilistic_ones() -> None:
    plain = fault_pattern(make(seed=3, fault_rate={Fault.drop(): 0.3}), 50)
    scripted = make(seed=3, fault_rate={Fault.drop(): 0.3})
    scripted.inject(Fault.status(500), times=5)
    assert fault_pattern(scripted, 50)[5:] == plain[5:]


def test_fault_rate_shorthands() -> None:
    shorthand = make(seed=1, fault_rate={503: 0.3, FaultKind.DROP: 0.2})
    explicit = make(seed=1, fault_rate={Fault.status(503): 0.3, Fault.drop(): 0.2})
    assert fault_pattern(shorthand, 100) == fault_pattern(explicit, 100)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Fault.status(200), "4xx/5xx"),
        (lambda: Fault.status(302), "4xx/5xx"),
        (lambda: Fault.delay(-1), "seconds must be"),
        (lambda: Fault.status(503, retry_after=float("inf")), "retry_after must be"),
        (lambda: make(fault_rate={Fault.drop(): 1.5}), "between 0 and 1"),
        (lambda: make(fault_rate={Fault.drop(): 0.6, 500: 0.6}), "add up to at most 1"),
        (lambda: make(fault_rate={FaultKind.DELAY: 0.1}), "needs parameters"),
        (lambda: make(time_scale=0), "time_scale"),
        (lambda: make(service_configs={"not-a-guid": []}), "invalid SCID"),
        (lambda: Template("a/b", {}), "must match"),
        (lambda: Template("t", {"system": 5}), "template constants"),
        (lambda: Template("t", {"public": {}}), "template constants"),
        (lambda: Throttle(burst_limit=0), "burst_limit"),
        (lambda: make().inject(Fault.drop(), times=0), "times"),
    ],
)
def test_invalid_configuration_is_refused(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


# --- templates, threads -----------------------------------------------------------------


def test_templates_are_copied_and_know_whether_they_are_large() -> None:
    custom = {"mode": "ffa"}
    template = Template.of("duel", max_members=2, custom=custom)
    custom["mode"] = "changed"
    directory = make(service_configs={OTHER_SCID: [template]})
    path = f"/serviceconfigs/{OTHER_SCID}/sessiontemplates/duel/sessions/d"
    created = call(directory, "PUT", path, {}).json()
    assert created["constants"]["custom"] == {"mode": "ffa"}
    assert created["constants"]["system"]["maxMembersCount"] == 2
    assert (template.is_large, Template.of("x", large=True).is_large) == (False, True)


def test_handle_is_thread_safe(directory: Directory, lobby: EmulatedResponse) -> None:
    users = [f"user{i}" for i in range(7)]  # the lobby holds 8

    def join_and_write(user: str) -> None:
        call(directory, "PUT", LOBBY, {"members": {"me": {}}}, user=user)
        for n in range(10):
            call(
                directory,
                "PUT",
                f"{LOBBY}/members/me",
                {"properties": {"custom": {"n": n}}},
                user=user,
            )

    threads = [threading.Thread(target=join_and_write, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    document = stored(directory)
    assert document is not None
    assert document["membersInfo"]["count"] == document["membersInfo"]["next"] == 8
    assert {m["properties"]["custom"].get("n") for m in document["members"].values()} == {None, 9}
    assert len(directory.requests) == 1 + 7 * 11
    assert {r.status for r in directory.requests} == {200, 201}


def test_a_full_session_refuses_another_member(
    directory: Directory, lobby: EmulatedResponse
) -> None:
    for n in range(7):
        assert call(directory, "PUT", LOBBY, {"members": {"me": {}}}, user=f"u{n}").status == 200
    full = call(directory, "PUT", LOBBY, {"members": {"me": {}}}, user="late")
    assert (full.status, full.header("Content-Type")) == (409, "text/plain; charset=utf-8")
    assert b"full" in full.body
    document = stored(directory)
    assert document is not None
    assert len(document["members"]) == 8
    # Members already in may still write.
    assert call(directory, "PUT", LOBBY, {"properties": {"custom": {"x": 1}}}).status == 200


# --- properties -------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=12,
)
section_keys = st.sampled_from(["constants", "properties", "members", "servers", "system", "me"])
deltas = st.dictionaries(
    section_keys,
    json_values
    | st.dictionaries(
        st.sampled_from(["system", "custom", "me", "0", "1", "reserve_0", "host", "x/y"]),
        json_values,
    ),
    max_size=4,
)


@pytest.mark.slow  # 300 pairs of random deltas: a long property run
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=deltas, second=deltas, user=st.sampled_from(["alice", "bob"]))
def test_any_json_delta_gets_a_valid_answer(
    first: dict[str, Any], second: dict[str, Any], user: str
) -> None:
    directory = make()
    for delta, who in [(first, "alice"), (second, user)]:
        before = stored(directory)
        response = call(directory, "PUT", LOBBY, delta, user=who)
        assert response.status in {200, 201, 204, 400, 403, 409}
        if response.status in (200, 201):
            document = response.json()
            assert document == stored(directory)
            info = document["membersInfo"]
            assert info["count"] == len(document["members"]) <= info["next"]
            assert etag_of(call(directory, "GET", LOBBY)) == etag_of(response)
        elif response.status != 204:
            assert stored(directory) == before


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "PUT", "DELETE", "POST", "get"]),
    path=st.one_of(
        st.text(max_size=60),
        st.lists(
            st.sampled_from(["", "serviceconfigs", SCID, "sessiontemplates", "lobby", "arena"])
            | st.sampled_from(["sessions", "g", "members", "me", "0", "servers", "properties"])
            | st.text(max_size=6),
            max_size=9,
        ).map(lambda parts: "/" + "/".join(parts)),
    ),
    headers=st.dictionaries(
        st.sampled_from(["authorization", "if-match", "if-none-match", "x-xbl-contract-version"]),
        st.text(max_size=20) | st.just("XBL3.0 x=a;t") | st.just("*"),
    ),
    body=st.binary(max_size=30) | deltas.map(lambda d: json.dumps(d).encode()),
)
def test_any_request_gets_a_valid_status(
    method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    directory = make(throttle=Throttle(burst_limit=1))
    for _ in range(2):  # the second one meets the throttle or an existing session
        response = directory.handle(EmulatedRequest(method, path, headers, body))
        valid = {200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 412, 429}
        assert response.status in valid
        assert response.header("Date") == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_writes_number_the_session_and_tap_subscribed_members() -> None:
    """Each write raises ``changeNumber`` by one; a member that wrote an open RTA
    connection and a subscription gets a tap ``[3, id, {"shoulderTaps": [...]}]`` with
    ``resource`` scid~template~name, the change number and the branch
    (XSAPI multiplayer_subscription.cpp:79-118 reads these fields)."""
    from sessionclient.emulator import DEFAULT_SCID, Emulator

    emulator = Emulator()
    ref = sc.SessionRef(DEFAULT_SCID, "lobby", "numbered")
    with emulator.client("100") as host, emulator.client("200") as player:
        assert [host.create(ref).change_number, player.join(ref).change_number] == [1, 2]
        connection = emulator.rta.connect("100")
        connection.receive(json.dumps([1, 1, "https://sessiondirectory.xboxlive.com/connections/"]))
        (answer,) = map(json.loads, connection.take())
        assert answer[:3] == [1, 1, 0]
        assert answer[4] == {"ConnectionId": connection.id}
        system = {"connection": connection.id, "subscription": {"id": "s", "changeTypes": []}}
        session = host.put(ref, {"members": {"me": {"properties": {"system": system}}}})
        player.set_properties(ref, {"map": "harbor"})
        taps = [json.loads(frame) for frame in connection.take()]
        assert session is not None
        branch = session.document["branch"]
        resource = f"{DEFAULT_SCID}~lobby~numbered"
        assert taps == [
            [3, answer[3], {"shoulderTaps": [{"resource": resource, "changeNumber": n,
                                              "branch": branch}]}]
            for n in (3, 4)
        ]  # fmt: skip
