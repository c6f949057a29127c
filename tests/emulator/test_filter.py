"""Issue 23 item 6: the emulator's search filter is MPSD's documented OData subset.

The reference: /work/.mirror/MicrosoftDocs+xbox-live-docs/repo, file
xbox-live-docs-pr/features/multiplayer/concepts/live-session-browse.md, lines 241-307
("Create a search query for sessions": operators 247-256, tolower and lambdas 258-261,
one root "or" 266-267, the examples 277-307, the first 100 results 263).
"""

from __future__ import annotations

import json
import operator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionclient.emulator._directory import Directory, EmulatedRequest, Throttle
from sessionclient.emulator._filter import parse_filter, parse_order

SCID = "00000000-0000-0000-0000-000000000001"
RECORD = {
    "tags": ["CoolPeopleOnly", "casual"],
    "strings/forzacarclass": "ClassB", "strings/mode": "it's",
    "numbers/forzaskill": 6, "numbers/halokdratio": 7.5, "numbers/rank": 0,
    "achievementIds": ["123456"], "language": "en",
    "session/memberXuids": ["1234566"], "session/ownerXuids": ["1234566"],
    "session/keywords": ["Level2"], "session/scid": "151512315",
    "session/templateName": "mytemplate1", "session/registrationState": "registered",
    "session/scheduledTime": "2009-06-15T13:45:30.0900000Z",
    "session/postedTime": "2009-06-15T13:45:30.0800000Z",
    "session/membersCount": 5, "session/targetMembersCount": 6,
    "session/maxMembersCount": 2, "session/targetMembersCountRemaining": 1,
    "session/maxMembersCountRemaining": 3, "session/needs": 1,
    "session/roles/lfg/confirmed/count": 5, "session/roles/lfg/confirmed/target": 6,
    "session/roles/lfg/confirmed/needs": 1,
}  # fmt: skip

# Every filter of the reference's table (lines 279-307), and whether RECORD matches it.
DOCUMENTED = [
    ("session/memberXuids/any(d:d eq '1234566')", True),
    ("session/ownerXuids/any(d:d eq '1234566')", True),
    ("tolower(strings/forzacarclass) eq 'classb'", True),
    ("numbers/forzaskill eq 6", True),
    ("numbers/halokdratio gt 1.5", True),
    ("tags/any(d:tolower(d) eq 'coolpeopleonly')", True),
    ("tags/any(d:tolower(d) ne 'cursingallowed')", True),
    ("numbers/rank ne 0", False),
    ("tolower(strings/forzacarclass) ne 'classa'", True),
    ("tags/any(d:tolower(d) eq 'coolpeopleonly') eq true and numbers/halokdratio eq 7.5", True),
    ("numbers/halokdratio ge 1.5 and numbers/rank lt 60 and numbers/customnumbervalue le 5",
     False),
    ("achievementIds/any(d:d eq '123456')", True),
    ("language eq 'en'", True),
    ("session/scheduledTime le '2009-06-15T13:45:30.0900000Z'", True),
    ("session/postedTime lt '2009-06-15T13:45:30.0900000Z'", True),
    ("session/registrationState eq 'registered'", True),
    ("session/membersCount eq 5", True),
    ("session/targetMembersCount gt 1", True),
    ("session/maxMembersCount lt 3", True),
    ("session/targetMembersCountRemaining le 5", True),
    ("session/maxMembersCountRemaining gt 2", True),
    ("session/needs le 15", True),
    ("session/roles/lfg/confirmed/count eq 5", True),
    ("session/roles/lfg/confirmed/target gt 1", True),
    ("session/roles/lfg/confirmed/needs le 15", True),
    ("session/keywords/any(d:tolower(d) eq 'level2')", True),
    ("session/scid eq '151512315'", True),
    ("session/templateName eq 'mytemplate1'", True),
    # Line 307 writes number/ and string/ (singular): accepted as the plural.
    ("tags/any(a:tolower(a) eq 'elite') or number/guns gt 15 and string/clan eq 'purple'", False),
]  # fmt: skip


@pytest.mark.parametrize(("text", "matches"), DOCUMENTED)
def test_every_documented_filter(text: str, matches: bool) -> None:
    assert parse_filter(text)(RECORD) is matches


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("strings/forzacarclass eq 'classb'", False),  # exact unless tolower
        ("strings/forzacarclass eq 'ClassB'", True),
        ("strings/mode eq 'it''s'", True),
        ("numbers/missing ne 0", True),  # null differs from everything
        ("numbers/missing le 0", False),  # and orders with nothing
        ("tags/any(d:d eq 'casual') eq false", False),
        ("tags/any(d:d eq 'ranked') ne true", True),
        ("(numbers/rank eq 1 or numbers/rank eq 0)", True),
        ("(numbers/rank eq 1) and (numbers/forzaskill eq 6 and language eq 'en')", False),
        ("numbers/rank eq 0 or numbers/forzaskill eq 7 and language eq 'fr'", True),
    ],
)
def test_semantics(text: str, matches: bool) -> None:
    assert parse_filter(text)(RECORD) is matches


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("", 0, "empty"),
        ("Strings/map eq 'x'", 0, "unknown field"),  # names are case-sensitive
        ("Tags/casual eq true", 0, "unknown field"),  # the old Tags/<name> is not MPSD's
        ("strings/map EQ 'x'", 12, "expected eq"),
        ("strings/map eq", 14, "ends"),
        ("strings/map eq 3", 15, "string literal"),
        ("numbers/skill eq 'x'", 17, "number literal"),
        ("tags eq 'x'", 0, "any"),
        ("tolower(numbers/skill) eq 1", 8, "string field"),
        ("tags/any(d:e eq 'x')", 11, "lambda variable"),
        ("numbers/a eq 1 or numbers/b eq 2 or numbers/c eq 3", 33, "one 'or'"),
        ("(numbers/a eq 1 or numbers/b eq 2) and language eq 'en'", 16, "root"),
        ("numbers/a eq 1 numbers/b eq 2", 15, "after a complete filter"),
        ("numbers/a eq 1 #", 15, "unexpected"),
        ("(numbers/a eq 1", 15, "ends"),
        ("tags/any(d:tolower(d) eq 'x') gt true", 30, "eq or ne"),
    ],
)
def test_syntax_errors_name_their_position(text: str, position: int, words: str) -> None:
    with pytest.raises(ValueError, match=f"position {position}:") as caught:
        parse_filter(text)
    assert words in str(caught.value)


def test_order_by() -> None:
    assert parse_order("numbers/skill desc, strings/map") == [
        ("numbers/skill", True), ("strings/map", False)
    ]  # fmt: skip
    assert parse_order("session/membersCount") == [("session/membersCount", False)]
    for text in ("", "numbers/skill up", "numbers/skill desc now", "tags", "Numbers/skill"):
        with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
            parse_order(text)


# --- the property: the parser agrees with a brute-force evaluator -------------------

_OPS = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt,
        "ge": operator.ge, "lt": operator.lt, "le": operator.le}  # fmt: skip
_WORDS = ["harbor", "Harbor", "it's", "x", ""]
_STRING_PATHS = ["strings/map", "strings/mode", "session/templateName"]
_NUMBER_PATHS = ["numbers/skill", "numbers/level", "session/membersCount"]

records = st.fixed_dictionaries(
    {},
    optional={
        "tags": st.lists(st.sampled_from(_WORDS), max_size=3),
        **{p: st.sampled_from(_WORDS) for p in _STRING_PATHS},
        **{p: st.integers(-2, 2) | st.sampled_from([0.5, -1.5]) for p in _NUMBER_PATHS},
    },
)
ops = st.sampled_from(sorted(_OPS))
string_cmp = st.tuples(st.just("cmp"), st.sampled_from(_STRING_PATHS), st.booleans(), ops,
                       st.sampled_from(_WORDS))  # fmt: skip
number_cmp = st.tuples(st.just("cmp"), st.sampled_from(_NUMBER_PATHS), st.just(False), ops,
                       st.integers(-2, 2) | st.sampled_from([0.5, -1.5]))  # fmt: skip
outer = st.none() | st.tuples(st.sampled_from(["eq", "ne"]), st.booleans())
any_tag = st.tuples(st.just("any"), st.just("tags"), st.booleans(), ops, st.sampled_from(_WORDS),
                    outer)  # fmt: skip
atoms = string_cmp | number_cmp | any_tag
conjunctions = st.recursive(
    atoms, lambda inner: st.lists(inner, min_size=2, max_size=3).map(lambda xs: ("and", xs)),
    max_leaves=6,
)  # fmt: skip
filters = conjunctions | st.tuples(st.just("or"), conjunctions, conjunctions)


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def render(node: Any) -> str:
    kind = node[0]
    if kind == "cmp":
        _, path, lower, op, literal = node
        return f"{f'tolower({path})' if lower else path} {op} {_literal(literal)}"
    if kind == "any":
        _, path, lower, op, literal, outer = node
        text = f"{path}/any(d:{'tolower(d)' if lower else 'd'} {op} {_literal(literal)})"
        return text if outer is None else f"{text} {outer[0]} {str(outer[1]).lower()}"
    if kind == "and":
        return " and ".join(f"({render(n)})" if n[0] == "and" else render(n) for n in node[1])
    return f"{render(node[1])} or {render(node[2])}"


def evaluate(node: Any, record: dict[str, Any]) -> bool:
    """The brute-force meaning: OData's, written out case by case."""
    kind = node[0]
    if kind == "cmp":
        _, path, lower, op, literal = node
        value = record.get(path)
        if value is None:
            return op == "ne"
        return bool(_OPS[op](value.lower() if lower else value, literal))
    if kind == "any":
        _, path, lower, op, literal, outer = node
        found = any(_OPS[op](t.lower() if lower else t, literal) for t in record.get(path, []))
        return found if outer is None else (found == outer[1]) == (outer[0] == "eq")
    if kind == "and":
        return all(evaluate(n, record) for n in node[1])
    return evaluate(node[1], record) or evaluate(node[2], record)


@pytest.mark.slow  # 300 random filters: a long property run
@settings(max_examples=300, deadline=None)
@given(filters, st.lists(records, min_size=1, max_size=5))
def test_the_parser_agrees_with_brute_force(node: Any, sample: list[dict[str, Any]]) -> None:
    predicate = parse_filter(render(node))
    assert [predicate(r) for r in sample] == [evaluate(node, r) for r in sample]


@given(st.text(max_size=40))
def test_any_filter_text_parses_or_raises_value_error(text: str) -> None:
    try:
        predicate = parse_filter(text)
    except ValueError as error:
        assert "position" in str(error)
        return
    assert predicate(RECORD) in (True, False)


# --- through the emulator -------------------------------------------------------------


def _send(directory: Directory, method: str, path: str, body: Any, user: str) -> Any:
    headers = {"authorization": f"XBL3.0 x={user};token", "x-xbl-contract-version": "107"}
    request = EmulatedRequest(method, path, headers, json.dumps(body).encode())
    return directory.handle(request)


def test_the_emulator_searches_with_the_documented_grammar() -> None:
    """A search as XSAPI sends it (``global`` included) with documented filters, over
    sessions whose fields the filters read."""
    directory = Directory(clock=lambda: 1000.0, wallclock=lambda: 1_700_000_000.0,
                          throttle=Throttle(enabled=False))  # fmt: skip
    scid = next(iter(directory._configs))
    names = {"a": (["CoolPeopleOnly"], 7.5, "ClassB"), "b": (["casual"], 1.0, "classa")}
    for name, (tags, ratio, car) in names.items():
        path = f"/serviceconfigs/{scid}/sessiontemplates/lobby/sessions/{name}"
        assert _send(directory, "PUT", path, {"members": {"me": {}}}, "host").status == 201
        handle = {"type": "search", "version": 1,
                  "sessionRef": {"scid": scid, "templateName": "lobby", "name": name},
                  "searchAttributes": {"tags": tags, "numbers": {"halokdratio": ratio},
                                       "strings": {"forzacarclass": car}}}  # fmt: skip
        assert _send(directory, "POST", "/handles", handle, "host").status == 201

    def search(text: str, order: str | None = None) -> list[str]:
        body = {"type": "search", "scid": scid, "templateName": "lobby", "global": True,
                "filter": text, **({"orderBy": order} if order else {})}  # fmt: skip
        answer = _send(directory, "POST", "/handles/query", body, "guest")
        assert answer.status == 200, answer.body
        return [r["sessionRef"]["name"] for r in json.loads(answer.body)["results"]]

    assert search("tags/any(d:tolower(d) eq 'coolpeopleonly')") == ["a"]
    assert search("tolower(strings/forzacarclass) ne 'classb'") == ["b"]
    assert search("session/membersCount eq 1 and session/memberXuids/any(d:d eq 'host')",
                  "numbers/halokdratio desc") == ["a", "b"]  # fmt: skip
    assert search("session/membersCount eq 1", "numbers/halokdratio asc") == ["b", "a"]
    answer = _send(directory, "POST", "/handles/query",
                   {"type": "search", "scid": scid, "templateName": "lobby",
                    "filter": "Tags/casual eq true"}, "guest")  # fmt: skip
    assert answer.status == 400
    assert b"position 0" in answer.body


def test_the_emulator_takes_xsapis_query_options() -> None:
    """XSAPI's visibility names and ``version=`` (multiplayer_service.cpp:274-288,
    multiplayer_serializers.cpp:232-248) are accepted; a version that is no positive
    integer is a 400."""
    directory = Directory(clock=lambda: 1000.0, wallclock=lambda: 1_700_000_000.0,
                          throttle=Throttle(enabled=False))  # fmt: skip
    scid = next(iter(directory._configs))
    path = f"/serviceconfigs/{scid}/sessiontemplates/lobby/sessions/a"
    assert _send(directory, "PUT", path, {"members": {"me": {}}}, "host").status == 201

    def query(options: str) -> int:
        headers = {"authorization": "XBL3.0 x=host;token", "x-xbl-contract-version": "107"}
        request = EmulatedRequest("GET", f"/serviceconfigs/{scid}/sessions", headers,
                                  query=f"xuid=host&{options}")  # fmt: skip
        return directory.handle(request).status

    for options in ("visibility=visible", "visibility=full", "visibility=open&version=1",
                    "visibility=private&private=true"):  # fmt: skip
        assert query(options) == 200, options
    for options in ("visibility=any", "version=0", "version=x"):
        assert query(options) == 400, options


_ATTRIBUTE_NAMES = ["map", "mode"]
handles = st.lists(
    st.fixed_dictionaries({
        "tags": st.lists(st.sampled_from(["harbor", "Harbor", "x"]), max_size=2, unique=True),
        "strings": st.dictionaries(st.sampled_from(_ATTRIBUTE_NAMES),
                                   st.sampled_from(["harbor", "Harbor", "x"]), max_size=2),
        "numbers": st.dictionaries(st.sampled_from(["skill", "level"]),
                                   st.integers(-2, 2) | st.sampled_from([0.5, -1.5]), max_size=2),
    }),
    min_size=1, max_size=4,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(handles, filters)
def test_the_emulators_search_agrees_with_brute_force(
    attributes: list[dict[str, Any]], node: Any
) -> None:
    """Random sessions with random search handles, searched through the emulator with a
    random filter: the sessions found are those the brute-force evaluator picks."""
    directory = Directory(clock=lambda: 1000.0, wallclock=lambda: 1_700_000_000.0,
                          throttle=Throttle(enabled=False))  # fmt: skip
    scid = next(iter(directory._configs))
    chosen = []
    for n, attrs_ in enumerate(attributes):
        name = f"s{n}"
        path = f"/serviceconfigs/{scid}/sessiontemplates/lobby/sessions/{name}"
        assert _send(directory, "PUT", path, {"members": {"me": {}}}, "host").status == 201
        handle = {"type": "search", "version": 1, "searchAttributes": attrs_,
                  "sessionRef": {"scid": scid, "templateName": "lobby", "name": name}}  # fmt: skip
        assert _send(directory, "POST", "/handles", handle, "host").status == 201
        record = {"tags": attrs_["tags"], "session/membersCount": 1,
                  "session/templateName": "lobby",
                  **{f"strings/{k}": v for k, v in attrs_["strings"].items()},
                  **{f"numbers/{k}": v for k, v in attrs_["numbers"].items()}}  # fmt: skip
        if evaluate(node, record):
            chosen.append(name)
    body = {"type": "search", "scid": scid, "templateName": "lobby", "global": True,
            "filter": render(node)}  # fmt: skip
    answer = _send(directory, "POST", "/handles/query", body, "guest")
    assert answer.status == 200, answer.body
    found = [r["sessionRef"]["name"] for r in json.loads(answer.body)["results"]]
    assert sorted(found) == chosen
