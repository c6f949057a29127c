"""The typed results of session calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ._etag import ETag
from ._ref import SessionRef
from ._views import Member, MembersInfo, SessionConstants, SessionDocument, SystemProperties

Document = dict[str, Any]
"""A JSON object as decoded from a response body."""


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
    document: Document = attrs.field(repr=False, hash=False)
    created: bool = False
    request_id: str | None = attrs.field(default=None, eq=False, repr=False)

    # The typed view is built on each access, never in __init__: a call that does not
    # read it does not pay for it. Wrong types raise MalformedResponseError when read.

    def _view(self) -> SessionDocument:
        return SessionDocument(self.document, "", self.ref.path)

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
    def custom_properties(self) -> dict[str, Any]:
        """``properties.custom`` of the session (an empty dict when absent)."""
        properties = self.document.get("properties")
        custom = properties.get("custom") if isinstance(properties, dict) else None
        return custom if isinstance(custom, dict) else {}


@attrs.frozen
class Element:
    """One element of a session (``members/me``, ``servers/x`` ...) read on its own."""

    ref: SessionRef
    path: str
    etag: ETag | None
    document: Document = attrs.field(repr=False, hash=False)


@attrs.frozen
class NotModified:
    """304: your copy is current (it matches ``If-None-Match``, or nothing changed
    since ``If-Modified-Since``). ``ref`` is the session, or a resource's path."""

    ref: SessionRef | str
    etag: ETag | None


@attrs.frozen
class Accepted:
    """202: the service accepted the write but has not completed it yet. ``ref`` is
    the session, or a resource's path."""

    ref: SessionRef | str
    message: str = ""


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
    document: Any = attrs.field(repr=False, hash=False)
    status: int = 200


@attrs.frozen
class PartialContent:
    """206: part of the resource (Contacts: the changes asked for with DeltaSync)."""

    path: str
    etag: ETag | None
    document: Any = attrs.field(repr=False, hash=False)


@attrs.frozen
class Created:
    """201: a new resource; ``location`` is its URL when the server gave one."""

    path: str
    location: str | None
    etag: ETag | None
    document: Any = attrs.field(repr=False, hash=False, default=None)


@attrs.frozen
class NoContent:
    """204: done, nothing to return; ``etag`` is the resource's new version when the
    server sent one (RFC 9110 8.8.3: a write's 2xx may carry it), for a chained
    ``If-Match`` write without reading it again."""

    path: str
    etag: ETag | None = None
