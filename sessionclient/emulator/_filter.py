"""The search filter grammar of MPSD, as its reference documents it: the OData subset
of "Create a search query for sessions" (xbox-live-docs, features/multiplayer/concepts/
live-session-browse.md, lines 241-307).

```
filter     := conjunction ["or" conjunction]     one "or" at most, and only at the root
conjunction:= factor ("and" factor)*
factor     := "(" filter ")" | lambda [("eq" | "ne") boolean] | operand op literal
operand    := path | "tolower(" path ")"
lambda     := list-path "/any(" var ":" (var | "tolower(" var ")") op literal ")"
op         := eq | ne | gt | ge | lt | le
literal    := 'text' ('' is a quote) | number | true | false
order_by   := path ["asc" | "desc"] ("," path ["asc" | "desc"])*
```

Paths: ``strings/<name>``, ``numbers/<name>`` (``string/``, ``number/`` too: the
reference writes both), ``tags``, ``achievementIds``, ``language``, and ``session/``
followed by ``memberXuids``, ``ownerXuids``, ``keywords`` (lists), ``scheduledTime``,
``postedTime``, ``registrationState``, ``scid``, ``templateName`` (strings),
``membersCount``, ``targetMembersCount``, ``maxMembersCount``,
``targetMembersCountRemaining``, ``maxMembersCountRemaining``, ``needs`` or
``roles/<type>/<role>/count|target|needs`` (numbers).

As in OData, names, operators and functions are case-sensitive and strings compare
exactly (``tolower`` is how a filter ignores case); an absent value is null: it equals
nothing, differs from everything, and orders with nothing. Anything else raises
``ValueError`` naming the position (a 400).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

Record = Mapping[str, Any]
"""What a filter reads: a search handle and its session, by path (see ``record``)."""
Predicate = Callable[[Record], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<punct>[():,])|(?P<string>'(?:[^']|'')*')"
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(?P<word>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z0-9_]+)*))"
)
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_ALIASES = {"string": "strings", "number": "numbers"}
_LISTS = frozenset(
    {"tags", "achievementIds", "session/memberXuids", "session/ownerXuids", "session/keywords"}
)
_STRINGS = frozenset(
    {
        "language",
        "session/scheduledTime",
        "session/postedTime",
        "session/registrationState",
        "session/scid",
        "session/templateName",
    }
)
_NUMBERS = frozenset(
    {
        "session/membersCount",
        "session/targetMembersCount",
        "session/maxMembersCount",
        "session/targetMembersCountRemaining",
        "session/maxMembersCountRemaining",
        "session/needs",
    }
)
_ROLE = re.compile(r"session/roles/[A-Za-z0-9_]+/[A-Za-z0-9_]+/(?:count|target|needs)")


class _Token:
    __slots__ = ("kind", "position", "text")

    def __init__(self, kind: str, text: str, position: int) -> None:
        self.kind, self.text, self.position = kind, text, position


def _error(position: int, message: str) -> ValueError:
    return ValueError(f"filter syntax error at position {position}: {message}")


def _tokens(text: str) -> list[_Token]:
    found, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            start = len(text) - len(text[position:].lstrip())
            if start == len(text):
                break
            raise _error(start, f"unexpected {text[start : start + 20]!r}")
        kind = match.lastgroup
        assert kind is not None
        found.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return found


def kind_of(path: str) -> str | None:
    """``"string"``, ``"number"`` or ``"list"`` for a path a filter may read, else None."""
    head, _, name = path.partition("/")
    head = _ALIASES.get(head, head)
    if head in ("strings", "numbers") and name and "/" not in name:
        return head[:-1]
    if path in _LISTS:
        return "list"
    if path in _STRINGS:
        return "string"
    if path in _NUMBERS or _ROLE.fullmatch(path):
        return "number"
    return None


def canonical(path: str) -> str:
    """The record key of a path (``number/x`` is ``numbers/x``)."""
    head, slash, name = path.partition("/")
    return _ALIASES.get(head, head) + slash + name


def _compare(op: str, value: Any, literal: Any) -> bool:
    # Null (or a value of another type) equals nothing and orders with nothing.
    if (
        value is None
        or isinstance(value, bool)
        or isinstance(value, str) != isinstance(literal, str)
    ):
        return op == "ne"
    return _OPS[op](value, literal)


MAX_NESTING = 32
"""The most parentheses a filter may nest."""


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, what: str) -> _Token:
        token = self.peek()
        if token is None:
            raise _error(len(self.text), f"the filter ends where {what} was expected")
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take(repr(text))
        if token.text != text:
            raise _error(token.position, f"expected {text!r}, found {token.text!r}")

    def word(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text == text:
            self.index += 1
            return True
        return False

    def filter(self, root: bool) -> Predicate:
        first = self.conjunction()
        token = self.peek()
        if not self.word("or"):
            return first
        assert token is not None
        if not root:
            raise _error(token.position, "MPSD allows 'or' only at the root of a filter")
        second = self.conjunction()
        extra = self.peek()
        if extra is not None and extra.kind == "word" and extra.text == "or":
            raise _error(extra.position, "MPSD allows one 'or' in a filter")
        return lambda r: first(r) or second(r)

    def conjunction(self) -> Predicate:
        factors = [self.factor()]
        while self.word("and"):
            factors.append(self.factor())
        return factors[0] if len(factors) == 1 else lambda r: all(f(r) for f in factors)

    def factor(self) -> Predicate:
        token = self.take("a comparison")
        if token.text == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:  # the parser recurses once per parenthesis
                raise _error(
                    token.position, f"the filter is nested deeper than {MAX_NESTING} parentheses"
                )
            # A root "or" in parentheses is still at the root when nothing else is.
            inner = self.filter(root=self.index == 1 and self._closes_at_end(token))
            self.expect(")")
            self.depth -= 1
            return inner
        if token.kind != "word":
            raise _error(token.position, f"expected a field or '(', found {token.text!r}")
        if token.text == "tolower":
            path, where = self.lowered_path()
            return self.comparison(path, where, lower=True)
        if token.text.endswith("/any"):
            return self.any(token)
        return self.comparison(token.text, token.position, lower=False)

    def _closes_at_end(self, opening: _Token) -> bool:
        depth = 0
        for index in range(self.tokens.index(opening), len(self.tokens)):
            depth += {"(": 1, ")": -1}.get(self.tokens[index].text, 0)
            if depth == 0:
                return index == len(self.tokens) - 1
        return False

    def lowered_path(self) -> tuple[str, int]:
        self.expect("(")
        token = self.take("a field")
        if token.kind != "word":
            raise _error(token.position, f"tolower takes a field, not {token.text!r}")
        self.expect(")")
        return token.text, token.position

    def comparison(self, path: str, where: int, *, lower: bool) -> Predicate:
        kind = kind_of(path)
        if kind is None or kind == "list":
            hint = " (test a list with /any)" if kind == "list" else ""
            raise _error(where, f"unknown field {path!r}{hint}")
        if lower and kind != "string":
            raise _error(where, f"tolower takes a string field, not {path!r}")
        op, literal = self.op_and_literal(kind)
        key = canonical(path)

        def test(record: Record) -> bool:
            value = record.get(key)
            if lower and isinstance(value, str):
                value = value.lower()
            return _compare(op, value, literal)

        return test

    def op_and_literal(self, kind: str) -> tuple[str, Any]:
        token = self.take("an operator")
        if token.kind != "word" or token.text not in _OPS:
            raise _error(token.position, f"expected eq, ne, gt, ge, lt or le, found {token.text!r}")
        literal = self.take("a literal")
        value: Any
        if literal.kind == "string":
            value = literal.text[1:-1].replace("''", "'")
        elif literal.kind == "number":
            value = (
                float(literal.text) if any(c in literal.text for c in ".eE") else int(literal.text)
            )
        elif literal.kind == "word" and literal.text in ("true", "false"):
            value = literal.text == "true"
        else:
            raise _error(literal.position, f"expected a literal, found {literal.text!r}")
        want = {"string": str, "number": int | float, "boolean": bool}[kind]
        if isinstance(value, bool) is not (kind == "boolean") or not isinstance(value, want):
            raise _error(literal.position, f"a {kind} compares with a {kind} literal")
        if kind == "boolean" and token.text not in ("eq", "ne"):
            raise _error(token.position, "a boolean takes eq or ne")
        return token.text, value

    def any(self, token: _Token) -> Predicate:
        path = token.text[: -len("/any")]
        if kind_of(path) != "list":
            raise _error(token.position, f"{path!r} is not a list: any() applies to lists")
        self.expect("(")
        variable = self.take("a variable")
        if variable.kind != "word" or "/" in variable.text:
            raise _error(variable.position, "expected a lambda variable, as in any(d:d eq 'x')")
        self.expect(":")
        lower = self.word("tolower")
        if lower:
            self.expect("(")
        used = self.take("the lambda variable")
        if used.text != variable.text:
            raise _error(used.position, f"expected the lambda variable {variable.text!r}")
        if lower:
            self.expect(")")
        op, literal = self.op_and_literal("string")
        self.expect(")")
        key = path

        def found(record: Record) -> bool:
            items = record.get(key) or ()
            return any(
                isinstance(item, str) and _compare(op, item.lower() if lower else item, literal)
                for item in items
            )

        following = self.peek()
        if following is not None and following.text in _OPS:
            op_outer, wanted = self.op_and_literal("boolean")
            return lambda r: (found(r) == wanted) is (op_outer == "eq")
        return found


def parse_filter(text: str) -> Predicate:
    """A predicate over a search handle's ``record``; ``ValueError`` (naming the
    position) when the text is not in the grammar."""
    parser = _Parser(text)
    if not parser.tokens:
        raise _error(0, "the filter is empty")
    predicate = parser.filter(root=True)
    extra = parser.peek()
    if extra is not None:
        raise _error(extra.position, f"unexpected {extra.text!r} after a complete filter")
    return predicate


def parse_order(text: str) -> list[tuple[str, bool]]:
    """``(path, descending)`` keys from an ``orderBy``; only strings and numbers order."""
    keys = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2:
            raise ValueError(f"invalid orderBy part {part.strip()!r}")
        if kind_of(words[0]) not in ("string", "number"):
            raise ValueError(f"results are ordered by a string or number field, not {words[0]!r}")
        direction = words[1] if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise ValueError(f"orderBy direction is asc or desc, not {words[1]!r}")
        keys.append((canonical(words[0]), direction == "desc"))
    return keys


def sort_key(record: Record, path: str) -> tuple[bool, Any]:
    """A sort key that puts absent values last in ascending order."""
    value = record.get(path)
    ok = isinstance(value, str | int | float) and not isinstance(value, bool)
    return (not ok, value if ok else 0)
