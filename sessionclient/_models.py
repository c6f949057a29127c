"""The typed results of session calls."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from ._etag import ETag
from ._ref import SessionRef
from ._views import (
    Initializing,
    Member,
    MembersInfo,
    ReadOnly,
    Role,
    RoleType,
    SessionConstants,
    SessionDocument,
    SystemProperties,
    thawed,
)

Document = dict[str, Any]
"""A JSON object as decoded from a response body."""

_copied_document = property(
    lambda self: thawed(self._document),
    doc="The body as decoded: a copy, which may be changed without changing this result.",
)
"""The ``document`` of every result but ``Session``: one property, shared."""
CHANGE_TYPES = frozenset(
    {
        "everything",
        "host",
        "initialization",
        "matchmakingStatus",
        "membersList",
        "membersStatus",
        "joinability",
        "customProperty",
        "membersCustomProperty",
    }
)
"""MPSD's session change types, as a member subscribes to them (``subscription.
changeTypes``, XSAPI's multiplayer_session_member.cpp:536-573) and as
``Session.changes_since`` reports them."""


@attrs.frozen
class Session:
    """A session as the service returned it.

    ``document`` is the whole JSON object; ``etag`` its validator for ``If-Match``
    (``None`` only when a server left the header out); ``created`` is True on 201;
    ``request_id`` is the service's correlation id for the response that carried it
    (MPSD's ``X-XblCorrelationId``), not part of the session: equality ignores it.
    """

    ref: SessionRef
    etag: ETag | None
    _document: Document = attrs.field(repr=False, hash=False, alias="document")
    created: bool = False
    request_id: str | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def document(self) -> Document:
        """The whole session as the service sent it: a copy, so that a change made to
        it never reaches a later write (``update`` starts from what the server sent)."""
        result: Document = thawed(self._document)
        return result

    # The typed view is built on each access, never in __init__: a call that does not
    # read it does not pay for it. Wrong types raise MalformedResponseError when read.

    def _view(self) -> SessionDocument:
        return SessionDocument(self._document, "", self.ref.path)

    @property
    def members(self) -> tuple[Member, ...]:
        """The members as typed ``Member`` views, in index order (empty when there
        are none; in a large session, only the caller)."""
        return self._view().members

    def member(self, xuid: str) -> Member | None:
        """The member with this xuid, or None."""
        return self._view().member(xuid)

    @property
    def constants(self) -> SessionConstants:
        """``constants``: ``max_members_count``, ``visibility``, ``capabilities``,
        ``custom`` (set at creation)."""
        return self._view().constants

    @property
    def system_properties(self) -> SystemProperties:
        """``properties.system``: ``join_restriction``, ``read_restriction``,
        ``keywords``, ``host``, ``closed``, ``locked``, ``turn``."""
        return self._view().system_properties

    @property
    def change_number(self) -> int | None:
        """``changeNumber``, or None when the document has none."""
        return self._view().change_number

    @property
    def members_info(self) -> MembersInfo:
        """``membersInfo``: ``first``, ``next``, ``count``, ``accepted``, ``active``."""
        return self._view().members_info

    @property
    def role_types(self) -> tuple[RoleType, ...]:
        """``roleTypes``: the role types and their ``roles`` (count, max, target)."""
        return self._view().role_types

    def role(self, name: str, role_type: str | None = None) -> Role | None:
        """The role ``name`` (of ``role_type`` when two types have one), or None."""
        return self._view().role(name, role_type)

    @property
    def initializing(self) -> Initializing:
        """``initializing``: member initialization's ``stage`` and ``episode``."""
        return self._view().initializing

    @property
    def servers(self) -> Mapping[str, Any]:
        """``servers``: the server entries, by name, as they are."""
        return self._view().servers

    @property
    def host_candidates(self) -> tuple[str, ...]:
        """``hostCandidates``: device tokens that could host, best first."""
        return self._view().host_candidates

    @property
    def branch(self) -> str | None:
        """``branch``: changes when the session is recreated."""
        return self._view().branch

    @property
    def contract_version(self) -> int | None:
        """``contractVersion`` of the document."""
        return self._view().contract_version

    @property
    def next_timer(self) -> datetime | None:
        """``nextTimer``: when the service next acts on the session by itself."""
        return self._view().next_timer

    @property
    def custom_properties(self) -> Mapping[str, Any]:
        """``properties.custom`` of the session, read-only (empty when absent)."""
        properties = self._document.get("properties")
        custom = properties.get("custom") if isinstance(properties, dict) else None
        return ReadOnly(custom if isinstance(custom, dict) else {})

    def changes_since(self, previous: Session | None) -> frozenset[str]:
        """What changed since ``previous`` (the same session, read earlier), as the
        change types MPSD names: ``host``, ``initialization``, ``matchmakingStatus``,
        ``membersList``, ``membersStatus``, ``membersCustomProperty``, ``joinability``
        and ``customProperty``; the rules of XSAPI's session comparison. Without a
        previous session, ``{"everything"}``. Never raises on what the documents hold:
        a field of the wrong type compares as a value."""
        if previous is None:
            return frozenset({"everything"})
        if not isinstance(previous, Session):
            raise TypeError(f"previous must be a Session, not {type(previous).__name__}")
        if previous.ref != self.ref:
            raise ValueError(f"previous is another session ({previous.ref}, not {self.ref})")
        now, before = _Facts(self._document), _Facts(previous._document)
        found = {name for name, test in _CHANGES if test(now) != test(before)}
        members, earlier = now.members(), before.members()
        if members.keys() != earlier.keys():
            found.add("membersList")
        common = members.keys() & earlier.keys()
        if any(_status(members[x]) != _status(earlier[x]) for x in common):
            found.add("membersStatus")
        custom = ("properties", "custom")
        if any(
            _canonical(_get(members[x], *custom)) != _canonical(_get(earlier[x], *custom))
            for x in common
        ):
            found.add("membersCustomProperty")
        return frozenset(found)


def _get(value: object, *path: str) -> Any:
    """The value at ``path`` in nested objects, None where one is missing."""
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True)  # tells 1, 1.0 and true apart


def _status(member: Document) -> str:
    system = _get(member, "properties", "system")
    if _get(system, "active") is True:
        return "active"
    if _get(system, "ready") is True:
        return "ready"
    return "reserved" if member.get("reserved") is True else "inactive"


class _Facts:
    """What the comparison reads of one session document."""

    def __init__(self, document: Document) -> None:
        self.document = document

    def members(self) -> dict[object, Document]:
        members = self.document.get("members")
        found = members.values() if isinstance(members, dict) else ()
        return {
            json.dumps(_get(m, "constants", "system", "xuid")): m
            for m in found
            if isinstance(m, dict)
        }

    def host(self) -> object:
        host = _get(self.document, "properties", "system", "host")
        return host.lower() if isinstance(host, str) else host  # XSAPI: case-blind

    def joinability(self) -> tuple[str, ...]:
        system = _get(self.document, "properties", "system")
        most = _get(self.document, "constants", "system", "maxMembersCount")
        flags = tuple(_canonical(_get(system, k)) for k in ("closed", "locked", "joinRestriction"))
        return (*flags, str(len(self.members()) == most))  # full or not

    def matchmaking(self) -> str:
        system = _get(self.document, "servers", "matchmaking", "properties", "system")
        if system is None:
            return ""
        return _canonical([_get(system, "status"), _get(system, "targetSessionRef")])


_CHANGES: tuple[tuple[str, Callable[[_Facts], object]], ...] = (
    ("host", _Facts.host),
    ("initialization", lambda f: _canonical(_get(f.document, "initializing", "stage"))),
    ("matchmakingStatus", _Facts.matchmaking),
    ("joinability", _Facts.joinability),
    ("customProperty", lambda f: _canonical(_get(f.document, "properties", "custom"))),
)
"""The change types read from one value of each session (the member ones compare
members by xuid)."""


@attrs.frozen
class Element:
    """One element of a session (``members/me``, ``servers/x`` ...) read on its own."""

    ref: SessionRef
    path: str
    etag: ETag | None
    _document: Document = attrs.field(repr=False, hash=False, alias="document")
    document = _copied_document


@attrs.frozen
class NotModified:
    """304: your copy is current (it matches ``If-None-Match``, or nothing changed
    since ``If-Modified-Since``). ``ref`` is the session, or a resource's path."""

    ref: SessionRef | str
    etag: ETag | None

    @property
    def path(self) -> str:
        """The path: a resource's, or the session's (as every resource result names it)."""
        return self.ref if isinstance(self.ref, str) else self.ref.path


@attrs.frozen
class Accepted:
    """202: the service accepted the write but has not completed it yet. ``ref`` is
    the session, or a resource's path."""

    ref: SessionRef | str
    message: str = ""

    @property
    def path(self) -> str:
        """The path: a resource's, or the session's (as every resource result names it)."""
        return self.ref if isinstance(self.ref, str) else self.ref.path


@attrs.frozen
class Resource:
    """A representation from a resource API (200, or any 2xx the profile has no
    other meaning for): its validators, its body and the status that carried it.

    ``document`` is the decoded JSON, or under the ``rest`` profile (and for a 2xx no
    row knows) the text of a ``text/*`` body, the bytes of any other, ``None`` when
    empty."""

    path: str
    etag: ETag | None
    last_modified: datetime | None
    _document: Any = attrs.field(repr=False, hash=False, alias="document")
    status: int = 200
    document = _copied_document


@attrs.frozen
class PartialContent:
    """206: part of the resource (Contacts: the changes asked for with DeltaSync)."""

    path: str
    etag: ETag | None
    _document: Any = attrs.field(repr=False, hash=False, alias="document")
    document = _copied_document


@attrs.frozen
class Created:
    """201: a new resource; ``location`` is its URL when the server gave one."""

    path: str
    location: str | None
    etag: ETag | None
    _document: Any = attrs.field(repr=False, hash=False, default=None, alias="document")
    document = _copied_document


@attrs.frozen
class NoContent:
    """204: done, nothing to return; ``etag`` is the resource's new version when the
    server sent one (RFC 9110 8.8.3: a write's 2xx may carry it), for a chained
    ``If-Match`` write without reading it again."""

    path: str
    etag: ETag | None = None
