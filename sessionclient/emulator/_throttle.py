"""Fine-Grained Rate Limiting: two sliding windows per caller and service config."""

from __future__ import annotations

import bisect
import math
from typing import Any

import attrs


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0 < value < math.inf:
        raise ValueError(f"{attribute.name} must be positive and finite, not {value!r}")


@attrs.frozen
class Throttle:
    """The rate limits of the emulated service (MPSD's by default): at most
    ``burst_limit`` calls per ``burst_window`` seconds and ``sustain_limit`` per
    ``sustain_window``, per caller and SCID. Throttled calls count too.

    ``with_body=False`` sends 429 without its JSON report, as the service sometimes does.

    Search handles have buckets of their own, one for reads (search queries) and one
    for writes (creating or deleting a search handle), each allowing
    ``search_burst_limit`` per ``burst_window`` and ``search_sustain_limit`` per
    ``sustain_window`` (MPSD: 1 per 15 s and 20 per 300 s). Those calls do not count
    against the session limits.
    """

    burst_limit: int = attrs.field(default=30, validator=_positive)
    burst_window: float = attrs.field(default=15.0, validator=_positive)
    sustain_limit: int = attrs.field(default=300, validator=_positive)
    sustain_window: float = attrs.field(default=300.0, validator=_positive)
    enabled: bool = True
    with_body: bool = True
    search_burst_limit: int = attrs.field(default=1, validator=_positive)
    search_sustain_limit: int = attrs.field(default=20, validator=_positive)

    def for_search(self) -> Throttle:
        """The limits of one search handle bucket (reads, or writes)."""
        return attrs.evolve(
            self, burst_limit=self.search_burst_limit, sustain_limit=self.search_sustain_limit
        )


@attrs.frozen
class Verdict:
    """Why a call was throttled: the window it broke and when to come back."""

    retry_after: float
    """Seconds (on the scaled clock) until the next call would be admitted."""
    current: int
    limit: int
    period: float
    """The window's length in seconds on the emulator's (scaled) clock."""
    limit_type: str

    def report(self) -> dict[str, object]:
        """The JSON body of the 429."""
        seconds = round(float(self.period), 6)  # a window may have been given as an int
        period = int(seconds) if seconds.is_integer() else seconds
        return {
            "currentRequests": self.current,
            "maxRequests": self.limit,
            "periodInSeconds": period,
            "limitType": self.limit_type,
        }


@attrs.frozen
class _Window:
    name: str
    limit: int
    span: float  # the window's length on the scaled clock


class Limiter:
    """Counts calls per key on the (scaled) clock and throttles the excess."""

    def __init__(self, throttle: Throttle, time_scale: float) -> None:
        self._enabled = throttle.enabled
        self._windows = tuple(
            _Window(name, limit, period * time_scale)
            for name, limit, period in (
                ("burst", throttle.burst_limit, throttle.burst_window),
                ("sustain", throttle.sustain_limit, throttle.sustain_window),
            )
        )
        self._horizon = max(w.span for w in self._windows)
        self._calls: dict[tuple[str, str], list[float]] = {}

    def admit(self, key: tuple[str, str], now: float) -> Verdict | None:
        """Record a call at ``now``; None if it is admitted, else why not."""
        if not self._enabled:
            return None
        calls = self._calls.setdefault(key, [])
        del calls[: bisect.bisect_right(calls, now - self._horizon)]
        bisect.insort(calls, now)
        verdicts = []
        for window in self._windows:
            start = bisect.bisect_right(calls, now - window.span)
            current = len(calls) - start
            if current >= window.limit:
                # The next call gets in once enough of the oldest calls have left the
                # window to make room for it; a window that is merely full delays it too.
                wait = calls[start + current - window.limit] + window.span - now
                # Report the window as the scaled service lives it, so that clients
                # pacing themselves from the report keep up with a time-scaled emulator.
                verdicts.append(Verdict(wait, current, window.limit, window.span, window.name))
        broken = [v for v in verdicts if v.current > v.limit]
        if not broken:
            return None
        worst = max(broken, key=lambda v: v.retry_after)
        return attrs.evolve(worst, retry_after=max(v.retry_after for v in verdicts))
