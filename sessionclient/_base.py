"""What every client is built from: its options, validated once, and the settings its
calls share. The two drivers (``_async.AsyncClient`` and its generated twin
``_sync.SyncClient``) add the I/O: one exchange and one sleep each.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict

import attrs
import httpx

from ._auth import TokenProvider, to_auth
from ._backend import GateBackend, identity, identity_key
from ._core import check_header
from ._engine import Settings
from ._gate import Gate
from ._http import check_base_url
from ._profiles import Profile
from ._retry import RetryPolicy
from ._version import __version__

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
"""5 s to connect, 10 s for each read, write and pool wait."""
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
"""httpx's own default pool: 100 connections, 20 kept alive. Async calls beyond
``max_connections`` wait for a slot, on the call's deadline."""
DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024
"""Response bodies above 4 MiB are refused (``MalformedResponseError``)."""
USER_AGENT = f"sessionclient/{__version__}"

AuthTypes = httpx.Auth | TokenProvider | str | None
Verify = ssl.SSLContext | str | bool


class ClientOptions(TypedDict, total=False):
    """The keyword arguments every client takes (besides its ``transport`` and
    ``sleep``, whose types differ between the sync and async clients)."""

    auth: AuthTypes
    """An ``httpx.Auth``, a token provider (``provider(force_refresh) -> Authorization
    value``, see ``XBLToken``) or None."""
    retry: RetryPolicy | None
    """The default ``RetryPolicy`` (each call may override it)."""
    timeout: httpx.Timeout | float | None
    """Default ``DEFAULT_TIMEOUT``: 5 s to connect, 10 s per read, write and pool wait."""
    limits: httpx.Limits | None
    """The connection pool (default ``DEFAULT_LIMITS``, httpx's own)."""
    headers: Mapping[str, str] | None
    """Headers sent with every request."""
    clock: Callable[[], float]
    """A monotonic clock in seconds (default ``time.monotonic``), injectable for tests."""
    max_body_size: int
    """Response bodies above this many bytes are refused (default 4 MiB)."""
    verify: ssl.SSLContext | str | Literal[True]
    """TLS verification: True, a CA bundle path or an ``ssl.SSLContext``."""
    insecure_skip_tls_verify: bool
    """Turn TLS verification off (the only way to): for test servers only."""
    gate: GateBackend | None
    """Where the cool-down gate keeps its state (default: in this client;
    ``RedisGate`` shares it with every client of a fleet)."""


def _limits(limits: object) -> httpx.Limits:
    if limits is None:
        return DEFAULT_LIMITS
    if not isinstance(limits, httpx.Limits):
        raise TypeError(f"limits must be an httpx.Limits, not {type(limits).__name__}")
    return limits


def _timeout(timeout: object) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)):
        raise TypeError(
            f"timeout must be seconds or an httpx.Timeout, not {type(timeout).__name__}"
        )
    return httpx.Timeout(timeout)


def _headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    return dict(headers or {})


@attrs.frozen(kw_only=True)
class Options:
    """``ClientOptions``, validated once (an unknown keyword is a ``TypeError``)."""

    auth: AuthTypes = attrs.field(default=None, repr=False)
    retry: RetryPolicy | None = None
    timeout: httpx.Timeout = attrs.field(default=DEFAULT_TIMEOUT, converter=_timeout)
    limits: httpx.Limits = attrs.field(default=None, converter=_limits)
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_headers)
    clock: Callable[[], float] = time.monotonic
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    verify: Verify = True
    insecure_skip_tls_verify: bool = False
    gate: GateBackend | None = None

    def __attrs_post_init__(self) -> None:
        for name, value in self.headers.items():
            check_header(name, value)  # before any request: h11's error would quote it
        if self.retry is not None and not isinstance(self.retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy, not {type(self.retry).__name__}")
        if not callable(self.clock):
            raise TypeError("clock must be a callable returning seconds")
        if self.gate is not None and not isinstance(self.gate, GateBackend):
            raise TypeError(
                f"gate must be a gate backend (RedisGate), not {type(self.gate).__name__}"
            )
        size = self.max_body_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError("max_body_size must be a positive number of bytes")
        if self.verify is False and not self.insecure_skip_tls_verify:
            raise ValueError(
                "TLS verification stays on unless you pass insecure_skip_tls_verify=True"
            )

    @property
    def tls(self) -> Verify:
        """What the transport verifies TLS with."""
        return False if self.insecure_skip_tls_verify else self.verify


def check_transport(transport: object, kind: type) -> None:
    """Refuse anything but an httpx transport of the client's kind, at construction."""
    if transport is not None and not isinstance(transport, kind):
        raise TypeError(
            f"transport must be an {kind.__module__}.{kind.__name__} (or None), "
            f"not {type(transport).__name__}"
        )


def check_sleep(sleep: object) -> None:
    """Refuse a ``sleep`` that cannot be called, at construction."""
    if not callable(sleep):
        raise TypeError("sleep must be a callable taking seconds")


def encoded(headers: tuple[tuple[str, str], ...]) -> list[tuple[bytes, bytes]]:
    """A call's headers for httpx, as Latin-1, so that an ETag with obs-text goes back
    byte for byte as it came."""
    return [(name.encode(), value.encode("latin-1")) for name, value in headers]


class BaseClient:
    """What the sync and async drivers share: the settings of their calls."""

    _settings: Settings
    _base_url: str

    def _configure(
        self, base_url: str, profile: Profile, headers: Mapping[str, str], options: Options
    ) -> dict[str, Any]:
        """Keep the call settings; return the ``httpx`` client's arguments."""
        check_base_url(base_url)
        base_url = base_url.rstrip("/")
        self._base_url = base_url
        self._settings = Settings(
            base_url,
            profile,
            options.retry or RetryPolicy(),
            options.timeout,
            options.max_body_size,
            options.clock,
            gate=options.gate if options.gate is not None else Gate(),
            bucket=httpx.URL(base_url).host + identity(options.auth, identity_key(options.gate)),
        )
        flow, fixed = to_auth(options.auth)
        merged = {
            "User-Agent": USER_AGENT,
            # Only what the body reader decodes under its cap (and checks for a cut).
            "Accept-Encoding": "gzip, deflate",
            **headers,
            **options.headers,
        }
        if fixed is not None:
            merged["Authorization"] = fixed
        return {
            "base_url": base_url,
            "headers": merged,  # httpx masks Authorization in every repr
            "auth": flow,
            "timeout": options.timeout,
            "follow_redirects": False,  # never carry the token to another origin
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"
