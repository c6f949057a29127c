"""Typed, read-only views of MPSD documents: the session document (contract 107), the
results of session queries and handle queries, and handles.

A view wraps the JSON object it came from and reads a field only when it is asked
for, so a caller who never touches a view pays nothing for it. Reading is tolerant
and strict at once: unknown fields are ignored, an absent field reads as None (an
empty tuple or mapping for collections), and a field of the wrong type raises
``MalformedResponseError`` naming the field, never ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

import attrs

from ._exceptions import MalformedResponseError
from ._ref import SessionRef

V = TypeVar("V", bound="View")

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
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "an array", dict: "an object"}.get(type(value), type(value).__name__)  # fmt: skip


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


@attrs.frozen(repr=False)
class View:
    """Base of the typed views: ``document`` is the JSON object read; ``where`` its
    place in the response (for messages) and ``url`` where the response came from."""

    document: Mapping[str, Any] = attrs.field(hash=False)
    where: str = attrs.field(default="", eq=False)
    url: str = attrs.field(default="", eq=False)

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
        node: Any = self.document
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
        if isinstance(value, dict):
            return MappingProxyType(value)
        raise self._wrong(keys, value, "an object")

    def _strings(self, *keys: str) -> tuple[str, ...]:
        value = self._raw(*keys)
        if value is None:
            return ()
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
        raise self._wrong(keys, value, "an array of strings")

    def _ints(self, *keys: str) -> tuple[int, ...]:
        value = self._raw(*keys)
        if value is None:
            return ()
        if isinstance(value, list) and all(
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


@attrs.frozen(repr=False)
class _RefView(View):
    @property
    def scid(self) -> str | None:
        return self._str("scid")

    @property
    def template(self) -> str | None:
        return self._str("templateName")

    @property
    def name(self) -> str | None:
        return self._str("name")


# --- the session document -----------------------------------------------------------


@attrs.frozen(repr=False)
class Member(View):
    """One member of a session (``members.<index>``). In a large session the document
    holds only the caller's own member."""

    _shown: ClassVar[tuple[str, ...]] = ("index", "xuid", "gamertag")

    @property
    def index(self) -> int:
        """The member's index (its key in ``members``; never reused)."""
        key = self.where.rpartition(".")[2]
        if _INDEX.fullmatch(key):
            return int(key)
        value = self._int("constants", "system", "index")
        if value is None:
            raise MalformedResponseError(f"member key {key!r} is not an index", url=self.url)
        return value

    @property
    def xuid(self) -> str | None:
        """``constants.system.xuid``: the member's Xbox user id."""
        return self._str("constants", "system", "xuid")

    @property
    def gamertag(self) -> str | None:
        """The member's gamertag."""
        return self._str("gamertag")

    @property
    def active(self) -> bool | None:
        """``properties.system.active``: playing the session right now."""
        return self._bool("properties", "system", "active")

    @property
    def ready(self) -> bool | None:
        """``properties.system.ready``: ready to play."""
        return self._bool("properties", "system", "ready")

    @property
    def join_time(self) -> datetime | None:
        """When the member joined."""
        return self._time("joinTime")

    @property
    def active_title_id(self) -> str | None:
        """The title the member is active in."""
        return self._str("activeTitleId")

    @property
    def roles(self) -> Mapping[str, str]:
        """The member's roles: role type to role name."""
        return self._mapping_of(str, "a string", "roles")

    @property
    def custom_properties(self) -> Mapping[str, Any]:
        """``properties.custom`` of the member."""
        return self._object("properties", "custom")

    @property
    def custom_constants(self) -> Mapping[str, Any]:
        """``constants.custom`` of the member."""
        return self._object("constants", "custom")

    @property
    def device_token(self) -> str | None:
        """The token of the member's device (``host`` names one of them)."""
        return self._str("deviceToken")

    @property
    def nat(self) -> str | None:
        """The device's NAT type: ``open``, ``moderate``, ``strict`` or ``unknown``."""
        return self._str("nat")

    @property
    def reserved(self) -> bool | None:
        """Whether the place is reserved and not yet taken."""
        return self._bool("reserved")

    @property
    def turn(self) -> bool | None:
        """Whether it is the member's turn."""
        return self._bool("turn")

    @property
    def initialize(self) -> bool | None:
        """``constants.system.initialize``: the member asked for member initialization."""
        return self._bool("constants", "system", "initialize")

    @property
    def matchmaking_result(self) -> Mapping[str, Any]:
        """``constants.system.matchmakingResult`` (``serverMeasurements`` ...) as it is."""
        return self._object("constants", "system", "matchmakingResult")

    @property
    def secure_device_address(self) -> str | None:
        """``properties.system.secureDeviceAddress`` (base64)."""
        return self._str("properties", "system", "secureDeviceAddress")

    @property
    def subscription(self) -> Mapping[str, Any]:
        """``properties.system.subscription``: ``id`` and ``changeTypes``."""
        return self._object("properties", "system", "subscription")

    @property
    def measurements(self) -> Mapping[str, Any]:
        """``properties.system.measurements``: QoS to each peer, by device token."""
        return self._object("properties", "system", "measurements")

    @property
    def server_measurements(self) -> Mapping[str, Any]:
        """``properties.system.serverMeasurements``: QoS to the measurement servers."""
        return self._object("properties", "system", "serverMeasurements")

    @property
    def initialization_group(self) -> tuple[int, ...]:
        """``properties.system.initializationGroup``: the member indexes initialized
        together with this one."""
        return self._ints("properties", "system", "initializationGroup")

    @property
    def groups(self) -> tuple[str, ...]:
        """``properties.system.groups``: the member's groups."""
        return self._strings("properties", "system", "groups")

    @property
    def encounters(self) -> tuple[str, ...]:
        """``properties.system.encounters``: who the member met, for reputation."""
        return self._strings("properties", "system", "encounters")


@attrs.frozen(repr=False)
class SessionConstants(View):
    """``constants`` of a session: set when it was created, never changed."""

    _shown: ClassVar[tuple[str, ...]] = ("max_members_count", "visibility")

    @property
    def system(self) -> Mapping[str, Any]:
        """``constants.system`` as it is, for fields without a property here (the
        ``*RemovalTimeout`` values, ``memberInitialization`` ...)."""
        return self._object("system")

    @property
    def max_members_count(self) -> int | None:
        """The most members the session may hold."""
        return self._int("system", "maxMembersCount")

    @property
    def visibility(self) -> str | None:
        """``open``, ``visible`` or ``private``."""
        return self._str("system", "visibility")

    @property
    def capabilities(self) -> Mapping[str, bool]:
        """The capabilities (``connectivity``, ``gameplay``, ``large``, ``crossPlay``,
        ``searchable``, ``hasOwners`` ...), each a boolean."""
        found = self._object("system", "capabilities")
        for name, value in found.items():
            if not isinstance(value, bool):
                raise self._wrong(("system", "capabilities", name), value, "a boolean")
        return found

    @property
    def custom(self) -> Mapping[str, Any]:
        """``constants.custom``."""
        return self._object("custom")


@attrs.frozen(repr=False)
class SystemProperties(View):
    """``properties.system`` of a session."""

    _shown: ClassVar[tuple[str, ...]] = ("join_restriction", "keywords", "closed")

    @property
    def join_restriction(self) -> str | None:
        """``none``, ``local`` or ``followed``: who may join."""
        return self._str("joinRestriction")

    @property
    def read_restriction(self) -> str | None:
        """``none``, ``local`` or ``followed``: who may read."""
        return self._str("readRestriction")

    @property
    def keywords(self) -> tuple[str, ...]:
        """The keywords queries can find the session by."""
        return self._strings("keywords")

    @property
    def host(self) -> str | None:
        """The device token of the host."""
        return self._str("host")

    @property
    def closed(self) -> bool | None:
        """Whether the session refuses new members."""
        return self._bool("closed")

    @property
    def locked(self) -> bool | None:
        """Whether the session refuses anyone who has not been in it."""
        return self._bool("locked")

    @property
    def turn(self) -> tuple[int, ...]:
        """The indexes of the members whose turn it is."""
        return self._ints("turn")

    @property
    def matchmaking(self) -> Mapping[str, Any]:
        """``properties.system.matchmaking`` as it is."""
        return self._object("matchmaking")

    @property
    def owners(self) -> tuple[int, ...]:
        """The indexes of the session's owners."""
        return self._ints("owners")

    @property
    def initialization_succeeded(self) -> bool | None:
        """Whether member initialization succeeded."""
        return self._bool("initializationSucceeded")

    @property
    def server_connection_string_candidates(self) -> tuple[str, ...]:
        """The servers the members may connect to."""
        return self._strings("serverConnectionStringCandidates")

    @property
    def matchmaking_resubmit(self) -> bool | None:
        """Whether the match should be resubmitted to matchmaking."""
        return self._bool("matchmakingResubmit")


@attrs.frozen(repr=False)
class MembersInfo(View):
    """``membersInfo``: the session's member counts and indexes."""

    _shown: ClassVar[tuple[str, ...]] = ("count", "accepted", "active")

    @property
    def first(self) -> int | None:
        """The lowest member index in use."""
        return self._int("first")

    @property
    def next(self) -> int | None:
        """The index the next member will get."""
        return self._int("next")

    @property
    def count(self) -> int | None:
        """Members, reservations included."""
        return self._int("count")

    @property
    def accepted(self) -> int | None:
        """Members who accepted (joined)."""
        return self._int("accepted")

    @property
    def active(self) -> int | None:
        """Members who are active."""
        return self._int("active")


@attrs.frozen(repr=False)
class SessionDocument(View):
    """The typed reading of a whole session document (``Session`` delegates here)."""

    @property
    def members(self) -> tuple[Member, ...]:
        """The members in index order."""
        found = self._object("members")
        members = []
        for key, value in found.items():
            if not isinstance(value, dict):
                raise self._wrong(("members", key), value, "an object")
            members.append(Member(value, self._path("members", key), self.url))
        members.sort(key=lambda m: m.index)
        return tuple(members)

    def member(self, xuid: str) -> Member | None:
        """The member with this xuid, or None."""
        if not isinstance(xuid, str):
            raise TypeError(f"xuid must be a str, not {type(xuid).__name__}")
        return next((m for m in self.members if m.xuid == xuid), None)

    @property
    def constants(self) -> SessionConstants:
        """``constants``."""
        return self._view(SessionConstants, "constants")

    @property
    def system_properties(self) -> SystemProperties:
        """``properties.system``."""
        return self._view(SystemProperties, "properties", "system")

    @property
    def change_number(self) -> int | None:
        """``changeNumber``: grows with every change to the session."""
        return self._int("changeNumber")

    @property
    def members_info(self) -> MembersInfo:
        """``membersInfo``."""
        return self._view(MembersInfo, "membersInfo")

    @property
    def start_time(self) -> datetime | None:
        """When the session was created."""
        return self._time("startTime")

    @property
    def correlation_id(self) -> str | None:
        """The id that ties the session's records together in the service's logs."""
        return self._str("correlationId")

    @property
    def branch(self) -> str | None:
        """The session's branch (changes when it is recreated)."""
        return self._str("branch")

    @property
    def contract_version(self) -> int | None:
        """The contract version the session was written with."""
        return self._int("contractVersion")

    @property
    def next_timer(self) -> datetime | None:
        """When the service will next act on the session by itself (a timeout)."""
        return self._time("nextTimer")

    @property
    def host_candidates(self) -> tuple[str, ...]:
        """The device tokens that could host, best first."""
        return self._strings("hostCandidates")

    @property
    def servers(self) -> Mapping[str, Any]:
        """``servers``: the session's server entries, by name, as they are."""
        return self._object("servers")

    @property
    def initializing(self) -> Initializing:
        """``initializing``: member initialization's stage and episode."""
        return self._view(Initializing, "initializing")

    @property
    def role_types(self) -> tuple[RoleType, ...]:
        """``roleTypes``: the session's role types and their roles."""
        found = self._object("roleTypes")
        types = []
        for name, value in found.items():
            if not isinstance(value, dict):
                raise self._wrong(("roleTypes", name), value, "an object")
            types.append(RoleType(value, self._path("roleTypes", name), self.url, name))
        return tuple(types)

    def role(self, name: str, role_type: str | None = None) -> Role | None:
        """The role ``name`` (of ``role_type``, needed when two types have one of that
        name), or None."""
        if not isinstance(name, str) or not isinstance(role_type, str | None):
            raise TypeError("name and role_type must be str")
        found = [r for t in self.role_types if role_type in (None, t.name)
                 for r in t.roles if r.name == name]  # fmt: skip
        if len(found) > 1:
            raise ValueError(f"role {name!r} is in several role types: give role_type")
        return found[0] if found else None


@attrs.frozen(repr=False)
class Initializing(View):
    """``initializing``: where member initialization stands."""

    _shown: ClassVar[tuple[str, ...]] = ("stage", "episode")

    @property
    def stage(self) -> str | None:
        """``joining``, ``measuring``, ``evaluating`` or ``failed``."""
        return self._str("stage")

    @property
    def stage_start_time(self) -> datetime | None:
        """When the stage began."""
        return self._time("stageStartTime")

    @property
    def episode(self) -> int | None:
        """The initialization episode (1 for the first)."""
        return self._int("episode")


@attrs.frozen(repr=False)
class RoleType(View):
    """One role type of a session (``roleTypes.<name>``)."""

    name: str = ""
    _shown: ClassVar[tuple[str, ...]] = ("name", "roles")

    @property
    def owner_managed(self) -> bool | None:
        """Whether only the session's owners assign these roles."""
        return self._bool("ownerManaged")

    @property
    def mutable_role_settings(self) -> tuple[str, ...]:
        """Which role settings may change after creation: ``max``, ``target``."""
        return self._strings("mutableRoleSettings")

    @property
    def roles(self) -> tuple[Role, ...]:
        """The roles of this type."""
        found = self._object("roles")
        roles = []
        for name, value in found.items():
            if not isinstance(value, dict):
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

    @property
    def count(self) -> int | None:
        """How many members hold the role."""
        return self._int("count")

    @property
    def max(self) -> int | None:
        """The most members that may hold it."""
        return self._int("max")

    @property
    def target(self) -> int | None:
        """How many members should hold it."""
        return self._int("target")

    @property
    def member_xuids(self) -> tuple[str, ...]:
        """Who holds it."""
        return self._strings("memberXuids")


# --- queries and handles --------------------------------------------------------------


@attrs.frozen(repr=False)
class SessionSummary(View):
    """One result of a session query (``client.query``): a session a user is in, or
    that has a keyword. ``ref`` is required; every other field may be None."""

    _shown: ClassVar[tuple[str, ...]] = ("ref", "xuid", "status")

    @property
    def ref(self) -> SessionRef:
        """The session (``sessionRef``)."""
        return self._ref("sessionRef")

    @property
    def xuid(self) -> str | None:
        """The user this result is for."""
        return self._str("xuid")

    @property
    def start_time(self) -> datetime | None:
        """When the session was created."""
        return self._time("startTime")

    @property
    def accepted(self) -> int | None:
        """How many members have accepted."""
        return self._int("accepted")

    @property
    def status(self) -> str | None:
        """The user's status in the session: ``active``, ``inactive``, ``reserved``."""
        return self._str("status")

    @property
    def visibility(self) -> str | None:
        """The session's visibility."""
        return self._str("visibility")

    @property
    def join_restriction(self) -> str | None:
        """The session's join restriction."""
        return self._str("joinRestriction")

    @property
    def my_turn(self) -> bool | None:
        """Whether it is the user's turn."""
        return self._bool("myTurn")

    @property
    def keywords(self) -> tuple[str, ...]:
        """The session's keywords."""
        return self._strings("keywords")


@attrs.frozen(repr=False)
class RelatedInfo(View):
    """``relatedInfo`` of a handle query result: the state of the session behind it."""

    _shown: ClassVar[tuple[str, ...]] = ("members_count", "max_members_count", "closed")

    @property
    def visibility(self) -> str | None:
        """The session's visibility."""
        return self._str("visibility")

    @property
    def join_restriction(self) -> str | None:
        """The session's join restriction."""
        return self._str("joinRestriction")

    @property
    def closed(self) -> bool | None:
        """Whether the session is closed."""
        return self._bool("closed")

    @property
    def max_members_count(self) -> int | None:
        """The session's member limit."""
        return self._int("maxMembersCount")

    @property
    def members_count(self) -> int | None:
        """How many members the session has."""
        return self._int("membersCount")

    @property
    def session_owners(self) -> tuple[str, ...]:
        """The xuids of the session's owners."""
        return self._strings("sessionOwners")


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
            raise MalformedResponseError(f"the response's {self._path('id')} is missing",
                                         url=self.url)  # fmt: skip
        return value

    @property
    def type(self) -> str | None:
        """``activity``, ``invite``, ``search`` or ``transfer``."""
        return self._str("type")

    @property
    def ref(self) -> SessionRef:
        """The session the handle points to."""
        return self._ref("sessionRef")

    @property
    def version(self) -> int | None:
        """The handle format's version (1)."""
        return self._int("version")

    @property
    def origin_ref(self) -> SessionRef | None:
        """A transfer handle's origin (``originSessionRef``): the session whose
        members may join ``ref`` through it; None on other handles."""
        return None if self._raw("originSessionRef") is None else self._ref("originSessionRef")

    @property
    def owner_xuid(self) -> str | None:
        """Who created the handle."""
        return self._str("ownerXuid")

    @property
    def title_id(self) -> str | None:
        """The title the handle was created from."""
        return self._str("titleId")

    @property
    def create_time(self) -> datetime | None:
        """When the handle was created."""
        return self._time("createTime")

    @property
    def game_types(self) -> tuple[str, ...]:
        """The platforms the title runs on."""
        return self._strings("gameTypes")

    @property
    def invite_protocol(self) -> str | None:
        """How an invite is delivered (``game``)."""
        return self._str("inviteProtocol")

    @property
    def invited_xuid(self) -> str | None:
        """An invite's recipient."""
        return self._str("invitedXuid")

    @property
    def sender_xuid(self) -> str | None:
        """Who sent an invite."""
        return self._str("senderXuid")

    @property
    def expiration(self) -> datetime | None:
        """When an invite expires."""
        return self._time("expiration")

    @property
    def invite_attributes(self) -> Mapping[str, Any]:
        """An invite's ``titleId``, ``context``, ``contextString``, ``senderString``."""
        return self._object("inviteAttributes")

    @property
    def tags(self) -> tuple[str, ...]:
        """A search handle's ``searchAttributes.tags``."""
        return self._strings("searchAttributes", "tags")

    @property
    def numbers(self) -> Mapping[str, float]:
        """A search handle's ``searchAttributes.numbers``."""
        return self._mapping_of((int, float), "a number", "searchAttributes", "numbers")

    @property
    def strings(self) -> Mapping[str, str]:
        """A search handle's ``searchAttributes.strings``."""
        return self._mapping_of(str, "a string", "searchAttributes", "strings")

    @property
    def related_info(self) -> RelatedInfo:
        """The session's state, in handle query results (``relatedInfo``)."""
        return self._view(RelatedInfo, "relatedInfo")

    @property
    def role_info(self) -> Mapping[str, Any]:
        """The session's roles, in search results (``roleInfo``)."""
        return self._object("roleInfo")

    @property
    def custom_properties(self) -> Mapping[str, Any]:
        """The session's custom properties, in handle query results."""
        return self._object("customProperties")


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
