"""Status tables: what each status of a service means, as data.

A ``Profile`` is one service's table. Each ``Row`` says, for a status (and where the
service gives one status several meanings, for a method, a target or a content type),
what the body holds and what the call yields. The interpreter in ``_core`` reads only
this data, so another service is another table.
"""

from __future__ import annotations

import enum

import attrs


class Kind(enum.Enum):
    """What a row yields."""

    DOCUMENT = "document"  # the resource (200)
    CREATED = "created"  # the new resource (201)
    ACCEPTED = "accepted"  # queued, not done (202)
    NO_CONTENT = "no content"  # nothing to return (204)
    PARTIAL = "partial"  # part of the resource (206)
    NOT_MODIFIED = "not modified"  # the cached copy is current (304)
    ERROR = "error"  # raise the status's exception


class Media(enum.Enum):
    """What a response body is, judged from its content type and length."""

    JSON = "application/json"
    TEXT = "text/plain"
    NONE = "no body"


class Body(enum.Enum):
    """What a row's body holds."""

    SESSION = "the session"
    MESSAGE = "a message"
    NONE = "nothing"
    RESOURCE = "the resource"
    TASK = "a task"
    ERROR = "an error object"


class Target(enum.Enum):
    """What the request URI names."""

    SESSION = "session"
    ELEMENT = "element"
    RESOURCE = "resource"


@attrs.frozen
class Row:
    """One meaning of one status in a service's table."""

    status: int
    kind: Kind
    body: Body
    media: Media
    key: str
    """Explanation key (see ``_explain``)."""
    methods: frozenset[str] | None = None
    """The methods this meaning applies to; None: any."""
    target: Target | None = None
    seed: bool = True
    """False for rows the seed table lacks but the service is known to send."""

    def applies(self, method: str, target: Target) -> bool:
        """Whether this row speaks of a request with this method and target."""
        return (self.methods is None or method in self.methods) and (
            self.target is None or self.target is target
        )


@attrs.frozen
class Profile:
    """One service's status table and the retry rules that are specific to it."""

    name: str
    title: str
    rows: tuple[Row, ...]
    throttle: frozenset[int] = frozenset({429, 503})
    """Statuses that mean "not done, come back later": retried whatever the method."""
    transient: frozenset[int] = frozenset({500, 502, 504})
    """Statuses retried only when the request is safe to repeat."""
    throttle_needs_retry_after: frozenset[int] = frozenset()
    """Throttle statuses that, without Retry-After, count as transient instead."""
    _by_status: dict[int, tuple[Row, ...]] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        index: dict[int, tuple[Row, ...]] = {}
        for row in self.rows:
            index[row.status] = (*index.get(row.status, ()), row)
        object.__setattr__(self, "_by_status", index)

    def select(self, status: int, method: str, target: Target, media: Media) -> Row | None:
        """The row for a response: the first that applies with the same media, else
        the first that applies at all (a text row also stands for HTML and the like)."""
        rows = [r for r in self._by_status.get(status, ()) if r.applies(method, target)]
        return next((r for r in rows if r.media is media), rows[0] if rows else None)

    def statuses(self) -> list[int]:
        """The statuses of the table, sorted, each once."""
        return sorted({r.status for r in self.rows})


def _methods(*methods: str) -> frozenset[str]:
    return frozenset(methods)


_GET, _PUT, _DELETE = _methods("GET"), _methods("PUT"), _methods("DELETE")
_WRITE = _methods("PUT", "DELETE")
_S, _E = Target.SESSION, Target.ELEMENT
K, B, M = Kind, Body, Media

MPSD = Profile(
    name="mpsd",
    title="Xbox Live Multiplayer Session Directory",
    rows=(
        Row(200, K.DOCUMENT, B.SESSION, M.JSON, "mpsd.200"),
        Row(201, K.CREATED, B.SESSION, M.JSON, "mpsd.201", _WRITE),
        Row(202, K.ACCEPTED, B.MESSAGE, M.TEXT, "mpsd.202", _WRITE),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.get-session", _GET, _S),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.get-element", _GET, _E),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.put-session", _PUT, _S),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.write-element", _WRITE, _E),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.delete-session", _DELETE, _S, seed=False),
        Row(304, K.NOT_MODIFIED, B.NONE, M.NONE, "mpsd.304", _GET),
        Row(400, K.ERROR, B.MESSAGE, M.TEXT, "mpsd.400"),
        Row(401, K.ERROR, B.MESSAGE, M.TEXT, "mpsd.401", seed=False),
        Row(403, K.ERROR, B.MESSAGE, M.TEXT, "mpsd.403.text"),
        Row(403, K.ERROR, B.SESSION, M.JSON, "mpsd.403.session"),
        Row(404, K.ERROR, B.MESSAGE, M.TEXT, "mpsd.404"),
        Row(405, K.ERROR, B.MESSAGE, M.TEXT, "mpsd.405"),
        Row(409, K.ERROR, B.MESSAGE, M.TEXT, "mpsd.409"),
        Row(412, K.ERROR, B.NONE, M.NONE, "mpsd.412.empty"),
        Row(412, K.ERROR, B.SESSION, M.JSON, "mpsd.412.session"),
        Row(429, K.ERROR, B.MESSAGE, M.JSON, "mpsd.429"),
        Row(500, K.ERROR, B.MESSAGE, M.TEXT, "mpsd.500", seed=False),
        Row(503, K.ERROR, B.NONE, M.TEXT, "mpsd.503"),
    ),
)  # fmt: skip
"""The Xbox Live Multiplayer Session Directory: the seed table, plus 401, 500 and the
204 of a session DELETE, which the service sends but the table leaves out."""

PROFILES: dict[str, Profile] = {MPSD.name: MPSD}
"""Every status table the SDK knows, by name."""
