"""Header grammar the SDK relies on: HTTP-dates, Retry-After, request ids, excerpts."""

from __future__ import annotations

import math
import os
import re
from datetime import datetime, timezone

import httpx

MAX_RETRY_AFTER = 366 * 24 * 3600.0
"""Retry-After values above this (a year) are clamped: absurd or overflowing values
stay finite but longer than any sensible cap."""

# Fixed English names: the calendar module's follow the process locale.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, start=1)}
_TIME = r"(?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d)"
# The three forms of RFC 9110 section 5.6.7; a missing zone is read as GMT, since
# HTTP-dates are always UTC and some servers forget to say so.
_DATE_FORMS = (
    re.compile(
        rf"[A-Za-z]{{3}}, (?P<d>\d\d) (?P<b>[A-Za-z]{{3}}) (?P<Y>\d{{4}}) {_TIME}(?: (?:GMT|UTC))?"
    ),
    re.compile(
        rf"[A-Za-z]{{6,9}}, (?P<d>\d\d)-(?P<b>[A-Za-z]{{3}})-(?P<y>\d\d) {_TIME}(?: (?:GMT|UTC))?"
    ),
    re.compile(
        rf"[A-Za-z]{{3}} (?P<b>[A-Za-z]{{3}}) {{1,2}}(?P<d>\d{{1,2}}) {_TIME} (?P<Y>\d{{4}})"
    ),
)
_DELTA = re.compile(r"-?\d{1,30}(?:\.\d{0,30})?")
# MPSD's own first: the id its support asks for.
REQUEST_ID_HEADERS = (
    "x-xblcorrelationid", "x-request-id", "request-id", "x-ms-request-id", "ms-cv",
    "x-correlation-id",
)  # fmt: skip
DEBUG_HEADER = "x-xbl-debug"
"""Xbox Live's debug header: on some refusals, the reason in the service's words."""


def check_base_url(base_url: object) -> str:
    """Validate a client's ``base_url``: an absolute http(s) URL with a host and no
    credentials; raise ``ValueError`` naming the argument (never httpx's own error)."""
    if not isinstance(base_url, str) or not base_url.lower().startswith(("https://", "http://")):
        raise ValueError("base_url must be an http(s) URL")
    try:
        url = httpx.URL(base_url)
        port = url.port
    except (httpx.InvalidURL, ValueError) as exc:
        raise ValueError(f"base_url is not a valid URL ({exc})") from None
    if url.userinfo:
        # It would be repeated in every error message and repr: use auth= instead.
        raise ValueError("base_url must not carry credentials; pass them as auth=")
    if not url.host:
        raise ValueError("base_url has no host")
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"base_url has an invalid port ({port})")
    return base_url


def parse_http_date(text: str, *, now: float | None = None) -> float | None:
    """Parse an HTTP-date in any of its three forms to epoch seconds, or None.

    ``now`` (epoch seconds) resolves the two-digit years of RFC 850 dates: a date
    more than 50 years ahead is taken to be in the past century (RFC 9110).
    """
    text = text.strip()
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        month = _MONTHS.get(parts["b"].title())
        if month is None:
            return None
        if parts.get("Y") is not None:
            year = int(parts["Y"])
        else:
            this_year = datetime.fromtimestamp(now or 0.0, timezone.utc).year
            year = this_year // 100 * 100 + int(parts["y"])
            if year > this_year + 50:
                year -= 100
        try:
            when = datetime(
                year, month, int(parts["d"]), int(parts["H"]), int(parts["M"]), int(parts["S"]),
                tzinfo=timezone.utc,
            )  # fmt: skip
        except ValueError:
            return None
        return when.timestamp()
    return None


def format_http_date(epoch: float | datetime) -> str:
    """Format an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``); naive datetimes are
    refused because their zone is a guess."""
    if isinstance(epoch, datetime):
        if epoch.tzinfo is None:
            raise ValueError("an HTTP-date needs a timezone-aware datetime")
        epoch = epoch.timestamp()
    when = datetime.fromtimestamp(math.floor(epoch), timezone.utc)
    day = _DAYS[when.weekday()]
    month = _MONTH_NAMES[when.month - 1]
    return f"{day}, {when.day:02d} {month} {when.year:04d} {when:%H:%M:%S} GMT"


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
    millis = [float(v) for v in (value.strip() for value in
              headers.get_list("retry-after-ms", split_commas=True))
              if _DELTA.fullmatch(v) and float(v) > 0]  # fmt: skip
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
    parts = [f"{key}=REDACTED" if eq else "REDACTED"
             for key, eq, _ in (part.partition("=") for part in query.split("&"))]  # fmt: skip
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
