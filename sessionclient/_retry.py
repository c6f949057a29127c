"""Retry decisions as pure functions of a policy, and the cool-down gate.

``RetryPolicy`` is an immutable value; ``RetryPolicy.decide`` answers "retry, and after
how long?" from the attempt number, what ended the attempt and the time spent, so sync
and async clients share every decision (tenacity only drives the loop). ``CoolDown``
is the per-client gate that keeps every call off the network while the service has
asked this client to wait.
"""

from __future__ import annotations

import enum
import math
import threading
from collections.abc import Callable
from typing import Any, Literal

import attrs
from attrs import validators as v

from ._exceptions import Attempt, SessionClientError, StatusError, TransportError
from ._http import MAX_RETRY_AFTER
from ._profiles import Profile

ThrottleMode = Literal["wait", "fail", "off"]


class Cause(enum.Enum):
    """Why an attempt failed, as far as retrying is concerned."""

    THROTTLED = "the server did not do the work and asked to come back later"
    TRANSIENT = "a failure after which the request may or may not have been applied"
    UNSENT = "the request never left this machine"
    FINAL = "retrying cannot help"


def cause_of(error: SessionClientError, profile: Profile) -> Cause:
    """Classify an attempt's error against the service's profile."""
    if isinstance(error, TransportError):
        if not error.retryable:
            return Cause.FINAL
        return Cause.TRANSIENT if error.sent else Cause.UNSENT
    if not isinstance(error, StatusError) or error.status is None:
        return Cause.FINAL
    if error.status in profile.throttle:
        as_transient = error.status in profile.throttle_needs_retry_after
        return Cause.TRANSIENT if as_transient and error.retry_after is None else Cause.THROTTLED
    return Cause.TRANSIENT if error.status in profile.transient else Cause.FINAL


@attrs.frozen
class Decision:
    """The policy's answer after a failed attempt."""

    retry: bool
    wait: float = 0.0
    reason: str = ""


def _positive(_: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{attribute.name} must be a positive, finite number of seconds")


@attrs.frozen
class RetryPolicy:
    """When and how long to retry; an immutable value shared by sync and async clients.

    - ``max_attempts``: attempts per call, the first included (1 disables retrying).
    - ``deadline``: seconds for the whole call, waits included; None for no deadline.
      A wait that would end after it is not taken: the error is raised at once.
    - ``backoff`` / ``backoff_max``: the first back-off and its cap; it doubles per
      attempt, with "equal jitter" (half fixed, half random) so it never collapses to 0.
    - ``retry_after_max``: the longest Retry-After honoured (default: the deadline);
      a server asking for longer gets the error raised at once, ``retry_after`` set.
    - ``throttle``: what calls do while the service is cooling down after a 429/503
      with Retry-After: ``"wait"`` for it (within the deadline), ``"fail"`` at once
      with ``TooManyRequestsError``, or ``"off"`` (no gate).
    - ``on_retry``: called with each ``Attempt`` that is about to be retried.

    What is retried: throttling (429, 503) whatever the method; 500/502/504 and
    transport failures after sending only for requests safe to repeat (GET, DELETE,
    writes guarded by ``If-Match: <etag>`` or ``If-None-Match: *``); connection
    failures before sending always; nothing else.
    """

    max_attempts: int = attrs.field(default=5, validator=[v.instance_of(int), v.ge(1)])
    deadline: float | None = attrs.field(default=30.0, validator=_positive)
    backoff: float = attrs.field(default=0.5, validator=_positive)
    backoff_max: float = attrs.field(default=8.0, validator=_positive)
    retry_after_max: float | None = attrs.field(default=None, validator=_positive)
    throttle: ThrottleMode = attrs.field(default="wait", validator=v.in_(("wait", "fail", "off")))
    on_retry: Callable[[Attempt], object] | None = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that sends each call once (the cool-down gate still applies)."""
        return cls(max_attempts=1)

    def evolve(self, **changes: Any) -> RetryPolicy:
        """A copy with some fields changed."""
        return attrs.evolve(self, **changes)

    def backoff_for(self, attempt: int, rand: float) -> float:
        """Back-off after failed attempt ``attempt`` (1-based); ``rand`` in [0, 1)."""
        step = min(self.backoff_max, self.backoff * 2.0 ** min(attempt - 1, 64))
        return step / 2 + step / 2 * rand

    def decide(
        self,
        *,
        attempt: int,
        cause: Cause,
        safe: bool,
        retry_after: float | None,
        remaining: float,
        rand: float,
    ) -> Decision:
        """Retry or not after failed attempt ``attempt``, and the wait before the next.

        ``safe``: the request may be repeated; ``remaining``: seconds left before the
        call's deadline (``math.inf`` without one); ``rand``: a uniform number in
        [0, 1) for jitter. Pure: the same inputs give the same decision.
        """
        if cause is Cause.FINAL:
            return Decision(False, reason="not retryable")
        if cause is Cause.TRANSIENT and not safe:
            return Decision(False, reason="not safe to repeat: it may have been applied")
        if attempt >= self.max_attempts:
            return Decision(False, reason=f"gave up after {attempt} attempts")
        if retry_after is not None:
            cap = self.retry_after_max or self.deadline or MAX_RETRY_AFTER
            if retry_after > cap or retry_after >= MAX_RETRY_AFTER:
                return Decision(False, reason=f"Retry-After {retry_after:g} s exceeds {cap:g} s")
            # Round up to the millisecond and add a little: never earlier than asked.
            wait = math.ceil(retry_after * 1000) / 1000 + 0.001 + rand * min(0.02, retry_after / 10)
        else:
            wait = self.backoff_for(attempt, rand)
        if wait > remaining:
            return Decision(False, reason=f"waiting {wait:.3f} s would pass the deadline")
        return Decision(True, wait, "retrying")


@attrs.define
class _Pace:
    until: float  # the end of the window the service asked for
    next: float  # the next free release slot
    spacing: float  # between released calls
    linger: float  # how long pacing outlives the last slot taken


class CoolDown:
    """The cool-down windows of one client, per host; thread-safe and task-safe.

    After a 429/503 with Retry-After, calls to that host are held until the window
    ends, then released one ``spacing`` apart so that they do not all fire at once;
    while calls keep coming faster than that, they stay paced (a burst right after the
    window would only be throttled again, and throttled calls count against the
    limit). Pacing lapses once calls have been slower than the pace for ``linger``
    seconds. The lock is never held while waiting.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paces: dict[str, _Pace] = {}

    def hold(self, host: str, until: float, spacing: float, linger: float) -> None:
        """Close ``host`` until ``until`` (clock time), then pace calls ``spacing``
        apart until they have been slower than that for ``linger`` seconds."""
        with self._lock:
            pace = self._paces.get(host)
            if pace is None or until > pace.until:
                start = until if pace is None else max(until, pace.next)
                self._paces[host] = _Pace(until, start, spacing, linger)

    def admit(self, host: str, now: float, *, within: float = math.inf, pace: bool = True) -> float:
        """Seconds this call must wait before it may go. With ``pace`` it waits for a
        release slot, which is reserved only when the wait is at most ``within`` (else
        the caller gives up); without, only for the window itself."""
        state = self._paces.get(host)
        if state is None or now >= state.next + state.linger:  # the common case: no lock
            return 0.0
        if not pace:
            return max(0.0, state.until - now)
        with self._lock:
            state = self._paces[host]  # again: a hold() may have replaced it meanwhile
            slot = max(now, state.next)
            wait = slot - now
            if wait <= within:
                state.next = slot + state.spacing
            return wait


MAX_LINGER = 300.0
"""Pacing never outlives a lull longer than this, whatever the report says."""


def pace_from(details: Any, retry_after: float) -> tuple[float, float]:
    """(spacing, linger) after a throttling answer. With the service's report
    (``maxRequests`` per ``periodInSeconds``) the spacing is its rate with 2% to spare,
    so that held calls drain the window instead of refilling it; without, a small
    fraction of the wait. Pacing lingers for one period (or the wait). A report is
    not trusted beyond the server's own Retry-After: no slot is ever spaced further
    apart than it, nor pacing kept past ``MAX_LINGER``."""
    spacing, linger = min(max(retry_after / 50, 0.001), 0.05), retry_after
    if isinstance(details, dict):
        try:
            period = float(details["periodInSeconds"])
            limit = float(details["maxRequests"])
        except (KeyError, TypeError, ValueError):
            pass
        else:
            if 0 < period < math.inf and 1 <= limit < math.inf:
                spacing, linger = period / limit * 1.02, period
    return min(spacing, max(retry_after, 0.001)), min(linger, MAX_LINGER)
