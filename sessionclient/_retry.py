"""The retry policy, and every wait amount a call's logic asks for.

``RetryPolicy`` is an immutable value. After a failed attempt, ``RetryPolicy.decide``
answers "retry, and after how long?": whether the failure may be retried is the SDK's
own rule (what the service did, whether the request is safe to repeat); when to stop
and how long to back off are tenacity strategies (``stop`` and ``wait``), called as
tenacity calls them, with the call's own clock. A usable Retry-After overrides the
back-off. The pause after a conflict and the interval between task polls are here too,
so that every amount is computed in one module; ``_engine.Deadline.fits`` then decides
whether a wait may be taken at all.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Any, Literal

import attrs
import tenacity
from attrs import validators as v

from ._exceptions import Attempt, SessionClientError, StatusError, TransportError
from ._http import MAX_RETRY_AFTER
from ._profiles import Profile

ThrottleMode = Literal["wait", "fail", "off"]
WaitStrategy = Callable[[tenacity.RetryCallState], float]
"""A tenacity wait strategy (``tenacity.wait_fixed(1)``, ``wait_exponential(...)`` ...)."""
StopStrategy = Callable[[tenacity.RetryCallState], bool]
"""A tenacity stop strategy (``tenacity.stop_after_attempt(3)``, ``stop_after_delay(10)``
...)."""


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


def _strategy(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not callable(value):
        raise TypeError(
            f"{attribute.name} must be a tenacity {attribute.name} strategy "
            f"(e.g. tenacity.{attribute.name}_...), not {type(value).__name__}"
        )


def equal_jitter(backoff: float, backoff_max: float) -> WaitStrategy:
    """tenacity's exponential wait with "equal jitter": half of each step fixed, half
    random, so the wait never collapses to 0 (``backoff`` doubling per attempt, capped
    at ``backoff_max``)."""
    half, cap = backoff / 2, backoff_max / 2
    fixed = tenacity.wait_exponential(multiplier=half, max=cap)
    return fixed + tenacity.wait_random_exponential(multiplier=half, max=cap)


@attrs.frozen
class RetryPolicy:
    """When and how long to retry; an immutable value shared by sync and async clients.

    - ``max_attempts``: attempts per call, the first included (1 disables retrying).
      Attempts refused by throttling while the gate waits (``throttle="wait"``, with a
      deadline) do not count: the gate paces them and the deadline bounds them.
    - ``deadline``: seconds for the whole call, waits included; None for no deadline.
      A wait that would end after it is not taken: the error is raised at once.

    The defaults are bounded by the deadline: 10 attempts with the default back-off
    wait at least 23.75 s (0.25 + 0.5 + 1 + 2 + 4 x 5, the fixed half of each wait),
    so a call facing a service that stays down for most of its 30 s keeps trying,
    about once every 4-8 s by then, and raises when its time is up, not after a count
    reached early; the attempts only stop a failure that comes back at once.
    - ``backoff`` / ``backoff_max``: the first back-off and its cap; it doubles per
      attempt, with "equal jitter" (half fixed, half random) so it never collapses to 0.
    - ``wait`` / ``stop``: tenacity strategies that replace those defaults: ``wait``
      the back-off (default ``equal_jitter(backoff, backoff_max)``), ``stop`` when to
      give up (default ``tenacity.stop_after_attempt(max_attempts)``). They see
      tenacity's ``RetryCallState`` on the client's clock.
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
    method; 408/500/502/504, a 503 without Retry-After and transport failures after
    sending only for requests safe to repeat (GET, DELETE, writes guarded by
    ``If-Match: <etag>`` or ``If-None-Match: *``); connection failures before sending
    always; nothing else. A Retry-After of zero, a negative one or a date in the past
    is no usable Retry-After: the back-off applies.
    """

    max_attempts: int = attrs.field(default=10, validator=[v.instance_of(int), v.ge(1)])
    deadline: float | None = attrs.field(default=30.0, validator=_positive)
    backoff: float = attrs.field(default=0.5, validator=_positive)
    backoff_max: float = attrs.field(default=8.0, validator=_positive)
    retry_after_max: float | None = attrs.field(default=None, validator=_positive)
    throttle: ThrottleMode = attrs.field(default="wait", validator=v.in_(("wait", "fail", "off")))
    wait: WaitStrategy | None = attrs.field(default=None, validator=_strategy, eq=False)
    stop: StopStrategy | None = attrs.field(default=None, validator=_strategy, eq=False)
    on_retry: Callable[[Attempt], object] | None = attrs.field(default=None, eq=False, repr=False)
    on_attempt: Callable[[Attempt], object] | None = attrs.field(default=None, eq=False, repr=False)
    _strategies: tuple[WaitStrategy, StopStrategy, tenacity.Retrying] = attrs.field(
        init=False, eq=False, repr=False
    )

    @_strategies.default
    def _build(self) -> tuple[WaitStrategy, StopStrategy, tenacity.Retrying]:
        wait = self.wait or equal_jitter(self.backoff, self.backoff_max)
        stop = self.stop or tenacity.stop_after_attempt(self.max_attempts)
        # The owner tenacity gives every RetryCallState; never run as a loop here.
        return wait, stop, tenacity.Retrying(wait=wait, stop=stop)

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that sends each call once (the cool-down gate still applies)."""
        return cls(max_attempts=1)

    def evolve(self, **changes: Any) -> RetryPolicy:
        """A copy with some fields changed."""
        return attrs.evolve(self, **changes)

    def decide(
        self,
        *,
        attempt: int,
        cause: Cause,
        safe: bool,
        retry_after: float | None,
        error: BaseException | None = None,
        started: float = 0.0,
        now: float = 0.0,
        waited: float = 0.0,
        rand: float = 0.0,
        held: bool = False,
    ) -> Decision:
        """Retry or not after failed attempt ``attempt``, and the wait before the next.

        ``safe``: the request may be repeated; ``error``: what ended the attempt (the
        strategies see it as the outcome); ``started``/``now``: when the call began and
        this attempt ended, on the client's clock; ``waited``: seconds slept so far;
        ``rand``: a uniform number in [0, 1) for the jitter added to a Retry-After;
        ``held``: the cool-down gate holds the call's next attempt, so a throttled one
        without Retry-After waits there, not here. Whether the wait fits the call's
        deadline is not decided here (see ``_engine.Deadline``)."""
        if cause is Cause.FINAL:
            return Decision(False, reason="not retryable")
        if cause is Cause.TRANSIENT and not safe:
            return Decision(False, reason="not safe to repeat: it may have been applied")
        wait_strategy, stop_strategy, owner = self._strategies
        state = tenacity.RetryCallState(owner, None, (), {})
        state.attempt_number = attempt
        state.start_time, state.outcome_timestamp, state.idle_for = started, now, waited
        state.outcome = tenacity.Future.construct(attempt, error, error is not None)
        if stop_strategy(state):
            return Decision(False, reason=f"gave up after {attempt} attempts")
        if held and cause is Cause.THROTTLED and retry_after is None:
            return Decision(True, 0.0, "the gate holds it")
        if retry_after is not None:
            cap = self.retry_after_max or self.deadline or MAX_RETRY_AFTER
            if retry_after > cap or retry_after >= MAX_RETRY_AFTER:
                return Decision(False, reason=f"Retry-After {retry_after:g} s exceeds {cap:g} s")
            # Round up to the millisecond and add a little: never earlier than asked.
            # Without the gate nothing spreads the callers out, so the jitter does,
            # over a quarter of the wait.
            spread = retry_after / 4 if self.throttle == "off" else min(0.02, retry_after / 10)
            return Decision(True, math.ceil(retry_after * 1000) / 1000 + 0.001 + rand * spread)
        return Decision(True, max(float(wait_strategy(state)), 0.0), "retrying")


# --- the pauses of multi-request operations -------------------------------------------


def conflict_pause(round_trip: float, conflicts: int, rand: float) -> float:
    """The pause after a write lost a race (412): a random part of a few round trips of
    the write, doubling with each conflict (at most 16), so that writers who learned the
    new version at once do not all rewrite at once."""
    return rand * round_trip * (1 << min(conflicts, 4))


def poll_interval(interval: float, polls: int, retry_after: float | None, cap: float) -> float:
    """The wait before the next poll of a task: what the server's Retry-After asks,
    else ``interval`` growing by half with each poll, up to ``cap``."""
    if retry_after is not None:
        return retry_after
    return interval if polls == 0 else min(interval * 1.5 ** min(polls, 64), cap)
