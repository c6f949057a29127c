"""Faults the emulator can stage: what they are, and which request gets which."""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Mapping
from typing import TypeAlias

import attrs


class FaultKind(enum.Enum):
    """How a faulted request goes wrong."""

    STATUS = "status"
    """Answer with an error status; nothing is applied."""
    DROP = "drop"
    """Drop the connection before the request reaches the directory; nothing is applied."""
    LOSE_RESPONSE = "lose response"
    """Apply the request, then drop the connection instead of answering."""
    DELAY = "delay"
    """Apply the request and answer normally, after a delay."""


def _duration(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 <= value < math.inf:
        raise ValueError(f"{attribute.name} must be a finite number of seconds >= 0, not {value!r}")


@attrs.frozen
class Fault:
    """One staged failure. Build it with ``Fault.status``, ``Fault.drop``,
    ``Fault.lose_response`` or ``Fault.delay``.

    Durations are in emulated seconds; the ``fault`` of an ``EmulatedResponse`` carries
    them already multiplied by the directory's time scale.
    """

    kind: FaultKind
    code: int = 0
    """The status of a ``STATUS`` fault: 202 or 400-599."""
    retry_after: float | None = attrs.field(
        default=None, validator=attrs.validators.optional(_duration)
    )
    """The Retry-After of a ``STATUS`` fault, or None to send none."""
    seconds: float = attrs.field(default=0.0, validator=_duration)
    """How long a ``DELAY`` fault stalls the answer."""

    def __attrs_post_init__(self) -> None:
        if self.kind is FaultKind.STATUS and not (self.code == 202 or 400 <= self.code <= 599):
            raise ValueError(f"a status fault needs 202 or a 4xx/5xx status, not {self.code}")

    @classmethod
    def status(cls, code: int, *, retry_after: float | None = None) -> Fault:
        """Answer ``code`` (text/plain) without applying anything, e.g. ``status(503,
        retry_after=1.0)`` for an overloaded service or ``status(500)``."""
        return cls(FaultKind.STATUS, code, retry_after)

    @classmethod
    def drop(cls) -> Fault:
        """Drop the connection without applying anything."""
        return cls(FaultKind.DROP)

    @classmethod
    def lose_response(cls) -> Fault:
        """Apply the request but drop the connection instead of answering."""
        return cls(FaultKind.LOSE_RESPONSE)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Apply the request and answer normally after ``seconds``."""
        return cls(FaultKind.DELAY, seconds=seconds)

    def scaled(self, time_scale: float) -> Fault:
        """This fault with its durations multiplied by ``time_scale``."""
        retry_after = None if self.retry_after is None else self.retry_after * time_scale
        return attrs.evolve(self, retry_after=retry_after, seconds=self.seconds * time_scale)


FaultRates: TypeAlias = Mapping[Fault | FaultKind | int, float]
"""Probabilities of faults per request. Keys are faults, or shorthands: a status code
for ``Fault.status(code)``, ``FaultKind.DROP`` or ``FaultKind.LOSE_RESPONSE``."""


def _as_fault(key: Fault | FaultKind | int) -> Fault:
    if isinstance(key, Fault):
        return key
    if key in (FaultKind.DROP, FaultKind.LOSE_RESPONSE):
        return Fault(key)
    if isinstance(key, int) and not isinstance(key, bool):
        return Fault.status(key)
    raise ValueError(f"{key!r} needs parameters: give a Fault (Fault.status, Fault.delay)")


@attrs.define(eq=False)
class _Script:
    fault: Fault
    remaining: int
    method: str | None
    path_contains: str | None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path_contains is None or self.path_contains in path
        )


class FaultSchedule:
    """Decides the fault of each request: scripted faults first, in the order they
    were injected, else a draw from a ``random.Random(seed)``.

    Every request takes exactly one draw, scripted or not, so the probabilistic faults
    depend only on the seed and the number of requests before.
    """

    def __init__(self, seed: int, rates: FaultRates | None) -> None:
        self._random = random.Random(seed)
        self._rates = tuple((_as_fault(key), float(rate)) for key, rate in (rates or {}).items())
        if any(not 0 <= rate <= 1 for _, rate in self._rates):
            raise ValueError("fault rates are probabilities: each must be between 0 and 1")
        if sum(rate for _, rate in self._rates) > 1:
            raise ValueError("fault rates must add up to at most 1")
        self._scripts: list[_Script] = []

    def inject(
        self, fault: Fault, *, times: int, method: str | None, path_contains: str | None
    ) -> None:
        """Queue ``fault`` for the next ``times`` requests that match."""
        if times < 1:
            raise ValueError(f"times must be at least 1, not {times}")
        method = None if method is None else method.upper()
        self._scripts.append(_Script(fault, times, method, path_contains))

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault for this request, or None."""
        roll = self._random.random()
        script = next((s for s in self._scripts if s.matches(method, path)), None)
        if script is not None:
            script.remaining -= 1
            if not script.remaining:
                self._scripts.remove(script)
            return script.fault
        for fault, rate in self._rates:
            if roll < rate:
                return fault
            roll -= rate
        return None
