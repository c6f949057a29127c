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

PROBE_STEP = 0.6
"""Learning a rate nobody reported, each release that succeeds shortens the spacing by
this factor (the rate grows by two thirds) until a 429 says it went too far."""
CREEP_STEP = 0.98
"""After that first 429, the gate goes back to the last pace that worked and creeps
from there towards the throttled one, by this factor per success."""
FLOOR = 1.05
"""A pace that was throttled, plus this, is a floor the spacing never goes below; a 429
while creeping finds the limit, and the gate settles there."""


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
    worked: bool = False  # a call the current pace released has succeeded
    tested: int = 0  # releases at the pace whose answer has not come yet
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

    def forget(self, key: str) -> None:
        """Drop what the gate keeps for ``key``, unless callers wait in its queue (a
        gate that sees many identities bounds its memory this way)."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or not bucket.queue:
                self._buckets.pop(key, None)
                self._recent.pop(key, None)

    # --- what the service said -----------------------------------------------------

    def passed(self, key: str, now: float, sent_at: float) -> None:
        """A response that was not throttled (done, or refused for another reason):
        the pace it was sent at is fine, and a learned one may grow."""
        recent = self._recent.get(key)
        if recent is None:
            recent = self._recent.setdefault(key, collections.deque(maxlen=256))
        recent.append(now)
        bucket = self._buckets.get(key)
        if bucket is not None and sent_at > bucket.since:
            with self._lock:
                bucket.worked = True
                if not bucket.reported and (bucket.tested > 0 or bucket.floor == 0.0):
                    bucket.tested = max(bucket.tested - 1, 0)
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
                floor = 0.0
                if rate is None:
                    window = max(retry_after, 0.001)
                    done = sum(1 for t in self._recent.get(key, ()) if t > now - window)
                    rate = window / max(done, 1)  # at first, the pace that just worked
                    if done >= 5:
                        # Enough calls went through to measure the pace: no probing
                        # beyond it, only creeping (throttled calls may count).
                        floor = rate / FLOOR**2
                linger = min(max(retry_after, rate, 1.0), MAX_LINGER)
                margin = REPORT_MARGIN if reported else 1.0
                self._buckets[key] = _Bucket(
                    until, -math.inf, rate, margin, reported, linger, closure, since=now,
                    floor=floor,
                )  # fmt: skip
                return
            if sent_at > bucket.since:
                # A call the gate released was throttled: that pace was too fast. (Calls
                # sent before the gate knew only confirm what it knows.)
                pacing = now >= bucket.until and bucket.worked
                if rate is not None:
                    bucket.base, bucket.reported = rate, True
                if bucket.reported:
                    bucket.margin = min(MAX_MARGIN, bucket.margin * 1.5 - 0.5)
                elif bucket.floor == 0.0 and bucket.worked:
                    # The probe went too far: back to the last pace that worked, and
                    # creep from there; never again as fast as the one throttled.
                    bucket.floor = bucket.base * FLOOR
                    bucket.base = max(bucket.floor, bucket.base / PROBE_STEP)
                else:
                    # Creeping (or nothing worked yet): this is about the limit.
                    bucket.floor = bucket.base = max(bucket.floor, bucket.base) * FLOOR
                bucket.since = now
                if pacing:
                    # Paced calls were getting through: one arrived a little early. The
                    # throttled call waits its Retry-After; the others skip one release
                    # (a limiter that counts throttled calls has one more to forget) at
                    # the slower pace, instead of all stopping for the whole window.
                    until = max(now, bucket.last) + 2 * bucket.spacing
            bucket.until = max(bucket.until, until)
            bucket.closure = closure

    # --- before a call --------------------------------------------------------------

    def admit(self, key: str, now: float, ticket: Ticket | None, deadline: float) -> Verdict:
        """May a call go now? Once the gate is closed or pacing, callers queue; each
        waiter sleeps until the next release, older ones waking a little earlier, and
        asks again with its ticket: the first awake once the release is due goes (so a
        waiter that oversleeps costs no slot), the others re-plan (a later answer may
        have extended the window, or the pace changed). A wait past ``deadline`` is
        refused at once when it is certain (the next release, or a reported pace);
        behind others at a learned pace, the caller may wait until the deadline."""
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
                        self._release(bucket, now, start)
                    return GO
                ticket = Ticket(key, bucket.issued)
                bucket.issued += 1
                bucket.queue.append(ticket.number)
            elif ticket.number not in bucket.queue:
                return GO  # the bucket was replaced meanwhile: its queue is gone
            elif now >= start:  # a waiter awake once the release is due: it goes
                bucket.queue.remove(ticket.number)
                self._release(bucket, now, start)
                return GO
            ahead = bucket.queue.index(ticket.number)
            slot = start + ahead * bucket.spacing  # when its turn should come
            if now >= deadline or start >= deadline or (bucket.reported and slot >= deadline):
                bucket.queue.remove(ticket.number)
                return Verdict(slot - now, None, refused=True)
            # The first few in the queue wake for the next release, the older a little
            # earlier, and the first awake takes it (one that oversleeps costs no slot);
            # the others sleep until about their turn (half that at a learned pace, which
            # may grow), so that a long queue costs few wake-ups.
            awake = 2 if bucket.reported else 8
            wait = start - now + min(ahead, awake) * bucket.spacing / (4 * awake)
            if ahead >= awake:
                ahead_of_turn = (ahead - awake + 1) * bucket.spacing
                wait += ahead_of_turn if bucket.reported else ahead_of_turn / 2
            return Verdict(max(min(wait, deadline - now), 0.0005), ticket)

    @staticmethod
    def _release(bucket: _Bucket, now: float, due: float) -> None:
        # A release within a little of the pace tests it: only such a success may
        # make a learned pace faster (slow releases prove nothing about the limit).
        if now - bucket.last <= bucket.spacing * 1.2:
            bucket.tested += 1
        # A reported rate counts calls per period (MPSD's windows): a waiter that woke
        # a little late does not push every later release back, or timer lateness would
        # add up at a few ms apart. A learned pace may be a limiter that times each
        # request (nginx): there, no two releases are closer than the pace.
        absorbed = bucket.spacing / 2 if bucket.reported else 0.0
        bucket.last = max(due, now - absorbed)

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
