"""Typed, read-only views of MPSD documents: the session document (contract 107), the
results of session queries and handle queries, and handles.

A view wraps the JSON object it came from and reads a field only when it is asked
for, so a caller who never touches a view pays nothing for it. Reading is tolerant
and strict at once: unknown fields are ignored, an absent field reads as None (an
empty tuple or mapping for collections), and a field of the wrong type raises
``MalformedResponseError`` naming the field, never ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar, overload

import attrs

from ._exceptions import MalformedResponseError
from ._ref import SessionRef

V = TypeVar("V", bound="View")
T = TypeVar("T")

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_INDEX = re.compile(r"0|[1-9][0-9]{0,8}")
# ISO 8601 as MPSD writes it: any number of fraction digits (it uses 3 and 7), a zone.
_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,12}))?"
    r"(?:([Zz])|([+-])(\d\d):?(\d\d))?"
)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 timestamp as MPSD writes it (``2024-05-01T18:30:00.1234567Z``), as
    an aware ``datetime`` (UTC when no zone is given); None when it is not one."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, _zulu, sign, zone_h, zone_m = match.groups()[6:]
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if sign:
        offset = timedelta(hours=int(zone_h), minutes=int(zone_m))
        offset = -offset if sign == "-" else offset
    try:
        return datetime(year, month, day, hour, minute, second, micros, timezone(offset))
    except ValueError:  # month 13, an offset of a day or more, ...
        return None


class ReadOnly(Mapping[str, Any]):
    """A JSON object that cannot be changed, all the way down: an object inside reads
    as a ``ReadOnly``, an array as a ``ReadOnlyArray``. Nothing is copied until read;
    it equals the dict it came from."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return read_only(self._data[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"ReadOnly({thawed(self._data)!r})"


class ReadOnlyArray(tuple[Any, ...]):
    """A JSON array that cannot be changed: a tuple that equals the list it came from."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__


def read_only(value: Any) -> Any:
    """JSON data as something that cannot be changed (see ``ReadOnly``)."""
    if isinstance(value, dict):
        return ReadOnly(value)
    if isinstance(value, list):
        return ReadOnlyArray(read_only(item) for item in value)
    return value


def thawed(value: Any) -> Any:
    """A copy of JSON data as plain dicts and lists, which its holder may change
    without changing what it came from."""
    if isinstance(value, Mapping):
        return {key: thawed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [thawed(item) for item in value]
    return value


@attrs.frozen(repr=False)
class View:
    """Base of the typed views: ``document`` is the JSON object read; ``where`` its
    place in the response (for messages) and ``url`` where the response came from."""

    _document: Mapping[str, Any] = attrs.field(hash=False, alias="document")
    where: str = attrs.field(default="", eq=False)
    url: str = attrs.field(default="", eq=False)

    @property
    def document(self) -> dict[str, Any]:
        """The whole JSON object: a copy, which may be changed without changing this."""
        result: dict[str, Any] = thawed(self._document)
        return result

    _shown: ClassVar[tuple[str, ...]] = ()

    def __repr__(self) -> str:
        parts = []
        for name in self._shown:
            try:
                parts.append(f"{name}={getattr(self, name)!r}")
            except MalformedResponseError:
                parts.append(f"{name}=<malformed>")
        return f"{type(self).__name__}({', '.join(parts)})"

    # --- typed reads ------------------------------------------------------------

    def _path(self, *keys: str) -> str:
        return ".".join(k for k in (self.where, *keys) if k)

    def _wrong(self, keys: tuple[str, ...], value: object, want: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"the response's {self._path(*keys)} is {_kind(value)}, expected {want}", url=self.url
        )

    def _raw(self, *keys: str) -> Any:
        """The value at ``keys`` below the document, None when any step is absent; an
        intermediate step that is not an object is malformed."""
        node: Any = self._document
        for depth, key in enumerate(keys):
            if node is None:
                return None
            if not isinstance(node, Mapping):
                raise self._wrong(keys[:depth], node, "an object")
            node = node.get(key)
        return node

    def _str(self, *keys: str) -> str | None:
        value = self._raw(*keys)
        if value is None or isinstance(value, str):
            return value
        raise self._wrong(keys, value, "a string")

    def _int(self, *keys: str) -> int | None:
        value = self._raw(*keys)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer() and math.isfinite(value):
            return int(value)  # JSON has one number type: 8.0 is 8
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise self._wrong(keys, value, "an integer")

    def _bool(self, *keys: str) -> bool | None:
        value = self._raw(*keys)
        if value is None or isinstance(value, bool):
            return value
        raise self._wrong(keys, value, "a boolean")

    def _time(self, *keys: str) -> datetime | None:
        value = self._str(*keys)
        if value is None:
            return None
        parsed = parse_time(value)
        if parsed is None:
            raise MalformedResponseError(
                f"the response's {self._path(*keys)} is not an ISO 8601 time: {value[:60]!r}",
                url=self.url,
            )
        return parsed

    def _object(self, *keys: str) -> Mapping[str, Any]:
        value = self._raw(*keys)
        if value is None:
            return _EMPTY
        if isinstance(value, Mapping):
            return ReadOnly(value)
        raise self._wrong(keys, value, "an object")

    def _strings(self, *keys: str) -> tuple[str, ...]:
        value = self._raw(*keys)
        if value is None:
            return ()
        if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            return tuple(value)
        raise self._wrong(keys, value, "an array of strings")

    def _ints(self, *keys: str) -> tuple[int, ...]:
        value = self._raw(*keys)
        if value is None:
            return ()
        if isinstance(value, list | tuple) and all(
            isinstance(i, int) and not isinstance(i, bool) for i in value
        ):
            return tuple(value)
        raise self._wrong(keys, value, "an array of integers")

    def _mapping_of(
        self, kind: type | tuple[type, ...], want: str, *keys: str
    ) -> Mapping[str, Any]:
        found = self._object(*keys)
        for name, value in found.items():
            if not isinstance(value, kind) or isinstance(value, bool):
                raise self._wrong((*keys, name), value, want)
        return found

    def _view(self, cls: type[V], *keys: str) -> V:
        return cls(self._object(*keys), self._path(*keys), self.url)

    def _ref(self, key: str) -> SessionRef:
        value = self._raw(key)
        if value is None:
            raise MalformedResponseError(
                f"the response's {self._path(key)} is missing", url=self.url
            )
        ref = self._view(_RefView, key)
        try:
            return SessionRef(ref.scid, ref.template, ref.name)
        except (TypeError, ValueError) as exc:
            raise MalformedResponseError(
                f"the response's {self._path(key)} is not a session reference: {exc}",
                url=self.url,
            ) from None


class Field(Generic[T]):
    """A view's field, read from its document each time it is asked for: ``read``
    (one of ``View``'s typed reads) at ``path``, dotted keys below the document."""

    __slots__ = ("keys", "read")

    def __init__(self, read: Callable[..., T], path: str) -> None:
        self.read = read
        self.keys = tuple(path.split("."))

    @overload
    def __get__(self, view: None, owner: type[View]) -> Field[T]: ...
    @overload
    def __get__(self, view: View, owner: type[View]) -> T: ...
    def __get__(self, view: View | None, owner: type[View]) -> Field[T] | T:
        return self if view is None else self.read(view, *self.keys)


def string(path: str) -> Field[str | None]:
    """A string field."""
    return Field(View._str, path)


def integer(path: str) -> Field[int | None]:
    """An integer field (8.0 reads as 8)."""
    return Field(View._int, path)


def boolean(path: str) -> Field[bool | None]:
    """A boolean field."""
    return Field(View._bool, path)


def timestamp(path: str) -> Field[datetime | None]:
    """An ISO 8601 time, as an aware ``datetime``."""
    return Field(View._time, path)


def mapping(path: str) -> Field[Mapping[str, Any]]:
    """An object, read-only (empty when absent)."""
    return Field(View._object, path)


def strings(path: str) -> Field[tuple[str, ...]]:
    """An array of strings (empty when absent)."""
    return Field(View._strings, path)


def integers(path: str) -> Field[tuple[int, ...]]:
    """An array of integers (empty when absent)."""
    return Field(View._ints, path)


def reference(path: str) -> Field[SessionRef]:
    """A required session reference (``{scid, templateName, name}``)."""
    return Field(View._ref, path)


def nested(cls: type[V], path: str) -> Field[V]:
    """An object read as the view ``cls``."""
    return Field(functools.partial(_nested, cls), path)


def _nested(cls: type[V], view: View, *keys: str) -> V:
    return view._view(cls, *keys)


def mapping_of(kind: type | tuple[type, ...], want: str, path: str) -> Field[Mapping[str, Any]]:
    """An object whose every value is of ``kind`` (``want`` names it in errors)."""
    return Field(functools.partial(_mapping_of, kind, want), path)


def _mapping_of(kind: type | tuple[type, ...], want: str, view: View, *keys: str) -> Any:
    return view._mapping_of(kind, want, *keys)


@attrs.frozen(repr=False)
class _RefView(View):
    scid = string("scid")
    template = string("templateName")
    name = string("name")


# --- the session document -----------------------------------------------------------


@attrs.frozen(repr=False)
class Member(View):
    """One member of a session (``members.<index>``). In a large session the document
    holds only the caller's own member."""

    _shown: ClassVar[tuple[str, ...]] = ("index", "xuid", "gamertag")
    _key: str | None = attrs.field(default=None, eq=False, kw_only=True)
    """The member's key in ``members``, as the document spells it (kept whole: a key
    such as ``"x.5"`` must not read as index 5)."""

    @property
    def index(self) -> int:
        """The member's index (its key in ``members``; never reused)."""
        key = self._key
        if key is not None and _INDEX.fullmatch(key):
            return int(key)
        value = self._int("constants", "system", "index")
        if value is None:
            shown = "(unknown)" if key is None else repr(key[:60])
            raise MalformedResponseError(f"member key {shown} is not an index", url=self.url)
        return value

    xuid = string("constants.system.xuid")
    """``constants.system.xuid``: the member's Xbox user id."""

    gamertag = string("gamertag")
    """The member's gamertag."""

    active = boolean("properties.system.active")
    """``properties.system.active``: playing the session right now."""

    ready = boolean("properties.system.ready")
    """``properties.system.ready``: ready to play."""

    join_time = timestamp("joinTime")
    """When the member joined."""

    active_title_id = string("activeTitleId")
    """The title the member is active in."""

    roles = mapping_of(str, "a string", "roles")
    """The member's roles: role type to role name."""

    custom_properties = mapping("properties.custom")
    """``properties.custom`` of the member."""

    custom_constants = mapping("constants.custom")
    """``constants.custom`` of the member."""

    device_token = string("deviceToken")
    """The token of the member's device (``host`` names one of them)."""

    nat = string("nat")
    """The device's NAT type: ``open``, ``moderate``, ``strict`` or ``unknown``."""

    reserved = boolean("reserved")
    """Whether the place is reserved and not yet taken."""

    turn = boolean("turn")
    """Whether it is the member's turn."""

    initialize = boolean("constants.system.initialize")
    """``constants.system.initialize``: the member asked for member initialization."""

    matchmaking_result = mapping("constants.system.matchmakingResult")
    """``constants.system.matchmakingResult`` (``serverMeasurements`` ...) as it is."""

    secure_device_address = string("properties.system.secureDeviceAddress")
    """``properties.system.secureDeviceAddress`` (base64)."""

    subscription = mapping("properties.system.subscription")
    """``properties.system.subscription``: ``id`` and ``changeTypes``."""

    measurements = mapping("properties.system.measurements")
    """``properties.system.measurements``: QoS to each peer, by device token."""

    server_measurements = mapping("properties.system.serverMeasurements")
    """``properties.system.serverMeasurements``: QoS to the measurement servers."""

    initialization_group = integers("properties.system.initializationGroup")
    """``properties.system.initializationGroup``: the member indexes initialized
        together with this one."""

    groups = strings("properties.system.groups")
    """``properties.system.groups``: the member's groups."""

    encounters = strings("properties.system.encounters")
    """``properties.system.encounters``: who the member met, for reputation."""


@attrs.frozen(repr=False)
class SessionConstants(View):
    """``constants`` of a session: set when it was created, never changed."""

    _shown: ClassVar[tuple[str, ...]] = ("max_members_count", "visibility")

    system = mapping("system")
    """``constants.system`` as it is, for fields without a property here (the
        ``*RemovalTimeout`` values, ``memberInitialization`` ...)."""

    max_members_count = integer("system.maxMembersCount")
    """The most members the session may hold."""

    visibility = string("system.visibility")
    """``open``, ``visible`` or ``private``."""

    @property
    def capabilities(self) -> Mapping[str, bool]:
        """The capabilities (``connectivity``, ``gameplay``, ``large``, ``crossPlay``,
        ``searchable``, ``hasOwners`` ...), each a boolean."""
        found = self._object("system", "capabilities")
        for name, value in found.items():
            if not isinstance(value, bool):
                raise self._wrong(("system", "capabilities", name), value, "a boolean")
        return found

    custom = mapping("custom")
    """``constants.custom``."""


@attrs.frozen(repr=False)
class SystemProperties(View):
    """``properties.system`` of a session."""

    _shown: ClassVar[tuple[str, ...]] = ("join_restriction", "keywords", "closed")

    join_restriction = string("joinRestriction")
    """``none``, ``local`` or ``followed``: who may join."""

    read_restriction = string("readRestriction")
    """``none``, ``local`` or ``followed``: who may read."""

    keywords = strings("keywords")
    """The keywords queries can find the session by."""

    host = string("host")
    """The device token of the host."""

    closed = boolean("closed")
    """Whether the session refuses new members."""

    locked = boolean("locked")
    """Whether the session refuses anyone who has not been in it."""

    turn = integers("turn")
    """The indexes of the members whose turn it is."""

    matchmaking = mapping("matchmaking")
    """``properties.system.matchmaking`` as it is."""

    owners = integers("owners")
    """The indexes of the session's owners."""

    initialization_succeeded = boolean("initializationSucceeded")
    """Whether member initialization succeeded."""

    server_connection_string_candidates = strings("serverConnectionStringCandidates")
    """The servers the members may connect to."""

    matchmaking_resubmit = boolean("matchmakingResubmit")
    """Whether the match should be resubmitted to matchmaking."""


@attrs.frozen(repr=False)
class MembersInfo(View):
    """``membersInfo``: the session's member counts and indexes."""

    _shown: ClassVar[tuple[str, ...]] = ("count", "accepted", "active")

    first = integer("first")
    """The lowest member index in use."""

    next = integer("next")
    """The index the next member will get."""

    count = integer("count")
    """Members, reservations included."""

    accepted = integer("accepted")
    """Members who accepted (joined)."""

    active = integer("active")
    """Members who are active."""


@attrs.frozen(repr=False)
class SessionDocument(View):
    """The typed reading of a whole session document (``Session`` delegates here)."""

    @property
    def members(self) -> tuple[Member, ...]:
        """The members in index order."""
        found = self._object("members")
        members = []
        for key, value in found.items():
            if not isinstance(value, Mapping):
                raise self._wrong(("members", key), value, "an object")
            members.append(Member(value, self._path("members", key), self.url, key=key))
        members.sort(key=lambda m: m.index)
        return tuple(members)

    def member(self, xuid: str) -> Member | None:
        """The member with this xuid, or None."""
        if not isinstance(xuid, str):
            raise TypeError(f"xuid must be a str, not {type(xuid).__name__}")
        return next((m for m in self.members if m.xuid == xuid), None)

    constants = nested(SessionConstants, "constants")
    """``constants``."""

    system_properties = nested(SystemProperties, "properties.system")
    """``properties.system``."""

    change_number = integer("changeNumber")
    """``changeNumber``: grows with every change to the session."""

    members_info = nested(MembersInfo, "membersInfo")
    """``membersInfo``."""

    start_time = timestamp("startTime")
    """When the session was created."""

    correlation_id = string("correlationId")
    """The id that ties the session's records together in the service's logs."""

    branch = string("branch")
    """The session's branch (changes when it is recreated)."""

    contract_version = integer("contractVersion")
    """The contract version the session was written with."""

    next_timer = timestamp("nextTimer")
    """When the service will next act on the session by itself (a timeout)."""

    host_candidates = strings("hostCandidates")
    """The device tokens that could host, best first."""

    servers = mapping("servers")
    """``servers``: the session's server entries, by name, as they are."""

    @property
    def initializing(self) -> Initializing:
        """``initializing``: member initialization's stage and episode."""
        return self._view(Initializing, "initializing")  # defined below

    @property
    def role_types(self) -> tuple[RoleType, ...]:
        """``roleTypes``: the session's role types and their roles."""
        found = self._object("roleTypes")
        types = []
        for name, value in found.items():
            if not isinstance(value, Mapping):
                raise self._wrong(("roleTypes", name), value, "an object")
            types.append(RoleType(value, self._path("roleTypes", name), self.url, name))
        return tuple(types)

    def role(self, name: str, role_type: str | None = None) -> Role | None:
        """The role ``name`` (of ``role_type``, needed when two types have one of that
        name), or None."""
        if not isinstance(name, str) or not isinstance(role_type, str | None):
            raise TypeError("name and role_type must be str")
        found = [
            r
            for t in self.role_types
            if role_type in (None, t.name)
            for r in t.roles
            if r.name == name
        ]
        if len(found) > 1:
            raise ValueError(f"role {name!r} is in several role types: give role_type")
        return found[0] if found else None


@attrs.frozen(repr=False)
class Initializing(View):
    """``initializing``: where member initialization stands."""

    _shown: ClassVar[tuple[str, ...]] = ("stage", "episode")

    stage = string("stage")
    """``joining``, ``measuring``, ``evaluating`` or ``failed``."""

    stage_start_time = timestamp("stageStartTime")
    """When the stage began."""

    episode = integer("episode")
    """The initialization episode (1 for the first)."""


@attrs.frozen(repr=False)
class RoleType(View):
    """One role type of a session (``roleTypes.<name>``)."""

    name: str = ""
    _shown: ClassVar[tuple[str, ...]] = ("name", "roles")

    owner_managed = boolean("ownerManaged")
    """Whether only the session's owners assign these roles."""

    mutable_role_settings = strings("mutableRoleSettings")
    """Which role settings may change after creation: ``max``, ``target``."""

    @property
    def roles(self) -> tuple[Role, ...]:
        """The roles of this type."""
        found = self._object("roles")
        roles = []
        for name, value in found.items():
            if not isinstance(value, Mapping):
                raise self._wrong(("roles", name), value, "an object")
            roles.append(Role(value, self._path("roles", name), self.url, name, self.name))
        return tuple(roles)


@attrs.frozen(repr=False)
class Role(View):
    """One role (``roleTypes.<type>.roles.<name>``): how many members hold it, and its
    limits."""

    name: str = ""
    role_type: str = ""
    _shown: ClassVar[tuple[str, ...]] = ("role_type", "name", "count")

    count = integer("count")
    """How many members hold the role."""

    max = integer("max")
    """The most members that may hold it."""

    target = integer("target")
    """How many members should hold it."""

    member_xuids = strings("memberXuids")
    """Who holds it."""


# --- queries and handles --------------------------------------------------------------


@attrs.frozen(repr=False)
class SessionSummary(View):
    """One result of a session query (``client.query``): a session a user is in, or
    that has a keyword. ``ref`` is required; every other field may be None."""

    _shown: ClassVar[tuple[str, ...]] = ("ref", "xuid", "status")

    ref = reference("sessionRef")
    """The session (``sessionRef``)."""

    xuid = string("xuid")
    """The user this result is for."""

    start_time = timestamp("startTime")
    """When the session was created."""

    accepted = integer("accepted")
    """How many members have accepted."""

    status = string("status")
    """The user's status in the session: ``active``, ``inactive``, ``reserved``."""

    visibility = string("visibility")
    """The session's visibility."""

    join_restriction = string("joinRestriction")
    """The session's join restriction."""

    my_turn = boolean("myTurn")
    """Whether it is the user's turn."""

    keywords = strings("keywords")
    """The session's keywords."""


@attrs.frozen(repr=False)
class RelatedInfo(View):
    """``relatedInfo`` of a handle query result: the state of the session behind it."""

    _shown: ClassVar[tuple[str, ...]] = ("members_count", "max_members_count", "closed")

    visibility = string("visibility")
    """The session's visibility."""

    join_restriction = string("joinRestriction")
    """The session's join restriction."""

    closed = boolean("closed")
    """Whether the session is closed."""

    max_members_count = integer("maxMembersCount")
    """The session's member limit."""

    members_count = integer("membersCount")
    """How many members the session has."""

    session_owners = strings("sessionOwners")
    """The xuids of the session's owners."""


@attrs.frozen(repr=False)
class Handle(View):
    """A handle: a pointer to a session (an activity, an invite or a search entry).
    ``id`` and ``ref`` are required; ``document`` is the whole handle."""

    _shown: ClassVar[tuple[str, ...]] = ("id", "type", "ref")

    @property
    def id(self) -> str:
        """The handle's id (for ``get_handle``, ``delete_handle``, ``get_by_handle``)."""
        value = self._str("id")
        if value is None:
            raise MalformedResponseError(
                f"the response's {self._path('id')} is missing", url=self.url
            )
        return value

    type = string("type")
    """``activity``, ``invite``, ``search`` or ``transfer``."""

    ref = reference("sessionRef")
    """The session the handle points to."""

    version = integer("version")
    """The handle format's version (1)."""

    @property
    def origin_ref(self) -> SessionRef | None:
        """A transfer handle's origin (``originSessionRef``): the session whose
        members may join ``ref`` through it; None on other handles."""
        return None if self._raw("originSessionRef") is None else self._ref("originSessionRef")

    owner_xuid = string("ownerXuid")
    """Who created the handle."""

    title_id = string("titleId")
    """The title the handle was created from."""

    create_time = timestamp("createTime")
    """When the handle was created."""

    game_types = strings("gameTypes")
    """The platforms the title runs on."""

    invite_protocol = string("inviteProtocol")
    """How an invite is delivered (``game``)."""

    invited_xuid = string("invitedXuid")
    """An invite's recipient."""

    sender_xuid = string("senderXuid")
    """Who sent an invite."""

    expiration = timestamp("expiration")
    """When an invite expires."""

    invite_attributes = mapping("inviteAttributes")
    """An invite's ``titleId``, ``context``, ``contextString``, ``senderString``."""

    tags = strings("searchAttributes.tags")
    """A search handle's ``searchAttributes.tags``."""

    numbers = mapping_of((int, float), "a number", "searchAttributes.numbers")
    """A search handle's ``searchAttributes.numbers``."""

    strings = mapping_of(str, "a string", "searchAttributes.strings")
    """A search handle's ``searchAttributes.strings``."""

    related_info = nested(RelatedInfo, "relatedInfo")
    """The session's state, in handle query results (``relatedInfo``)."""

    role_info = mapping("roleInfo")
    """The session's roles, in search results (``roleInfo``)."""

    custom_properties = mapping("customProperties")
    """The session's custom properties, in handle query results."""


@attrs.frozen(repr=False)
class Activity(Handle):
    """What a user is playing: an activity handle as ``client.activities`` returns it,
    with ``related_info`` (visibility, join restriction, closed, member counts)."""

    _shown: ClassVar[tuple[str, ...]] = ("owner_xuid", "ref")


@attrs.frozen(repr=False)
class SearchResult(Handle):
    """A search handle found by ``client.search``: its ``tags``, ``numbers`` and
    ``strings``, and the session's ``related_info``, ``role_info`` and
    ``custom_properties``."""

    _shown: ClassVar[tuple[str, ...]] = ("ref", "strings", "numbers")


def results(document: Any, cls: type[V], url: str) -> list[V]:
    """The ``results`` array of a query answer as views (each read lazily); the
    array itself must be there and hold objects."""
    found = document.get("results") if isinstance(document, dict) else None
    if not isinstance(found, list):
        raise MalformedResponseError(
            f"the response is {_kind(document)} without a results array", url=url
        )
    for position, item in enumerate(found):
        if not isinstance(item, dict):
            raise MalformedResponseError(
                f"the response's results[{position}] is {_kind(item)}, expected an object",
                url=url,
            )
    return [cls(item, f"results[{i}]", url) for i, item in enumerate(found)]
