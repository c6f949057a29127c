"""Credentials out of errors: what a server echoes back is never kept.

A server may repeat the ``Authorization`` value it received in a 401 body, a header or
a session document. The SDK knows the values it sent; an error keeps its message,
headers, details and session only after every one of them, and the token part of
any ``XBL3.0 x=<userhash>;<token>``, has been replaced by ``<redacted>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import attrs
import httpx

from ._exceptions import SessionClientError

REDACTED = "<redacted>"
_MIN_LENGTH = 4
"""Shorter pieces are not searched for: replacing every "ab" would garble messages,
and a credential that short protects nothing."""
_XBL = re.compile(r"(XBL3\.0\s+x=[^;\s\"'<>]*;)([^\s\"'<>\\]+)", re.IGNORECASE)
_XBL_BYTES = re.compile(_XBL.pattern.encode(), re.IGNORECASE)
_AUTH_HEADERS = (b"authorization", b"proxy-authorization")


def secrets_of(value: str) -> tuple[str, ...]:
    """The pieces of an ``Authorization`` value to hide: the whole value, the
    credentials after the scheme, and an XBL3.0 token on its own."""
    pieces = [value.strip()]
    _, _, credentials = value.strip().partition(" ")
    if credentials:
        pieces.append(credentials.strip())
    match = _XBL.search(value)
    if match:
        pieces.append(match.group(2))
    return tuple(p for p in dict.fromkeys(pieces) if len(p) >= _MIN_LENGTH)


def sent_secrets(response: httpx.Response) -> tuple[str, ...]:
    """The credentials of the requests that led to ``response`` (the last one and
    those an auth flow answered before it, such as the token refreshed after a 401)."""
    found: list[str] = []
    for each in (*response.history, response):
        for name, value in each.request.headers.raw:
            if name.lower() in _AUTH_HEADERS:
                found += secrets_of(value.decode("latin-1"))
    return tuple(dict.fromkeys(found))


def request_secrets(exc: httpx.HTTPError) -> tuple[str, ...]:
    """The credentials of the request an httpx error is about (none when it has no
    request)."""
    try:
        request = exc.request
    except RuntimeError:  # raised without one
        return ()
    found: list[str] = []
    for name, value in request.headers.raw:
        if name.lower() in _AUTH_HEADERS:
            found += secrets_of(value.decode("latin-1"))
    return tuple(dict.fromkeys(found))


def text(value: str, secrets: Iterable[str]) -> str:
    """``value`` with every secret, and every XBL3.0 token, replaced."""
    for secret in sorted(secrets, key=len, reverse=True):  # the whole value first
        if secret in value:
            value = value.replace(secret, REDACTED)
    if _XBL.search(value):
        value = _XBL.sub(lambda m: m.group(1) + REDACTED, value)
    return value


def body(value: bytes, secrets: Iterable[str]) -> bytes:
    """``text`` for a raw body (secrets are matched as Latin-1 and as UTF-8 bytes)."""
    for secret in sorted(secrets, key=len, reverse=True):
        for raw in {secret.encode("latin-1", "replace"), secret.encode("utf-8")}:
            if raw in value:
                value = value.replace(raw, REDACTED.encode())
    if _XBL_BYTES.search(value):
        value = _XBL_BYTES.sub(lambda m: m.group(1) + REDACTED.encode(), value)
    return value


def headers(value: httpx.Headers, secrets: Iterable[str]) -> httpx.Headers:
    """``value`` itself when it holds nothing to hide, else a Latin-1 copy with every
    secret replaced (names are kept)."""
    secrets = tuple(secrets)
    raw = [(name, body(v, secrets)) for name, v in value.raw]
    if all(new is old for (_, new), (_, old) in zip(raw, value.raw, strict=True)):
        return value
    return httpx.Headers(raw, encoding="iso-8859-1")


def _deep(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return text(value, secrets)
    if isinstance(value, dict):
        return {
            text(k, secrets) if isinstance(k, str) else k: _deep(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_deep(v, secrets) for v in value]
    return value


def error(exc: SessionClientError, secrets: Iterable[str]) -> SessionClientError:
    """Redact, in place, everything ``exc`` keeps from the response; returns it."""
    secrets = tuple(secrets)
    exc.message = text(exc.message, secrets)
    exc.args = (exc.message, *exc.args[1:])
    exc.headers = headers(exc.headers, secrets)
    if exc.request_id is not None:
        exc.request_id = text(exc.request_id, secrets)
    if exc.debug is not None:
        exc.debug = text(exc.debug, secrets)
    exc.details = _deep(exc.details, secrets)
    if exc.session is not None:
        exc.session = attrs.evolve(exc.session, document=_deep(exc.session.document, secrets))
    if hasattr(exc, "task"):
        exc.task = _deep(exc.task, secrets)
    return exc
