"""Where the examples connect: the in-process emulator, unless the environment names a
real endpoint (SESSIONCLIENT_BASE_URL and SESSIONCLIENT_TOKEN, plus SESSIONCLIENT_SCID
and SESSIONCLIENT_TEMPLATE for the session to use)."""

from __future__ import annotations

import os
from typing import Any

import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID, Emulator, Throttle


def connect(userhash: str, emulator: Emulator | None, **options: Any) -> sc.SessionClient:
    """A client signed in as ``userhash`` (emulator) or with the configured token."""
    base_url = os.environ.get("SESSIONCLIENT_BASE_URL")
    if base_url:
        return sc.SessionClient(base_url, auth=os.environ["SESSIONCLIENT_TOKEN"], **options)
    assert emulator is not None
    return emulator.client(userhash, **options)


def emulator(**options: Any) -> Emulator | None:
    """An emulator to talk to, or None when a real endpoint is configured."""
    if os.environ.get("SESSIONCLIENT_BASE_URL"):
        return None
    options.setdefault("throttle", Throttle())
    return Emulator(**options)


def session_ref(name: str) -> sc.SessionRef:
    """The session the example works on."""
    scid = os.environ.get("SESSIONCLIENT_SCID", DEFAULT_SCID)
    template = os.environ.get("SESSIONCLIENT_TEMPLATE", "lobby")
    return sc.SessionRef(scid, template, name)
