"""SessionRef and element validation: nothing malformed ever becomes a path."""

from __future__ import annotations

import string
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sessionclient as sc
from sessionclient._ref import check_element

from .conftest import SCID


def test_path_is_built_from_the_segments() -> None:
    ref = sc.SessionRef(SCID.upper(), "lobby_v2", "Game-1.a")
    assert ref.scid == SCID  # GUIDs have one spelling here
    assert ref.path == f"/serviceconfigs/{SCID}/sessiontemplates/lobby_v2/sessions/Game-1.a"
    assert ref.element_path("members/3") == ref.path + "/members/3"


@pytest.mark.parametrize(
    ("segment", "args"),
    [
        ("scid", ("not-a-guid", "t", "n")),
        ("scid", (SCID + "0", "t", "n")),
        ("scid", ("{" + SCID + "}", "t", "n")),
        ("template", (SCID, "", "n")),
        ("template", (SCID, "a/b", "n")),
        ("template", (SCID, "..", "n")),
        ("session name", (SCID, "t", ".")),
        ("session name", (SCID, "t", "a\\b")),
        ("session name", (SCID, "t", "50%")),
        ("session name", (SCID, "t", "a b")),
        ("session name", (SCID, "t", "tab\there")),
        ("session name", (SCID, "t", "nul\x00")),
        ("session name", (SCID, "t", "x" * 101)),
        ("session name", (SCID, "t", "caf\u00e9")),
        ("session name", (SCID, "t", "q?x=1")),
        ("session name", (SCID, "t", "frag#1")),
    ],
)
def test_bad_segments_are_refused_naming_the_segment(segment: str, args: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match=segment):
        sc.SessionRef(*args)


def test_non_strings_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="session name"):
        sc.SessionRef(SCID, "t", 5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        f"https://sessiondirectory.xboxlive.com/serviceconfigs/{SCID}/sessiontemplates/lobby/sessions/g1",
        f"/serviceConfigs/{SCID.upper()}/sessionTemplates/lobby/sessions/g1",
        f"/serviceconfigs/{SCID}/sessiontemplates/lobby/sessions/g1/?view=full",
        f"serviceconfigs/{SCID}/sessiontemplates/lob%62y/sessions/g1",
    ],
)
def test_from_url_parses_content_location_forms(url: str) -> None:
    assert sc.SessionRef.from_url(url) == sc.SessionRef(SCID, "lobby", "g1")


@pytest.mark.parametrize(
    "url",
    [
        f"/serviceconfigs/{SCID}/sessiontemplates/lobby/sessions/g1/members/me",
        f"/serviceconfigs/{SCID}/sessiontemplates/lobby/sessions",
        f"/handles/{SCID}/session",
        f"/serviceconfigs/{SCID}/sessiontemplates/lobby/sessions/a%2Fb",
        f"/serviceconfigs/{SCID}/sessiontemplates/lobby/sessions/%2e%2e",
        f"/serviceconfigs/{SCID}/sessiontemplates/lobby/sessions/%ff",
    ],
)
def test_from_url_refuses_what_is_not_a_session(url: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is checked elsewhere
        sc.SessionRef.from_url(url)


@pytest.mark.parametrize(
    "element", ["members/me", "members/0", "members/17", "servers/host-1", "properties"]
)
def test_valid_elements(element: str) -> None:
    assert check_element(element) == element


@pytest.mark.parametrize(
    "element",
    ["", "members", "members/", "members/-1", "members/01", "members/me/x", "servers/..",
     "servers/a/b", "properties/", "properties/custom", "constants", "/members/me", "members/%6de"],
)  # fmt: skip
def test_invalid_elements(element: str) -> None:
    with pytest.raises(ValueError, match="invalid element"):
        check_element(element)


@given(st.text(max_size=120))
def test_any_name_is_refused_or_round_trips(name: str) -> None:
    try:
        ref = sc.SessionRef(SCID, "lobby", name)
    except ValueError:
        return
    segments = ref.path.split("/")
    assert len(segments) == 7  # '', 6 segments: no '/' slipped into one
    assert unquote(segments[-1]) == name
    assert sc.SessionRef.from_url(ref.path) == ref
    assert sc.SessionRef.from_url("https://h.example" + ref.path + "?q#f") == ref


@given(st.text(alphabet=string.printable + "\u00e9\u2028/%.", max_size=40))
def test_any_element_is_refused_or_keeps_the_path_shape(element: str) -> None:
    ref = sc.SessionRef(SCID, "lobby", "g")
    try:
        path = ref.element_path(element)
    except ValueError:
        return
    assert path.startswith(ref.path + "/")
    assert path.count("/") - ref.path.count("/") in (1, 2)
    assert ".." not in path.split("/")
    assert all(c.isalnum() or c in "/_-." for c in path)
