"""Where the examples connect: the in-process emulator, unless the environment names an
endpoint (SESSIONCLIENT_BASE_URL, a served emulator or the real service; for the real
service also SESSIONCLIENT_TOKEN, and SESSIONCLIENT_SCID and SESSIONCLIENT_TEMPLATE for
the sessions to use). Each run works on sessions of its own, and removes them."""

from __future__ import annotations

import os
import uuid
from typing import Any

import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID, Emulator, Throttle

RUN = uuid.uuid4().hex[:8]
"""Added to every session name: a rerun never meets what an interrupted run left."""


def connect(userhash: str, emulator: Emulator | None, **options: Any) -> sc.SessionClient:
    """A client signed in as ``userhash`` (an emulator, served or not, takes any token),
    or with the configured token."""
    base_url = os.environ.get("SESSIONCLIENT_BASE_URL")
    if base_url:
        token = os.environ.get("SESSIONCLIENT_TOKEN")
        auth = token or sc.XBLToken(userhash, "example")
        return sc.SessionClient(base_url, auth=auth, **options)
    assert emulator is not None
    return emulator.client(userhash, **options)


def emulator(**options: Any) -> Emulator | None:
    """An in-process emulator to talk to, or None when an endpoint is configured."""
    if os.environ.get("SESSIONCLIENT_BASE_URL"):
        return None
    options.setdefault("throttle", Throttle())
    return Emulator(**options)


def session_ref(name: str) -> sc.SessionRef:
    """A session of this run."""
    scid = os.environ.get("SESSIONCLIENT_SCID", DEFAULT_SCID)
    template = os.environ.get("SESSIONCLIENT_TEMPLATE", "lobby")
    return sc.SessionRef(scid, template, f"{name}-{RUN}")
