"""Status tables: what each status of a service means, as data.

A ``Profile`` is one service's table. Each ``Row`` says, for a status (and where the
service gives one status several meanings, for a method, a target or a content type),
what the body holds and what the call yields. The interpreter in ``_core`` reads only
this data, so another service is another table.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from types import MappingProxyType

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
    ANY = "whatever it holds"
    """JSON decoded when the content type says JSON, the text of a ``text/*`` body,
    the raw bytes of any other, ``None`` when empty: nothing is refused."""


class Target(enum.Enum):
    """What the request URI names."""

    SESSION = "session"
    ELEMENT = "element"
    RESOURCE = "resource"
    QUERY = "query"  # MPSD: session queries, batch, handle queries (a results array)
    HANDLE = "handle"  # MPSD: /handles and /handles/{id}
    TEMPLATE = "template"  # MPSD: session templates


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
    pattern: str | None = None
    """For a status with two meanings and one content type: a regular expression
    (case-insensitive) that the body matches for this meaning."""
    condition: str | None = None
    """For a status whose meaning depends on the precondition sent (412): the
    request header this meaning answers (``"If-None-Match"``); None: any."""

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
    transient: frozenset[int] = frozenset({408, 500, 502, 504})
    """Statuses retried only when the request is safe to repeat (408 too, as
    libHttpClient does: the request may be repeated, RFC 9110 section 15.5.9)."""
    throttle_needs_retry_after: frozenset[int] = frozenset({503})
    """Throttle statuses that, without a usable Retry-After, count as transient instead:
    a 503 without one may come from a proxy after the service acted, so an unsafe
    write is not repeated after it (a 429, or a 503 that names a time, says the
    service did not do the work)."""
    _by_status: dict[int, tuple[Row, ...]] = attrs.field(init=False, repr=False, eq=False)
    _chosen: dict[tuple[int, str, Target, Media], Row | None] = attrs.field(
        init=False, repr=False, eq=False
    )

    def __attrs_post_init__(self) -> None:
        index: dict[int, tuple[Row, ...]] = {}
        # Per status, rows about a target come before rows about any (a stable order).
        for row in sorted(self.rows, key=lambda r: r.target is None):
            index[row.status] = (*index.get(row.status, ()), row)
        object.__setattr__(self, "_by_status", index)
        # The choice for a status whose rows need neither the body nor the request's
        # headers depends on four values: made once, then looked up.
        object.__setattr__(self, "_chosen", {})

    def select(
        self,
        status: int,
        method: str,
        target: Target,
        media: Media,
        body: bytes = b"",
        sent: tuple[tuple[str, str], ...] = (),
    ) -> Row | None:
        """The row for a response: one whose condition is among the request headers
        ``sent`` (else one without a condition); one whose pattern the body matches;
        else the first that applies with the same media; else the first that applies
        at all (a text row also stands for HTML and the like). Rows about the call's
        target come before rows about any target."""
        key = (status, method, target, media)
        try:
            return self._chosen[key]
        except KeyError:
            pass
        candidates = self._by_status.get(status, ())
        rows = [r for r in candidates if r.applies(method, target)]
        if not any(r.condition or r.pattern for r in candidates):
            chosen = next((r for r in rows if r.media is media), rows[0] if rows else None)
            if len(self._chosen) < 4096:  # bounded: methods are the caller's strings
                self._chosen[key] = chosen
            return chosen
        if len(rows) > 1 and any(r.condition for r in rows):
            names = {name.lower() for name, _ in sent}
            # RFC 9110 section 13.2.2: If-Match is evaluated first, then the others.
            matched = sorted(
                (r for r in rows if r.condition and r.condition.lower() in names),
                key=lambda r: r.condition != "If-Match",
            )
            rows = matched[:1] or [r for r in rows if not r.condition]
        if len(rows) > 1 and any(r.pattern for r in rows):
            text = body[:4096].decode("utf-8", "replace")
            matched = [r for r in rows if r.pattern and re.search(r.pattern, text, re.I)]
            rows = matched or [r for r in rows if not r.pattern]
        return next((r for r in rows if r.media is media), rows[0] if rows else None)


def _methods(*methods: str) -> frozenset[str]:
    return frozenset(methods)


_GET, _PUT, _DELETE = _methods("GET"), _methods("PUT"), _methods("DELETE")
_WRITE = _methods("PUT", "DELETE")
_S, _E = Target.SESSION, Target.ELEMENT
_Q, _H, _T = Target.QUERY, Target.HANDLE, Target.TEMPLATE
K, B, M = Kind, Body, Media

MPSD = Profile(
    name="mpsd",
    title="Xbox Live Multiplayer Session Directory",
    rows=(
        Row(200, K.DOCUMENT, B.SESSION, M.JSON, "mpsd.200"),
        # The directory beyond one session (not in the seed table); rows for a target
        # are chosen before rows for any, so the session's 200 does not claim these.
        Row(200, K.DOCUMENT, B.RESOURCE, M.JSON, "mpsd.200.query", None, _Q, seed=False),
        Row(200, K.DOCUMENT, B.RESOURCE, M.JSON, "mpsd.200.handle", None, _H, seed=False),
        Row(200, K.DOCUMENT, B.RESOURCE, M.JSON, "mpsd.200.template", _GET, _T, seed=False),
        Row(201, K.CREATED, B.SESSION, M.JSON, "mpsd.201", _WRITE),
        Row(201, K.CREATED, B.RESOURCE, M.JSON, "mpsd.201.handle", _methods("POST"), _H,
            seed=False),
        Row(202, K.ACCEPTED, B.MESSAGE, M.TEXT, "mpsd.202", _WRITE),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.get-session", _GET, _S),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.get-element", _GET, _E),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.put-session", _PUT, _S),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.write-element", _WRITE, _E),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.delete-session", _DELETE, _S, seed=False),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.handle", _DELETE, _H, seed=False),
        # Successes without a body: setting an activity has none (the reference), and
        # XSAPI's tests answer a DELETE with a bare 200. A call that needs the handle
        # back has no builder for NO_CONTENT, so there it stays malformed.
        Row(200, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.handle", _DELETE, _H, seed=False),
        Row(200, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.204.delete-session", _DELETE, _S,
            seed=False),
        *(Row(status, K.NO_CONTENT, B.NONE, M.NONE, "mpsd.handle.empty", _methods("POST"), _H,
              seed=False) for status in (200, 201, 204)),
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
204 of a session DELETE, which the service sends but the table leaves out, and the
successes of queries, handles and templates."""

_POST, _UPDATE, _READ_WRITE = _methods("POST"), _methods("PUT", "DELETE"), _methods("GET", "PUT")
_R = Target.RESOURCE

CONTACTS = Profile(
    name="contacts",
    title="Windows Live Contacts REST API",
    rows=(
        Row(200, K.DOCUMENT, B.RESOURCE, M.JSON, "contacts.200", _GET),
        Row(201, K.CREATED, B.RESOURCE, M.JSON, "contacts.201", _POST),
        Row(201, K.CREATED, B.NONE, M.NONE, "contacts.201", _POST),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "contacts.204", _UPDATE),
        Row(206, K.PARTIAL, B.RESOURCE, M.JSON, "contacts.206", _GET),
        Row(304, K.NOT_MODIFIED, B.NONE, M.NONE, "contacts.304", _GET),
        Row(400, K.ERROR, B.MESSAGE, M.TEXT, "contacts.400"),
        Row(401, K.ERROR, B.MESSAGE, M.TEXT, "contacts.401.address-book"),
        Row(401, K.ERROR, B.MESSAGE, M.TEXT, "contacts.401.caller-id",
            pattern=r"caller\s*id|family\s*safety"),
        Row(403, K.ERROR, B.MESSAGE, M.TEXT, "contacts.403.quota",
            pattern=r"quota|maximum number|exceeded"),
        Row(403, K.ERROR, B.MESSAGE, M.TEXT, "contacts.403.method"),
        Row(404, K.ERROR, B.MESSAGE, M.TEXT, "contacts.404"),
        Row(405, K.ERROR, B.MESSAGE, M.TEXT, "contacts.405"),
        Row(409, K.ERROR, B.MESSAGE, M.TEXT, "contacts.409"),
        Row(412, K.ERROR, B.MESSAGE, M.TEXT, "contacts.412"),
        Row(412, K.ERROR, B.MESSAGE, M.TEXT, "contacts.412.if-match", seed=False,
            condition="If-Match"),
        Row(412, K.ERROR, B.MESSAGE, M.TEXT, "contacts.412.if-none-match", seed=False,
            condition="If-None-Match"),
        Row(500, K.ERROR, B.MESSAGE, M.TEXT, "contacts.500"),
        Row(503, K.ERROR, B.MESSAGE, M.TEXT, "contacts.503"),
        Row(504, K.ERROR, B.MESSAGE, M.TEXT, "contacts.504"),
    ),
    throttle=frozenset({429, 503, 504}),
    transient=frozenset({500, 502}),
    throttle_needs_retry_after=frozenset({503, 504}),
)  # fmt: skip
"""The Windows Live Contacts REST API (seed 004). A 504 stands in for 503; either one
without Retry-After is handled as a 500 would be. The seed's 412 answers
If-Unmodified-Since; one that answers If-Match or If-None-Match says so."""

TASKS = Profile(
    name="tasks",
    title="Veeam Backup Enterprise Manager REST API",
    rows=(
        Row(200, K.DOCUMENT, B.RESOURCE, M.JSON, "tasks.200", _READ_WRITE),
        Row(201, K.CREATED, B.RESOURCE, M.JSON, "tasks.201", _POST),
        Row(202, K.ACCEPTED, B.TASK, M.JSON, "tasks.202", _methods("POST", "DELETE")),
        Row(202, K.ACCEPTED, B.NONE, M.NONE, "tasks.202", _methods("POST", "DELETE")),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "tasks.204", _methods("PUT", "POST", "DELETE")),
        Row(400, K.ERROR, B.ERROR, M.JSON, "tasks.400", _methods("POST", "PUT")),
        Row(401, K.ERROR, B.ERROR, M.JSON, "tasks.401"),
        Row(403, K.ERROR, B.ERROR, M.JSON, "tasks.403"),
        Row(404, K.ERROR, B.ERROR, M.JSON, "tasks.404"),
        Row(405, K.ERROR, B.ERROR, M.JSON, "tasks.405"),
        Row(500, K.ERROR, B.ERROR, M.JSON, "tasks.500", _methods("GET", "POST", "PUT")),
        Row(501, K.ERROR, B.ERROR, M.JSON, "tasks.501", _methods("POST", "PUT", "DELETE")),
        Row(503, K.ERROR, B.ERROR, M.JSON, "tasks.503"),
    ),
)  # fmt: skip
"""The Veeam Backup Enterprise Manager REST API (seed 003): a 202 comes with a task
resource to poll until it is finished."""


def _rest_error(status: int) -> Row:
    return Row(status, K.ERROR, B.MESSAGE, M.TEXT, f"rest.{status}", seed=False)


REST = Profile(
    name="rest",
    title="Any HTTP API, as RFC 9110 defines the statuses",
    rows=(
        Row(200, K.DOCUMENT, B.ANY, M.JSON, "rest.200", seed=False),
        Row(201, K.CREATED, B.ANY, M.JSON, "rest.201", seed=False),
        Row(202, K.ACCEPTED, B.MESSAGE, M.TEXT, "rest.202", seed=False),
        Row(203, K.DOCUMENT, B.ANY, M.JSON, "rest.203", seed=False),
        Row(204, K.NO_CONTENT, B.NONE, M.NONE, "rest.204", seed=False),
        Row(206, K.PARTIAL, B.ANY, M.JSON, "rest.206", seed=False),
        Row(304, K.NOT_MODIFIED, B.NONE, M.NONE, "rest.304", seed=False),
        *(_rest_error(status) for status in (400, 401, 403, 404, 405, 409, 412)),
        *(Row(412, K.ERROR, B.MESSAGE, M.TEXT, f"rest.412.{header.lower()}", seed=False,
              condition=header)
          for header in ("If-Match", "If-None-Match", "If-Unmodified-Since")),
        *(_rest_error(status) for status in (429, 500, 501, 503, 504)),
    ),
)  # fmt: skip
"""Any HTTP API, with RFC 9110's meanings: 200, 201, 202, 203, 204, 206 and 304 are
results (a body is kept whatever its type), every error status raises its class, 429
and 503 mean "come back later" for any method, 408, 500, 502 and 504 are retried only when
the request is safe to repeat. The default of ``ResourceClient``."""

PROFILES: Mapping[str, Profile] = MappingProxyType(
    {p.name: p for p in (REST, MPSD, CONTACTS, TASKS)}
)
"""Every status table the SDK knows, by name (read-only: pass your own ``Profile``
object to a client instead of registering it)."""
