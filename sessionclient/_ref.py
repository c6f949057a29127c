"""Validated references to sessions and their elements, and the paths built from them."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

import attrs

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# The service's names are short identifiers; refusing everything else up front means no
# caller-supplied text can change the shape of a path (no '/', '%', '..', spaces, controls).
_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,100}")
_INDEX = re.compile(r"0|[1-9][0-9]{0,8}")
_SESSION_LITERALS = ("serviceconfigs", "sessiontemplates", "sessions")

MAX_NAME_LENGTH = 100
"""The longest template, session or server name accepted."""


def _check_name(segment: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{segment} must be a str, not {type(value).__name__}")
    if not _NAME.fullmatch(value) or value in (".", ".."):
        raise ValueError(
            f"invalid {segment} {value!r}: use 1 to {MAX_NAME_LENGTH} characters "
            "from A-Z, a-z, 0-9, '_', '-' and '.' (not '.' or '..' alone)"
        )
    return value


def _check_template(value: object) -> str:
    return _check_name("template", value)


def _check_session_name(value: object) -> str:
    return _check_name("session name", value)


def _check_scid(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"scid must be a str, not {type(value).__name__}")
    if not _GUID.fullmatch(value):
        raise ValueError(f"invalid scid {value!r}: a service configuration id is a GUID")
    return value.lower()  # GUIDs compare case-insensitively; keep one spelling


@attrs.frozen
class SessionRef:
    """Where a session lives: service configuration id (a GUID), template and name.

    Every segment is validated on construction, so a ``SessionRef`` always yields a
    well-formed path; bad input raises ``ValueError`` naming the segment.
    """

    scid: str = attrs.field(converter=_check_scid)
    template: str = attrs.field(converter=_check_template)
    name: str = attrs.field(converter=_check_session_name)
    path: str = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        path = "/serviceconfigs/{}/sessiontemplates/{}/sessions/{}".format(
            *(quote(s, safe="") for s in (self.scid, self.template, self.name))
        )
        object.__setattr__(self, "path", path)

    @classmethod
    def from_url(cls, url: str) -> SessionRef:
        """Parse a session URL or path, such as a ``Content-Location`` header.

        Literal segments match case-insensitively (the service's documents spell
        ``sessionTemplates`` both ways); a trailing element path is not accepted.
        """
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, not {type(url).__name__}")
        segments = urlsplit(url).path.strip("/").split("/")
        if len(segments) != 6 or tuple(s.lower() for s in segments[0::2]) != _SESSION_LITERALS:
            raise ValueError(f"not a session path: {url!r}")
        scid, template, name = (unquote(s, errors="strict") for s in segments[1::2])
        return cls(scid, template, name)

    def element_path(self, element: str) -> str:
        """The path of an element of this session (see ``check_element``)."""
        return f"{self.path}/{check_element(element)}"

    def __str__(self) -> str:
        return self.path


def check_element(element: object) -> str:
    """Validate an element path: ``members/me``, ``members/{index}``, ``servers/{name}``
    or ``properties``; return it unchanged or raise ``ValueError`` (also for None: a
    missing element must never fall back to the whole session)."""
    if element is None:
        raise ValueError(
            "an element is required; to act on the whole session, use the session call"
        )
    if not isinstance(element, str):
        raise TypeError(f"element must be a str, not {type(element).__name__}")
    kind, _, rest = element.partition("/")
    if kind == "properties" and not rest and "/" not in element:
        return element
    if kind == "members" and (rest == "me" or _INDEX.fullmatch(rest)):
        return element
    if kind == "servers" and _NAME.fullmatch(rest) and rest not in (".", ".."):
        return element
    raise ValueError(
        f"invalid element {element!r}: expected 'members/me', 'members/<index>', "
        "'servers/<name>' or 'properties'"
    )
