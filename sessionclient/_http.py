"""Header grammar the SDK relies on: HTTP-dates, Retry-After, request ids, excerpts."""

from __future__ import annotations

import email.utils
import math
import os
import re
from datetime import datetime, timezone

import httpx

MAX_RETRY_AFTER = 366 * 24 * 3600.0
"""Retry-After values above this (a year) are clamped: absurd or overflowing values
stay finite but longer than any sensible cap."""

# RFC 850's two-digit year ("Sunday, 06-Nov-94 08:49:37 GMT").
_SHORT_YEAR = re.compile(r"\d-[A-Za-z]{3}-\d\d ")
_DELTA = re.compile(r"-?\d{1,30}(?:\.\d{0,30})?")
# MPSD's own first: the id its support asks for.
REQUEST_ID_HEADERS = (
    "x-xblcorrelationid",
    "x-request-id",
    "request-id",
    "x-ms-request-id",
    "ms-cv",
    "x-correlation-id",
)
DEBUG_HEADER = "x-xbl-debug"
"""Xbox Live's debug header: on some refusals, the reason in the service's words."""


def check_base_url(base_url: object) -> str:
    """Validate a client's ``base_url``: an absolute http(s) URL with a host and no
    credentials; raise ``ValueError`` quoting the value refused (its credentials left
    out), never httpx's own error."""
    shown = repr(base_url)[:120]
    if not isinstance(base_url, str) or not base_url.lower().startswith(("https://", "http://")):
        raise ValueError(f"base_url must be an http(s) URL, not {shown}")
    try:
        url = httpx.URL(base_url)
        port = url.port
    except (httpx.InvalidURL, ValueError) as exc:
        raise ValueError(f"base_url {shown} is not a valid URL ({exc})") from None
    if url.userinfo:
        # It would be repeated in every error message and repr: use auth= instead.
        bare = str(url.copy_with(username=None, password=None))[:120]
        raise ValueError(f"base_url {bare!r} must not carry credentials; pass them as auth=")
    if not url.host:
        raise ValueError(f"base_url {shown} has no host")
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"base_url {shown} has an invalid port ({port})")
    return base_url


def parse_http_date(text: str, *, now: float | None = None) -> float | None:
    """Parse an HTTP-date in any of its three forms (``email.utils`` reads them) to
    epoch seconds, or None. A missing zone is read as GMT: HTTP-dates are always UTC.

    ``now`` (epoch seconds) resolves the two-digit years of RFC 850 dates: a date
    more than 50 years ahead is taken to be in the past century (RFC 9110), where
    ``email.utils`` would pivot on 1969.
    """
    parts = email.utils.parsedate_tz(text)
    if parts is None:
        return None
    year = parts[0]
    if _SHORT_YEAR.search(text):
        this_year = datetime.fromtimestamp(now or 0.0, timezone.utc).year
        year = this_year // 100 * 100 + year % 100
        if year > this_year + 50:
            year -= 100
    try:
        when = datetime(year, *parts[1:6], tzinfo=timezone.utc)
    except ValueError:  # email.utils does not check the calendar: 31 Feb, 25 h
        return None
    return when.timestamp() - (parts[9] or 0)


def format_http_date(epoch: float | datetime) -> str:
    """Format an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``); naive datetimes are
    refused because their zone is a guess."""
    if isinstance(epoch, datetime):
        if epoch.tzinfo is None:
            raise ValueError("an HTTP-date needs a timezone-aware datetime")
        epoch = epoch.timestamp()
    return email.utils.formatdate(math.floor(epoch), usegmt=True)


def _one_retry_after(value: str, *, date: float | None, now: float) -> float | None:
    value = value.strip()
    if _DELTA.fullmatch(value):
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    when = parse_http_date(value, now=now)
    if when is None:
        return None
    # Relative to the server's own Date when it sent one, so clock skew between the
    # server and this machine does not shorten or stretch the wait.
    return min(max(when - (date if date is not None else now), 0.0), MAX_RETRY_AFTER)


def parse_retry_after(headers: httpx.Headers, *, now: float) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After``, or None.

    Delta-seconds (a decimal tolerated) or an HTTP-date relative to the response's
    ``Date`` (else ``now``, epoch seconds). Values that do not parse, and zero,
    negative ones or dates that are not in the future, are no usable wait: None, so
    that the back-off applies. Huge ones are clamped to ``MAX_RETRY_AFTER``. When a
    header is repeated the longest wait wins: never come back earlier than asked.
    """
    millis = [
        float(v)
        for v in (value.strip() for value in headers.get_list("retry-after-ms", split_commas=True))
        if _DELTA.fullmatch(v) and float(v) > 0
    ]
    if millis:
        return min(max(millis) / 1000.0, MAX_RETRY_AFTER)
    values = headers.get_list("retry-after")
    if not values:
        return None
    date_header = headers.get("date")
    date = parse_http_date(date_header, now=now) if date_header else None
    waits = [w for v in values if (w := _one_retry_after(v, date=date, now=now))]
    return max(waits) if waits else None


def redact_query(url: str) -> str:
    """``url`` (or a path) with every query value replaced by ``REDACTED`` and the
    fragment dropped, for log lines, spans and shared state: a query may carry a
    credential (``api_key=``, ``sig=``). Keys are kept, as OpenTelemetry advises for
    ``url.full``; a component without ``=`` is all value."""
    head, mark, query = url.partition("?")
    if not mark:
        return head.partition("#")[0]
    query = query.partition("#")[0]
    parts = [
        f"{key}=REDACTED" if eq else "REDACTED"
        for key, eq, _ in (part.partition("=") for part in query.split("&"))
    ]
    return f"{head}?{'&'.join(parts)}"


def request_id(headers: httpx.Headers) -> str | None:
    """The server's request or correlation id, when it sent one."""
    for name in REQUEST_ID_HEADERS:
        value: str | None = headers.get(name)
        if value:
            return value[:200]
    return None


def debug_reason(headers: httpx.Headers) -> str | None:
    """The service's debug header (``X-Xbl-Debug``), when it sent one."""
    value: str | None = headers.get(DEBUG_HEADER)
    return value[:500] if value else None


_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.IGNORECASE | re.DOTALL)
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&nbsp;": " ", "&amp;": "&"}
_ENTITY = re.compile("|".join(_ENTITIES))
_SPACES = re.compile(r"\s+")


def excerpt(body: bytes, limit: int = 200, *, html: bool = False) -> str:
    """A short, single-line, printable excerpt of a body. Markup (tags, scripts,
    styles, comments) is dropped only from HTML (``html=True``): in a text body,
    ``<token>`` is text."""
    text = body[: limit * 8].decode("utf-8", "replace")
    if html:
        text = _ENTITY.sub(lambda m: _ENTITIES[m.group()], _TAGS.sub(" ", text))
    text = "".join(c if c.isprintable() else " " for c in text)
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def transport_detail(exc: BaseException) -> str:
    """What went wrong under a transport failure, in the same words for the sync and
    async clients: the operating system's error when one is behind it
    (``[Errno 111] Connection refused``), which the async stack hides behind "All
    connection attempts failed"; else the exception's own text."""
    found = _os_error(exc, set())
    if found is None or found.errno is None:
        return str(exc)
    # The system's own text: asyncio words a refusal "Connect call failed (addr)".
    # Negative numbers (getaddrinfo's) have no system text, but their own.
    text = os.strerror(found.errno) if found.errno > 0 else found.strerror
    return f"[Errno {found.errno}] {text}"


def _os_error(exc: BaseException, seen: set[int]) -> OSError | None:
    """The first ``OSError`` with an errno in ``exc``'s causes, contexts and, for an
    exception group (several connection attempts), its members."""
    if id(exc) in seen:
        return None
    seen.add(id(exc))
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc
    inner: list[BaseException] = list(getattr(exc, "exceptions", ()))
    inner += [e for e in (exc.__cause__, exc.__context__) if e is not None]
    for candidate in inner:
        found = _os_error(candidate, seen)
        if found is not None:
            return found
    return None
