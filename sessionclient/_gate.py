"""The cool-down gate: keeps calls off the network while the service has asked this
client to wait, then releases them at the service's rate, learning that rate when no
report gives it.

Pure state behind one lock; the clients' drivers only sleep for the waits it hands
out. A bucket is what the service throttles as one (by default the client's host and
identity; some endpoints have their own). Per bucket:

- ``until``: the end of the window the service asked for (Retry-After, capped);
- ``spacing``: seconds between two releases once the window is over: the reported
  rate with a small margin, or one learned from what succeeds and what is throttled;
- a queue: callers wait in order, re-check before they send (a later answer may
  have extended the window) and leave it when they are cancelled or fail;
- the bucket lapses (the gate forgets the rate) once no call has needed it for
  ``linger`` seconds: a burst an hour later is not slowed for nothing.
"""

from __future__ import annotations

import collections
import math
import threading
from typing import Any, NamedTuple

import attrs

from ._exceptions import StatusError

MAX_HOLD = 300.0
"""The longest the gate stays closed when ``retry_after_max`` is not set: MPSD's
longest throttling window (the 300 s sustain window). A service that asks for longer
gets its answer raised at once, and the gate opens again after this long."""

MAX_LINGER = 300.0
"""Pacing never outlives a lull longer than this, whatever the report says."""

REPORT_MARGIN = 1.02
"""A reported rate is paced with 2 % to spare; each throttled answer while pacing
widens the margin (up to ``MAX_MARGIN``), so that one late timer cannot start a chain."""
MAX_MARGIN = 1.25

PROBE_STEP = 0.7
"""While learning with no 429 yet at the current pace, each release that succeeds
shortens the spacing by this factor (the rate grows by ~43 %)."""
CREEP_STEP = 0.995
"""Once a pace was throttled, the spacing only creeps down, never below that pace."""
BACK_OFF = 1.3
"""A throttled answer while pacing at a learned rate lengthens the spacing by this."""


@attrs.frozen
class Closure:
    """What closed a bucket, so that a call refused by the gate says so truthfully."""

    kind: type[StatusError]
    status: int
    method: str
    url: str


@attrs.define
class _Bucket:
    until: float  # the end of the service's window
    last: float  # the last release (the next comes one spacing later)
    base: float  # seconds between releases before the margin
    margin: float
    reported: bool
    linger: float
    closure: Closure
    since: float  # when the pace was last set: answers to calls sent before don't judge it
    floor: float = 0.0  # a learned spacing never goes below a pace that was throttled
    queue: list[int] = attrs.Factory(list)  # tickets waiting, oldest first
    issued: int = 0

    @property
    def spacing(self) -> float:
        return self.base * self.margin


class Ticket:
    """A caller's place in a bucket's queue (see ``Gate.admit``)."""

    __slots__ = ("key", "number")

    def __init__(self, key: str, number: int) -> None:
        self.key = key
        self.number = number


class Verdict(NamedTuple):
    """The gate's answer: go now (``wait == 0``); sleep ``wait`` seconds and ask again
    with ``ticket``; or ``refused``: the wait would pass the deadline (``wait`` is
    how much of it was left)."""

    wait: float
    ticket: Ticket | None = None
    refused: bool = False


GO = Verdict(0.0)


def report_rate(details: Any) -> float | None:
    """Seconds per request from MPSD's rate report (``maxRequests`` per
    ``periodInSeconds``), or None when ``details`` is not one."""
    if not isinstance(details, dict):
        return None
    try:
        period = float(details["periodInSeconds"])
        limit = float(details["maxRequests"])
    except (KeyError, TypeError, ValueError):
        return None
    if 0 < period < math.inf and 1 <= limit < math.inf:
        return period / limit
    return None


class Gate:
    """The cool-down windows of one client, per bucket; thread-safe and task-safe.
    The lock is never held while anyone waits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        # Recent successes per bucket: the first estimate of a rate nobody reported.
        self._recent: dict[str, collections.deque[float]] = {}

    # --- what the service said -----------------------------------------------------

    def passed(self, key: str, now: float, sent_at: float) -> None:
        """A response that was not throttled (done, or refused for another reason):
        the pace it was sent at is fine, and a learned one may grow."""
        recent = self._recent.get(key)
        if recent is None:
            recent = self._recent.setdefault(key, collections.deque(maxlen=256))
        recent.append(now)
        bucket = self._buckets.get(key)
        if bucket is not None and not bucket.reported and sent_at > bucket.since:
            with self._lock:
                step = PROBE_STEP if bucket.floor == 0.0 else CREEP_STEP
                bucket.base = max(bucket.floor, bucket.base * step)

    def hold(
        self,
        key: str,
        now: float,
        retry_after: float,
        *,
        sent_at: float,
        rate: float | None,
        closure: Closure,
        cap: float | None = None,
    ) -> None:
        """The service throttled a call sent at ``sent_at``: close ``key`` for
        ``retry_after`` seconds (at most ``cap``, default ``MAX_HOLD``), then pace
        releases at ``rate`` (seconds per request, from a report) or a learned one.

        Only a 429 speaks of this client's rate. A 503 says the service is overloaded
        or in maintenance: the window is kept, and the callers it held are released
        a small fraction of it apart, so that they do not all return at once."""
        if closure.status != 429 and rate is None:
            rate = min(max(retry_after / 50, 0.001), 0.05)
        until = now + min(retry_after, cap if cap is not None else MAX_HOLD)
        if rate is not None:
            rate = min(rate, max(retry_after, 0.001))  # a report is not trusted beyond it
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                reported = rate is not None
                if rate is None:
                    window = max(retry_after, 0.001)
                    done = sum(1 for t in self._recent.get(key, ()) if t > now - window)
                    rate = window / max(done, 1)  # at first, the pace that just worked
                linger = min(max(retry_after, rate, 1.0), MAX_LINGER)
                margin = REPORT_MARGIN if reported else 1.0
                self._buckets[key] = _Bucket(
                    until, -math.inf, rate, margin, reported, linger, closure, since=now
                )
                return
            if sent_at > bucket.since:
                # A call the gate released was throttled: that pace was too fast. (Calls
                # sent before the gate knew only confirm what it knows.)
                if rate is not None:
                    bucket.base, bucket.reported = rate, True
                if bucket.reported:
                    bucket.margin = min(MAX_MARGIN, bucket.margin * 1.5 - 0.5)
                else:
                    bucket.floor = bucket.base * 1.05
                    bucket.base *= BACK_OFF
                bucket.since = now
            bucket.until = max(bucket.until, until)
            bucket.closure = closure

    # --- before a call --------------------------------------------------------------

    def admit(self, key: str, now: float, ticket: Ticket | None, deadline: float) -> Verdict:
        """May a call go now? Callers queue in order once the gate is closed or pacing;
        a waiter asks again with its ticket after each wait, and the gate re-plans
        then (a later answer may have extended the window, or the pace changed).
        Waits are at most half the time to the slot (at least one spacing), so that
        a learned pace that grows is noticed. A wait past ``deadline`` is refused at
        once when it is certain (the next release, or a reported pace); behind others
        at a learned pace, the caller may wait until the deadline to be refused."""
        bucket = self._buckets.get(key)
        if bucket is None:  # the common case: no lock
            return GO
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return GO
            start = max(bucket.until, bucket.last + bucket.spacing)
            if ticket is None:
                if not bucket.queue and now >= start:
                    if now >= start + bucket.linger:
                        del self._buckets[key]  # nobody needed the pace for a while
                    else:
                        bucket.last = now
                    return GO
                ticket = Ticket(key, bucket.issued)
                bucket.issued += 1
                bucket.queue.append(ticket.number)
            elif ticket.number not in bucket.queue:
                return GO  # the bucket was replaced meanwhile: its queue is gone
            ahead = bucket.queue.index(ticket.number)
            if ahead == 0 and now >= start:
                bucket.queue.pop(0)
                bucket.last = now
                return GO
            slot = start + ahead * bucket.spacing
            if now >= deadline or start >= deadline or (bucket.reported and slot >= deadline):
                bucket.queue.remove(ticket.number)
                return Verdict(slot - now, None, refused=True)
            gap = slot - now
            if gap <= 0:  # the waiter ahead is late: its release will set the next slot
                gap = bucket.spacing
            if not bucket.reported and gap > bucket.spacing:
                gap = max(bucket.spacing, gap / 2)  # wake to notice a pace that grew
            return Verdict(min(gap, deadline - now), ticket)

    def give_back(self, ticket: Ticket) -> None:
        """A waiter left without sending (cancelled, failed): its place is free."""
        with self._lock:
            bucket = self._buckets.get(ticket.key)
            if bucket is not None and ticket.number in bucket.queue:
                bucket.queue.remove(ticket.number)

    def window(self, key: str, now: float) -> tuple[float, Closure] | None:
        """Seconds left of the service's window for ``key`` and what closed it, or
        None when it is open (pacing aside)."""
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.until:
            return None
        return bucket.until - now, bucket.closure

    def closure(self, key: str) -> Closure | None:
        """What closed ``key`` last, while the gate remembers it."""
        bucket = self._buckets.get(key)
        return None if bucket is None else bucket.closure

    def spacing(self, key: str) -> float | None:
        """The pace ``key`` is released at (seconds between calls), or None."""
        bucket = self._buckets.get(key)
        return None if bucket is None else bucket.spacing
