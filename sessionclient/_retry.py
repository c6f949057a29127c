"""Retry decisions as pure functions of a policy.

``RetryPolicy`` is an immutable value; ``RetryPolicy.decide`` answers "retry, and after
how long?" from the attempt number, what ended the attempt and the time left, so sync
and async clients share every decision (tenacity only drives the loop).
"""

from __future__ import annotations

import enum
import math
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
      with Retry-After: ``"wait"`` for it (within the deadline) and then go at the
      service's pace, ``"fail"`` at once with the error that closed the gate, or
      ``"off"`` (no gate; a retried call waits its Retry-After plus up to a quarter
      more, so that callers throttled together do not return together).
    - ``on_retry``: called with each ``Attempt`` that is about to be retried.
    - ``on_attempt``: called with every ``Attempt`` once it ended, the last and a
      successful one included (``cause`` is then the status, ``wait`` 0.0).

    What is retried: throttling (429, and 503 with a usable Retry-After) whatever the
    method; 500/502/504, a 503 without Retry-After and transport failures after
    sending only for requests safe to repeat (GET, DELETE, writes guarded by
    ``If-Match: <etag>`` or ``If-None-Match: *``); connection failures before sending
    always; nothing else. A Retry-After of zero, a negative one or a date in the past
    is no usable Retry-After: the back-off applies.
    """

    max_attempts: int = attrs.field(default=5, validator=[v.instance_of(int), v.ge(1)])
    deadline: float | None = attrs.field(default=30.0, validator=_positive)
    backoff: float = attrs.field(default=0.5, validator=_positive)
    backoff_max: float = attrs.field(default=8.0, validator=_positive)
    retry_after_max: float | None = attrs.field(default=None, validator=_positive)
    throttle: ThrottleMode = attrs.field(default="wait", validator=v.in_(("wait", "fail", "off")))
    on_retry: Callable[[Attempt], object] | None = attrs.field(default=None, eq=False, repr=False)
    on_attempt: Callable[[Attempt], object] | None = attrs.field(default=None, eq=False, repr=False)

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
            # Without the gate nothing spreads the callers out, so the jitter does,
            # over a quarter of the wait.
            spread = retry_after / 4 if self.throttle == "off" else min(0.02, retry_after / 10)
            wait = math.ceil(retry_after * 1000) / 1000 + 0.001 + rand * spread
        else:
            wait = self.backoff_for(attempt, rand)
        if wait > remaining:
            return Decision(False, reason=f"waiting {wait:.3f} s would pass the deadline")
        return Decision(True, wait, "retrying")
