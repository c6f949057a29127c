"""``Session.changes_since``: MPSD's change types computed from two documents.

Microsoft's SDK names the types in ``Source/Services/Multiplayer/multiplayer_session_member.cpp``
lines 533-576 (``GetVectorViewForChangeTypes``: ``everything``, ``host``,
``initialization``, ``matchmakingStatus``, ``membersList``, ``membersStatus``,
``joinability``, ``customProperty``, ``membersCustomProperty``) and compares two sessions in
``Source/Services/Multiplayer/multiplayer_session.cpp`` lines 1315-1420
(``CompareMultiplayerSessions``); the flag values are in ``Include/xsapi-c/multiplayer_c.h``
lines 670-733.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sessionclient as sc
from sessionclient._models import CHANGE_TYPES

REF = sc.SessionRef("00000000-0000-0000-0000-000000000001", "lobby", "game-1")


def member(xuid: str, **system: Any) -> dict[str, Any]:
    return {
        "constants": {"system": {"xuid": xuid}},
        "properties": {"system": {"active": True, **system}, "custom": {}},
    }


BASE: dict[str, Any] = {
    "constants": {"system": {"maxMembersCount": 3}},
    "properties": {"system": {"host": "device-a", "joinRestriction": "none"}, "custom": {}},
    "members": {"0": member("1"), "1": member("2")},
    "changeNumber": 2,
}


def session(document: dict[str, Any]) -> sc.Session:
    return sc.Session(REF, sc.ETag('"x"'), document)


def edit(change: Callable[[dict[str, Any]], None]) -> sc.Session:
    document = copy.deepcopy(BASE)
    change(document)
    return session(document)


def set_host(d: dict[str, Any]) -> None:
    d["properties"]["system"]["host"] = "device-b"


def start_initialization(d: dict[str, Any]) -> None:
    d["initializing"] = {"stage": "joining"}


def matchmaking(d: dict[str, Any]) -> None:
    d["servers"] = {"matchmaking": {"properties": {"system": {"status": "searching"}}}}


def add_member(d: dict[str, Any]) -> None:
    d["members"]["2"] = member("3")


def member_inactive(d: dict[str, Any]) -> None:
    d["members"]["1"]["properties"]["system"]["active"] = False


def member_custom(d: dict[str, Any]) -> None:
    d["members"]["0"]["properties"]["custom"]["ready"] = True


def close(d: dict[str, Any]) -> None:
    d["properties"]["system"]["closed"] = True


def session_custom(d: dict[str, Any]) -> None:
    d["properties"]["custom"]["map"] = "harbor"


def swap_member(d: dict[str, Any]) -> None:
    d["members"]["1"] = member("9")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (set_host, {"host"}),
        (start_initialization, {"initialization"}),
        (matchmaking, {"matchmakingStatus"}),
        # A third member fills the session (maxMembersCount 3): joinability too, as
        # XSAPI compares "full" before and after (multiplayer_session.cpp:1407).
        (add_member, {"membersList", "joinability"}),
        (swap_member, {"membersList"}),
        (member_inactive, {"membersStatus"}),
        (member_custom, {"membersCustomProperty"}),
        (close, {"joinability"}),
        (session_custom, {"customProperty"}),
    ],
)
def test_each_change_has_its_type(
    change: Callable[[dict[str, Any]], None], expected: set[str]
) -> None:
    """Each edit is reported as the type CompareMultiplayerSessions gives it
    (multiplayer_session.cpp:1323-1417), and as nothing else."""
    before = session(copy.deepcopy(BASE))
    after = edit(change)
    assert after.changes_since(before) == expected
    assert expected <= CHANGE_TYPES


def test_first_session_is_everything_and_same_is_nothing() -> None:
    """No previous session: ``everything`` (the flag that covers every change,
    multiplayer_c.h:680); a session against an equal one: nothing."""
    now = session(copy.deepcopy(BASE))
    assert now.changes_since(None) == {"everything"}
    assert now.changes_since(session(copy.deepcopy(BASE))) == frozenset()


def test_change_number_alone_is_no_change() -> None:
    """Bookkeeping fields (changeNumber) are not a change type of their own."""
    other = edit(lambda d: d.update(changeNumber=9))
    assert other.changes_since(session(copy.deepcopy(BASE))) == frozenset()


def test_previous_must_be_a_session() -> None:
    with pytest.raises(TypeError, match="Session"):
        session(BASE).changes_since(BASE)  # type: ignore[arg-type]


EDITS = [set_host, start_initialization, matchmaking, add_member, member_inactive,
         member_custom, close, session_custom]  # fmt: skip


@given(st.sets(st.sampled_from(range(len(EDITS)))))
def test_edits_combine(chosen: set[int]) -> None:
    """Several edits at once report the union of their types, in either direction."""
    document = copy.deepcopy(BASE)
    expected: set[str] = set()
    for index in sorted(chosen):
        EDITS[index](document)
        expected |= edit(EDITS[index]).changes_since(session(copy.deepcopy(BASE)))
    before, after = session(copy.deepcopy(BASE)), session(document)
    assert after.changes_since(before) == expected
    assert before.changes_since(after) == expected


def test_a_malformed_member_compares_as_a_value() -> None:
    """A wrongly typed member never raises (the comparison reads values, as XSAPI's
    does): it is simply not the member it was, so the list changed."""
    broken = edit(lambda d: d["members"].update({"0": "nope"}))
    assert "membersList" in broken.changes_since(session(copy.deepcopy(BASE)))
