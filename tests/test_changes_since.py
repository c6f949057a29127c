"""Issue 23 item 11: ``Session.changes_since(previous)``, the MPSD change types between
two versions of a session, as XSAPI computes them: XblMultiplayerSession::
CompareMultiplayerSessions, Source/Services/Multiplayer/multiplayer_session.cpp:1316-1420
(host 1323, initialization 1328, matchmakingStatus 1333-1342, membersList /
membersStatus / membersCustomProperty 1348-1401, joinability 1404-1412, customProperty
1414), with the names of multiplayer_session_member.cpp:542-573 and the member status of
multiplayer_session_member.cpp:475-490 (active, else ready, else reserved, else inactive).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sessionclient as sc

from .conftest import REF

TARGET = {"scid": "s", "templateName": "game", "name": "g1"}


def member(xuid: str, **system: Any) -> dict[str, Any]:
    return {"constants": {"system": {"xuid": xuid}},
            "properties": {"system": system, "custom": {}}}  # fmt: skip


BASE: dict[str, Any] = {
    "constants": {"system": {"maxMembersCount": 3}},
    "properties": {"system": {"joinRestriction": "none", "host": "dev-1"}, "custom": {"a": 1}},
    "members": {"0": member("1", active=True), "1": member("2")},
    "servers": {"matchmaking": {"properties": {"system": {"status": "searching"}}}},
    "initializing": {"stage": "joining"},
}


def session(document: dict[str, Any]) -> sc.Session:
    return sc.Session(REF, sc.ETag('"e"'), document)


def changed(edit: Any) -> frozenset[str]:
    after = copy.deepcopy(BASE)
    edit(after)
    return session(after).changes_since(session(BASE))


def _set(path: tuple[str, ...], value: Any) -> Any:
    def edit(document: dict[str, Any]) -> None:
        *parents, last = path
        for key in parents:
            document = document.setdefault(key, {})
        if value is _DELETE:
            del document[last]
        else:
            document[last] = value

    return edit


_DELETE = object()
_PS = ("properties", "system")
_MM = ("servers", "matchmaking", "properties", "system")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_set((*_PS, "host"), "dev-2"), {"host"}),
        (_set((*_PS, "host"), "DEV-1"), set()),  # XSAPI compares device tokens case-blind
        (_set(("initializing", "stage"), "measuring"), {"initialization"}),
        (_set(("initializing",), _DELETE), {"initialization"}),
        (_set((*_MM, "status"), "found"), {"matchmakingStatus"}),
        (_set((*_MM, "targetSessionRef"), TARGET), {"matchmakingStatus"}),
        (_set(("servers", "matchmaking"), _DELETE), {"matchmakingStatus"}),
        (_set(("members", "2"), member("3")), {"membersList", "joinability"}),  # now full
        (_set(("members", "1"), member("3")), {"membersList"}),
        (_set(("members", "1", "properties", "system", "ready"), True), {"membersStatus"}),
        (_set(("members", "1", "reserved"), True), {"membersStatus"}),
        (_set(("members", "0", "properties", "custom", "k"), 1), {"membersCustomProperty"}),
        (_set((*_PS, "closed"), True), {"joinability"}),
        (_set((*_PS, "locked"), True), {"joinability"}),
        (_set((*_PS, "joinRestriction"), "followed"), {"joinability"}),
        (_set(("constants", "system", "maxMembersCount"), 2), {"joinability"}),
        (_set(("properties", "custom", "a"), 2), {"customProperty"}),
        (_set(("properties", "custom", "a"), 1.5), {"customProperty"}),
        (_set(("properties", "custom"), _DELETE), {"customProperty"}),
        (_set(("properties", "custom", "a"), 1), set()),
        (_set(("changeNumber",), 9), set()),  # not a change type of its own
    ],
)
def test_each_change_type(edit: Any, expected: set[str]) -> None:
    assert changed(edit) == expected


def test_nothing_changed_and_the_reverse_is_symmetric() -> None:
    assert session(BASE).changes_since(session(copy.deepcopy(BASE))) == frozenset()
    after = copy.deepcopy(BASE)
    after["members"]["2"] = member("3", active=True)
    after["properties"]["custom"] = {}
    forward = session(after).changes_since(session(BASE))
    assert forward == session(BASE).changes_since(session(after))
    assert forward == {"membersList", "joinability", "customProperty"}


def test_previous_must_be_the_same_session() -> None:
    with pytest.raises(TypeError):
        session(BASE).changes_since(BASE)  # type: ignore[arg-type]
    other = sc.Session(sc.SessionRef(REF.scid, REF.template, "other"), None, BASE)
    with pytest.raises(ValueError, match="another session"):
        session(BASE).changes_since(other)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                     lambda inner: st.lists(inner, max_size=2)
                     | st.dictionaries(st.text(max_size=3), inner, max_size=2),
                     max_leaves=6)  # fmt: skip


@given(st.dictionaries(st.sampled_from(["members", "properties", "constants", "servers",
                                        "initializing"]), _json), _json)  # fmt: skip
def test_any_document_gives_a_set_of_names_never_an_exception(
    document: dict[str, Any], noise: Any
) -> None:
    """Tolerant of whatever the documents hold: only names of MPSD change types."""
    names = session(document).changes_since(session({"members": noise}))
    assert names <= {"host", "initialization", "matchmakingStatus", "membersList",
                     "membersStatus", "membersCustomProperty", "joinability",
                     "customProperty"}  # fmt: skip
