"""Where the cool-down gate keeps its state: the interface every backend satisfies (the
in-process ``Gate``, ``RedisGate``), and the throttle bucket's identity.

A gate shared by several clients (``RedisGate``: a whole fleet's) must not mix two
users' cool-downs, so a client's bucket is its host *and* its identity: a short keyed
hash of who it calls as, never the credential itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Protocol, runtime_checkable

from ._gate import Closure, Ticket, Verdict


@runtime_checkable
class GateBackend(Protocol):
    """The cool-down gate's interface (see ``_gate.Gate``, the in-process one, for
    the meaning of each method). Times are on the calling client's clock; a backend
    shared across processes converts them at its boundary. No method may raise: a
    backend that cannot do its work answers as the in-process gate would."""

    def passed(self, key: str, now: float, sent_at: float) -> None:
        """A response to a call sent at ``sent_at`` was not throttled."""

    def lost(self, key: str, now: float, sent_at: float) -> None:
        """A call sent at ``sent_at`` got no answer (a transport error, or it was
        cancelled): it says nothing of the pace, but what it held is free."""

    def hold(
        self,
        key: str,
        now: float,
        retry_after: float | None,
        *,
        sent_at: float,
        rate: float | None,
        closure: Closure,
        cap: float | None = None,
    ) -> None:
        """The service throttled a call: close ``key`` for ``retry_after`` seconds
        (None: no usable Retry-After, the gate's own back-off)."""

    def admit(
        self,
        key: str,
        now: float,
        ticket: Ticket | None,
        deadline: float,
        arrived: float | None = None,
    ) -> Verdict:
        """May a call go now (see ``Verdict``)? Callers queue in the order they
        ``arrived`` (a throttled call asks again with its first time)."""
        ...

    def give_back(self, ticket: Ticket) -> None:
        """A waiter left without sending: its place is free."""

    def window(self, key: str, now: float) -> tuple[float, Closure] | None:
        """Seconds left of the service's window for ``key``, and what closed it."""
        ...

    def closure(self, key: str) -> Closure | None:
        """What closed ``key`` last, while the gate remembers it."""
        ...

    def spacing(self, key: str) -> float | None:
        """The pace ``key`` is released at (seconds between calls), or None."""
        ...


_XBL3 = re.compile(r"XBL3\.0 x=([^;]+);.*", re.DOTALL)
_PROCESS_KEY = secrets.token_bytes(32)
"""Hashes credential material when no deployment key is given: stable in this
process, unknowable outside it."""
_NAME_KEY = b"sessionclient identity"
"""Hashes an identity that is a name, not a secret (a user hash): the same in every
process, so that a fleet shares its buckets without configuration."""


def identity(auth: object, key: bytes | None = None) -> str:
    """The part of a bucket's key that says who calls: ``#`` and 16 hex digits of an
    HMAC-SHA256, or '' when the client's identity is unknown (then it shares its
    host's bucket with every such client: slower, never faster, than the service
    allows).

    - an Xbox Live value (``XBL3.0 x=<userhash>;<token>``, or an ``XBLToken``): the
      user hash, since MPSD throttles per user, and workers of one user that each hold
      their own token must share one cool-down;
    - any other fixed ``Authorization`` value: the whole value. It is credential
      material, so it is keyed with ``key`` (a deployment's secret, ``RedisGate``'s
      ``identity_key``) or, without one, with a random key of this process: a stored
      hash can never be tested against guessed passwords;
    - a token provider or an ``httpx.Auth``: its ``identity`` attribute (a str) if it
      has one, else its ``userhash`` (as for a fixed Xbox Live value).

    Names (user hashes, ``identity`` attributes) are keyed with ``key`` when given,
    else with a fixed key, so that processes agree without configuration.
    """
    if isinstance(auth, str):
        match = _XBL3.fullmatch(auth)
        who = f"xbl:{match.group(1)}" if match else f"value:{auth}"
        secret = match is None
    elif isinstance(getattr(auth, "identity", None), str):
        who, secret = f"id:{auth.identity}", False  # type: ignore[attr-defined]
    elif isinstance(getattr(auth, "userhash", None), str):
        who, secret = f"xbl:{auth.userhash}", False  # type: ignore[attr-defined]
    else:
        return ""
    if key is None:
        key = _PROCESS_KEY if secret else _NAME_KEY
    digest = hmac.new(key, who.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return "#" + digest.hexdigest()[:16]


def identity_key(gate: object) -> bytes | None:
    """The key a gate shared between processes hashes identities with (its
    ``identity_key``), or None."""
    key = getattr(gate, "identity_key", None)
    return key if isinstance(key, bytes) else None
