"""The sans-I/O core: requests planned from validated input, responses interpreted.

Nothing here touches the network. ``plan`` turns caller input into a ``Call`` (or
raises ``ValueError`` / ``TypeError`` before anything is sent); ``interpret`` turns a
status, headers and body into a ``Reply`` or raises one of the SDK's exceptions, and
nothing else, whatever the bytes; ``result`` turns a ``Reply`` into what the call
returns, by the call's ``Shape``: one builder per ``Kind`` of row.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
import zlib
from collections.abc import Callable, Mapping
from typing import Any, Generic, NamedTuple, TypeVar

import attrs
import httpx

from . import _redact
from ._etag import ETag
from ._exceptions import (
    MalformedResponseError,
    SessionClientError,
    TransportError,
    class_for_status,
    reason_phrase,
)
from ._explain import TEXTS
from ._http import (
    REQUEST_ID_HEADERS,
    debug_reason,
    excerpt,
    parse_retry_after,
    request_id,
    transport_detail,
)
from ._models import Accepted, Element, NotModified, Session
from ._profiles import Body, Kind, Media, Profile, Row, Target
from ._ref import SessionRef, check_element

T = TypeVar("T")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class Reply(NamedTuple):
    """An interpreted response that is not an error."""

    status: int
    row: Row
    headers: httpx.Headers
    url: str
    document: Any = None
    text: str = ""
    etag: ETag | None = None
    retry_after: float | None = None
    """When to ask again, for replies that invite it (202, task progress)."""
    location: str | None = None
    """``Content-Location``: the session a handle or alias resolved to."""
    request_id: str | None = None
    """The service's correlation id (MPSD: ``X-XblCorrelationId``)."""


Build = Callable[["Call[Any]", Reply], Any]
Shape = Mapping[Kind, Build]
"""What a call's reply becomes, by the ``Kind`` of the row that answered it. A kind the
shape does not name is not a valid answer to that call (``MalformedResponseError``)."""


@attrs.frozen
class Call(Generic[T]):
    """One planned HTTP request: what to send, what the interpreter needs to know
    about it, and (``shape``) what its reply becomes."""

    method: str
    path: str
    target: Target
    shape: Shape = attrs.field(repr=False)
    ref: SessionRef | None = None
    element: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    safe: bool = False
    """Whether sending it twice has the effect of sending it once."""
    bucket: str = ""
    """The throttle bucket, when the service limits this endpoint on its own (added to
    the client's: host and identity)."""


def result(call: Call[T], reply: Reply) -> T:
    """What ``reply`` becomes for ``call``: the builder its shape names for the kind
    of row that answered."""
    build = call.shape.get(reply.row.kind)
    if build is None:
        raise unexpected(
            call, reply, f"{call.method} {call.target.value} does not yield {reply.row.kind.value}"
        )
    value: T = build(call, reply)
    return value


def unexpected(call: Call[Any], reply: Reply, why: str) -> MalformedResponseError:
    """A success the call cannot take as an answer."""
    return MalformedResponseError(
        f"{reply.status} is not a valid answer to {call.method} {call.target.value}: {why}",
        status=reply.status,
        method=call.method,
        url=reply.url,
        headers=reply.headers,
    )


# --- planning -----------------------------------------------------------------------


def _ref(ref: object) -> SessionRef:
    if not isinstance(ref, SessionRef):
        raise TypeError(f"ref must be a SessionRef, not {type(ref).__name__}")
    return ref


def _etag(value: ETag | str, header: str) -> ETag:
    if not isinstance(value, ETag | str):
        raise TypeError(f"{header} takes an ETag or str, not {type(value).__name__}")
    return ETag.parse(value)


def conditions(
    method: str, *, if_match: ETag | str | None = None, if_none_match: ETag | str | None = None
) -> tuple[tuple[tuple[str, str], ...], bool]:
    """Validate conditional arguments; return the headers and whether they make a
    write safe to repeat (If-Match on a strong ETag, or create-only)."""
    if if_match is None and if_none_match is None:
        return (), False
    match = _etag(if_match, "if_match") if if_match is not None else None
    none_match = _etag(if_none_match, "if_none_match") if if_none_match is not None else None
    if match is not None and none_match is not None:
        raise ValueError("give if_match or if_none_match, not both: they contradict each other")
    if match is not None and match.weak:
        raise ValueError(
            f"If-Match compares strongly (RFC 9110), so the weak ETag {match} can never "
            "match, and the server would answer 412. A server marks a version weak when it "
            "cannot vouch for it byte for byte, often just after a write (Apache does so "
            "for about a second): read the resource again once it has settled to get a "
            "strong ETag, or make the write conditional on a date "
            "(if_unmodified_since=..., where the client offers it)"
        )
    write = method not in ("GET", "HEAD")
    if none_match is not None and write and not none_match.is_any:
        raise ValueError("on a write, if_none_match only takes ANY ('*'): create only")
    headers: list[tuple[str, str]] = []
    if match is not None:
        headers.append(("If-Match", str(match)))
    if none_match is not None:
        headers.append(("If-None-Match", str(none_match)))
    guarded = (match is not None and not match.is_any) or (none_match is not None and write)
    return tuple(headers), guarded


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# RFC 9110 field-value: visible characters (obs-text included) with spaces or tabs only
# between them, never around them (h11 refuses those, quoting the value).
_VCHAR = r"[\x21-\x7e\x80-\xff]"
_VALUE = re.compile(rf"(?:{_VCHAR}(?:[\x20\x09\x21-\x7e\x80-\xff]*{_VCHAR})?)?")


def check_header(name: object, value: object) -> None:
    """Refuse a header that HTTP cannot carry (a bad name, a line break, white space
    around the value, a character outside Latin-1) before any request exists. The
    message never repeats the value: it may be a credential."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise TypeError("header names and values must be str")
    if not _TOKEN.fullmatch(name) or not _VALUE.fullmatch(value):
        raise ValueError(
            f"header {name!r} cannot be sent: a bad name, a line break, white space around "
            "the value or a character outside Latin-1"
        )


def encode_json(value: object, *, what: str = "changes", object_only: bool = True) -> bytes:
    """Encode a JSON body (an object unless ``object_only`` is False); raise
    ``TypeError`` / ``ValueError`` on anything that is not JSON."""
    if object_only and not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a mapping (a JSON object), not {type(value).__name__}")
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{what} is not JSON-serialisable: {exc}") from None


def plan(
    method: str,
    ref: SessionRef,
    element: str | None = None,
    *,
    shape: Shape | None = None,
    changes: Mapping[str, Any] | None = None,
    if_match: ETag | str | None = None,
    if_none_match: ETag | str | None = None,
) -> Call[Any]:
    """Plan a session or element request; all validation happens here. The shape of
    its result is, unless given, a session read's, an element read's or a write's."""
    if not isinstance(ref, SessionRef):
        raise TypeError(f"ref must be a SessionRef, not {type(ref).__name__}")
    path = ref.path if element is None else f"{ref.path}/{check_element(element)}"
    headers: tuple[tuple[str, str], ...] = ()
    guarded = False
    if if_match is not None or if_none_match is not None:
        headers, guarded = conditions(method, if_match=if_match, if_none_match=if_none_match)
    body = encode_json(changes) if method == "PUT" else None
    if shape is None:
        shape = WRITE if method != "GET" else READ if element is None else READ_ELEMENT
    return Call(
        method,
        path,
        Target.SESSION if element is None else Target.ELEMENT,
        shape,
        ref=ref,
        element=element,
        headers=headers,
        body=body,
        safe=method in SAFE_METHODS or guarded,
    )


# --- interpretation -----------------------------------------------------------------


def is_html(content_type: str | None, body: bytes) -> bool:
    """Whether a body is an HTML page: by its content type, or, without one, by how it
    begins. Only HTML has its markup stripped from a message."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype:
        return ctype in ("text/html", "application/xhtml+xml")
    return body[:64].lstrip().lower().startswith((b"<!doctype html", b"<html"))


def media_of(content_type: str | None, body: bytes) -> Media:
    """What a body is: JSON by content type, nothing when empty, text otherwise."""
    if not body:
        return Media.NONE
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        return Media.JSON
    return Media.TEXT


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)  # one decoder, not one per call


MAX_JSON_DEPTH = 100
"""The deepest JSON accepted: every walk over a document (redaction, views, printing)
stays far from Python's recursion limit."""


def parse_json(body: bytes) -> Any:
    """Decode a UTF-8 JSON body or raise ``ValueError`` (never RecursionError or NaN,
    never a document nested deeper than ``MAX_JSON_DEPTH``)."""
    try:
        # RFC 8259: UTF-8; a BOM may be ignored (checked by hand: the utf-8-sig codec
        # costs more than the check).
        text = (body[3:] if body[:3] == b"\xef\xbb\xbf" else body).decode()
        value = _DECODER.decode(text)
    except RecursionError:
        value = None
    else:
        # Counting brackets is cheap; only a body with enough of them is walked.
        if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH or _within(value):
            return value
    raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")


def _within(value: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests at most ``limit`` arrays and objects (without recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        if children and depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


_MESSAGE_KEYS = ("message", "Message", "errorMessage", "error_description", "error", "title")


# The elements that start or end a line of a page's text.
_BLOCK = re.compile(r"</?(?:title|h[1-6]|p|li|div|br|tr|td|dt|dd|pre|address)\b[^>]*>", re.I)


def _page_text(body: bytes, status: int) -> str:
    """The words of an HTML error page: its lines, without those that only repeat the
    status (its title and heading, "Error response", "Error code: 404"), which the
    error prints already, and without a line said twice."""
    reason = re.escape(reason_phrase(status) or "-")
    generic = re.compile(
        rf"(?:(?:http\s*)?(?:error(?:\s+(?:response|code))?|{status}|{reason})[\s:.,!-]*)+",
        re.IGNORECASE,
    )
    lines: list[str] = []
    for part in _BLOCK.split(body[:8192].decode("utf-8", "replace")):
        line = excerpt(part.encode(), 200, html=True)
        if line and not generic.fullmatch(line) and line not in lines:
            lines.append(line)
    return excerpt(" ".join(lines).encode(), 200)


def _message(body: bytes, media: Media, html: bool = False, status: int = 0) -> tuple[str, Any]:
    """The human message of an error body, and its JSON when it is JSON."""
    if media is Media.JSON:
        try:
            details = parse_json(body)
        except ValueError:
            return excerpt(body), None
        if isinstance(details, dict):
            if {"currentRequests", "maxRequests", "periodInSeconds"} <= details.keys():
                # The Fine-Grained Rate Limiting report: say it in words.
                kind = details.get("limitType")
                words = (
                    f"{details['currentRequests']} calls where {details['maxRequests']} are "
                    f"allowed per {details['periodInSeconds']} s"
                )
                return words + (f" ({kind} limit)" if kind else ""), details
            for key in _MESSAGE_KEYS:
                if isinstance(details.get(key), str) and details[key]:
                    # One printable line, like any other message: no escapes, no breaks.
                    return excerpt(details[key].encode(), 500), details
            return excerpt(json.dumps(details, separators=(", ", ": ")).encode()), details
        return excerpt(body), details
    return (_page_text(body, status) if html else excerpt(body)), None


# Each header read, under the key it is found by; the request ids share one (a
# server sends one of them).
_NEEDED = {
    **{name: name for name in (b"content-type", b"etag", b"content-location", b"retry-after")},
    **{name.encode(): b"request-id" for name in REQUEST_ID_HEADERS},
}


def _needed(headers: httpx.Headers) -> dict[bytes, str]:
    """The headers interpretation reads, in one pass over the raw bytes (each httpx
    lookup is a scan that decodes every header)."""
    found: dict[bytes, str] = {}
    for key, value in headers.raw:
        name = _NEEDED.get(key.lower())
        if name is not None and name not in found:
            found[name] = value.decode("latin-1")
    return found


def _session_ref(call: Call[Any], location: str | None) -> SessionRef | None:
    """The session a reply is about: the one the call named, whatever the response
    says (a ``Content-Location`` naming another session must never retarget a later
    write); for a call through a handle, the one ``Content-Location`` names."""
    if call.ref is not None or not location:
        return call.ref
    with contextlib.suppress(ValueError):
        return SessionRef.from_url(location)
    return None


def _context(call: Call[Any], status: int, headers: httpx.Headers, url: str) -> dict[str, Any]:
    """What every error of a response carries."""
    return {
        "status": status,
        "method": call.method,
        "url": url,
        "headers": headers,
        "request_id": request_id(headers),
        "debug": debug_reason(headers),
    }


def interpret(
    profile: Profile,
    call: Call[Any],
    status: int,
    headers: httpx.Headers,
    body: bytes,
    *,
    url: str,
    now: float,
) -> Reply:
    """Interpret a response to ``call``; ``now`` is the wall clock (epoch seconds),
    used for Retry-After dates when the response has no ``Date``.

    Every header is read one way, as Latin-1 (each byte one character, obs-text
    included): httpx would decode the whole set as UTF-8 whenever it happens to decode,
    and an ETag read that way would not go back byte for byte. ``headers`` is set to
    Latin-1 in place, so that the reply's and the error's headers read the same."""
    headers.encoding = "iso-8859-1"
    needed = _needed(headers)
    media = media_of(needed.get(b"content-type"), body)
    row = profile.select(status, call.method, call.target, media, body, call.headers)
    if row is None and 200 <= status < 300 and call.target is Target.RESOURCE:
        # A success the table does not know is still a success: its body is kept. (A
        # session call's result has no place for it: it raises the nearest class.)
        row = Row(status, Kind.DOCUMENT, Body.ANY, media, "unknown.success", seed=False)
    if row is None:
        family = {4: "unknown.client", 5: "unknown.server"}.get(status // 100, "unknown.other")
        html = is_html(needed.get(b"content-type"), body)
        # A JSON body is kept whatever the profile: a 429's may be a rate report.
        message, details = _message(body, media, html, status)
        raise class_for_status(status)(
            message or f"unexpected status for {call.method} {call.target.value}",
            retry_after=parse_retry_after(headers, now=now),
            details=details,
            explanation_key=family,
            **_context(call, status, headers, url),
        )
    if row.kind is Kind.ERROR:
        raise _error(row, call, needed, body, media, now, _context(call, status, headers, url))
    # Only replies that invite another request (202, task progress) need Retry-After.
    invites = row.body is not Body.SESSION and b"retry-after" in needed
    retry_after = parse_retry_after(headers, now=now) if invites else None
    document, text = None, ""
    if row.body is Body.MESSAGE:
        html = is_html(needed.get(b"content-type"), body)
        text = _message(body, media, html, status)[0]
    elif row.body is Body.ANY and media is not Media.JSON:
        document = _as_is(needed.get(b"content-type"), body)
    elif row.body is not Body.NONE:
        document = _document(row, body, media, lambda: _context(call, status, headers, url))
    etag = ETag.from_header(needed.get(b"etag"))
    location = needed.get(b"content-location")
    return Reply(
        status,
        row,
        headers,
        url,
        document,
        text,
        etag,
        retry_after,
        location,
        needed.get(b"request-id", "")[:200] or None,
    )


_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


def _as_is(content_type: str | None, body: bytes) -> str | bytes | None:
    """A body that is not JSON, kept: the text of a ``text/*`` body (in its charset,
    UTF-8 by default), the bytes of any other, None when empty."""
    if not body:
        return None
    ctype = content_type or ""
    if not ctype.strip().lower().startswith("text/"):
        return body
    found = _CHARSET.search(ctype)
    charset = found.group(1) if found else "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    return body.decode(charset, "replace")


def _document(row: Row, body: bytes, media: Media, context: Callable[[], dict[str, Any]]) -> Any:
    """The JSON body a success row promises, or ``MalformedResponseError``."""
    want_object = row.body in (Body.SESSION, Body.TASK)
    problem = None
    if media is not Media.JSON:
        ctype = context()["headers"].get("content-type")
        text = excerpt(body, html=is_html(ctype, body))
        problem = f"{ctype or 'no content type'}: {text!r}" if body else "an empty body"
    else:
        try:
            document = parse_json(body)
        except ValueError as exc:
            problem = f"invalid JSON ({exc}): {excerpt(body)!r}"
        else:
            if not want_object or isinstance(document, dict):
                return document
            problem = f"a JSON {type(document).__name__}: {excerpt(body)!r}"
    want = "a JSON object" if want_object else "JSON"
    raise MalformedResponseError(
        f"{row.status} {reason_phrase(row.status)} promises {want}, got {problem}", **context()
    )


_SESSION_KEYS = frozenset({"members", "membersInfo", "constants", "properties", "servers"})


def _is_session(value: object) -> bool:
    """Whether an error body is a session document (not some other JSON object)."""
    return isinstance(value, dict) and not _SESSION_KEYS.isdisjoint(value)


def _error(
    row: Row,
    call: Call[Any],
    needed: dict[bytes, str],
    body: bytes,
    media: Media,
    now: float,
    context: dict[str, Any],
) -> SessionClientError:
    """The exception of an error row, carrying the session when the body is one."""
    session = None
    html = is_html(needed.get(b"content-type"), body)
    message, details = _message(body, media, html, row.status)
    # What the status means here, when the body does not say it in words.
    meaning = ""
    key = row.key
    what = "session" if call.ref is not None else "resource"
    if row.status == 412 and ("If-None-Match", "*") in call.headers:
        meaning = f"the {what} already exists"
    elif row.status == 412 and ("If-Match", "*") in call.headers:
        # If-Match: * holds for any current version: only a missing one fails it.
        meaning = f"no {what} exists there, and If-Match: * writes only over one"
        key = f"{row.key}.any" if f"{row.key}.any" in TEXTS else row.key
    ref = _session_ref(call, needed.get(b"content-location"))
    if row.body is Body.SESSION and _is_session(details) and ref is not None:
        session = Session(ref, ETag.from_header(needed.get(b"etag")), details, False)
        if row.status == 403:  # MPSD: readable by you, not writable by you
            meaning = "not a member, or not your part of the session, so not yours to change"
        attached = f"the current session is attached (ETag {session.etag})"
        message, details = f"{meaning}; {attached}" if meaning else attached, None
    elif not message:
        message = meaning
    return class_for_status(row.status)(
        message or f"{reason_phrase(row.status).lower() or 'error'} (no message)",
        session=session,
        etag=session.etag if session else ETag.from_header(needed.get(b"etag")),
        retry_after=parse_retry_after(context["headers"], now=now),
        details=details,
        explanation_key=key,
        **context,
    )


def session_of(call: Call[Any], reply: Reply) -> Session:
    """The ``Session`` of a reply whose body is a session."""
    ref = _session_ref(call, reply.location)
    if ref is None:  # reached through a handle, and the answer does not say which
        raise MalformedResponseError(
            f"{reply.status} {reason_phrase(reply.status)} returned a session without a "
            "Content-Location naming it",
            status=reply.status,
            method=call.method,
            url=reply.url,
            headers=reply.headers,
        )
    created = reply.row.kind is Kind.CREATED
    return Session(ref, reply.etag, reply.document, created, reply.request_id)


def nothing(call: Call[Any], reply: Reply) -> None:
    """A reply that returns nothing (204 and the like)."""


def accepted(call: Call[Any], reply: Reply) -> Accepted:
    """202: accepted, not complete."""
    return Accepted(call.ref if call.ref is not None else call.path, reply.text)


def not_modified(call: Call[Any], reply: Reply) -> NotModified:
    """304: the copy the caller holds is current."""
    if not any(name in ("If-None-Match", "If-Modified-Since") for name, _ in call.headers):
        raise unexpected(call, reply, "304 answers only a request with If-None-Match")
    return NotModified(call.ref if call.ref is not None else call.path, reply.etag)


def element_of(call: Call[Any], reply: Reply) -> Element:
    """The element a GET of one element read."""
    assert call.ref is not None
    return Element(call.ref, call.element or "", reply.etag, reply.document)


READ: Shape = {Kind.DOCUMENT: session_of, Kind.NO_CONTENT: nothing, Kind.NOT_MODIFIED: not_modified}
"""A session GET: the session, None (204: no such session) or ``NotModified``."""
READ_ELEMENT: Shape = {
    Kind.DOCUMENT: element_of,
    Kind.NO_CONTENT: nothing,
    Kind.NOT_MODIFIED: not_modified,
}
"""An element GET: the element, None (204) or ``NotModified``."""
WRITE: Shape = {
    Kind.DOCUMENT: session_of,
    Kind.CREATED: session_of,
    Kind.ACCEPTED: accepted,
    Kind.NO_CONTENT: nothing,
}
"""A session or element PUT/DELETE: the whole session, ``Accepted`` or None (204)."""


# --- what came back instead of a response ---------------------------------------------

# Failures where nothing reached the server: retrying them can never apply a write twice.
_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def transport_error(call: Call[Any], url: str, exc: httpx.HTTPError) -> TransportError:
    """Wrap an httpx failure; the message never includes request headers."""
    if isinstance(exc, httpx.LocalProtocolError):
        # The request could not even be written; the library's message quotes the
        # offending header, which may be the token, so it is not repeated (nor
        # chained), and sending it again would fail the same way.
        return TransportError(
            "not sent (LocalProtocolError: the request could not be encoded)",
            sent=False,
            retryable=False,
            method=call.method,
            url=url,
        )
    sent = not isinstance(exc, _UNSENT)
    what = "no complete response" if sent else "could not connect"
    # A server may echo the credential in what the parser then quotes (a malformed
    # header): it is redacted here and in the chained error, whatever its scheme.
    secrets = _redact.request_secrets(exc)
    detail = _redact.text(excerpt(transport_detail(exc).encode(), 300), secrets) or "no detail"
    error = TransportError(
        f"{what} ({type(exc).__name__}: {detail})", sent=sent, method=call.method, url=url
    )
    words = str(exc)
    clean = _redact.text(words, secrets)
    if clean != words:
        try:
            exc = type(exc)(clean)
        except TypeError:  # a subclass that wants more than a message
            exc = httpx.TransportError(clean)
    error.__cause__ = exc
    return error


def out_of_time(method: str, url: str) -> TransportError:
    """The operation's deadline passed before a request could be sent."""
    return TransportError(
        "the call's deadline passed before the request was sent",
        sent=False,
        retryable=False,
        method=method,
        url=url,
    )


class BodyReader:
    """Accumulates a response body from its raw (still encoded) chunks, decoding gzip
    or deflate (zlib-wrapped or raw) itself so that a small compressed body cannot
    inflate past the cap: the body is refused at the cap, never read whole into
    memory. A compressed stream that does not end is refused, never half-read. The
    clients ask for no other encoding (``Accept-Encoding: gzip, deflate``)."""

    __slots__ = (
        "_cap",
        "_chunks",
        "_encoding",
        "_inflate",
        "_method",
        "_response",
        "_size",
        "_url",
    )

    def __init__(self, response: httpx.Response, cap: int, method: str, url: str) -> None:
        self._response = response
        self._cap, self._method, self._url = cap, method, url
        self._chunks: list[bytes] = []
        self._size = 0
        self._inflate: zlib._Decompress | None = None
        self._encoding = response.headers.get("content-encoding", "").strip().lower()
        if self._encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._encoding == "deflate":
            self._inflate = zlib.decompressobj()
        elif self._encoding not in ("identity", ""):
            raise self._malformed(f"an unsupported Content-Encoding {self._encoding!r}")

    def feed(self, raw: bytes) -> None:
        """Take the next raw chunk."""
        cap = self._cap
        # One byte more than the room left shows the excess.
        data = raw if self._inflate is None else self._decompress(raw, cap - self._size + 1)
        self._size += len(data)
        if self._size > cap or (self._inflate is not None and self._inflate.unconsumed_tail):
            raise self._malformed(f"a body over the {cap}-byte cap")
        self._chunks.append(data)

    def _decompress(self, raw: bytes, room: int) -> bytes:
        assert self._inflate is not None
        try:
            return self._inflate.decompress(raw, room)
        except zlib.error as exc:
            if self._encoding == "deflate" and self._size == 0 and not self._chunks:
                # RFC 9110 says zlib-wrapped, but servers send raw deflate too.
                self._encoding = "raw deflate"
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._decompress(raw, room)
            raise self._malformed(f"a body that does not decompress ({exc})") from None

    def body(self) -> bytes:
        """The whole body."""
        if self._inflate is not None:
            self._chunks.append(self._inflate.flush())
            if not self._inflate.eof and (self._size or self._response.num_bytes_downloaded):
                raise self._malformed(f"a {self._encoding} body that was cut short")
        return b"".join(self._chunks)

    def preloaded(self) -> bytes:
        """A body something already read and decoded (a mock transport, an event
        hook), under the same cap."""
        body = self._response.content
        if len(body) > self._cap:
            raise self._malformed(f"a body over the {self._cap}-byte cap")
        return body

    def _malformed(self, what: str) -> MalformedResponseError:
        response = self._response
        return MalformedResponseError(
            f"{response.status_code} response with {what}",
            status=response.status_code,
            method=self._method,
            url=self._url,
            headers=response.headers,
        )
