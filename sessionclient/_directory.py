"""The directory beyond one session, as steps and flows: session queries (and their
batch form), handles (activity, invite, search), handle queries and templates.

As in ``_flows``, everything is validated while the request is planned, so bad input
raises ``ValueError`` / ``TypeError`` before anything is sent; answers are read into
the typed views of ``_views``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Generator, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from ._core import Call, Reply, conditions, encode_json, session_of
from ._etag import ETag
from ._exceptions import MalformedResponseError, SessionClientError
from ._flows import Step
from ._models import Accepted, Session
from ._profiles import Kind, Target
from ._ref import SessionRef, _check_scid, _check_template
from ._views import Activity, Handle, SearchResult, SessionSummary, View, results

V = TypeVar("V", bound=View)

MAX_TAKE = 100
"""The most results a session query may ask for."""
VISIBILITIES = ("open", "private")
"""The visibilities a session query may filter on."""

_XUID = re.compile(r"[0-9]{1,20}")
_HANDLE_ID = re.compile(r"(?!\.\.?$)[A-Za-z0-9_.\-]{1,100}")
_ATTRIBUTE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]*")
_ACTIVITY_INCLUDE = "relatedInfo,customProperties"
_SEARCH_INCLUDE = "relatedInfo,roleInfo,customProperties"


# --- validation ---------------------------------------------------------------------


def check_xuid(value: object) -> str:
    """A xuid (Xbox user id): a string of decimal digits."""
    if not isinstance(value, str):
        raise TypeError(f"a xuid must be a str of digits, not {type(value).__name__}")
    if not _XUID.fullmatch(value):
        raise ValueError(f"invalid xuid {value!r}: a xuid is 1 to 20 decimal digits")
    return value


def check_xuids(values: object, what: str = "xuids") -> tuple[str, ...]:
    """A non-empty sequence of xuids (a lone str is refused: it is not a list)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"{what} must be a list of xuid strings, not {type(values).__name__}")
    xuids = tuple(check_xuid(x) for x in values)
    if not xuids:
        raise ValueError(f"{what} is empty: give at least one xuid")
    return xuids


def check_handle_id(value: object) -> str:
    """A handle id: 1 to 100 characters from A-Z, a-z, 0-9, '_', '-' and '.'."""
    if not isinstance(value, str):
        raise TypeError(f"a handle id must be a str, not {type(value).__name__}")
    if not _HANDLE_ID.fullmatch(value):
        raise ValueError(f"invalid handle id {value!r}")
    return value


def _text(value: object, what: str, *, limit: int = 1024) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if not value or len(value) > limit or not _PRINTABLE.fullmatch(value):
        raise ValueError(f"{what} must be 1 to {limit} printable characters")
    return value


def _flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be a bool, not {type(value).__name__}")
    return value


def check_filter(text: object) -> str:
    """A search filter, checked only for what the client can know: printable, quotes
    balanced (``''`` is a quote inside a literal), parentheses balanced outside them.
    The service decides the rest of the grammar."""
    text = _text(text, "filter", limit=4096)
    quoted, depth, i = False, 0, 0
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "'":
                if text[i + 1 : i + 2] == "'":
                    i += 1  # an escaped quote
                else:
                    quoted = False
        elif char == "'":
            quoted = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"filter {text!r} closes a parenthesis it never opened")
        i += 1
    if quoted:
        raise ValueError(f"filter {text!r} has an unclosed quote")
    if depth:
        raise ValueError(f"filter {text!r} leaves a parenthesis open")
    return text


def _session_ref(ref: SessionRef) -> dict[str, str]:
    if not isinstance(ref, SessionRef):
        raise TypeError(f"ref must be a SessionRef, not {type(ref).__name__}")
    return {"scid": ref.scid, "templateName": ref.template, "name": ref.name}


def _config_path(scid: str, template: str | None) -> str:
    path = f"/serviceconfigs/{quote(_check_scid(scid), safe='')}"
    if template is not None:
        path += f"/sessiontemplates/{quote(_check_template(template), safe='')}"
    return path


def _unexpected(call: Call, reply: Reply, why: str) -> MalformedResponseError:
    return MalformedResponseError(
        f"{reply.status} is not a valid answer to {call.method} {call.path}: {why}",
        status=reply.status, method=call.method, url=reply.url, headers=reply.headers,
    )  # fmt: skip


def _results(cls: type[V], call: Call, reply: Reply) -> list[V]:
    if reply.row.kind is not Kind.DOCUMENT:
        raise _unexpected(call, reply, f"a query does not yield {reply.row.kind.value}")
    try:
        return results(reply.document, cls, reply.url)
    except MalformedResponseError as error:
        raise _unexpected(call, reply, error.message) from None


def _read_call(path: str, target: Target, body: object = None, bucket: str = "") -> Call:
    """A read: GET, or a POST that only reads (batch, handle queries): safe to repeat."""
    if body is None:
        return Call("GET", path, target, safe=True)
    return Call("POST", path, target, body=encode_json(body), safe=True, bucket=bucket)


SEARCH_READS, SEARCH_WRITES = "|search-reads", "|search-writes"
"""MPSD limits search handles on their own (1 read and 1 write per 15 s, 20 per 300 s):
their calls have throttle buckets of their own, so a 429 there holds nothing else."""


# --- session queries ----------------------------------------------------------------


def query(
    scid: str,
    *,
    template: str | None = None,
    xuid: str | None = None,
    xuids: Iterable[str] | None = None,
    keyword: str | None = None,
    visibility: str | None = None,
    private: bool = False,
    reservations: bool = False,
    inactive: bool = False,
    take: int | None = None,
) -> Step[list[SessionSummary]]:
    """The sessions of a user (``xuid``), of several (``xuids``: one batch POST, the
    results in xuid order) or with a keyword."""
    if xuid is not None and xuids is not None:
        raise ValueError("give xuid or xuids, not both")
    users = check_xuids(xuids) if xuids is not None else ()
    if xuid is not None:
        users = (check_xuid(xuid),)
    if not users and keyword is None:
        raise ValueError("a session query needs a filter: xuid, xuids or keyword")
    params: list[tuple[str, str]] = []
    if len(users) == 1:
        params.append(("xuid", users[0]))
    if keyword is not None:
        params.append(("keyword", _text(keyword, "keyword", limit=100)))
    if visibility is not None:
        if visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
        params.append(("visibility", visibility))
    for name, value in (("private", private), ("reservations", reservations),
                        ("inactive", inactive)):  # fmt: skip
        if _flag(value, name):
            params.append((name, "true"))
    if take is not None:
        if isinstance(take, bool) or not isinstance(take, int):
            raise TypeError(f"take must be an int, not {type(take).__name__}")
        if not 0 <= take <= MAX_TAKE:
            raise ValueError(f"take must be between 0 and {MAX_TAKE}, not {take}")
        params.append(("take", str(take)))
    base = _config_path(scid, template)
    query_string = f"?{urlencode(params, quote_via=quote)}" if params else ""
    if len(users) > 1:
        call = _read_call(f"{base}/batch{query_string}", Target.QUERY, {"xuids": list(users)})
    else:
        call = _read_call(f"{base}/sessions{query_string}", Target.QUERY)
    return Step(call, functools.partial(_results, SessionSummary, call))


# --- handles ------------------------------------------------------------------------


def _handle(call: Call, reply: Reply) -> Handle:
    if reply.row.kind not in (Kind.CREATED, Kind.DOCUMENT):
        raise _unexpected(call, reply, f"a handle call does not yield {reply.row.kind.value}")
    if not isinstance(reply.document, dict):
        raise _unexpected(call, reply, "the handle is not a JSON object")
    return Handle(reply.document, "", reply.url)


def _create_handle(body: Mapping[str, Any], bucket: str = "") -> Call:
    # Not safe: every attempt that lands creates a handle, so it is repeated only when
    # the service said it did nothing (429, or 503 with Retry-After).
    return Call("POST", "/handles", Target.HANDLE, body=encode_json(body), bucket=bucket)


def _new_handle(ref: SessionRef, kind: str, **extra: Any) -> dict[str, Any]:
    return {"version": 1, "type": kind, "sessionRef": _session_ref(ref), **extra}


def set_activity(ref: SessionRef) -> Step[Handle]:
    """Make ``ref`` the caller's current activity (an activity handle)."""
    call = _create_handle(_new_handle(ref, "activity"))
    return Step(call, functools.partial(_handle, call))


def activities(scid: str, xuids: Iterable[str]) -> Step[list[Activity]]:
    """What these users are playing in ``scid``: their activity handles."""
    body = {"type": "activity", "scid": _check_scid(scid),
            "owners": {"xuids": list(check_xuids(xuids))}}  # fmt: skip
    call = _read_call(f"/handles/query?include={_ACTIVITY_INCLUDE}", Target.QUERY, body)
    return Step(call, functools.partial(_results, Activity, call))


def invite(
    ref: SessionRef,
    xuids: Iterable[str],
    *,
    context: str | None = None,
    context_string: str | None = None,
    sender_string: str | None = None,
    title_id: str | int | None = None,
) -> Generator[Call, Reply, list[Handle]]:
    """Invite each user to ``ref``: one invite handle per distinct xuid, in order. If
    one fails, its error is raised with ``.handles``: the invites already created."""
    attributes: dict[str, str] = {}
    if title_id is not None:
        if isinstance(title_id, bool) or not isinstance(title_id, int | str):
            raise TypeError(f"title_id must be an int or a str, not {type(title_id).__name__}")
        if not str(title_id).isdigit() or str(title_id) != str(title_id).strip():
            raise ValueError(f"title_id must be decimal digits, not {title_id!r}")
        attributes["titleId"] = str(title_id)
    for key, value, what in (("context", context, "context"),
                             ("contextString", context_string, "context_string"),
                             ("senderString", sender_string, "sender_string")):  # fmt: skip
        if value is not None:
            attributes[key] = _text(value, what)
    extra = {"inviteAttributes": attributes} if attributes else {}
    users = tuple(dict.fromkeys(check_xuids(xuids)))  # each user once, in order
    calls = [_create_handle(_new_handle(ref, "invite", invitedXuid=x, **extra)) for x in users]
    return _invite(calls)


def _invite(calls: list[Call]) -> Generator[Call, Reply, list[Handle]]:
    created: list[Handle] = []
    for call in calls:
        try:
            created.append(_handle(call, (yield call)))
        except SessionClientError as error:
            error.handles = tuple(created)
            raise
    return created


def get_handle(handle_id: str) -> Step[Handle]:
    """Read a handle."""
    call = Call("GET", f"/handles/{check_handle_id(handle_id)}", Target.HANDLE, safe=True)
    return Step(call, functools.partial(_handle, call))


def _deleted(call: Call, reply: Reply) -> None:
    if reply.row.kind not in (Kind.NO_CONTENT, Kind.DOCUMENT):
        raise _unexpected(call, reply, f"a delete does not yield {reply.row.kind.value}")


def delete_handle(handle_id: str) -> Step[None]:
    """Delete a handle (the session stays)."""
    call = Call("DELETE", f"/handles/{check_handle_id(handle_id)}", Target.HANDLE, safe=True)
    return Step(call, functools.partial(_deleted, call))


def _by_handle(call: Call, reply: Reply) -> Session | Accepted | None:
    kind = reply.row.kind
    if kind is Kind.NO_CONTENT:
        return None
    if kind is Kind.ACCEPTED:
        return Accepted(call.path, reply.text)
    if kind in (Kind.DOCUMENT, Kind.CREATED):
        return session_of(call, reply)
    raise _unexpected(call, reply, f"a session call does not yield {kind.value}")


def get_by_handle(handle_id: str) -> Step[Session | None]:
    """Read the session behind a handle (its ``ref`` from ``Content-Location``)."""
    path = f"/handles/{check_handle_id(handle_id)}/session"
    call = Call("GET", path, Target.SESSION, safe=True)

    def finish(reply: Reply) -> Session | None:
        result = _by_handle(call, reply)
        if isinstance(result, Accepted):
            raise _unexpected(call, reply, "a read does not yield accepted")
        return result

    return Step(call, finish)


def put_by_handle(
    handle_id: str, changes: Mapping[str, Any], *, if_match: ETag | str | None = None
) -> Step[Session | Accepted | None]:
    """Write a delta to the session behind a handle (joining through an invite)."""
    path = f"/handles/{check_handle_id(handle_id)}/session"
    headers, guarded = conditions("PUT", if_match=if_match)
    call = Call("PUT", path, Target.SESSION, headers=headers, body=encode_json(changes),
                safe=guarded)  # fmt: skip
    return Step(call, functools.partial(_by_handle, call))


# --- search -------------------------------------------------------------------------


def _attribute_name(name: object, what: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"{what} names must be str, not {type(name).__name__}")
    if not _ATTRIBUTE.fullmatch(name):
        raise ValueError(
            f"invalid {what} name {name!r}: a letter or '_', then letters, digits or '_'"
        )
    return name


def create_search_handle(
    ref: SessionRef,
    *,
    tags: Iterable[str] = (),
    numbers: Mapping[str, float] | None = None,
    strings: Mapping[str, str] | None = None,
) -> Step[Handle]:
    """Publish ``ref`` for search, with the attributes a search filter can test."""
    if isinstance(tags, str | bytes) or not isinstance(tags, Iterable):
        raise TypeError("tags must be a list of str")
    attributes: dict[str, Any] = {"tags": [_attribute_name(t, "tag") for t in tags]}
    if numbers is not None:
        if not isinstance(numbers, Mapping):
            raise TypeError("numbers must be a mapping of name to number")
        checked: dict[str, float] = {}
        for name, value in numbers.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"numbers[{name!r}] must be a number")
            if not math.isfinite(value):
                raise ValueError(f"numbers[{name!r}] must be finite")
            checked[_attribute_name(name, "number")] = value
        attributes["numbers"] = checked
    if strings is not None:
        if not isinstance(strings, Mapping):
            raise TypeError("strings must be a mapping of name to str")
        attributes["strings"] = {
            _attribute_name(name, "string"): _text(value, f"strings[{name!r}]")
            for name, value in strings.items()
        }
    call = _create_handle(_new_handle(ref, "search", searchAttributes=attributes), SEARCH_WRITES)
    return Step(call, functools.partial(_handle, call))


def search(
    scid: str, template: str, *, filter: str | None = None, order_by: str | None = None
) -> Step[list[SearchResult]]:
    """Search handles of ``template`` matching ``filter`` (e.g. ``Strings/map eq
    'harbor' and Numbers/skill ge 3``), sorted by ``order_by`` (``Numbers/skill desc``)."""
    body: dict[str, Any] = {"type": "search", "scid": _check_scid(scid),
                            "templateName": _check_template(template)}  # fmt: skip
    if filter is not None:
        body["filter"] = check_filter(filter)
    if order_by is not None:
        body["orderBy"] = _text(order_by, "order_by", limit=1024)
    path = f"/handles/query?include={_SEARCH_INCLUDE}"
    call = _read_call(path, Target.QUERY, body, SEARCH_READS)
    return Step(call, functools.partial(_results, SearchResult, call))


# --- templates ----------------------------------------------------------------------


def templates(scid: str) -> Step[list[str]]:
    """The names of the session templates of ``scid``."""
    call = _read_call(f"{_config_path(scid, None)}/sessiontemplates", Target.TEMPLATE)

    def finish(reply: Reply) -> list[str]:
        if reply.row.kind is not Kind.DOCUMENT:
            raise _unexpected(call, reply, f"a read does not yield {reply.row.kind.value}")
        names = [r._str("name") for r in _results(View, call, reply)]
        if any(name is None for name in names):
            raise _unexpected(call, reply, "a template without a name")
        return [name for name in names if name is not None]

    return Step(call, finish)


def template(scid: str, name: str) -> Step[dict[str, Any]]:
    """A session template: its ``contractVersion`` and ``constants``."""
    call = _read_call(_config_path(scid, name), Target.TEMPLATE)

    def finish(reply: Reply) -> dict[str, Any]:
        if reply.row.kind is not Kind.DOCUMENT or not isinstance(reply.document, dict):
            raise _unexpected(call, reply, "a template is a JSON object")
        return reply.document

    return Step(call, finish)
