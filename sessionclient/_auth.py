"""Authorization: token providers and the httpx ``Auth`` that refreshes once on 401."""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator

import httpx

TokenProvider = Callable[[bool], "str | Awaitable[str]"]
"""A callable returning the whole ``Authorization`` value. It receives
``force_refresh``: True after a 401, when a cached token must not be reused. An
async client may be given a provider that returns an awaitable."""


# RFC 9110 field-value, visible ASCII only: anything else would make the HTTP library
# refuse the header with an error that quotes it, secret included.
_FIELD_VALUE = re.compile(r"[\x21-\x7e](?:[\x20\x21-\x7e]*[\x21-\x7e])?")


def _check_header(value: object) -> str:
    # Never echo the value: it is a secret.
    if not isinstance(value, str):
        raise TypeError(f"a token provider must return a str, not {type(value).__name__}")
    if not _FIELD_VALUE.fullmatch(value):
        raise ValueError(
            "the Authorization value must be visible ASCII, without surrounding white "
            "space or control characters"
        )
    return value


def xbl3_authorization(userhash: str, token: str) -> str:
    """The Xbox Live header value ``XBL3.0 x=<userhash>;<token>``."""
    if not re.fullmatch(r"[\x21-\x3a\x3c-\x7e]+", userhash or ""):
        raise ValueError("the user hash must be non-empty, without ';', spaces or line breaks")
    if not token:
        raise ValueError("the token must be non-empty")
    return _check_header(f"XBL3.0 x={userhash};{token}")


class XBLToken:
    """A fixed Xbox Live token, as a provider; its ``repr`` hides the token."""

    __slots__ = ("_value", "userhash")

    def __init__(self, userhash: str, token: str) -> None:
        self._value = xbl3_authorization(userhash, token)
        self.userhash = userhash

    def __call__(self, force_refresh: bool = False) -> str:
        """The header value (a fixed token cannot be refreshed)."""
        return self._value

    def __repr__(self) -> str:
        return f"XBLToken(userhash={self.userhash!r}, token=<redacted>)"


class TokenAuth(httpx.Auth):
    """Sets ``Authorization`` from a provider; after a 401, asks the provider for a
    fresh value and resends exactly once. A second 401 is returned as it is."""

    def __init__(self, provider: TokenProvider) -> None:
        if not callable(provider):
            raise TypeError("auth must be an httpx.Auth, a token provider callable or None")
        self._provider = provider

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """The flow for ``httpx.Client``."""
        for refresh in (False, True):
            value = self._provider(refresh)
            if inspect.isawaitable(value):
                _close(value)
                raise TypeError("an async token provider needs AsyncSessionClient")
            request.headers["Authorization"] = _check_header(value)
            response = yield request
            if response.status_code != 401:
                return

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """The flow for ``httpx.AsyncClient``; the provider may be async."""
        for refresh in (False, True):
            value = self._provider(refresh)
            if inspect.isawaitable(value):
                value = await value
            request.headers["Authorization"] = _check_header(value)
            response = yield request
            if response.status_code != 401:
                return

    def __repr__(self) -> str:
        return f"TokenAuth({type(self._provider).__name__})"


def _close(awaitable: object) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:  # silence "coroutine was never awaited"
        close()


class _Checked(httpx.Auth):
    """A caller's own ``httpx.Auth``, whose every request is checked before it is
    sent: an ``Authorization`` value HTTP cannot carry (a trailing newline or space)
    is refused with ``ValueError`` here, instead of by h11 with an error that quotes
    it, after httpcore has logged it."""

    def __init__(self, auth: httpx.Auth) -> None:
        self._auth = auth
        self.requires_request_body = auth.requires_request_body
        self.requires_response_body = auth.requires_response_body

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """The caller's sync flow, each request checked."""
        flow = self._auth.sync_auth_flow(request)
        try:
            request = next(flow)
            while True:
                response = yield _checked(request)
                request = flow.send(response)
        except StopIteration:
            return
        finally:
            flow.close()

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """The caller's async flow, each request checked."""
        flow = self._auth.async_auth_flow(request)
        try:
            request = await flow.__anext__()
            while True:
                response = yield _checked(request)
                request = await flow.asend(response)
        except StopAsyncIteration:
            return
        finally:
            await flow.aclose()

    def __repr__(self) -> str:
        return repr(self._auth)


def _checked(request: httpx.Request) -> httpx.Request:
    for name, value in request.headers.raw:
        if name.lower() in (b"authorization", b"proxy-authorization"):
            _check_header(value.decode("latin-1"))
    return request


def to_auth(auth: httpx.Auth | TokenProvider | str | None) -> tuple[httpx.Auth | None, str | None]:
    """Normalise the ``auth=`` argument of the clients: an ``httpx.Auth`` for anything
    that can refresh, or a fixed ``Authorization`` value (a str or an ``XBLToken``),
    which needs no per-request flow: there is nothing to refresh on 401. A caller's
    ``httpx.Auth`` is wrapped so that what it sets is checked before it is sent."""
    if auth is None:
        return None, None
    if isinstance(auth, httpx.Auth):
        return _Checked(auth), None
    if isinstance(auth, str):
        return None, _check_header(auth)
    if isinstance(auth, XBLToken):
        return None, auth()
    return TokenAuth(auth), None
