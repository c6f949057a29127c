"""Where the cool-down gate keeps its state: the interface every backend satisfies (the
in-process ``Gate``, ``RedisGate``), and the throttle bucket's identity.

A gate shared by several clients (``RedisGate``: a whole fleet's) must not mix two
users' cool-downs, so a client's bucket is its host *and* its identity: a short hash
of who it calls as, never the credential itself.
"""

from __future__ import annotations

import hashlib
import re
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


def identity(auth: object) -> str:
    """The part of a bucket's key that says who calls: ``#`` and 16 hex digits of a
    SHA-256, or '' when the client's identity is unknown (then it shares its host's
    bucket with every such client: slower, never faster, than the service allows).

    - an Xbox Live value (``XBL3.0 x=<userhash>;<token>``, or an ``XBLToken``): the
      user hash, since MPSD throttles per user, and workers of one user that each hold
      their own token must share one cool-down;
    - any other fixed ``Authorization`` value: the whole value;
    - a token provider or an ``httpx.Auth``: its ``identity`` attribute (a str) if it
      has one, else its ``userhash`` (as for a fixed Xbox Live value).
    """
    if isinstance(auth, str):
        match = _XBL3.fullmatch(auth)
        who = f"xbl:{match.group(1)}" if match else f"value:{auth}"
    elif isinstance(getattr(auth, "identity", None), str):
        who = f"id:{auth.identity}"  # type: ignore[attr-defined]
    elif isinstance(getattr(auth, "userhash", None), str):
        who = f"xbl:{auth.userhash}"  # type: ignore[attr-defined]
    else:
        return ""
    return "#" + hashlib.sha256(who.encode("utf-8", "surrogatepass")).hexdigest()[:16]
