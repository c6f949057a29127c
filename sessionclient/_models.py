"""The typed results of session calls."""

from __future__ import annotations

from typing import Any

import attrs

from ._etag import ETag
from ._ref import SessionRef

Document = dict[str, Any]
"""A JSON object as decoded from a response body."""


@attrs.frozen
class Session:
    """A session as the service returned it.

    ``document`` is the whole JSON object; ``etag`` its validator for ``If-Match``
    (``None`` only when a server left the header out); ``created`` is True on 201.
    """

    ref: SessionRef
    etag: ETag | None
    document: Document = attrs.field(repr=False)
    created: bool = False

    @property
    def members(self) -> dict[str, Any]:
        """The members keyed by index (an empty dict when there are none)."""
        members = self.document.get("members")
        return members if isinstance(members, dict) else {}

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
    document: Document = attrs.field(repr=False)


@attrs.frozen
class NotModified:
    """304: the session still matches the ETag given in ``If-None-Match``."""

    ref: SessionRef
    etag: ETag | None


@attrs.frozen
class Accepted:
    """202: the service accepted the write but has not completed it yet."""

    ref: SessionRef
    message: str = ""
