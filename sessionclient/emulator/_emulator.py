"""``Emulator``: the sans-I/O directory with its adapters and ready-made clients."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any

import anyio

from .._async import AsyncSessionClient
from .._auth import XBLToken
from .._sync import SessionClient
from ._adapters import EmulatorApp, EmulatorTransport, serve
from ._directory import Directory

EMULATOR_URL = "http://sessiondirectory.emulator"
"""The base URL in-process clients use; no request to it ever leaves the process."""
DEFAULT_USERHASH = "2533274790395904"


class Emulator(Directory):
    """An in-memory session directory (see ``Directory``) that can also be reached:
    in-process through ``transport()`` and the ``client()`` helpers, or over real
    sockets with ``serve()`` (uvicorn) or ``app()`` (any ASGI server)."""

    def transport(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> EmulatorTransport:
        """An httpx transport (sync and async) answering from this directory."""
        return EmulatorTransport(self, sleep=sleep, async_sleep=async_sleep)

    def app(self) -> EmulatorApp:
        """This directory as an ASGI application."""
        return EmulatorApp(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> AbstractContextManager[str]:
        """Serve over HTTP in a background thread; the context yields the base URL."""
        return serve(self, host, port)

    def client(self, userhash: str = DEFAULT_USERHASH, **options: Any) -> SessionClient:
        """A ``SessionClient`` wired to this directory in-process, signed in as
        ``userhash``. ``options`` go to ``SessionClient``."""
        options.setdefault("auth", XBLToken(userhash, "emulator-token"))
        options.setdefault("transport", self.transport())
        return SessionClient(EMULATOR_URL, **options)

    def async_client(self, userhash: str = DEFAULT_USERHASH, **options: Any) -> AsyncSessionClient:
        """The ``AsyncSessionClient`` twin of ``client()``."""
        options.setdefault("auth", XBLToken(userhash, "emulator-token"))
        options.setdefault("transport", self.transport())
        return AsyncSessionClient(EMULATOR_URL, **options)
