"""The directory beyond one session, as steps and flows: session queries (and their
batch form), handles (activity, invite, search), handle queries and templates.

As in ``_flows``, everything is validated while the request is planned, so bad input
raises ``ValueError`` / ``TypeError`` before anything is sent; each call's shape reads
its answer into the typed views of ``_views``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from ._core import (
    WRITE,
    Call,
    Reply,
    Shape,
    conditions,
    encode_json,
    nothing,
    result,
    session_of,
    unexpected,
)
from ._engine import Flow
from ._etag import ETag
from ._exceptions import MalformedResponseError, SessionClientError
from ._flows import CONTRACT_VERSION
from ._models import Accepted, Session
from ._profiles import Kind, Target
from ._ref import SessionRef, _check_scid, _check_template
from ._views import Activity, Handle, SearchResult, SessionSummary, View, results

V = TypeVar("V", bound=View)

MAX_TAKE = 100
"""The most results a session query may ask for."""
VISIBILITIES = ("private", "visible", "full", "open")
"""The visibilities a session query may filter on (XSAPI's names; no filter is any)."""
MAX_TITLE_ID = 2**32 - 1
"""Title ids are 32-bit unsigned integers."""

_XUID = re.compile(r"[0-9]{1,20}")
_HANDLE_ID = re.compile(r"(?!\.\.?$)[A-Za-z0-9_.\-]{1,100}")
_ATTRIBUTE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_MONIKER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
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


def _results(cls: type[V], call: Call[Any], reply: Reply) -> list[V]:
    try:
        return results(reply.document, cls, reply.url)
    except MalformedResponseError as error:
        raise unexpected(call, reply, error.message) from None


def _listing(cls: type[V]) -> Shape:
    return {Kind.DOCUMENT: functools.partial(_results, cls)}


def _read_call(
    path: str, target: Target, shape: Shape, body: object = None, bucket: str = ""
) -> Call[Any]:
    """A read: GET, or a POST that only reads (batch, handle queries): safe to repeat."""
    if body is None:
        return Call("GET", path, target, shape, safe=True)
    return Call("POST", path, target, shape, body=encode_json(body), safe=True, bucket=bucket)


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
    version: int | None = None,
    private: bool = False,
    reservations: bool = False,
    inactive: bool = False,
    take: int | None = None,
    contract_version: int = CONTRACT_VERSION,
) -> Call[list[SessionSummary]]:
    """The sessions of a user (``xuid``), of several (``xuids``: one batch POST, the
    results in xuid order) or with a keyword. The query options go in XSAPI's order;
    ``version`` is at most ``contract_version`` modulo 100 (the reference)."""
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
            raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)} (or None)")
        if visibility == "private" and not private:
            raise ValueError("visibility='private' needs private=True")
        params.append(("visibility", visibility))
    if version is not None:
        highest = contract_version % 100
        if _count(version, "version", 1, None) > highest:
            raise ValueError(
                f"version must be at most {highest}, the contract version"
                f" ({contract_version}) modulo 100, not {version}"
            )
        params.append(("version", str(version)))
    for name, value in (
        ("private", private),
        ("reservations", reservations),
        ("inactive", inactive),
    ):
        if _flag(value, name):
            if name != "private" and not users:
                raise ValueError(f"{name}=True needs a xuid filter (xuid or xuids)")
            params.append((name, "true"))
    if take is not None:
        params.append(("take", str(_count(take, "take", 1, MAX_TAKE))))
    base = _config_path(scid, template)
    query_string = f"?{urlencode(params, quote_via=quote)}" if params else ""
    if len(users) > 1:
        return _read_call(
            f"{base}/batch{query_string}",
            Target.QUERY,
            _listing(SessionSummary),
            {"xuids": list(users)},
        )
    return _read_call(f"{base}/sessions{query_string}", Target.QUERY, _listing(SessionSummary))


def _count(value: object, what: str, low: int, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{what} must be {bound}, not {value}")
    return value


# --- handles ------------------------------------------------------------------------


def _handle(call: Call[Any], reply: Reply) -> Handle:
    if not isinstance(reply.document, dict):
        raise unexpected(call, reply, "the handle is not a JSON object")
    return Handle(reply.document, "", reply.url)


HANDLE: Shape = {Kind.CREATED: _handle, Kind.DOCUMENT: _handle}
SET: Shape = {**HANDLE, Kind.NO_CONTENT: nothing}
"""A handle POST whose answer may have no body (setting an activity: the reference says
it has none, and XSAPI reads none)."""
DELETED: Shape = {Kind.NO_CONTENT: nothing, Kind.DOCUMENT: nothing}
BY_HANDLE: Shape = {Kind.DOCUMENT: session_of, Kind.NO_CONTENT: nothing}


def _create_handle(body: Mapping[str, Any], bucket: str = "", shape: Shape = HANDLE) -> Call[Any]:
    # Not safe: every attempt that lands creates a handle, so it is repeated only when
    # the service said it did nothing (429, or 503 with Retry-After).
    return Call("POST", "/handles", Target.HANDLE, shape, body=encode_json(body), bucket=bucket)


def _new_handle(ref: SessionRef, kind: str, **extra: Any) -> dict[str, Any]:
    # XSAPI's order (multiplayer_*_handle_post_request.cpp): type, sessionRef, version.
    return {"type": kind, "sessionRef": _session_ref(ref), "version": 1, **extra}


def set_activity(ref: SessionRef) -> Call[Handle | None]:
    """Make ``ref`` the caller's current activity (an activity handle): the handle when
    the service returns it, None when it answers without a body (as documented)."""
    call: Call[Handle | None] = _create_handle(_new_handle(ref, "activity"), shape=SET)
    return call


def _social_group(group: str | None, owner: str | None) -> dict[str, Any] | None:
    """``{"people": {"moniker", "monikerXuid"}}`` for a social group, None without one."""
    if group is None and owner is None:
        return None
    if group is None or owner is None:
        raise ValueError("give social_group and social_group_xuid together")
    if not isinstance(group, str):
        raise TypeError(f"social_group must be a str, not {type(group).__name__}")
    if not _MONIKER.fullmatch(group):
        raise ValueError(f"invalid social_group {group!r}: a name such as people or favorites")
    return {"people": {"moniker": group, "monikerXuid": check_xuid(owner)}}


def activities(
    scid: str,
    xuids: Iterable[str] | None = None,
    *,
    social_group: str | None = None,
    social_group_xuid: str | None = None,
) -> Call[list[Activity]]:
    """What these users, or the users of ``social_group_xuid``'s social group, are
    playing in ``scid``: their activity handles."""
    people = _social_group(social_group, social_group_xuid)
    if (xuids is None) == (people is None):
        raise ValueError("give xuids, or social_group and social_group_xuid (not both)")
    owners = {"xuids": list(check_xuids(xuids))} if xuids is not None else people
    body = {"type": "activity", "scid": _check_scid(scid), "owners": owners}
    path = f"/handles/query?include={_ACTIVITY_INCLUDE}"
    return _read_call(path, Target.QUERY, _listing(Activity), body)


def invite(
    ref: SessionRef,
    xuids: Iterable[str],
    *,
    context: str | None = None,
    context_string: str | None = None,
    sender_string: str | None = None,
    title_id: str | int | None = None,
) -> Flow[list[Handle]]:
    """Invite each user to ``ref``: one invite handle per distinct xuid, in order. If
    one fails, its error is raised with ``.handles``: the invites already created.
    ``title_id`` (the title in the caller's token) is required, as XSAPI always sends
    it; it is a keyword with a default only so that its absence is a ValueError."""
    attributes = {"titleId": str(check_title_id(title_id))}
    for key, value, what in (
        ("context", context, "context"),
        ("contextString", context_string, "context_string"),
        ("senderString", sender_string, "sender_string"),
    ):
        if value is not None:
            attributes[key] = _text(value, what)
    users = tuple(dict.fromkeys(check_xuids(xuids)))  # each user once, in order
    calls = [
        _create_handle(_new_handle(ref, "invite", invitedXuid=x, inviteAttributes=attributes))
        for x in users
    ]
    return _invite(calls)


def check_title_id(value: object) -> int:
    """A title id: a 32-bit unsigned integer, as an int or a str of decimal digits."""
    if value is None:
        raise ValueError("title_id is required: the title id in your token (MPSD needs it)")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"title_id must be an int or a str, not {type(value).__name__}")
    text = str(value)
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_TITLE_ID:
        raise ValueError(f"title_id must be a 32-bit unsigned integer, not {value!r}")
    return int(text)


def create_transfer_handle(target: SessionRef, origin: SessionRef) -> Call[Handle]:
    """A transfer handle: the members of ``origin`` (a lobby) may join ``target`` (the
    game) through it."""
    body = _new_handle(target, "transfer", originSessionRef=_session_ref(origin))
    if origin == target:
        raise ValueError("a transfer handle moves members to another session, not to itself")
    call: Call[Handle] = _create_handle(body)
    return call


def _invite(calls: list[Call[Handle]]) -> Flow[list[Handle]]:
    created: list[Handle] = []
    for call in calls:
        try:
            created.append(result(call, (yield call)))
        except SessionClientError as error:
            error.handles = tuple(created)
            raise
    return created


def get_handle(handle_id: str) -> Call[Handle]:
    """Read a handle."""
    path = f"/handles/{check_handle_id(handle_id)}"
    return Call("GET", path, Target.HANDLE, HANDLE, safe=True)


def delete_handle(handle_id: str) -> Call[None]:
    """Delete a handle (the session stays)."""
    path = f"/handles/{check_handle_id(handle_id)}"
    return Call("DELETE", path, Target.HANDLE, DELETED, safe=True)


def get_by_handle(handle_id: str) -> Call[Session | None]:
    """Read the session behind a handle (its ``ref`` from ``Content-Location``)."""
    path = f"/handles/{check_handle_id(handle_id)}/session"
    return Call("GET", path, Target.SESSION, BY_HANDLE, safe=True)


def put_by_handle(
    handle_id: str, changes: Mapping[str, Any], *, if_match: ETag | str | None = None
) -> Call[Session | Accepted | None]:
    """Write a delta to the session behind a handle (joining through an invite)."""
    path = f"/handles/{check_handle_id(handle_id)}/session"
    headers, guarded = conditions("PUT", if_match=if_match)
    return Call(
        "PUT", path, Target.SESSION, WRITE, headers=headers, body=encode_json(changes), safe=guarded
    )


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
) -> Call[Handle]:
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
    return _create_handle(_new_handle(ref, "search", searchAttributes=attributes), SEARCH_WRITES)


def search(
    scid: str,
    template: str,
    *,
    filter: str | None = None,
    order_by: str | None = None,
    social_group: str | None = None,
    social_group_xuid: str | None = None,
) -> Call[list[SearchResult]]:
    """Search handles of ``template`` matching ``filter`` (e.g. ``strings/map eq
    'harbor' and numbers/skill ge 3``), sorted by ``order_by`` (``numbers/skill desc``)."""
    # XSAPI always sends "global": true (multiplayer_query_search_handle_request.cpp).
    body: dict[str, Any] = {
        "type": "search",
        "scid": _check_scid(scid),
        "templateName": _check_template(template),
        "global": True,
    }
    if filter is not None:
        body["filter"] = check_filter(filter)
    if order_by is not None:
        body["orderBy"] = _text(order_by, "order_by", limit=1024)
    members = _social_group(social_group, social_group_xuid)
    if members is not None:
        body["sessionMembers"] = members
    path = f"/handles/query?include={_SEARCH_INCLUDE}"
    return _read_call(path, Target.QUERY, _listing(SearchResult), body, SEARCH_READS)


# --- templates ----------------------------------------------------------------------


def _template_names(call: Call[Any], reply: Reply) -> list[str]:
    names = [r._str("name") for r in _results(View, call, reply)]
    if any(name is None for name in names):
        raise unexpected(call, reply, "a template without a name")
    return [name for name in names if name is not None]


def _template(call: Call[Any], reply: Reply) -> dict[str, Any]:
    if not isinstance(reply.document, dict):
        raise unexpected(call, reply, "a template is a JSON object")
    return reply.document


def templates(scid: str) -> Call[list[str]]:
    """The names of the session templates of ``scid``."""
    path = f"{_config_path(scid, None)}/sessiontemplates"
    return _read_call(path, Target.TEMPLATE, {Kind.DOCUMENT: _template_names})


def template(scid: str, name: str) -> Call[dict[str, Any]]:
    """A session template: its ``contractVersion`` and ``constants``."""
    if name is None:  # would read the service configuration instead
        raise ValueError("a template name is required")
    return _read_call(_config_path(scid, name), Target.TEMPLATE, {Kind.DOCUMENT: _template})
