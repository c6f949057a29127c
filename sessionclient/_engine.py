"""The one loop's sans-I/O half: an operation as a generator of what it needs done.

An operation (one ``Call``, or a flow of calls and pauses written once in ``_flows``,
``_directory`` or ``_resource``) runs as ``Operation.run``: a generator that yields a
``Pause`` (sleep this long) or a ``Send`` (put this request on the wire) and is sent
back nothing or the driver's ``Answer``. The drivers carry out only that, with one
sleep and one exchange each. Everything else happens here, in this order for each
request: the cool-down gate, the exchange, the interpretation, and on failure the
policy's decision; every wait (the gate's hold, a retry's back-off, a flow's pause)
first passes ``Deadline.fits``, the one deadline rule. The amounts come from
``_retry`` (back-off, Retry-After, conflict pauses, poll intervals) and the gate's
schedule from ``_gate``.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Generator
from typing import Any, NamedTuple, TypeVar, cast

import attrs
import httpx

from . import _observe, _redact
from ._backend import GateBackend
from ._core import Call, Reply, interpret, out_of_time, result, transport_error
from ._exceptions import (
    AmbiguousWriteError,
    Attempt,
    PreconditionFailedError,
    SessionClientError,
    StatusError,
    TooManyRequestsError,
    TransportError,
)
from ._gate import Closure, Gate, report_rate
from ._http import redact_query
from ._profiles import Profile
from ._retry import Cause, Decision, RetryPolicy, cause_of

T = TypeVar("T")
log = logging.getLogger("sessionclient")


class Pause:
    """A wait. A flow yields one to wait (or, with 0 seconds, to read the clock: it is
    sent the clock's time); the engine yields one to the driver, which sleeps. When
    the wait, plus the ``then`` seconds the flow expects to need after it, would reach
    the operation's deadline, it is not taken: ``otherwise()`` is raised instead (what
    really ended the flow), or a timeout without it."""

    __slots__ = ("otherwise", "reason", "seconds", "then")

    def __init__(
        self,
        seconds: float,
        otherwise: Callable[[], BaseException] | None = None,
        then: float = 0.0,
        reason: str = "",
    ) -> None:
        self.seconds = seconds
        self.otherwise = otherwise
        self.then = then
        self.reason = reason
        """Why, for whoever watches ("conflict", "poll", "gate" ...)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pause) and (self.seconds, self.reason) == (
            other.seconds,
            other.reason,
        )

    def __repr__(self) -> str:
        return f"Pause({self.seconds!r}, reason={self.reason!r})"


Flow = Generator["Call[Any] | Pause", Any, T]
"""A multi-request operation: yields calls (and is sent their ``Reply``, or has their
error thrown in) and pauses (and is sent the clock); returns the result."""
Operable = Call[T] | Flow[T]


class Send(NamedTuple):
    """One exchange for the driver: the call, its URL, the timeouts of this attempt
    (None: the client's), and the seconds left before the deadline (``math.inf``:
    none), which also bound the SDK's own sockets and a wait for a connection."""

    call: Call[Any]
    url: str
    timeout: httpx.Timeout | None
    left: float


class Answer(NamedTuple):
    """What the driver got: the response (closed) and its body, read under the cap;
    or, with ``error``, the response whose body could not be read."""

    response: httpx.Response
    body: bytes
    error: httpx.HTTPError | SessionClientError | None = None


Need = Pause | Send
Outcome = Answer | httpx.HTTPError
"""What the driver sends back after a ``Send``: an answer, or what prevented one."""


@attrs.frozen
class Settings:
    """What a client's calls share: decided once, at construction."""

    base_url: str
    profile: Profile
    policy: RetryPolicy
    timeout: httpx.Timeout
    max_body_size: int
    clock: Callable[[], float]
    gate: GateBackend = attrs.field(factory=Gate, eq=False)
    bucket: str = ""
    """The gate's key for this client's calls (its host and identity, see
    ``_backend.identity``); a call may add its own."""
    wallclock: Callable[[], float] = time.time
    longest: float = attrs.field(init=False)
    """The longest of the client's timeouts: with more time left, they stand as they are."""

    @longest.default
    def _longest(self) -> float:
        parts = (self.timeout.connect, self.timeout.read, self.timeout.write, self.timeout.pool)
        return max(math.inf if part is None else part for part in parts)


class Deadline:
    """One operation's time. ``fits`` is the one deadline rule every wait passes."""

    __slots__ = ("at", "clock")

    def __init__(self, at: float, clock: Callable[[], float]) -> None:
        self.at = at
        self.clock = clock

    def left(self) -> float:
        """Seconds before the deadline (``math.inf`` without one)."""
        return self.at - self.clock()

    def fits(self, seconds: float, then: float = 0.0) -> bool:
        """Whether waiting ``seconds``, and needing ``then`` more after, ends before
        the deadline."""
        return self.clock() + seconds + then < self.at

    def allow(
        self, seconds: float, otherwise: Callable[[], BaseException] | None, then: float = 0.0
    ) -> float:
        """``seconds`` when they fit; else raise ``otherwise()``, or a timeout."""
        if self.fits(seconds, then):
            return seconds
        raise otherwise() if otherwise is not None else out_of_time("", "")


class Operation:
    """One operation of a client: its policy, its deadline and who watches it."""

    __slots__ = ("clock", "deadline", "policy", "settings", "started", "waited", "watch")

    def __init__(
        self,
        settings: Settings,
        policy: RetryPolicy,
        name: str,
        seconds: float | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy
        self.clock = clock = settings.clock
        limit = seconds if seconds is not None else policy.deadline
        self.started = clock()
        self.deadline = Deadline(self.started + limit if limit is not None else math.inf, clock)
        self.waited = 0.0
        self.watch = _observe.watching(name, clock, policy)

    def run(self, op: Operable[T]) -> Generator[Need, Outcome | None, T]:
        """The operation, from its first request to its result."""
        watch = self.watch
        try:
            if isinstance(op, Call):
                value: T = result(op, (yield from self.request(op)))
            else:
                value = yield from self._flow(op)
        except BaseException as exc:  # cancelled from outside too: it ends the watch
            if watch is not None:
                watch.failed(exc)
            raise
        if watch is not None:
            watch.done(value)
        return value

    def _flow(self, flow: Flow[T]) -> Generator[Need, Outcome | None, T]:
        """Drive a flow: its pauses pass the deadline rule, its calls ``request``."""
        sent: Any = None
        error: SessionClientError | None = None
        try:
            while True:
                try:
                    step = flow.send(sent) if error is None else flow.throw(error)
                except StopIteration as stop:
                    done: T = stop.value
                    return done
                error = None
                if isinstance(step, Pause):
                    yield from self.pause(step)
                    sent = self.clock()
                    continue
                try:
                    sent = yield from self.request(step)
                except SessionClientError as exc:
                    error = exc
        finally:
            flow.close()

    def pause(self, pause: Pause) -> Generator[Pause, Any, None]:
        """Wait ``pause.seconds`` if they fit the deadline (else raise what it says)."""
        seconds = self.deadline.allow(pause.seconds, pause.otherwise, pause.then)
        if self.watch is not None:
            self.watch.paused(pause.reason, seconds)
        if seconds > 0:
            self.waited += seconds
            yield Pause(seconds, reason=pause.reason)

    # --- one request, across its attempts ------------------------------------------

    def request(self, call: Call[Any]) -> Generator[Need, Outcome | None, Reply]:
        """Send ``call`` until it is answered, or its error is final."""
        settings, clock = self.settings, self.clock
        url = settings.base_url + call.path
        key = settings.bucket + call.bucket if call.bucket else settings.bucket
        history: list[Attempt] = []
        maybe_applied = False  # an earlier attempt may have reached the server
        arrived = clock()  # its place in the gate's queue, kept across throttled attempts
        # Attempts the gate held after a 429 did no work and hammered nothing: within a
        # deadline, they do not count towards the policy's attempts.
        free = self.policy.throttle == "wait" and self.deadline.at < math.inf
        throttled = 0
        while True:
            sent_at = yield from self._admit(call, url, key, history, arrived)
            left = self.deadline.left()
            timeouts = None if left >= settings.longest else self._timeouts(left)
            try:
                outcome = cast(Outcome, (yield Send(call, url, timeouts, left)))
            except BaseException:  # cancelled, interrupted: no answer will come
                settings.gate.lost(key, clock(), sent_at)
                raise
            failed: SessionClientError | None = None
            if isinstance(outcome, Answer) and outcome.error is None:
                response = outcome.response
                try:
                    reply = interpret(
                        settings.profile,
                        call,
                        response.status_code,
                        response.headers,
                        outcome.body,
                        url=url,
                        now=settings.wallclock(),
                    )
                except SessionClientError as exc:
                    failed = exc
                else:
                    settings.gate.passed(key, clock(), sent_at)
                    if self.watch is not None:
                        self._answered(call, url, reply, len(history) + 1, response, sent_at)
                    return reply
            error = self._failure(call, url, outcome, failed)
            if maybe_applied and isinstance(error, PreconditionFailedError):
                error = _ambiguous(error)
            cause = self._judge(error, key, sent_at)
            decision = self.policy.decide(
                attempt=len(history) + 1 - throttled,
                cause=cause,
                safe=call.safe,
                retry_after=error.retry_after,
                error=error,
                started=self.started,
                now=clock(),
                waited=self.waited,
                rand=random.random(),
                held=free,
            )
            if decision.retry and free and cause is Cause.THROTTLED:
                throttled += 1
            if decision.retry and not self.deadline.fits(decision.wait):
                decision = Decision(
                    False, reason=f"waiting {decision.wait:.3f} s would pass the deadline"
                )
            maybe_applied = maybe_applied or cause is Cause.TRANSIENT
            self._record(call, url, error, decision, history, sent_at)
            if not decision.retry:
                raise error
            if decision.wait > 0:  # (0: the gate holds it, at _admit)
                self.waited += decision.wait
                yield Pause(decision.wait)

    def _failure(
        self, call: Call[Any], url: str, outcome: Outcome, error: SessionClientError | None
    ) -> SessionClientError:
        """What a failed attempt raises, with no credential of the request in it: an
        error from the answer is built again from a body and headers where none is left,
        so that no excerpt keeps even part of one."""
        if not isinstance(outcome, Answer):
            return transport_error(call, url, outcome)
        response, body = outcome.response, outcome.body
        secrets = _redact.sent_secrets(response)
        if error is None:  # the body could not be read
            failure = outcome.error
            assert failure is not None
            error = (
                failure
                if isinstance(failure, SessionClientError)
                else transport_error(call, url, failure)
            )
        elif secrets:
            clean_body = _redact.body(body, secrets)
            clean_headers = _redact.headers(response.headers, secrets)
            if clean_body != body or clean_headers is not response.headers:
                settings = self.settings
                try:
                    interpret(
                        settings.profile,
                        call,
                        response.status_code,
                        clean_headers,
                        clean_body,
                        url=url,
                        now=settings.wallclock(),
                    )
                except SessionClientError as clean:
                    error = clean
        return _redact.error(error, secrets)

    def _answered(
        self,
        call: Call[Any],
        url: str,
        reply: Reply,
        number: int,
        response: httpx.Response,
        sent_at: float,
    ) -> None:
        assert self.watch is not None
        request_id = reply.request_id
        if request_id:
            request_id = _redact.text(request_id, _redact.sent_secrets(response))
        self.watch.answered(call, url, number, reply.status, request_id, sent_at)

    def _judge(self, error: SessionClientError, key: str, sent_at: float) -> Cause:
        """Classify a failed attempt, and tell the gate what it says of the pace."""
        settings, policy = self.settings, self.policy
        cause = cause_of(error, settings.profile)
        now = self.clock()
        if cause is Cause.THROTTLED:
            if policy.throttle != "off":  # with or without Retry-After
                status = error.status if error.status is not None else 429
                url = redact_query(error.url or "")  # the gate's state may be shared (Redis)
                closure = Closure(type(error), status, error.method, url)  # type: ignore[arg-type]
                settings.gate.hold(
                    key,
                    now,
                    error.retry_after,
                    sent_at=sent_at,
                    rate=report_rate(error.details),
                    closure=closure,
                    cap=policy.retry_after_max,
                )
        elif error.status is not None:
            settings.gate.passed(key, now, sent_at)
        else:
            settings.gate.lost(key, now, sent_at)  # no answer: its slot is free
        return cause

    # --- before an attempt: the cool-down gate --------------------------------------

    def _admit(
        self, call: Call[Any], url: str, key: str, history: list[Attempt], arrived: float
    ) -> Generator[Pause, Any, float]:
        """Pass the gate: hold while the service cools down (each hold a ``Pause``
        that fits the deadline), and return when the request goes."""
        clock, deadline, policy, gate = self.clock, self.deadline, self.policy, self.settings.gate
        now = clock()
        if now >= deadline.at:
            raise self._recorded(call, url, out_of_time(call.method, url), history)
        if policy.throttle == "off":
            return now
        if policy.throttle == "fail":
            window = gate.window(key, now)
            if window is not None:
                why = "and throttle='fail' sends nothing until then"
                raise self._refused(call, url, *window, why, history)
            return now
        ticket = None
        held = 0.0
        try:
            while True:
                verdict = gate.admit(key, now, ticket, deadline.at, arrived)
                ticket = verdict.ticket
                if not verdict.wait and not verdict.refused:
                    return now
                if not verdict.refused and deadline.fits(verdict.wait):
                    _observe.held(call, held, verdict.wait, self.watch)
                    held += verdict.wait
                    self.waited += verdict.wait
                    yield Pause(verdict.wait, reason=_observe.GATE)
                    now = clock()
                    continue
                why = "which is past the call's deadline"
                raise self._refused(call, url, verdict.wait, gate.closure(key), why, history)
        finally:
            if ticket is not None:
                gate.give_back(ticket)  # cancelled, refused: its place is free

    def _refused(
        self,
        call: Call[Any],
        url: str,
        wait: float,
        closure: Closure | None,
        why: str,
        history: list[Attempt],
    ) -> SessionClientError:
        kind: type[StatusError] = closure.kind if closure else TooManyRequestsError
        status = closure.status if closure else 429
        cause = f" ({status} on {closure.method} {closure.url})" if closure else ""
        error = kind(
            f"the service asked this client to cool down{cause}; {wait:.3f} s of the "
            f"cool-down remain, {why}, so the request was not sent",
            status=status,
            method=call.method,
            url=url,
            retry_after=wait,
            explanation_key="cooldown",
        )
        _observe.refused(call, url, error, self.watch)
        return self._recorded(call, url, error, history)

    # --- the attempt's time -----------------------------------------------------------

    def _timeouts(self, remaining: float) -> httpx.Timeout | None:
        """The attempt's timeouts: the client's, shortened to the ``remaining`` seconds
        before the deadline (None: the client's, unchanged)."""
        settings = self.settings
        if remaining >= settings.longest:
            return None
        remaining = max(remaining, 0.001)
        base = settings.timeout
        return httpx.Timeout(
            connect=min(base.connect or remaining, remaining),
            read=min(base.read or remaining, remaining),
            write=min(base.write or remaining, remaining),
            pool=min(base.pool or remaining, remaining),
        )

    # --- the record of attempts -------------------------------------------------------

    def _recorded(
        self, call: Call[Any], url: str, error: SessionClientError, history: list[Attempt]
    ) -> SessionClientError:
        """An error raised before sending: it carries the attempts made so far."""
        error.attempts = len(history)
        error.history = tuple(history)
        log.debug("%s %s not sent: %s", call.method, redact_query(call.path), error.message)
        return error

    def _record(
        self,
        call: Call[Any],
        url: str,
        error: SessionClientError,
        decision: Decision,
        history: list[Attempt],
        sent_at: float,
    ) -> None:
        cause: int | str = error.status if error.status is not None else type(error).__name__
        if isinstance(error, TransportError) and error.__cause__ is not None:
            cause = type(error.__cause__).__name__  # the transport's own failure
        attempt = Attempt(len(history) + 1, cause, decision.wait if decision.retry else 0.0)
        history.append(attempt)
        error.attempts = attempt.number
        error.history = tuple(history)
        if self.watch is not None:
            self.watch.failed_attempt(call, url, attempt, error, decision, sent_at)
        if decision.retry:
            log.info(
                "retrying %s %s after %s in %.3f s (attempt %d of %d)",
                call.method,
                redact_query(call.path),
                cause,
                decision.wait,
                attempt.number + 1,
                self.policy.max_attempts,
            )
            if self.policy.on_retry is not None:
                self.policy.on_retry(attempt)
        else:
            path = redact_query(call.path)
            log.debug("%s %s failed: %s (%s)", call.method, path, cause, decision.reason)


def _ambiguous(error: PreconditionFailedError) -> AmbiguousWriteError:
    ambiguous = AmbiguousWriteError(
        "the precondition failed on a retry, and an earlier attempt may have been applied"
        + (f"; the current session is attached (ETag {error.etag})" if error.session else ""),
        status=error.status,
        method=error.method,
        url=error.url,
        headers=error.headers,
        session=error.session,
        etag=error.etag,
        request_id=error.request_id,
    )
    ambiguous.__cause__ = error
    return ambiguous
