"""The emulator's sans-I/O core: a session directory that turns requests into responses.

``Directory.handle`` takes an ``EmulatedRequest`` (method, raw path, headers, body) and
returns an ``EmulatedResponse``; adapters move them over httpx or ASGI. Everything the
service decides lives here: routing, authorization, rate limits, conditional writes,
delta merges, ETags and staged faults. Checks run in the service's order: fault,
authorization, throttling, URI (404), verb (405), headers (400), preconditions (412),
body (400), then the write itself (403 / 409).
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from email.utils import formatdate
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote

import attrs

from . import _lookup as lookup
from ._faults import Fault, FaultKind, FaultRates, FaultSchedule
from ._filter import parse_filter, parse_order, sort_key
from ._rta import RtaConnection, RtaHub
from ._throttle import Limiter, Throttle

__all__ = [
    "DEFAULT_SCID",
    "DEFAULT_SERVICE_CONFIGS",
    "Directory",
    "EmulatedRequest",
    "EmulatedResponse",
    "Fault",
    "FaultKind",
    "FaultRates",
    "HandledRequest",
    "Template",
    "Throttle",
]

Json = dict[str, Any]

_GUID = re.compile(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}", re.IGNORECASE)
_NAME = re.compile(r"(?!\.\.?$)[A-Za-z0-9_.\-]{1,100}")
_INDEX = re.compile(r"0|[1-9][0-9]{0,8}")
_ELEMENT_KEYS = {"members": re.compile(rf"me|{_INDEX.pattern}"), "servers": _NAME}
_AUTHORIZATION = re.compile(r"XBL3\.0 x=(?P<user>[^;\s]+);\S+")
_ENTITY_TAG = re.compile(r'(W/)?("[^"]*")')
_INTEGER = re.compile(r"\s*[0-9]{1,9}\s*")
_VERBS = ("GET", "PUT", "DELETE")
_LISTINGS = {"sessions": ("GET",), "batch": ("POST",), "templates": ("GET",), "template": ("GET",)}
_ONE, _REST = "*", "**"  # a route segment that takes one segment, or all that remain
Routes = tuple[tuple[tuple[str, ...], str], ...]
_ROUTES: Routes = (
    (("serviceconfigs", _ONE, "sessiontemplates"), "templates"),
    (("serviceconfigs", _ONE, "sessiontemplates", _ONE), "template"),
    (("serviceconfigs", _ONE, "sessions"), "sessions"),
    (("serviceconfigs", _ONE, "batch"), "batch"),
    (("serviceconfigs", _ONE, "sessiontemplates", _ONE, "sessions"), "sessions"),
    (("serviceconfigs", _ONE, "sessiontemplates", _ONE, "batch"), "batch"),
    (("serviceconfigs", _ONE, "sessiontemplates", _ONE, "sessions", _ONE, _REST), "session"),
)
"""The directory's paths (after ``/``, decoded), first match wins: what each names. The
``*`` segments are the route's parameters (SCID, template, session name, element)."""
_HANDLE_ROUTES: Routes = (
    ((), "create"),
    (("",), "create"),
    (("query",), "query"),
    ((_ONE,), "handle"),
    ((_ONE, "session"), "session"),
)
"""The paths below ``/handles/``."""
_SECTIONS = ("constants", "properties", "members", "servers", "roleTypes")
_PARTS = ("system", "custom")
_MEMBER_SECTIONS = ("constants", "properties", "roles")
_MAX_DEPTH = 64
_NO_BODY_STATUSES = frozenset({202, 503})  # the seed table gives these no body

_MPSD_LIMITS = Throttle()

DEFAULT_SCID = "00000000-0000-0000-0000-00000000abcd"
"""The service configuration of a ``Directory`` built without one."""


# --- values -------------------------------------------------------------------------


def _lower_keys(headers: Mapping[str, str]) -> Mapping[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@attrs.frozen
class EmulatedRequest:
    """A request as the directory sees it: upper-case ``method``, the raw
    (percent-encoded) ``path`` without query string, headers, body, and the raw
    ``query`` string (without ``?``)."""

    method: str
    path: str
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_lower_keys)
    """Header names are lower-cased on construction."""
    body: bytes = b""
    query: str = ""


@attrs.frozen
class EmulatedResponse:
    """The directory's answer. When ``fault`` is set the adapter must honour it:
    ``DROP`` and ``LOSE_RESPONSE`` break the connection instead of answering (``status``
    is 0 for a drop, which never reached the directory); ``DELAY`` answers after
    ``fault.seconds``; ``STATUS`` is informational, the response is complete."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    fault: Fault | None = None

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), or None."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


def _template_constants(value: Mapping[str, Any]) -> Json:
    # A private JSON copy, so that a template cannot change after it is built.
    constants: Json = json.loads(json.dumps(dict(value)))
    parts = [constants.setdefault(part, {}) for part in _PARTS]
    if set(constants) != set(_PARTS) or not all(isinstance(p, dict) for p in parts):
        raise ValueError('template constants are {"system": {...}, "custom": {...}}')
    return constants


@attrs.frozen
class Template:
    """A session template: its ``name`` and the ``constants`` every session made from
    it starts with (``{"system": {...}, "custom": {...}}``). ``Template.of`` builds
    the usual ones; a template is large when ``system.capabilities.large`` is true."""

    name: str = attrs.field(validator=attrs.validators.matches_re(_NAME))
    constants: Mapping[str, Any] = attrs.field(factory=dict, converter=_template_constants)

    @classmethod
    def of(
        cls,
        name: str,
        *,
        max_members: int = 8,
        large: bool = False,
        custom: Mapping[str, Any] | None = None,
    ) -> Template:
        """A template with ``maxMembersCount`` and the ``large`` capability set."""
        system = {"maxMembersCount": max_members, "capabilities": {"large": large}}
        return cls(name, {"system": system, "custom": dict(custom or {})})

    @property
    def is_large(self) -> bool:
        """Whether sessions of this template are large (members cannot add or remove
        one another)."""
        capabilities = self.constants["system"].get("capabilities")
        return isinstance(capabilities, dict) and capabilities.get("large") is True


DEFAULT_SERVICE_CONFIGS: Mapping[str, tuple[Template, ...]] = MappingProxyType(
    {
        DEFAULT_SCID: (
            Template.of("lobby", max_members=8),
            Template.of("arena", max_members=1000, large=True),
        )
    }
)
"""``DEFAULT_SCID`` with a normal template ``lobby`` and a large one ``arena``."""


class HandledRequest(NamedTuple):
    """A request the directory received, faulted or not, and the status it got
    (0 when the connection was dropped)."""

    method: str
    path: str
    status: int


# --- internals ------------------------------------------------------------------------


Element = tuple[str, str | None]  # ("members", "me"), ("servers", "x"), ("properties", None)


@attrs.frozen
class _Route:
    key: tuple[str, str, str]  # scid, template, session name
    template: Template
    element: Element | None

    @property
    def path(self) -> str:
        scid, template, name = self.key
        return f"/serviceconfigs/{scid}/sessiontemplates/{template}/sessions/{name}"


@attrs.frozen
class _Stored:
    document: Json
    etag: str


class _Refusal(Exception):
    """Ends a request early with ``response``; nothing it touched is kept."""

    def __init__(self, response: EmulatedResponse) -> None:
        super().__init__(response.status)
        self.response = response


class _NotYours(Exception):
    """A write to what the caller may read but not write (403 with the session)."""


def _text(status: int, message: str, *headers: tuple[str, str]) -> EmulatedResponse:
    content = (("Content-Type", "text/plain; charset=utf-8"),)
    return EmulatedResponse(status, content + headers, message.encode())


def _json(status: int, value: object, *headers: tuple[str, str]) -> EmulatedResponse:
    body = json.dumps(value, separators=(",", ":")).encode()
    return EmulatedResponse(status, (("Content-Type", "application/json"), *headers), body)


def _session_headers(route: _Route, stored: _Stored) -> tuple[tuple[str, str], ...]:
    return (("ETag", stored.etag), ("Content-Location", route.path))


def _reply(status: int, route: _Route, stored: _Stored) -> EmulatedResponse:
    """The whole session, whatever element the URI named."""
    return _json(status, stored.document, *_session_headers(route, stored))


def _bad(message: str) -> _Refusal:
    return _Refusal(_text(400, message))


def _conflict(message: str) -> _Refusal:
    return _Refusal(_text(409, message))


def _retry_after(value: float, time_scale: float) -> str:
    """A Retry-After value: whole seconds rounded up at real speed, else up to three
    decimals (rounded up, so that a client waiting that long is admitted)."""
    if time_scale == 1:
        return str(math.ceil(round(value, 6)))
    millis = math.ceil(round(value * 1000, 6))
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis / 1000:.3f}".rstrip("0")


def _matches(header: str | None, etag: str, *, weak: bool) -> bool:
    """Whether an If-Match (strong) or If-None-Match (weak) header names ``etag``."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return any((weak or not w) and tag == etag for w, tag in _ENTITY_TAG.findall(header))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: object) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return deepest


def _parse_object(body: bytes) -> Json:
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise _bad(f"the body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise _bad(f"the body must be a JSON object, not {type(value).__name__}")
    if _depth(value) > _MAX_DEPTH:
        raise _bad(f"the body is nested deeper than {_MAX_DEPTH} levels")
    return value


def _object(value: object, what: str) -> Json:
    if not isinstance(value, dict):
        raise _bad(f"{what} must be a JSON object")
    return value


def _only(value: Json, allowed: tuple[str, ...], what: str) -> Json:
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise _bad(f"unknown field {unknown[0]!r} in {what}: expected {', '.join(allowed)}")
    return value


def _parts(value: object, what: str) -> Json:
    """A constants or properties delta: ``{"system": {...}, "custom": {...}}``."""
    parts = _only(_object(value, what), _PARTS, what)
    for part, content in parts.items():
        _object(content, f"{what}.{part}")
    return parts


def _merge_patch(target: object, patch: object) -> Any:
    """``patch`` merged into a copy of ``target``; a null removes a key (RFC 7386)."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge_patch(merged.get(key), value)
    return merged


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True)  # tells 1, 1.0 and true apart


def _set_constants(current: Json, delta: Json, *, new: bool, where: str) -> None:
    """Write constants: new keys only while ``new`` (creating or joining); a value
    that differs from the one set, by the template or earlier, is a conflict."""
    for key, value in delta.items():
        name = f"{where}.{key}"
        if key not in current:
            if not new:
                raise _conflict(f"constant {name} can only be set when it is created")
            current[key] = value
        elif isinstance(value, dict) and isinstance(current[key], dict):
            _set_constants(current[key], value, new=new, where=name)
        elif _canonical(value) != _canonical(current[key]):
            raise _conflict(f"constant {name} conflicts with the session's value")


def _member_index(document: Json, xuid: str) -> str | None:
    members = document["members"].items()
    return next((i for i, m in members if m["constants"]["system"]["xuid"] == xuid), None)


def _add_member(document: Json, xuid: str) -> Json:
    info = document["membersInfo"]
    index, info["next"] = info["next"], info["next"] + 1  # indexes are never reused
    member = {
        "constants": {"system": {"xuid": xuid, "index": index}, "custom": {}},
        "properties": {"system": {}, "custom": {}},
    }
    document["members"][str(index)] = member
    return member


def _write_member(member: Json, delta: Json, *, joining: bool) -> None:
    _only(delta, _MEMBER_SECTIONS, "a member")
    if "constants" in delta:
        constants = _parts(delta["constants"], "member constants")
        _set_constants(member["constants"], constants, new=joining, where="member")
    if "properties" in delta:
        properties = _parts(delta["properties"], "member properties")
        member["properties"] = _merge_patch(member["properties"], properties)
    if "roles" in delta:  # role type -> role, at the member's root as XSAPI writes them
        roles = _object(delta["roles"], "a member's roles")
        if not all(isinstance(v, str | None) for v in roles.values()):
            raise _bad("a member's roles map role types to role names")
        member["roles"] = _merge_patch(member.get("roles", {}), roles)


def _reserve(document: Json, delta: Json, large: bool) -> None:
    """A reservation adds another user as a member who has not accepted yet."""
    if large:
        raise _conflict("members cannot reserve places for others in a large session")
    xuid = _parts(delta.get("constants", {}), "member constants").get("system", {}).get("xuid")
    if not isinstance(xuid, str) or not xuid:
        raise _bad("a reservation needs constants.system.xuid")
    if _member_index(document, xuid) is None:
        member = _add_member(document, xuid)
        member["reserved"] = True
        _write_member(member, delta, joining=True)


def _write_own(document: Json, index: str | None, caller: str, delta: Json | None) -> None:
    members = document["members"]
    if delta is None:
        members.pop(index, None)  # leaving
    elif index is None:
        _write_member(_add_member(document, caller), delta, joining=True)
    else:
        joining = members[index].pop("reserved", False)  # accepting a reservation
        _write_member(members[index], delta, joining=joining)


def _write_other(members: Json, index: str, delta: Json | None, large: bool) -> None:
    if delta is not None:
        raise _NotYours(f"member {index} is not yours to write")
    if index in members and large:
        raise _conflict("members cannot remove others from a large session")
    members.pop(index, None)


def _write_members(document: Json, delta: Json, caller: str, large: bool) -> None:
    for key, value in delta.items():
        if value is not None:
            _object(value, f"members.{key}")
        mine = _member_index(document, caller)
        if key in ("me", mine):
            _write_own(document, mine, caller, value)
        elif key.startswith("reserve_") and value is not None:
            _reserve(document, value, large)
        elif _INDEX.fullmatch(key):
            _write_other(document["members"], key, value, large)
        else:
            raise _bad(f"unknown member key {key!r}: expected me, an index or reserve_<n>")
    indexes = sorted(int(i) for i in document["members"])
    info = document["membersInfo"]
    info["first"] = indexes[0] if indexes else info["next"]
    info["count"] = len(indexes)
    info["accepted"] = sum(not m.get("reserved") for m in document["members"].values())


def _write_servers(document: Json, delta: Json) -> None:
    for name, server in delta.items():
        if not _NAME.fullmatch(name):
            raise _bad(f"invalid server name {name!r}")
        if server is not None:
            _object(server, f"servers.{name}")
    document["servers"] = _merge_patch(document["servers"], delta)


def _apply(document: Json, delta: Json, caller: str, *, creating: bool, large: bool) -> None:
    """Merge ``delta`` into ``document`` in place. Raises ``_Refusal`` (400, 409) or
    ``_NotYours`` (403) part-way through, so callers pass a copy."""
    for section in _only(delta, _SECTIONS, "a session delta"):
        _object(delta[section], section)
    members = delta.get("members", {})
    if creating:
        members = {"me": {}, **members}  # the creator joins unless "me" is null
    elif _member_index(document, caller) is None and not isinstance(members.get("me"), dict):
        raise _NotYours("only members can write to a session")
    if "constants" in delta:
        constants = _parts(delta["constants"], "constants")
        _set_constants(document["constants"], constants, new=creating, where="constants")
    if "properties" in delta:
        properties = _parts(delta["properties"], "properties")
        document["properties"] = _merge_patch(document["properties"], properties)
    _write_members(document, members, caller, large)
    _write_servers(document, delta.get("servers", {}))
    if "roleTypes" in delta:  # at the top, as XSAPI writes them (multiplayer_session.cpp)
        for name, role_type in delta["roleTypes"].items():
            if role_type is not None:
                _object(role_type, f"roleTypes.{name}")
        document["roleTypes"] = _merge_patch(document.get("roleTypes", {}), delta["roleTypes"])


def _match(routes: Routes, segments: list[str]) -> tuple[str, list[str]] | None:
    """The first route ``segments`` fit (literals compare case-insensitively), with the
    segments its parameters took; None when none fits."""
    for shape, name in routes:
        rest = shape[-1:] == (_REST,)
        fixed = shape[:-1] if rest else shape
        if len(segments) < len(fixed) or (not rest and len(segments) > len(fixed)):
            continue
        pairs = list(zip(fixed, segments[: len(fixed)], strict=True))
        if all(part in (_ONE, segment.lower()) for part, segment in pairs):
            taken = [segment for part, segment in pairs if part == _ONE]
            return name, taken + segments[len(fixed) :]
    return None


def _decoded(path: str) -> list[str]:
    """The segments of an absolute path, percent-decoded (strictly: a path that is not
    UTF-8 matches no route)."""
    segments = path.split("/")
    if segments[0]:
        return []
    try:
        return [unquote(s, errors="strict") for s in segments[1:]]
    except UnicodeDecodeError:
        return []


def _element(segments: list[str]) -> Element | None:
    """The element a path names below its session, or a 404."""
    if not segments:
        return None
    field = segments[0].lower()
    if len(segments) == 1 and field == "properties":
        return (field, None)
    pattern = _ELEMENT_KEYS.get(field)
    if len(segments) == 2 and pattern is not None and pattern.fullmatch(segments[1]):
        return (field, segments[1])
    raise _Refusal(_text(404, f"no such session element {'/'.join(segments)!r}"))


def _find(document: Json, element: Element, caller: str) -> Any:
    """The element's value in ``document``, or None."""
    field, key = element
    if key is None:
        return document[field]
    if field == "members" and key == "me":
        key = _member_index(document, caller)
    return document[field].get(key)


def _delta_for(element: Element, value: object) -> Json:
    """The session delta that writes ``value`` to ``element``."""
    field, key = element
    return {field: value if key is None else {key: value}}


def _removal(document: Json, element: Element) -> Json:
    """The session delta that removes ``element``."""
    field, key = element
    if key is None:  # properties: null every key of both parts
        return {field: {part: dict.fromkeys(document[field][part]) for part in _PARTS}}
    return {field: {key: None}}


# --- the directory --------------------------------------------------------------------


class Directory:
    """An in-memory session directory that answers like MPSD.

    ``service_configs`` maps SCIDs to their templates (default:
    ``DEFAULT_SERVICE_CONFIGS``). ``time_scale`` multiplies every duration (throttle
    windows, Retry-After values, delays): 0.01 runs a 15 s window in 0.15 s. ``clock``
    (monotonic seconds) drives the windows, ``wallclock`` (epoch seconds) ``Date`` and
    ``startTime``. ``fault_rate`` gives each fault a probability per request, drawn from
    ``random.Random(seed)``; ``inject`` scripts faults. ``handle`` is thread-safe.

    ``requests`` lists every request received, faulted or not, as ``HandledRequest``.
    """

    def __init__(
        self,
        service_configs: Mapping[str, Iterable[Template]] | None = None,
        *,
        throttle: Throttle = _MPSD_LIMITS,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
        seed: int = 0,
        fault_rate: FaultRates | None = None,
        inactive_after: float = 30.0,
    ) -> None:
        if not 0 < time_scale < math.inf:
            raise ValueError(f"time_scale must be positive and finite, not {time_scale!r}")
        self._configs: dict[str, dict[str, Template]] = {}
        for scid, templates in (service_configs or DEFAULT_SERVICE_CONFIGS).items():
            if not _GUID.fullmatch(scid):
                raise ValueError(f"invalid SCID {scid!r}: a service configuration id is a GUID")
            self._configs[scid.lower()] = {t.name: t for t in templates}
        self.time_scale = time_scale
        self.throttle = throttle
        self.requests: list[HandledRequest] = []
        self._clock = clock
        self._wallclock = wallclock
        self._limiter = Limiter(throttle, time_scale)
        # Search handles have their own buckets: one for reads, one for writes.
        self._search_reads = Limiter(throttle.for_search(), time_scale)
        self._search_writes = Limiter(throttle.for_search(), time_scale)
        self._handles: dict[str, Json] = {}
        self._social: dict[tuple[str, str], tuple[str, ...]] = {}
        self._handle_count = itertools.count(1)
        self._faults = FaultSchedule(seed, fault_rate)
        self._ids = uuid.UUID(int=seed % 2**128)
        self._sessions: dict[tuple[str, str, str], _Stored] = {}
        self._writes = itertools.count(1)
        self._created = itertools.count(1)
        self._request_ids = itertools.count(1)
        self._lock = threading.Lock()
        self.rta = RtaHub(clock, time_scale)
        """Real-Time Activity: its connections, and the faults to stage on them."""
        self.inactive_after = inactive_after
        """Emulated seconds after its RTA connection closes before a member that wrote
        that connection is made inactive."""

    def handle(self, request: EmulatedRequest) -> EmulatedResponse:
        """Answer one request (see the module docstring for the order of checks)."""
        with self._lock:
            self._sweep()
            self.rta.flush()
            fault = self._faults.pick(request.method, request.path)
            if fault is None or fault.kind in (FaultKind.LOSE_RESPONSE, FaultKind.DELAY):
                response = self._finish(self._serve(request))
            elif fault.kind is FaultKind.STATUS:
                response = self._finish(self._fault_status(fault))
            else:
                response = EmulatedResponse(0)
            if fault is not None:
                response = attrs.evolve(response, fault=fault.scaled(self.time_scale))
            self.requests.append(HandledRequest(request.method, request.path, response.status))
            return response

    def inject(
        self,
        fault: Fault,
        *,
        times: int = 1,
        method: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Stage ``fault`` for the next ``times`` requests with this method (any if
        None) whose path contains ``path_contains`` (any if None). Scripted faults
        are used in the order injected and take precedence over ``fault_rate``."""
        with self._lock:
            self._faults.inject(fault, times=times, method=method, path_contains=path_contains)

    def rta_connect(self, authorization: str | None) -> RtaConnection | None:
        """A new RTA connection for the caller this ``Authorization`` names, or None
        when it names nobody."""
        match = _AUTHORIZATION.fullmatch((authorization or "").strip())
        return None if match is None else self.rta.connect(match["user"])

    def session(self, scid: str, template: str, name: str) -> Json | None:
        """A copy of the stored session document, or None if there is none."""
        with self._lock:
            stored = self._sessions.get((scid.lower(), template, name))
            return None if stored is None else copy.deepcopy(stored.document)

    def set_social_group(self, xuid: str, group: str, members: Iterable[str]) -> None:
        """Make ``members`` the users of ``xuid``'s social group ``group`` (``people``,
        ``favorites`` ...), as Xbox Live's social service would list them: what the
        ``people`` moniker of an activity query or a search names."""
        with self._lock:
            self._social[(xuid, group)] = tuple(members)

    def handles(self) -> list[Json]:
        """Copies of the stored handles, oldest first."""
        with self._lock:
            return copy.deepcopy(list(self._handles.values()))

    # --- steps of a request

    def _finish(self, response: EmulatedResponse) -> EmulatedResponse:
        """Add the headers every answer carries."""
        common = (
            ("Date", formatdate(self._wallclock(), usegmt=True)),
            ("X-Request-Id", f"emu-{next(self._request_ids):06d}"),
        )
        return attrs.evolve(response, headers=response.headers + common)

    def _fault_status(self, fault: Fault) -> EmulatedResponse:
        headers: tuple[tuple[str, str], ...] = ()
        if fault.retry_after is not None:
            retry_after = _retry_after(fault.retry_after * self.time_scale, self.time_scale)
            headers = (("Retry-After", retry_after),)
        message = "" if fault.code in _NO_BODY_STATUSES else f"emulated fault: {fault.code}"
        return _text(fault.code, message, *headers)

    def _serve(self, request: EmulatedRequest) -> EmulatedResponse:
        try:
            caller = self._authenticate(request.headers)
            segments = request.path.split("/")
            if len(segments) > 1 and not segments[0] and segments[1].lower() == "handles":
                return self._serve_handles(request, caller, segments[2:])
            self._admit(caller, request.path)
            found = _match(_ROUTES, _decoded(request.path))
            if found is None:
                raise _Refusal(_text(404, "no such resource"))
            kind, parameters = found
            if kind != "session":
                scid, template = self._config(parameters)
                return self._serve_listing(request, caller, kind, scid, template)
            route = self._session_route(parameters)
            _verb(request, _VERBS)
            if request.method == "GET":
                return self._get(route, caller, request.headers)
            stored = self._precondition(route, request.headers)
            if request.method == "PUT":
                delta = _parse_object(request.body)
                if route.element is not None:
                    delta = _delta_for(route.element, delta)
                return self._write(route, caller, stored, delta)
            return self._delete(route, caller, stored)
        except _Refusal as refusal:
            return refusal.response

    @staticmethod
    def _authenticate(headers: Mapping[str, str]) -> str:
        """The caller's identity (the user hash); the token is never repeated."""
        value = headers.get("authorization")
        if value is None:
            raise _Refusal(_text(401, "authorization required: XBL3.0 x=<userhash>;<token>"))
        match = _AUTHORIZATION.fullmatch(value.strip())
        if match is None:
            raise _Refusal(_text(403, "authorization failed"))
        return match["user"]

    def _admit(
        self, caller: str, path: str, *, scid: str | None = None, limiter: Limiter | None = None
    ) -> None:
        if scid is None:
            segments = path.split("/")
            scid = unquote(segments[2]).lower() if len(segments) > 2 else ""
        verdict = (limiter or self._limiter).admit((caller, scid), self._clock())
        if verdict is None:
            return
        retry_after = ("Retry-After", _retry_after(verdict.retry_after, self.time_scale))
        if self.throttle.with_body:
            raise _Refusal(_json(429, verdict.report(), retry_after))
        raise _Refusal(EmulatedResponse(429, (retry_after,)))

    def _route(self, path: str) -> _Route:
        """The session (or element) a path names, or a 404."""
        found = _match(_ROUTES, _decoded(path))
        if found is None or found[0] != "session":
            raise _Refusal(_text(404, "no such resource"))
        return self._session_route(found[1])

    def _session_route(self, parameters: list[str]) -> _Route:
        scid, template_name, name, *element = parameters
        templates = self._configs.get(scid.lower())
        if templates is None:
            raise _Refusal(_text(404, f"unknown service configuration {scid!r}"))
        template = templates.get(template_name)
        if template is None:
            raise _Refusal(_text(404, f"unknown session template {template_name!r}"))
        if not _NAME.fullmatch(name):
            raise _Refusal(_text(404, f"invalid session name {name!r}"))
        return _Route((scid.lower(), template.name, name), template, _element(element))

    def _get(self, route: _Route, caller: str, headers: Mapping[str, str]) -> EmulatedResponse:
        stored = self._sessions.get(route.key)
        if stored is None:
            if route.element is not None:
                raise _Refusal(_text(404, "session does not exist"))
            return EmulatedResponse(204)
        if _matches(headers.get("if-none-match"), stored.etag, weak=True):
            return EmulatedResponse(304, (("ETag", stored.etag),))
        if route.element is None:
            return _reply(200, route, stored)
        value = _find(stored.document, route.element, caller)
        if value is None:
            return EmulatedResponse(204)
        return _json(200, value, *_session_headers(route, stored))

    def _precondition(self, route: _Route, headers: Mapping[str, str]) -> _Stored | None:
        """The stored session, once the write's preconditions hold."""
        stored = self._sessions.get(route.key)
        if stored is None and route.element is not None:
            raise _Refusal(_text(404, "session does not exist"))
        if_match, if_none_match = headers.get("if-match"), headers.get("if-none-match")
        if if_none_match is not None and if_none_match.strip() != "*":
            raise _bad("a write accepts only If-None-Match: *")
        if stored is None:
            if if_match is not None:
                raise _Refusal(EmulatedResponse(412))
        elif if_none_match is not None:
            raise _Refusal(EmulatedResponse(412))
        elif if_match is not None and not _matches(if_match, stored.etag, weak=False):
            raise _Refusal(_reply(412, route, stored))
        return stored

    def _write(
        self, route: _Route, caller: str, stored: _Stored | None, delta: Json
    ) -> EmulatedResponse:
        document = self._new_document(route.template) if stored is None else stored.document
        document = copy.deepcopy(document)  # applied to a copy: a refusal changes nothing
        try:
            _apply(document, delta, caller, creating=stored is None, large=route.template.is_large)
        except _NotYours as exc:
            raise _Refusal(
                _text(403, str(exc)) if stored is None else _reply(403, route, stored)
            ) from None
        if stored is not None and stored.document["members"] and not document["members"]:
            self._remove(route.key)  # the last member left
            return EmulatedResponse(204)
        for member in document["members"].values():
            if not member.get("reserved"):  # a reservation joins when it is taken
                member.setdefault("joinTime", self._now())
                member.setdefault("gamertag", f"Player {member['constants']['system']['xuid']}")
        limit = document["constants"].get("system", {}).get("maxMembersCount")
        before = len(stored.document["members"]) if stored is not None else 0
        if isinstance(limit, int) and before < len(document["members"]) > limit:
            raise _conflict(f"the session is full: at most {limit} members")
        document["changeNumber"] = stored.document.get("changeNumber", 0) + 1 if stored else 1
        written = _Stored(document, f'"{next(self._writes):016x}"')
        self._sessions[route.key] = written
        self._tap(route.key, document, document)
        return _reply(200 if stored else 201, route, written)

    def _delete(self, route: _Route, caller: str, stored: _Stored | None) -> EmulatedResponse:
        if stored is None:
            return EmulatedResponse(204)
        if route.element is None:
            if _member_index(stored.document, caller) is None:
                raise _Refusal(_reply(403, route, stored))  # readable, not yours to delete
            self._remove(route.key)
            return EmulatedResponse(204)
        if _find(stored.document, route.element, caller) is None:
            return _reply(200, route, stored)  # nothing to remove: the session as it is
        return self._write(route, caller, stored, _removal(stored.document, route.element))

    # --- documents and replies

    def _now(self) -> str:
        started = datetime.fromtimestamp(self._wallclock(), timezone.utc)
        return started.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _new_document(self, template: Template) -> Json:
        created = next(self._created)
        return {
            "constants": copy.deepcopy(dict(template.constants)),
            "properties": {"system": {}, "custom": {}},
            "members": {},
            "membersInfo": {"first": 0, "next": 0, "count": 0, "accepted": 0},
            "servers": {},
            "correlationId": str(uuid.uuid5(self._ids, str(created))),
            "branch": str(uuid.uuid5(self._ids, f"branch-{created}")),
            "startTime": self._now(),
        }

    def _remove(self, key: tuple[str, str, str]) -> None:
        """Delete a session, and every handle that points to it."""
        gone = self._sessions.pop(key).document
        self._tap(key, gone, {**gone, "changeNumber": gone.get("changeNumber", 0) + 1})
        ref = lookup.session_ref(key)
        for handle_id in [i for i, h in self._handles.items() if h["sessionRef"] == ref]:
            del self._handles[handle_id]

    # --- Real-Time Activity

    def _tap(self, key: tuple[str, str, str], members: Json, document: Json) -> None:
        """Tap every member of ``members`` subscribed to the session's changes."""
        resource = "~".join(key)
        number, branch = document.get("changeNumber", 0), document["branch"]
        woken: list[RtaConnection] = []
        with self.rta.lock:
            for member in members["members"].values():
                system = member["properties"]["system"]
                connection = self.rta.connection(str(system.get("connection")))
                if connection is not None and isinstance(system.get("subscription"), dict):
                    connection.tap(resource, number, branch)
                    woken.append(connection)
        for connection in woken:
            self.rta.wake(connection)

    def _sweep(self) -> None:
        """Make inactive the members whose RTA connection closed long enough ago."""
        if not self.rta.closed_at:
            return
        limit = self._clock() - self.inactive_after * self.time_scale
        with self.rta.lock:
            expired = {c for c, closed in self.rta.closed_at.items() if closed <= limit}
            for connection_id in expired:
                del self.rta.closed_at[connection_id]
        if not expired:
            return
        for key, stored in list(self._sessions.items()):
            document = copy.deepcopy(stored.document)
            lost = [
                m
                for m in document["members"].values()
                if m["properties"]["system"].get("connection") in expired
            ]
            if not lost:
                continue
            for member in lost:
                system = member["properties"]["system"]
                system["active"] = False
                system.pop("connection")
            document["changeNumber"] = document.get("changeNumber", 0) + 1
            self._sessions[key] = _Stored(document, f'"{next(self._writes):016x}"')
            self._tap(key, document, document)

    # --- queries and templates

    def _config(self, parameters: list[str]) -> tuple[str, Template | None]:
        """(SCID, template) of a query or template route, or a 404."""
        templates = self._configs.get(parameters[0].lower())
        if templates is None:
            raise _Refusal(_text(404, f"unknown service configuration {parameters[0]!r}"))
        if len(parameters) == 1:
            return parameters[0].lower(), None
        template = templates.get(parameters[1])
        if template is None:
            raise _Refusal(_text(404, f"unknown session template {parameters[1]!r}"))
        return parameters[0].lower(), template

    def _serve_listing(
        self, request: EmulatedRequest, caller: str, kind: str, scid: str, template: Template | None
    ) -> EmulatedResponse:
        _verb(request, _LISTINGS[kind])
        if kind == "templates":
            names = [
                {"name": t, "contractVersion": lookup.CONTRACT_VERSION} for t in self._configs[scid]
            ]
            return _json(200, {"results": names})
        if kind == "template":
            assert template is not None
            constants = copy.deepcopy(dict(template.constants))
            return _json(200, {"contractVersion": lookup.CONTRACT_VERSION, "constants": constants})
        params = dict(parse_qsl(request.query, keep_blank_values=True))
        try:
            if kind == "batch":
                xuids = lookup.check_xuids(_parse_object(request.body).get("xuids"), "xuids")
            else:
                xuids = [lookup.check_xuid(params["xuid"])] if "xuid" in params else []
            contract = request.headers.get("x-xbl-contract-version", "")
            return self._query(caller, scid, template, xuids, params, contract)
        except ValueError as exc:
            raise _bad(str(exc)) from None

    def _query(
        self,
        caller: str,
        scid: str,
        template: Template | None,
        xuids: list[str],
        params: Mapping[str, str],
        contract: str,
    ) -> EmulatedResponse:
        keyword = params.get("keyword")
        if not xuids and keyword is None:
            raise ValueError("a session query needs a keyword or xuid filter")
        visibility = params.get("visibility")
        if visibility not in (None, "private", "visible", "full", "open"):
            raise ValueError("visibility is private, visible, full or open")
        version = params.get("version")
        if version is not None and not (version.isdigit() and int(version) > 0):
            raise ValueError("version is a positive integer (a major session version)")
        highest = int(contract) % 100 if contract.isdigit() else lookup.CONTRACT_VERSION % 100
        if version is not None and int(version) > highest:
            raise ValueError("version is at most the contract version modulo 100")
        flags = {name: _flag(params, name) for name in ("private", "reservations", "inactive")}
        take = params.get("take")
        if take is not None and not (take.isdigit() and int(take) <= lookup.TAKE_MAX):
            raise ValueError(f"take is a number from 0 to {lookup.TAKE_MAX}")
        if (flags["private"] or flags["reservations"]) and not xuids:
            raise ValueError("private and reservations apply to a xuid query")
        if (flags["private"] or flags["reservations"]) and any(x != caller for x in xuids):
            # Another user's private sessions and reservations need server access.
            raise _Refusal(_text(403, "private and reservations are only for your own xuid"))
        found = []
        users: list[str | None] = [*xuids] or [None]  # None: a keyword query
        for xuid in users:
            for key, stored in self._sessions.items():
                if key[0] != scid or (template is not None and key[1] != template.name):
                    continue
                item = lookup.summary(
                    key,
                    stored.document,
                    xuid=xuid,
                    keyword=keyword,
                    visibility_filter=visibility,
                    **flags,
                )
                if item is not None:
                    found.append(item)
        return _json(200, {"results": found[: int(take)] if take is not None else found})

    # --- handles

    def _serve_handles(
        self, request: EmulatedRequest, caller: str, rest: list[str]
    ) -> EmulatedResponse:
        """``/handles``, ``/handles/query``, ``/handles/{id}``, ``/handles/{id}/session``."""
        rest = [unquote(s) for s in rest]
        handle = self._handles.get(rest[0]) if rest and rest[0].lower() != "query" else None
        self._admit_handle(caller, request, rest, handle)
        found = _match(_HANDLE_ROUTES, rest)
        if found is None:
            raise _Refusal(_text(404, "no such resource"))
        kind = found[0]
        if kind in ("create", "query"):
            _verb(request, ("POST",))
            if kind == "create":
                return self._create_handle(caller, request.body)
            return self._query_handles(request)
        if handle is None:
            raise _Refusal(_text(404, f"no such handle {rest[0]!r}"))
        scid, template, name = lookup.handle_ref(handle)
        route = _Route((scid, template, name), self._configs[scid][template], None)
        if kind == "session":  # the session behind the handle
            _verb(request, ("GET", "PUT"))
            if request.method == "GET":
                return self._get(route, caller, request.headers)
            stored = self._precondition(route, request.headers)
            if stored is None:
                raise _Refusal(_text(404, "the handle's session does not exist"))
            if handle["type"] == "transfer" and not self._is_member(handle, caller):
                raise _Refusal(_text(403, "only members of the origin session can transfer"))
            return self._write(route, caller, stored, _parse_object(request.body))
        _verb(request, ("GET", "DELETE"))
        if request.method == "GET":
            return _json(200, handle)
        if caller not in (handle["ownerXuid"], handle.get("invitedXuid")):
            raise _Refusal(_text(403, "only the handle's owner or invitee can delete it"))
        del self._handles[rest[0]]
        return EmulatedResponse(204)

    def _admit_handle(
        self, caller: str, request: EmulatedRequest, rest: list[str], handle: Json | None
    ) -> None:
        """Throttle a handle call: search handle reads and writes in their own buckets,
        everything else with the sessions of its SCID."""
        body: Any = None
        if request.method == "POST":
            try:
                body = json.loads(request.body)
            except (ValueError, RecursionError):
                body = None
        body = body if isinstance(body, dict) else {}
        kind = body.get("type") if handle is None else handle.get("type")
        ref = body.get("sessionRef") if handle is None else handle.get("sessionRef")
        scid = ref.get("scid") if isinstance(ref, dict) else body.get("scid")
        scid = scid.lower() if isinstance(scid, str) else ""
        limiter = None
        if kind == "search":
            reading = request.method == "GET" or rest == ["query"]
            limiter = self._search_reads if reading else self._search_writes
        self._admit(caller, request.path, scid=scid, limiter=limiter)

    def _create_handle(self, caller: str, raw: bytes) -> EmulatedResponse:
        body = _parse_object(raw)
        kind = body.get("type")
        if body.get("version") != 1 or kind not in lookup.HANDLE_TYPES:
            raise _bad(f"a handle needs version 1 and a type: {', '.join(lookup.HANDLE_TYPES)}")
        try:
            key = lookup.handle_ref(body)
            extras = lookup.handle_extras(kind, body)
        except ValueError as exc:
            raise _bad(str(exc)) from None
        route = self._route("/serviceconfigs/{}/sessiontemplates/{}/sessions/{}".format(*key))
        stored = self._sessions.get(route.key)
        if stored is None:
            raise _Refusal(_text(404, "the handle's session does not exist"))
        if _member_index(stored.document, caller) is None:
            raise _Refusal(_text(403, "only members of a session can create its handles"))
        if kind == "transfer" and not self._is_member(extras, caller):
            raise _Refusal(_text(403, "only members of the origin session can transfer it"))
        ref = lookup.session_ref(route.key)
        if kind == "activity":  # one activity per user and SCID: the new one replaces it
            for old in [
                i
                for i, h in self._handles.items()
                if h["type"] == "activity"
                and h["ownerXuid"] == caller
                and h["sessionRef"]["scid"] == ref["scid"]
            ]:
                del self._handles[old]
        handle_id = str(uuid.uuid5(self._ids, f"handle-{next(self._handle_count)}"))
        title = extras.get("inviteAttributes", {}).get("titleId", "0")
        handle = {
            "id": handle_id,
            "version": 1,
            "type": kind,
            "sessionRef": ref,
            "ownerXuid": caller,
            "titleId": title,
            "createTime": self._now(),
            "gameTypes": ["emulator"],
            **extras,
        }
        self._handles[handle_id] = handle
        where = f"/handles/{handle_id}"
        if kind == "activity":  # "Response body for setting activity: None" (the reference)
            return EmulatedResponse(201, headers=(("Location", where),))
        return _json(201, handle, ("Location", where), ("Content-Location", where))

    def _is_member(self, transfer: Json, caller: str) -> bool:
        """Whether ``caller`` is in the origin session of a transfer handle."""
        stored = self._sessions.get(lookup.handle_ref(transfer, "originSessionRef"))
        return stored is not None and _member_index(stored.document, caller) is not None

    def _group(self, value: object, where: str) -> set[str] | None:
        """The users of the social group ``value.people`` names (None: it names none)."""
        found = lookup.people(value, where)
        return None if found is None else set(self._social.get((found[1], found[0]), ()))

    def _query_handles(self, request: EmulatedRequest) -> EmulatedResponse:
        body = _parse_object(request.body)
        params = dict(parse_qsl(request.query, keep_blank_values=True))
        include = {part.strip() for part in params.get("include", "").split(",")}
        scid = body.get("scid")
        if not isinstance(scid, str) or scid.lower() not in self._configs:
            raise _bad("a handle query needs the scid of a known service configuration")
        scid = scid.lower()
        try:
            if body.get("type") == "activity":
                owners = body.get("owners")
                group = self._group(owners, "owners")
                if group is not None:
                    xuids = sorted(group)
                else:
                    xuids = lookup.check_xuids(
                        owners.get("xuids") if isinstance(owners, dict) else None,
                        "owners.xuids",
                    )
                found = [
                    h
                    for x in xuids
                    for h in self._handles.values()
                    if h["type"] == "activity"
                    and h["ownerXuid"] == x
                    and h["sessionRef"]["scid"] == scid
                ]
            elif body.get("type") == "search":
                found = self._search(scid, body)
            else:
                raise ValueError("a handle query's type is activity or search")
        except ValueError as exc:
            raise _bad(str(exc)) from None
        results = []
        for handle in found:
            document = self._sessions[lookup.handle_ref(handle)].document
            result = copy.deepcopy(handle)
            if "relatedInfo" in include:
                result["relatedInfo"] = lookup.related_info(document)
            if "roleInfo" in include:
                result["roleInfo"] = lookup.role_info(document)
            if "customProperties" in include:
                result["customProperties"] = copy.deepcopy(document["properties"]["custom"])
            results.append(result)
        return _json(200, {"results": results})

    def _search(self, scid: str, body: Json) -> list[Json]:
        template = body.get("templateName")
        if not isinstance(template, str) or template not in self._configs[scid]:
            raise ValueError("a search needs the templateName of a known template")
        text, order = body.get("filter"), body.get("orderBy")
        if not isinstance(text, str | None) or not isinstance(order, str | None):
            raise ValueError("filter and orderBy are strings")
        matches = parse_filter(text) if text else None
        keys = parse_order(order) if order else []
        group = self._group(body.get("sessionMembers"), "sessionMembers")
        if group is None and "sessionMembers" in body:
            raise ValueError("sessionMembers names a social group: {people: {moniker, ...}}")
        found = []
        for handle in self._handles.values():
            ref = handle["sessionRef"]
            if handle["type"] != "search" or (ref["scid"], ref["templateName"]) != (scid, template):
                continue
            record = lookup.search_record(
                handle, self._sessions[lookup.handle_ref(handle)].document
            )
            if group is not None and group.isdisjoint(record["session/memberXuids"]):
                continue
            if matches is None or matches(record):
                found.append((handle, record))
        for path, descending in reversed(keys):
            # Two stable sorts per key: by value, then absent values last.
            found.sort(key=lambda pair: sort_key(pair[1], path)[1], reverse=descending)
            found.sort(key=lambda pair: sort_key(pair[1], path)[0])
        return [handle for handle, _ in found[:_SEARCH_MAX]]


_SEARCH_MAX = 100  # MPSD returns the first 100 matches (live-session-browse.md:263)


def _verb(request: EmulatedRequest, allowed: tuple[str, ...]) -> None:
    """405 unless the method is allowed; 400 for a contract version that is no integer."""
    if request.method not in allowed:
        allow = ("Allow", ", ".join(allowed))
        raise _Refusal(_text(405, f"{request.method} is not allowed here", allow))
    version = request.headers.get("x-xbl-contract-version")
    if version is not None and not _INTEGER.fullmatch(version):
        raise _bad("x-xbl-contract-version must be an integer")


def _flag(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise ValueError(f"{name} is true or false")
    return value == "true"
