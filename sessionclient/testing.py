"""pytest fixtures for code that uses sessionclient, backed by the emulator.

Installing sessionclient registers this plugin (the ``pytest11`` entry point), so the
fixtures are there in any test::

    def test_lobby_fills_up(session_client, session_emulator):
        ref = SessionRef(DEFAULT_SCID, "lobby", "test")
        session_client.create(ref)
        assert session_emulator.session(DEFAULT_SCID, "lobby", "test") is not None

Override ``session_emulator_options`` in a ``conftest.py`` to configure the emulator
(templates, throttling, faults, time scale).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ._async import AsyncSessionClient
from ._sync import SessionClient
from .emulator import Emulator


@pytest.fixture
def session_emulator_options() -> dict[str, Any]:
    """Keyword arguments for the ``Emulator`` of ``session_emulator``; by default its
    clocks run 100 times faster so throttling windows pass quickly."""
    return {"time_scale": 0.01}


@pytest.fixture
def session_emulator(session_emulator_options: dict[str, Any]) -> Emulator:
    """A fresh, empty emulator for each test."""
    return Emulator(**session_emulator_options)


@pytest.fixture
def session_client(session_emulator: Emulator) -> Iterator[SessionClient]:
    """A ``SessionClient`` talking to ``session_emulator`` in-process."""
    with session_emulator.client() as client:
        yield client


@pytest.fixture
def async_session_client(session_emulator: Emulator) -> AsyncSessionClient:
    """An ``AsyncSessionClient`` talking to ``session_emulator`` in-process (its
    transport holds no sockets, so nothing needs closing)."""
    return session_emulator.async_client()
