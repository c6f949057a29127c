"""ETag values: kept byte for byte, compared as RFC 9110 section 8.8.3.2 says."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sessionclient as sc

# RFC 9110's own comparison table: (a, b, strong match, weak match).
RFC_TABLE = [
    ('W/"1"', 'W/"1"', False, True),
    ('W/"1"', 'W/"2"', False, False),
    ('W/"1"', '"1"', False, True),
    ('"1"', '"1"', True, True),
]


@pytest.mark.parametrize(("a", "b", "strong", "weak"), RFC_TABLE)
def test_comparison_follows_rfc_9110(a: str, b: str, strong: bool, weak: bool) -> None:
    x, y = sc.ETag.parse(a), sc.ETag.parse(b)
    assert x.strong_match(y) is strong
    assert y.strong_match(x) is strong
    assert x.weak_match(y) is weak


def test_weak_prefix_and_quotes_are_kept() -> None:
    tag = sc.ETag.parse('  W/"xyz"\t')
    assert str(tag) == 'W/"xyz"'
    assert tag.weak
    assert tag.opaque == '"xyz"'
    assert not sc.ETag.parse('"xyz"').weak


def test_any_is_the_wildcard() -> None:
    assert str(sc.ANY) == "*"
    assert sc.ANY.is_any
    assert sc.ETag.parse("*") == sc.ANY


@pytest.mark.parametrize("bad", ["", "abc", '"a', 'w/"a"', '"a"b"', '"a" "b"', '"\x7f"'])
def test_malformed_tags_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="entity tag"):
        sc.ETag.parse(bad)
    assert sc.ETag.from_header(bad) is None


def test_non_strings_are_a_type_error() -> None:
    with pytest.raises(TypeError):
        sc.ETag.parse(5)  # type: ignore[arg-type]


etagc = st.characters(codec="latin-1").filter(lambda c: c == "!" or "#" <= c <= "~" or c >= "\x80")


@given(weak=st.booleans(), opaque=st.text(etagc, max_size=30))
def test_parse_format_round_trip(weak: bool, opaque: str) -> None:
    text = ("W/" if weak else "") + f'"{opaque}"'
    tag = sc.ETag.parse(text)
    assert str(tag) == text
    assert sc.ETag.parse(str(tag)) == tag
    assert tag.weak is weak
    assert tag.weak_match(sc.ETag.parse(f'"{opaque}"'))
