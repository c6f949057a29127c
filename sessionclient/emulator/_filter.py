"""The search handle query grammar the emulator understands (an OData-like subset):

```
filter     := term ("or" term)*
term       := factor ("and" factor)*
factor     := "(" filter ")" | field op literal
field      := Strings/<name> | Numbers/<name> | Tags/<name>
op         := eq | ne | gt | ge | lt | le
literal    := 'text' ('' is a quote) | number | true | false
order_by   := field ["asc" | "desc"] ("," field ["asc" | "desc"])*
```

Keywords and field kinds are case-insensitive; strings compare case-insensitively. A
``Tags/<name>`` field is true when the handle has that tag. A comparison with an
absent attribute is false. Anything else raises ``ValueError`` (a 400).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

Attributes = Mapping[str, Any]  # a handle's searchAttributes
Predicate = Callable[[Attributes], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<paren>[()])|(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)?)|(?P<comma>,))"
)
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt,
    "ge": operator.ge, "lt": operator.lt, "le": operator.le,
}  # fmt: skip
_KINDS = {"strings": "strings", "numbers": "numbers", "tags": "tags"}


def _tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if not text[position:].strip():
                break
            raise ValueError(f"unexpected text at {position}: {text[position : position + 20]!r}")
        kind = match.lastgroup
        assert kind is not None
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def _field(word: str) -> tuple[str, str]:
    kind, _, name = word.partition("/")
    if kind.lower() not in _KINDS or not name:
        raise ValueError(
            f"unknown field {word!r}: use Strings/<name>, Numbers/<name> or Tags/<name>"
        )
    return _KINDS[kind.lower()], name


def _literal(kind: str, text: str) -> Any:
    if kind == "string":
        return text[1:-1].replace("''", "'")
    if kind == "number":
        return float(text)
    if kind == "word" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise ValueError(f"expected a literal, found {text!r}")


def _value(attributes: Attributes, kind: str, name: str) -> Any:
    if kind == "tags":
        tags = attributes.get("tags") or []
        return any(isinstance(t, str) and t.lower() == name.lower() for t in tags)
    values = attributes.get(kind) or {}
    # Attribute names match case-insensitively, as the service lower-cases them.
    return next((v for k, v in values.items() if k.lower() == name.lower()), None)


def _comparison(kind: str, name: str, op: str, literal: Any) -> Predicate:
    want = {"strings": str, "numbers": float, "tags": bool}[kind]
    if not isinstance(literal, want):
        raise ValueError(f"{kind.capitalize()}/{name} compares with a {want.__name__} literal")
    compare = _OPS[op]
    if kind == "tags" and op not in ("eq", "ne"):
        raise ValueError(f"Tags/{name} takes eq or ne")

    def test(attributes: Attributes) -> bool:
        value = _value(attributes, kind, name)
        if value is None or (kind == "numbers" and isinstance(value, bool)):
            return False
        if kind == "strings":
            if not isinstance(value, str):
                return False
            return compare(value.lower(), str(literal).lower())
        return compare(value, literal)

    return test


MAX_NESTING = 32
"""The most parentheses a filter may nest."""


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ValueError("the filter ends too early")
        self.position += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.position += 1
            return True
        return False

    def expression(self) -> Predicate:
        terms = [self.term()]
        while self.keyword("or"):
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else lambda a: any(t(a) for t in terms)

    def term(self) -> Predicate:
        factors = [self.factor()]
        while self.keyword("and"):
            factors.append(self.factor())
        return factors[0] if len(factors) == 1 else lambda a: all(f(a) for f in factors)

    def factor(self) -> Predicate:
        kind, text = self.take()
        if (kind, text) == ("paren", "("):
            self.depth += 1
            if self.depth > MAX_NESTING:  # the parser recurses once per parenthesis
                raise ValueError(f"the filter is nested deeper than {MAX_NESTING} parentheses")
            inner = self.expression()
            self.depth -= 1
            if self.take() != ("paren", ")"):
                raise ValueError("a parenthesis is not closed")
            return inner
        if kind != "word":
            raise ValueError(f"expected a field, found {text!r}")
        field_kind, name = _field(text)
        op_kind, op = self.take()
        if op_kind != "word" or op.lower() not in _OPS:
            raise ValueError(f"expected eq, ne, gt, ge, lt or le after {text}, found {op!r}")
        return _comparison(field_kind, name, op.lower(), _literal(*self.take()))


def parse_filter(text: str) -> Predicate:
    """A predicate over a handle's ``searchAttributes``; ``ValueError`` when the text is
    not in the grammar."""
    parser = _Parser(text)
    predicate = parser.expression()
    if parser.peek() is not None:
        raise ValueError(f"unexpected {parser.peek()[1]!r} after a complete filter")  # type: ignore[index]
    return predicate


def parse_order(text: str) -> list[tuple[str, str, bool]]:
    """``(kind, name, descending)`` keys from an ``orderBy``; tags cannot order."""
    keys = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2:
            raise ValueError(f"invalid orderBy part {part.strip()!r}")
        kind, name = _field(words[0])
        if kind == "tags":
            raise ValueError("results cannot be ordered by a tag")
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise ValueError(f"orderBy direction is asc or desc, not {words[1]!r}")
        keys.append((kind, name, direction == "desc"))
    return keys


def sort_key(attributes: Attributes, kind: str, name: str) -> tuple[bool, Any]:
    """A sort key that puts absent values last in ascending order."""
    value = _value(attributes, kind, name)
    if kind == "strings":
        ok = isinstance(value, str)
        return (not ok, value.lower() if ok else "")
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return (not ok, value if ok else 0)
