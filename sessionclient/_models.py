"""The typed results of session calls."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._etag import ETag
from ._ref import SessionRef
from ._views import (
    Member,
    MembersInfo,
    ReadOnly,
    SessionConstants,
    SessionDocument,
    SystemProperties,
    thawed,
)

Document = dict[str, Any]
"""A JSON object as decoded from a response body."""

_COPY = """The body as decoded: a copy, which may be changed without changing this result."""
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
changeTypes``) and as ``Session.changes_since`` reports them."""


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
    def custom_properties(self) -> Mapping[str, Any]:
        """``properties.custom`` of the session, read-only (empty when absent)."""
        properties = self._document.get("properties")
        custom = properties.get("custom") if isinstance(properties, dict) else None
        return ReadOnly(custom if isinstance(custom, dict) else {})

    def changes_since(self, previous: Session | None) -> frozenset[str]:
        """What changed from ``previous`` to this session, as MPSD change types
        (``CHANGE_TYPES``), compared as Microsoft's SDK compares two sessions:
        ``{"everything"}`` when there is no previous one, empty when nothing the types
        cover changed. Wrongly typed fields raise ``MalformedResponseError``."""
        if previous is None:
            return frozenset({"everything"})
        if not isinstance(previous, Session):
            raise TypeError(f"previous must be a Session, not {type(previous).__name__}")
        new, old = self._view(), previous._view()
        found: set[str] = set()
        if new.system_properties.host != old.system_properties.host:
            found.add("host")
        if _stage(self._document) != _stage(previous._document):
            found.add("initialization")
        if _matchmaking(self._document) != _matchmaking(previous._document):
            found.add("matchmakingStatus")
        members, before = _members(new), _members(old)
        if members.keys() != before.keys():
            found.add("membersList")
        for xuid in members.keys() & before.keys():
            if _status(members[xuid]) != _status(before[xuid]):
                found.add("membersStatus")
            if members[xuid].custom_properties != before[xuid].custom_properties:
                found.add("membersCustomProperty")
        if _joinability(new) != _joinability(old):
            found.add("joinability")
        if self.custom_properties != previous.custom_properties:
            found.add("customProperty")
        return frozenset(found)


def _field(document: Document, *path: str) -> Any:
    value: Any = document
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _stage(document: Document) -> Any:
    return _field(document, "initializing", "stage")


def _matchmaking(document: Document) -> tuple[bool, Any, Any]:
    # The matchmaking server's status and target session (XSAPI compares these).
    server = _field(document, "servers", "matchmaking")
    status = _field(document, "servers", "matchmaking", "properties", "system", "status")
    target = _field(document, "servers", "matchmaking", "properties", "system", "targetSessionRef")
    return server is not None, status, target


def _members(view: SessionDocument) -> dict[str | None, Member]:
    return {member.xuid: member for member in view.members}


def _status(member: Member) -> tuple[bool | None, bool | None, bool]:
    return member.active, member.ready, member.document.get("reserved") is True


def _joinability(view: SessionDocument) -> tuple[Any, ...]:
    system = view.system_properties
    most = view.constants.max_members_count
    full = most is not None and len(view.members) >= most
    return system.closed, system.locked, system.join_restriction, full


@attrs.frozen
class Element:
    """One element of a session (``members/me``, ``servers/x`` ...) read on its own."""

    ref: SessionRef
    path: str
    etag: ETag | None
    _document: Document = attrs.field(repr=False, hash=False, alias="document")
    document = property(lambda self: thawed(self._document), doc=_COPY)


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
    document = property(lambda self: thawed(self._document), doc=_COPY)


@attrs.frozen
class PartialContent:
    """206: part of the resource (Contacts: the changes asked for with DeltaSync)."""

    path: str
    etag: ETag | None
    _document: Any = attrs.field(repr=False, hash=False, alias="document")
    document = property(lambda self: thawed(self._document), doc=_COPY)


@attrs.frozen
class Created:
    """201: a new resource; ``location`` is its URL when the server gave one."""

    path: str
    location: str | None
    etag: ETag | None
    _document: Any = attrs.field(repr=False, hash=False, default=None, alias="document")
    document = property(lambda self: thawed(self._document), doc=_COPY)


@attrs.frozen
class NoContent:
    """204: done, nothing to return."""

    path: str
