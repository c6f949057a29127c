"""The cool-down gate: keeps calls off the network while the service has asked this
client to wait, then releases them at the service's rate, learning that rate when no
report gives it.

Pure state behind one lock; the clients' drivers only sleep for the waits it hands
out. A bucket is what the service throttles as one (by default the client's host and
identity; some endpoints have their own). Per bucket:

- ``until``: the end of the window the service asked for (Retry-After, capped), or
  of the gate's own back-off after a 429 without one;
- ``spacing``: seconds between two releases once the window is over: the reported
  rate with a small margin, or one learned from what succeeds and what is throttled
  (CUBIC, see ``climb``); while 429s come without a success between, one release per
  window (a probe);
- a queue: callers wait in the order they first asked (a throttled call keeps its
  place), re-check before they send (a later answer may have extended the window)
  and leave it when they are cancelled or fail;
- the bucket lapses (the gate forgets the rate) once no call has needed it for
  ``linger`` seconds: a burst an hour later is not slowed for nothing.

Before anything is known of a bucket (no 429 yet, no recent success), calls go a few
at a time (a slow start, as TCP's): ``START`` in flight, one more per two successes,
the others waiting in a queue, until a 429 (the rules above take over, the queue
kept) or ``OPEN`` successes (the bucket is open: admission takes no lock again,
until ``LAPSE`` seconds pass without a success). A call in flight frees its slot
with its answer (``passed``, ``hold``) or when the caller learns none will come
(``lost``: a transport error, a cancellation); one nobody reports on, after ``LOST``
seconds, or four of the slowest answers seen.
"""

from __future__ import annotations

import bisect
import collections
import itertools
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

# A learned pace follows CUBIC (RFC 9438; botocore's adaptive retry mode), counted in
# successes instead of round trips: a 429 sets the peak and drops the rate to BETA of
# it; successes climb back on a concave curve that flattens near the peak (most of
# the time is spent there), then probe beyond it, in steps that grow, until a 429 says
# where the limit is now. Nothing only ever rises: every 429 after a success sets the
# peak again, so the pace follows the limit down as well as up.
PROBE_STEP = 0.5
"""Before any peak is known (slow start), each success shortens the spacing by this."""
BETA = 0.97
"""After a 429, the rate drops to this fraction of the peak..."""
DROP = 0.5
"""... and the peak itself to this fraction of the rate refused, when the 429 came
fewer than ``FELL`` successes after the last drop (the limit fell: halve, as TCP does,
so that a limit ten times lower is found within about four such 429s)."""
FELL = 4.0
RECOVER = 96.0
"""Successes to climb back from ``BETA`` of the peak to the peak (each climb ends in a
probe past it, and a 429 if the limit has not moved: a longer climb costs fewer of
them, and finds a raised limit later: 8 s where 4 s cost 2.7 % of calls refused and
1.057x the minimum at 10/s, 8 s costs 1.5 % and 1.046x, and finds a limit raised from
2/s to 20/s one second later, tests/test_gate_pace.py; measured before ``FINE`` and the
slot a refused probe gives back) ..."""
RECOVER_TIME = 8.0
"""... or as many as take about this many seconds at the peak, when fewer ..."""
RECOVER_MIN = 8.0
"""... but never fewer than this."""
PROBE_UP = 0.9
"""Past the peak, the k-th success shortens the spacing by a factor 1 - ``FINE`` k², at
least this (the rate grows 2 %, 9 %, then 11 % per success) ..."""
FINE = 0.02
"""... except the first, by 1 - f: f halves, down to ``FINE_MIN``, each time that first
step is refused (the limit lies within it: the next probe looks closer), and doubles
back, up to this, each time a later one is (the limit lies beyond it). A peak then
settles within a fraction of a percent of the limit, not anywhere within 2 % of it.
(The step is read when the 429 comes: with several calls in flight it may read a later
one, and f stays nearer 2 %.)"""
FINE_MIN = 0.0025
OUTAGE = 3
"""This many 429s without a success between are an outage, not a rate: the peak goes
back, once, to what it was before the first of them if it had held for ``FELL``
successes (the first may have been taken for a fallen limit, and halved it)."""
BARE_HOLD = 0.5
"""A 429 without a usable Retry-After closes the gate this long (the default policy's
first back-off), doubling with each 429 that follows without a success..."""
BARE_HOLD_MAX = 8.0
"""... up to this (the default policy's ``backoff_max``)."""
MIN_SPACING = 0.0001
"""Probing never goes faster than this (a limit at 10,000 requests a second)."""
FIRST_PACE = 1.0
"""The slowest first guess of a learned pace: Retry-After says when, not how often."""
START = 2
"""Slow start: calls in flight toward a bucket nothing is known of (a limiter without
burst refuses ``START - 1`` of them), one more per two successes (a limiter's burst
credit runs out with about half as many calls in flight as at one per success, and
all those are refused: nginx's ``burst=20`` at concurrency 32, 21-29 refused at once
then, on real nginx; 3 now, in tests/test_gate_start.py) ..."""
OPEN = 32
"""... until this many succeed (more than nginx's ``burst=20`` lets by: the credit
runs out in the slow start, not with every caller in flight)."""
LAPSE = MAX_LINGER
"""An open bucket with no success for this long is unknown again."""
LOST = 1.0
"""A slow-start call unanswered this long (or four of the slowest answers) is lost."""


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
    since: float  # the last 429 that counted: answers to calls sent before don't judge
    peak: float = 0.0  # the spacing of the last peak (0: none yet, slow start)
    good: float = 0.0  # the last learned spacing that succeeded (0: none)
    run: float = 0.0  # successes at the pace since the last drop
    strikes: int = 1  # 429s since the last success (0: the pace works)
    pause: float = 0.0  # while closed (strikes), releases are at least this far apart
    tested: int = 0  # releases at the pace whose answer has not come yet
    skipped: bool = False  # the last 429 came while pacing: it skipped one release
    first: float = 0.0  # the span of a first estimate's count (0: none to revise)
    saved: float = 0.0  # the peak before the last 429 that followed a success
    fine: float = FINE  # the first step of a probe past the peak (see ``probe``)
    counts: bool = False  # the limiter counts the calls it refuses (see ``hold``)
    queue: list[tuple[float, int]] = attrs.Factory(list)  # (arrived, ticket), in order

    @property
    def spacing(self) -> float:
        paced = self.base * self.margin
        return paced if self.strikes == 0 or self.reported else max(paced, self.pause)


@attrs.define
class _Start:
    """A bucket in slow start (see the module's docstring)."""

    flying: list[float] = attrs.Factory(list)  # when each call in flight was admitted
    done: int = 0  # successes
    trip: float = 0.0  # the slowest answer seen (seconds)
    queue: list[tuple[float, int]] = attrs.Factory(list)  # (arrived, ticket), in order


def recovery(peak: float) -> float:
    """How many successes the climb back to ``peak`` (a spacing) takes."""
    return min(RECOVER, max(RECOVER_MIN, RECOVER_TIME / peak))


def climb(peak: float, run: float, steps: float) -> float:
    """The spacing ``run`` successes after a drop below ``peak`` (a spacing), on
    CUBIC's concave curve that reaches the peak after ``steps`` successes."""
    rest = 1.0 - run / steps
    return peak / (1.0 - (1.0 - BETA) * rest * rest * rest)


def past(run: float, steps: float) -> int:
    """How many steps past the peak a climb of ``steps`` is after ``run`` successes
    (0: still climbing)."""
    return math.floor(run - steps) + 1 if run >= steps else 0


def probe(spacing: float, beyond: float, fine: float) -> float:
    """The spacing after the ``beyond``-th success past the peak."""
    return spacing * max(PROBE_UP, 1.0 - (fine if beyond <= 1 else FINE * beyond * beyond))


def bare_hold(strikes: int) -> float:
    """The gate's own window after ``strikes`` 429s in a row without a Retry-After."""
    return min(BARE_HOLD * 2.0 ** min(max(strikes, 1) - 1, 16), BARE_HOLD_MAX)


class Ticket:
    """A caller's place in a bucket's queue (see ``Gate.admit``)."""

    __slots__ = ("key", "number")

    def __init__(self, key: str, number: int) -> None:
        self.key = key
        self.number = number


class StartTicket(Ticket):
    """A place in a slow start's queue (it moves to the bucket's after a 429)."""

    __slots__ = ()


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
        self._starts: dict[str, _Start] = {}
        self._open: dict[str, float] = {}  # open buckets: their last success
        self._tickets = itertools.count()  # one numbering: a slow start's tickets stay valid

    def forget(self, key: str) -> None:
        """Drop what the gate keeps for ``key``, unless callers wait in its queue (a
        gate that sees many identities bounds its memory this way)."""
        with self._lock:
            bucket = self._buckets.get(key)
            start = self._starts.get(key)
            if (bucket is None or not bucket.queue) and (start is None or not start.queue):
                self._buckets.pop(key, None)
                self._recent.pop(key, None)
                self._starts.pop(key, None)
                self._open.pop(key, None)

    # --- what the service said -----------------------------------------------------

    def lost(self, key: str, now: float, sent_at: float) -> None:
        """A call sent at ``sent_at`` got no answer: its slow-start slot is free now,
        not after ``LOST``; nothing is learned (it was not a success)."""
        if self._starts and key in self._starts:
            with self._lock:
                start = self._starts.get(key)
                if start is not None and sent_at in start.flying:
                    start.flying.remove(sent_at)

    def passed(self, key: str, now: float, sent_at: float) -> None:
        """A response that was not throttled (done, or refused for another reason):
        the gate is open again, and a learned pace climbs (see ``climb``)."""
        recent = self._recent.get(key)
        if recent is None:
            recent = self._recent.setdefault(key, collections.deque(maxlen=256))
        recent.append(now)
        if self._starts and key in self._starts:
            with self._lock:
                self._answered(key, now, sent_at)
        else:
            self._open[key] = now
        bucket = self._buckets.get(key)
        if bucket is None:
            return
        if sent_at <= bucket.since:
            # Sent before the last 429 that counted: it says nothing of the pace; but
            # the first estimate counted the successes of a burst that had come back
            # by its 429, and this one was in that burst (7 of the 10 HAProxy let by).
            if bucket.first and not bucket.reported:
                with self._lock:
                    # (until a pace works, or a report gives the rate)
                    if bucket.first and bucket.good == 0.0 and not bucket.reported:
                        counted = math.floor(bucket.first / bucket.peak + 0.5) + 1
                        bucket.peak = bucket.first / counted
                        bucket.base = bucket.peak / BETA
            return
        with self._lock:
            bucket.strikes = 0
            if bucket.reported:
                return
            bucket.good = bucket.base
            if bucket.peak == 0.0:  # slow start: any success
                bucket.base = max(bucket.base * PROBE_STEP, MIN_SPACING)
            elif bucket.tested > 0:  # only a release at the pace tests it
                bucket.tested -= 1
                bucket.run += 1
                steps = recovery(bucket.peak)
                if bucket.run < steps:
                    bucket.base = climb(bucket.peak, bucket.run, steps)
                else:
                    beyond = past(bucket.run, steps)
                    spacing = probe(min(bucket.base, bucket.peak), beyond, bucket.fine)
                    bucket.base = max(spacing, MIN_SPACING)

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
        """The service throttled a call sent at ``sent_at``: close ``key`` for
        ``retry_after`` seconds (at most ``cap``, default ``MAX_HOLD``; None: the
        gate's own back-off, ``bare_hold``), then pace releases at ``rate`` (seconds
        per request, from a report) or a learned one. While closed, a learned pace
        releases one call per window (a probe) until one succeeds.

        An answer to a call sent before the last 429 that counted adds no strike, but
        its Retry-After may end the window later (a service that counts the calls it
        refuses, as MPSD does, ends it later with each of them).
        A 429 after a success sets a new peak (see ``climb``), and a bare one near the
        peak or past it gives its slot to the next release (until a limiter shows that
        it counts refusals); a 429 on the release right after one while pacing sets the
        peak at the pace refused; more 429s without a success between (an outage:
        everything refused, whatever the rate) only lengthen the window, and the third
        puts back the peak the first replaced, if it had held (``OUTAGE``). Only a
        429 speaks of this client's rate. A 503 says the service is overloaded or in
        maintenance: the window is kept, and the callers it held are released a small
        fraction of it apart, so that they do not all return at once."""
        limit = cap if cap is not None else MAX_HOLD
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is not None and sent_at <= bucket.since:
                # No new strike, but its Retry-After counts: a service that counts the
                # calls it refuses (MPSD) ends its window later with each of them.
                if retry_after is not None:
                    bucket.until = max(bucket.until, now + min(retry_after, limit))
                return
            strikes = 1 if bucket is None else bucket.strikes + 1
            if retry_after is None:
                # (a first 429 while pacing only skipped a release: the back-off starts
                # with the second)
                skipped = bucket is not None and bucket.skipped
                window = bare_hold(strikes - 1 if skipped else strikes)
            elif strikes >= 2:  # refused again after the wait asked: back off more too
                window = max(retry_after, bare_hold(strikes - 1))
            else:
                window = retry_after
            window = min(window, limit)
            if closure.status != 429 and rate is None:
                rate = min(max(window / 50, 0.001), 0.05)
            if rate is not None:
                rate = min(rate, max(window, 0.001))  # a report is not trusted beyond it
            if bucket is None:
                reported = rate is not None
                peak = span = 0.0
                if rate is None:
                    span = min(max(window, 1.0), limit)
                    done = self._done_within(key, now, span)
                    rate = min(span / max(done, 1), FIRST_PACE)  # the pace that just worked
                    if done >= 5:  # enough to measure: the limit is about there
                        peak = span / done
                        rate = min(peak / BETA, limit)
                linger = min(max(window, rate, 1.0), MAX_LINGER)
                margin = REPORT_MARGIN if reported else 1.0
                self._buckets[key] = _Bucket(
                    now + window,
                    -math.inf,
                    rate,
                    margin,
                    reported,
                    linger,
                    closure,
                    since=now,
                    peak=peak,
                    pause=window,
                    first=span if peak else 0.0,  # (revised by the burst's late answers)
                )
                start = self._starts.pop(key, None)
                if start is not None:  # its waiters keep their places
                    self._buckets[key].queue = start.queue
                return
            # Paced calls were getting through: one arrived a little early. The others
            # go on at the (slower) pace, skipping one release at a reported rate (a
            # window that counts calls has one more to forget), instead of all stopping.
            paced = now >= bucket.until and bucket.strikes == 0
            refused = bucket.spacing  # the refused release's pace, or shorter (successes since)
            near = False  # refused near the peak or past it: the limit is there
            if rate is not None:
                bucket.base, bucket.reported = rate, True
            if bucket.reported:
                bucket.margin = min(MAX_MARGIN, bucket.margin * 1.5 - 0.5)
            elif bucket.strikes == 0:  # a success came since the last 429: a new peak
                if bucket.run >= FELL:  # a peak that held: an outage's third 429 restores it
                    bucket.saved = bucket.peak
                # The pace that last worked; unless the last second saw less than half
                # as many successes: a limiter's burst credit (nginx's ``burst``) lets a
                # pace work for a while that its rate does not allow. (Within a factor
                # of two the count is the gate's own pace, below the peak while it
                # climbs: taking it would ratchet the pace down.)
                worked = bucket.good or bucket.base
                done = self._done_within(key, now, 1.0)
                credit = done >= 5 and 1.0 / done > 2 * worked
                if credit:
                    worked = 1.0 / done
                if bucket.peak == 0.0:  # ending the slow start (a probe past what worked)
                    near = True
                    bucket.peak = bucket.base = min(worked, limit)
                    bucket.run = recovery(bucket.peak) - 1.0  # from there, probe by little
                else:
                    if bucket.run < FELL:  # refused again soon after a drop: it fell,
                        fell = bucket.base / DROP
                        if done >= 5:  # but not below what got through in the last second
                            fell = min(fell, 1.0 / done)
                        _drop(bucket, max(fell, worked) if credit else fell, limit)
                    else:  # the limit is about the last pace that worked
                        steps = recovery(bucket.peak)
                        beyond = past(bucket.run, steps)
                        # (past half the climb, within 0.4 % of the peak: see ``climb``)
                        near = bucket.run >= steps / 2
                        if beyond == 1:
                            bucket.fine = max(bucket.fine / 2, FINE_MIN)
                        elif beyond > 1:
                            bucket.fine = min(bucket.fine * 2, FINE)
                        _drop(bucket, worked, limit)
            elif bucket.skipped and bucket.strikes == 1 and bucket.peak > 0.0:
                # The release after a paced 429 was refused too: the peak is too fast,
                # or the limiter counts refusals (HAProxy: each one it refuses makes
                # the next one over its limit). The peak goes to the pace refused, or
                # to the last second's successes when fewer (and enough to count: an
                # outage begins with such a pair too); not 0.97 of it, 2 s later.
                done = self._done_within(key, now, 1.0)
                _drop(bucket, max(bucket.base, 1.0 / done) if done >= 5 else bucket.base, limit)
                bucket.counts = True  # (or the pace was too fast: either way, keep the slot)
            if strikes == OUTAGE and bucket.saved > 0.0 and not bucket.reported:
                # Refused whatever the pace: an outage, which says nothing of the rate.
                # The peak goes back to what it was before its first 429 (which may
                # have halved it, for a fallen limit), the pace to BETA of it.
                _drop(bucket, bucket.saved, limit)
                bucket.saved = 0.0  # once: refused again soon after, the limit did fall
            bucket.strikes = strikes
            bucket.since = now
            pace = bucket.base * bucket.margin
            bucket.skipped = paced
            if paced and near and retry_after is None and not bucket.counts:
                # Refused bare near the peak or past it: a limiter that does not count
                # what it refuses (nginx) lost nothing, and the next release takes that
                # slot, at the new pace (refused too, it counts: see above); if no
                # release went since the refused one (its slot is the last).
                bucket.last -= refused if bucket.last <= sent_at else 0.0
                until = now
                bucket.pause = pace
            elif paced:
                until = max(now, bucket.last) + (2 * pace if bucket.reported else pace)
                bucket.pause = pace
            else:
                until = now + window
                bucket.pause = window
            bucket.until = max(bucket.until, until)
            bucket.closure = closure

    def _done_within(self, key: str, now: float, span: float) -> int:
        """Successes toward ``key`` in the last ``span`` seconds (of the last 256)."""
        # (a snapshot: ``passed`` appends without the lock, and tuple() copies in one step)
        return sum(1 for t in tuple(self._recent.get(key, ())) if t > now - span)

    # --- before a call --------------------------------------------------------------

    def admit(
        self,
        key: str,
        now: float,
        ticket: Ticket | None,
        deadline: float,
        arrived: float | None = None,
    ) -> Verdict:
        """May a call go now? Once the gate is closed or pacing, callers queue in the
        order they ``arrived`` (default ``now``): a call that was throttled and asks
        again with the time it first asked keeps its place. Each waiter sleeps until
        the next release, older ones waking a little earlier, and asks again with its
        ticket: the first awake once the release is due goes (so a waiter that
        oversleeps costs no slot), the others re-plan (a later answer may have
        extended the window, or the pace changed). A wait past ``deadline`` is refused
        at once when it is certain (the next release, or a reported pace); behind
        others at a learned pace, the caller may wait until the deadline."""
        bucket = self._buckets.get(key)
        if bucket is None:
            opened = self._open.get(key)
            if opened is not None and now - opened < LAPSE:  # the common case: no lock
                return GO
            verdict = self.starting(key, now, ticket, deadline, arrived)
            if verdict is not None:
                return verdict
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return GO
            start = max(bucket.until, bucket.last + bucket.spacing)
            queue = bucket.queue
            if isinstance(ticket, StartTicket) and _place(queue, ticket.number) is None:
                ticket = None  # its slow start opened before this bucket: queue by arrival
            fresh = ticket is None
            if ticket is None:
                if not queue and now >= start:
                    if now >= start + bucket.linger:
                        del self._buckets[key]  # nobody needed the pace for a while
                    else:
                        self._release(bucket, now, start)
                    return GO
                ticket = Ticket(key, next(self._tickets))
                bisect.insort(queue, (now if arrived is None else min(arrived, now), ticket.number))
            ahead = _place(queue, ticket.number)
            if ahead is None:
                return GO  # the bucket was replaced meanwhile: its queue is gone
            if now >= start and (not fresh or ahead == 0):
                # A waiter awake once the release is due goes (a newcomer only when
                # nobody waits before it: a throttled call that kept its place).
                del queue[ahead]
                self._release(bucket, now, start)
                return GO
            slot = start + ahead * bucket.spacing  # when its turn should come
            if now >= deadline or start >= deadline or (bucket.reported and slot >= deadline):
                del queue[ahead]
                return Verdict(max(slot - now, 0.0), None, refused=True)  # a slot passed: 0
            # The first few in the queue wake for the next release, the older a little
            # earlier, and the first awake takes it (one that oversleeps costs no slot);
            # the others sleep until about their turn (half that at a learned pace, which
            # may grow), so that a long queue costs few wake-ups.
            awake = 2 if bucket.reported else 8
            wait = start - now + min(ahead, awake) * bucket.spacing / (4 * awake)
            # While closed, a learned pace is a guess: wake at the window's end, re-plan.
            if ahead >= awake and (bucket.reported or now >= bucket.until):
                ahead_of_turn = (ahead - awake + 1) * bucket.spacing
                wait += ahead_of_turn if bucket.reported else ahead_of_turn / 2
            return Verdict(max(min(wait, deadline - now), 0.0005), ticket)

    def starting(
        self,
        key: str,
        now: float,
        ticket: Ticket | None,
        deadline: float,
        arrived: float | None = None,
    ) -> Verdict | None:
        """``admit`` while nothing is known of ``key`` (a slow start): ``START`` calls
        in flight, one more per two successes, the others wait in order; None once
        something is known (a bucket's rules apply, or it is open)."""
        with self._lock:
            if key in self._buckets:
                return None
            if now - self._open.get(key, -math.inf) < LAPSE:
                return GO if ticket is None or isinstance(ticket, StartTicket) else None
            start = self._starts.get(key)
            if start is None:
                start = self._starts[key] = _Start()
            lost = now - max(LOST, 4 * start.trip)
            start.flying = [t for t in start.flying if t > lost]
            queue = start.queue
            if ticket is None:
                ticket = StartTicket(key, next(self._tickets))
                bisect.insort(queue, (now if arrived is None else min(arrived, now), ticket.number))
            ahead = _place(queue, ticket.number)
            if ahead is None:
                return GO  # its queue is gone
            free = START + start.done // 2 - len(start.flying)
            if ahead < free:
                del queue[ahead]
                start.flying.append(now)
                return GO
            if now >= deadline:
                del queue[ahead]
                return Verdict(0.0, None, refused=True)
            # The next slot frees with the oldest call's answer, about one answer's
            # time after it left (before any, wait as long again as it has taken).
            oldest = start.flying[0] if start.flying else now
            trip = start.trip or now - oldest
            wait = max(oldest + trip - now, trip / 4, 0.001)
            return Verdict(min(wait, deadline - now), ticket)

    def _answered(self, key: str, now: float, sent_at: float) -> None:
        """A slow-start call succeeded: its slot is free, and one more (under the lock)."""
        start = self._starts.get(key)
        if start is None:
            return
        if sent_at in start.flying:
            start.flying.remove(sent_at)
            start.trip = max(start.trip, now - sent_at)
        start.done += 1
        if start.done >= OPEN:  # waiters still queued go at their next ask
            del self._starts[key]
            self._open[key] = now

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
            start = self._starts.get(ticket.key)
            queue = bucket.queue if bucket is not None else start.queue if start else None
            if queue is not None:
                place = _place(queue, ticket.number)
                if place is not None:
                    del queue[place]

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


def _drop(bucket: _Bucket, peak: float, limit: float) -> None:
    """A new peak (a spacing, at most ``limit``): the pace drops to ``BETA`` of it and
    climbs back (see ``climb``)."""
    bucket.peak = min(peak, limit)
    bucket.base = min(bucket.peak / BETA, limit)
    bucket.run = 0.0


def _place(queue: list[tuple[float, int]], number: int) -> int | None:
    """Where ticket ``number`` waits in ``queue``, or None."""
    for index, (_, waiting) in enumerate(queue):
        if waiting == number:
            return index
    return None
