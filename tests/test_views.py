"""The typed views, property-tested against generated documents: every field may be
absent, well typed, of any other JSON type, or sit under a parent of the wrong type,
among unknown fields. An independent oracle says what each read must give: the value,
None (or an empty collection) when absent, or MalformedResponseError — nothing else."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sessionclient as sc
from sessionclient._views import SessionDocument, parse_time

from .conftest import REF, SCID, Both

Malformed = sc.MalformedResponseError
ABSENT = object()

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6,
)  # fmt: skip
TIMES = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc)
)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


GOOD: dict[str, st.SearchStrategy[Any]] = {
    "str": st.text(max_size=8),
    "int": st.integers(-(2**40), 2**40) | st.integers(0, 100).map(float),
    "bool": st.booleans(),
    "time": TIMES.map(_iso),
    "object": st.dictionaries(st.text(max_size=5), JSON, max_size=3),
    "strings": st.lists(st.text(max_size=5), max_size=3),
    "ints": st.lists(st.integers(-5, 50), max_size=3),
    "bool_map": st.dictionaries(st.text(max_size=5), st.booleans(), max_size=3),
    "str_map": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    "number_map": st.dictionaries(
        st.text(max_size=5), st.integers(-99, 99) | st.floats(-1e6, 1e6), max_size=3
    ),
}


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _expected(kind: str, value: Any) -> Any:
    """The oracle for one leaf: the read value, or ``Malformed``."""
    if value is None:
        return {"strings": (), "ints": ()}.get(
            kind, {} if kind.endswith(("map", "object")) else None
        )
    if kind == "str":
        return value if isinstance(value, str) else Malformed
    if kind == "int":
        if isinstance(value, float) and value.is_integer() and math.isfinite(value):
            return int(value)
        return value if _is_int(value) else Malformed
    if kind == "bool":
        return value if isinstance(value, bool) else Malformed
    if kind == "time":
        if not isinstance(value, str):
            return Malformed
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return Malformed
    if kind == "strings":
        ok = isinstance(value, list) and all(isinstance(i, str) for i in value)
        return tuple(value) if ok else Malformed
    if kind == "ints":
        ok = isinstance(value, list) and all(_is_int(i) for i in value)
        return tuple(value) if ok else Malformed
    if not isinstance(value, dict):
        return Malformed
    item_ok: Callable[[object], bool] = {
        "object": lambda v: True,
        "bool_map": lambda v: isinstance(v, bool),
        "str_map": lambda v: isinstance(v, str),
        "number_map": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    }[kind]
    return value if all(item_ok(v) for v in value.values()) else Malformed


def oracle(document: Mapping[str, Any], path: tuple[str, ...], kind: str) -> Any:
    node: Any = document
    for key in path[:-1]:
        if node is None:
            return _expected(kind, None)
        if not isinstance(node, dict):
            return Malformed
        node = node.get(key)
    if node is not None and not isinstance(node, dict):
        return Malformed
    return _expected(kind, None if node is None else node.get(path[-1]))


Spec = tuple[tuple[str, ...], str, Callable[[Any], Any]]

SESSION: list[Spec] = [
    (("changeNumber",), "int", lambda s: s.change_number),
    *[(("membersInfo", k), "int", lambda s, k=k: getattr(s.members_info, k))
      for k in ("first", "next", "count", "accepted", "active")],
    (("constants", "system", "maxMembersCount"), "int", lambda s: s.constants.max_members_count),
    (("constants", "system", "visibility"), "str", lambda s: s.constants.visibility),
    (("constants", "system", "capabilities"), "bool_map", lambda s: s.constants.capabilities),
    (("constants", "custom"), "object", lambda s: s.constants.custom),
    (("properties", "system", "joinRestriction"), "str",
     lambda s: s.system_properties.join_restriction),
    (("properties", "system", "readRestriction"), "str",
     lambda s: s.system_properties.read_restriction),
    (("properties", "system", "host"), "str", lambda s: s.system_properties.host),
    (("properties", "system", "keywords"), "strings", lambda s: s.system_properties.keywords),
    (("properties", "system", "closed"), "bool", lambda s: s.system_properties.closed),
    (("properties", "system", "locked"), "bool", lambda s: s.system_properties.locked),
    (("properties", "system", "turn"), "ints", lambda s: s.system_properties.turn),
    (("properties", "system", "matchmaking"), "object", lambda s: s.system_properties.matchmaking),
]  # fmt: skip

MEMBER: list[Spec] = [
    (("constants", "system", "xuid"), "str", lambda m: m.xuid),
    (("gamertag",), "str", lambda m: m.gamertag),
    (("activeTitleId",), "str", lambda m: m.active_title_id),
    (("properties", "system", "active"), "bool", lambda m: m.active),
    (("properties", "system", "ready"), "bool", lambda m: m.ready),
    (("joinTime",), "time", lambda m: m.join_time),
    (("roles",), "str_map", lambda m: m.roles),
    (("properties", "custom"), "object", lambda m: m.custom_properties),
    (("constants", "custom"), "object", lambda m: m.custom_constants),
]

SUMMARY: list[Spec] = [
    (("xuid",), "str", lambda s: s.xuid),
    (("startTime",), "time", lambda s: s.start_time),
    (("accepted",), "int", lambda s: s.accepted),
    (("status",), "str", lambda s: s.status),
    (("visibility",), "str", lambda s: s.visibility),
    (("joinRestriction",), "str", lambda s: s.join_restriction),
    (("myTurn",), "bool", lambda s: s.my_turn),
    (("keywords",), "strings", lambda s: s.keywords),
]

HANDLE: list[Spec] = [
    (("type",), "str", lambda h: h.type),
    (("version",), "int", lambda h: h.version),
    (("ownerXuid",), "str", lambda h: h.owner_xuid),
    (("titleId",), "str", lambda h: h.title_id),
    (("createTime",), "time", lambda h: h.create_time),
    (("gameTypes",), "strings", lambda h: h.game_types),
    (("inviteProtocol",), "str", lambda h: h.invite_protocol),
    (("invitedXuid",), "str", lambda h: h.invited_xuid),
    (("inviteAttributes",), "object", lambda h: h.invite_attributes),
    (("searchAttributes", "tags"), "strings", lambda h: h.tags),
    (("searchAttributes", "numbers"), "number_map", lambda h: h.numbers),
    (("searchAttributes", "strings"), "str_map", lambda h: h.strings),
    (("relatedInfo", "visibility"), "str", lambda h: h.related_info.visibility),
    (("relatedInfo", "joinRestriction"), "str", lambda h: h.related_info.join_restriction),
    (("relatedInfo", "closed"), "bool", lambda h: h.related_info.closed),
    (("relatedInfo", "maxMembersCount"), "int", lambda h: h.related_info.max_members_count),
    (("relatedInfo", "membersCount"), "int", lambda h: h.related_info.members_count),
    (("roleInfo",), "object", lambda h: h.role_info),
    (("customProperties",), "object", lambda h: h.custom_properties),
]


@st.composite
def documents(draw: st.DrawFn, specs: list[Spec]) -> dict[str, Any]:
    """A document where each field of ``specs`` is absent, well typed or any JSON,
    parents are sometimes of the wrong type, and unknown fields are sprinkled in."""
    document: dict[str, Any] = draw(st.dictionaries(st.just("x-unknown"), JSON, max_size=1))
    for path, kind, _ in specs:
        choice = draw(st.sampled_from(["absent", "good", "good", "any", "null"]))
        if choice == "absent":
            continue
        value = {"good": GOOD[kind], "any": JSON, "null": st.none()}[choice]
        node = document
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                if key in node:
                    break  # a parent of the wrong type already: this leaf is under it
                node[key] = draw(st.dictionaries(st.just("x-extra"), JSON, max_size=1))
            node = node[key]
        else:
            node[path[-1]] = draw(value)
    for path, _, _ in specs:  # now and then, a parent of the wrong type
        if len(path) > 1 and draw(st.integers(0, 30)) == 0:
            document[path[0]] = draw(JSON.filter(lambda v: not isinstance(v, dict)))
    return document


def check(view: Any, document: dict[str, Any], specs: list[Spec]) -> None:
    for path, kind, read in specs:
        want = oracle(document, path, kind)
        if want is Malformed:
            with pytest.raises(Malformed) as caught:
                read(view)
            assert ".".join(path[:1]) in caught.value.message
            assert str(caught.value)
        else:
            got = read(view)
            assert (dict(got) if isinstance(got, Mapping) else got) == want, path


def _session_fields(document: dict[str, Any]) -> None:
    check(sc.Session(REF, None, document), document, SESSION)


def _member_fields(member: dict[str, Any]) -> None:
    session = sc.Session(REF, None, {"members": {"3": member}})
    (view,) = session.members
    assert view.index == 3
    check(view, member, MEMBER)


def _summary_fields(result: dict[str, Any]) -> None:
    check(sc.SessionSummary(result), result, SUMMARY)


def _handle_fields(handle: dict[str, Any]) -> None:
    for cls in (sc.Handle, sc.Activity, sc.SearchResult):
        check(cls(handle), handle, HANDLE)


# Every view against random documents: a few dozen in the default run (each document
# costs hypothesis about 50 ms to draw), 300 each in the slow pass, which CI runs too.
_FIELDS = [
    ("session", _session_fields, SESSION),
    ("member", _member_fields, MEMBER),
    ("summary", _summary_fields, SUMMARY),
    ("handle", _handle_fields, HANDLE),
]
for _name, _test, _spec in _FIELDS:
    for _suffix, _examples, _marks in (("", 30, ()), ("_at_length", 300, (pytest.mark.slow,))):
        _run = settings(max_examples=_examples, deadline=None)(given(documents(_spec))(_test))
        for _mark in _marks:
            _run = _mark(_run)
        globals()[f"test_{_name}_fields{_suffix}"] = _run


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.integers(0, 10**6).map(str), st.just({}), max_size=6), JSON)
def test_members_in_index_order_and_a_bad_member_is_malformed(
    members: dict[str, Any], stray: Any
) -> None:
    session = sc.Session(REF, None, {"members": members})
    assert [m.index for m in session.members] == sorted(int(k) for k in members)
    broken = sc.Session(REF, None, {"members": {**members, "7": stray}})
    if isinstance(stray, dict):
        assert 7 in [m.index for m in broken.members]
    else:
        with pytest.raises(Malformed, match=r"members\.7"):
            _ = broken.members


@given(st.sampled_from([None, 5, "x", [], {"0": {}, "me": {}}, {"a": {"constants": 1}}]))
def test_members_that_are_not_a_map_of_indexes(members: Any) -> None:
    session = sc.Session(REF, None, {"members": members})
    if members is None:
        assert session.members == ()
    else:
        with pytest.raises(Malformed):
            _ = session.members


def test_member_lookup_by_xuid() -> None:
    session = sc.Session(REF, None, {"members": {
        "2": {"constants": {"system": {"xuid": "22"}}},
        "0": {"constants": {"system": {"xuid": "11"}}, "gamertag": "eleven"},
    }})  # fmt: skip
    member = session.member("11")
    assert member is not None
    assert (member.index, member.gamertag) == (0, "eleven")
    assert session.member("33") is None
    with pytest.raises(TypeError):
        session.member(11)  # type: ignore[arg-type]
    assert repr(member) == "Member(index=0, xuid='11', gamertag='eleven')"


def test_views_are_read_only_and_compare_by_document() -> None:
    session = sc.Session(REF, None, {"constants": {"custom": {"a": 1}}})
    constants = session.constants
    with pytest.raises(AttributeError):
        constants.document = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        constants.custom["a"] = 2  # type: ignore[index]
    assert constants == sc.Session(REF, None, {"constants": {"custom": {"a": 1}}}).constants
    assert session.members_info == sc.MembersInfo({})


def test_a_wrong_document_costs_nothing_until_read(make_client: Any) -> None:
    """The view is not built with the Session: a GET whose document has a wrongly
    typed system field succeeds, and only the read of that field fails."""
    body = {"members": "everyone", "constants": {"system": {"maxMembersCount": "8"}},
            "properties": {"custom": {"map": "harbor"}}}  # fmt: skip
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, json=body, headers={"ETag": '"1"'})
    )
    client: Both = make_client(transport)
    session = client.get(REF)
    assert session.custom_properties == {"map": "harbor"}
    with pytest.raises(Malformed, match="members is a string, expected an object") as caught:
        _ = session.members
    assert REF.path in str(caught.value)
    with pytest.raises(Malformed, match=r"constants\.system\.maxMembersCount is a string"):
        _ = session.constants.max_members_count
    assert session.constants.visibility is None


def test_refs_of_results_are_required_and_checked() -> None:
    good = {"sessionRef": {"scid": SCID, "templateName": "lobby", "name": "game-1"}, "id": "h"}
    assert sc.SessionSummary(good).ref == REF
    assert sc.Handle(good).ref == REF
    assert sc.Handle(good).id == "h"
    for bad in ({}, {"sessionRef": 3}, {"sessionRef": {"scid": "x", "templateName": "l",
                                                        "name": "n"}},
                {"sessionRef": {"scid": SCID, "templateName": "lobby"}}):  # fmt: skip
        with pytest.raises(Malformed, match="sessionRef"):
            _ = sc.SessionSummary(bad).ref
    with pytest.raises(Malformed, match="id is missing"):
        _ = sc.Handle({}).id


@given(TIMES, st.integers(0, 7), st.sampled_from(["Z", "+00:00", "+05:30", "-08:00", ""]))
def test_parse_time_reads_mpsd_timestamps(moment: datetime, digits: int, zone: str) -> None:
    fraction = f"{moment.microsecond:06d}{'0' * 6}"[:digits]
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + zone
    parsed = parse_time(text)
    assert parsed is not None
    offset = {"Z": 0, "+00:00": 0, "": 0, "+05:30": 330, "-08:00": -480}[zone]
    want = moment.replace(microsecond=int((fraction or "0").ljust(6, "0")[:6]))
    assert parsed == want - timedelta(minutes=offset)


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-01T00:00:00Z", "2024-01-01",
                                  "2024-01-01T00:00:00+24:00"])  # fmt: skip
def test_parse_time_refuses_what_is_not_a_time(text: str) -> None:
    assert parse_time(text) is None


def test_seven_fraction_digits_as_mpsd_writes_them() -> None:
    document = SessionDocument({"startTime": "2015-05-21T17:41:59.9353838Z"})
    assert document.start_time == datetime(2015, 5, 21, 17, 41, 59, 935383, timezone.utc)
