"""One request across its attempts, without I/O: the state both drivers carry out.

Every wait a call can take is decided here, by something that knows the deadline,
the gate and the clock: ``Deadline.allow`` for a flow's pauses, ``Run.admit`` for the
cool-down gate, ``Run.failed`` (through the policy) for the wait before a retry. Each
says how long to wait or raises what really ended the call; the sync and async
drivers in ``_base`` only sleep.
"""

from __future__ import annotations

import logging
import math
import random
import time
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import httpx
import tenacity

from . import _observe, _redact
from ._backend import GateBackend
from ._core import Call, Pause, Reply, interpret
from ._exceptions import (
    AmbiguousWriteError,
    Attempt,
    MalformedResponseError,
    PreconditionFailedError,
    SessionClientError,
    StatusError,
    TooManyRequestsError,
    TransportError,
)
from ._gate import Closure, Gate, Ticket, report_rate
from ._http import excerpt, transport_detail
from ._retry import Cause, Decision, RetryPolicy, cause_of

if TYPE_CHECKING:
    from ._profiles import Profile

log = logging.getLogger("sessionclient")

# Failures where nothing reached the server: retrying them can never apply a write twice.
_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
_NO_DECISION = Decision(False)


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
    bounded: bool = False
    """Whether the transport is the SDK's own, whose sockets end by the deadline."""
    longest: float = attrs.field(init=False)
    """The longest of the client's timeouts: with more time left, they stand as they are."""

    @longest.default
    def _longest(self) -> float:
        parts = (self.timeout.connect, self.timeout.read, self.timeout.write, self.timeout.pool)
        return max(math.inf if part is None else part for part in parts)


class Deadline:
    """One operation's time: every wait it takes asks ``allow`` first."""

    __slots__ = ("at", "clock", "watch")

    def __init__(self, at: float, clock: Callable[[], float]) -> None:
        self.at = at
        self.clock = clock
        self.watch: _observe.Watch | None = None  # set when someone watches the operation

    def left(self) -> float:
        """Seconds before the deadline (``math.inf`` without one)."""
        return self.at - self.clock()

    def allow(
        self, seconds: float, otherwise: Callable[[], BaseException] | None, then: float = 0.0
    ) -> float:
        """``seconds``, if waiting them (and ``then`` more) ends before the deadline;
        else raise ``otherwise()`` (what really ended the operation), or a timeout."""
        if self.clock() + seconds + then < self.at:
            return seconds
        raise otherwise() if otherwise is not None else out_of_time("", "")

    def pause(self, pause: Pause) -> float:
        """``allow`` for a flow's ``Pause``, reported to whoever watches."""
        seconds = self.allow(pause.seconds, pause.otherwise, pause.then)
        if self.watch is not None:
            self.watch.paused(pause, seconds)
        return seconds


def out_of_time(method: str, url: str) -> TransportError:
    """The operation's deadline passed before a request could be sent."""
    return TransportError(
        "the call's deadline passed before the request was sent",
        sent=False, retryable=False, method=method, url=url,
    )  # fmt: skip


class Run:
    """One request across its attempts: created per request, used by one driver."""

    __slots__ = (
        "call", "deadline", "decided_on", "decision", "held", "history", "key",
        "maybe_applied", "policy", "response", "sent_at", "settings", "ticket", "url",
    )  # fmt: skip

    def __init__(
        self, call: Call, settings: Settings, policy: RetryPolicy, deadline: Deadline
    ) -> None:
        self.call = call
        self.settings = settings
        self.policy = policy
        self.deadline = deadline
        self.url = settings.base_url + call.path
        self.key = settings.bucket + call.bucket if call.bucket else settings.bucket
        self.history: list[Attempt] = []
        self.decision = _NO_DECISION
        self.decided_on: BaseException | None = None
        self.maybe_applied = False  # an earlier attempt may have reached the server
        self.ticket: Ticket | None = None
        self.sent_at = 0.0
        self.response: httpx.Response | None = None  # the last, for its credentials
        self.held = 0.0  # seconds the gate held this request

    # --- before an attempt --------------------------------------------------------

    def admit(self) -> float:
        """Seconds to wait at the cool-down gate before sending (0: send now; ask
        again after the wait: the gate re-checks). Raises what closed the gate when
        the wait is not allowed, and a timeout when no time is left."""
        now = self.settings.clock()
        self.sent_at = now
        if self.ticket is None and now >= self.deadline.at:
            raise self._recorded(out_of_time(self.call.method, self.url))
        if self.policy.throttle == "off":
            return 0.0
        gate = self.settings.gate
        if self.policy.throttle == "fail":
            window = gate.window(self.key, now)
            if window is not None:
                raise self._refused(*window, "and throttle='fail' sends nothing until then")
            return 0.0
        verdict = gate.admit(self.key, now, self.ticket, self.deadline.at)
        self.ticket = verdict.ticket
        if verdict.refused:
            closure = gate.closure(self.key)
            raise self._refused(verdict.wait, closure, "which is past the call's deadline")
        if verdict.wait:
            _observe.held(self, verdict.wait)
        return verdict.wait

    def give_back(self) -> None:
        """Leave the gate's queue without sending (cancelled, failed, out of time)."""
        if self.ticket is not None:
            self.settings.gate.give_back(self.ticket)
            self.ticket = None

    def _refused(self, wait: float, closure: Closure | None, why: str) -> SessionClientError:
        kind: type[StatusError] = closure.kind if closure else TooManyRequestsError
        status = closure.status if closure else 429
        cause = f" ({status} on {closure.method} {closure.url})" if closure else ""
        error = kind(
            f"the service asked this client to cool down{cause}; {wait:.3f} s of the "
            f"cool-down remain, {why}, so the request was not sent",
            status=status, method=self.call.method, url=self.url, retry_after=wait,
            explanation_key="cooldown",
        )  # fmt: skip
        _observe.refused(self, error)
        return self._recorded(error)

    def timeout(self, base: httpx.Timeout) -> httpx.Timeout | None:
        """The attempt's timeouts: the client's, shortened to the time left before the
        deadline (None: use the client's)."""
        remaining = self.deadline.at - self.settings.clock()
        if remaining >= self.settings.longest:
            return None
        remaining = max(remaining, 0.001)
        return httpx.Timeout(
            connect=min(base.connect or remaining, remaining),
            read=min(base.read or remaining, remaining),
            write=min(base.write or remaining, remaining),
            pool=min(base.pool or remaining, remaining),
        )

    def socket_deadline(self) -> float | None:
        """The deadline on ``time.monotonic()``, for the deadline-bound sockets."""
        left = self.deadline.left()
        return None if left == math.inf else time.monotonic() + left

    # --- during an attempt --------------------------------------------------------

    def reader(self, response: httpx.Response) -> BodyReader:
        """A reader of the (still encoded) body under the size cap."""
        return BodyReader(self, response)

    def transport_error(self, exc: httpx.HTTPError) -> TransportError:
        """Wrap an httpx failure; the message never includes request headers."""
        if isinstance(exc, httpx.LocalProtocolError):
            # The request could not even be written; the library's message quotes the
            # offending header, which may be the token, so it is not repeated (nor
            # chained), and sending it again would fail the same way.
            return TransportError(
                "not sent (LocalProtocolError: the request could not be encoded)",
                sent=False, retryable=False, method=self.call.method, url=self.url,
            )  # fmt: skip
        sent = not isinstance(exc, _UNSENT)
        what = "no complete response" if sent else "could not connect"
        detail = excerpt(transport_detail(exc).encode(), 300) or "no detail"
        error = TransportError(
            f"{what} ({type(exc).__name__}: {detail})",
            sent=sent, method=self.call.method, url=self.url,
        )  # fmt: skip
        error.__cause__ = exc
        return error

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credentials the last attempt sent."""
        return () if self.response is None else _redact.sent_secrets(self.response)

    def interpret(self, status: int, headers: httpx.Headers, body: bytes) -> Reply:
        """Interpret the response of this attempt (see ``_core.interpret``). An error
        is built from a body and headers where no credential is left, so that no
        excerpt keeps even part of one."""
        settings = self.settings
        try:
            reply = interpret(
                settings.profile, self.call, status, headers, body, url=self.url,
                now=settings.wallclock(),
            )  # fmt: skip
        except SessionClientError:
            secrets = self.secrets
            clean_body = _redact.body(body, secrets)
            clean_headers = _redact.headers(headers, secrets)
            if clean_body == body and clean_headers is headers:
                raise
        else:
            settings.gate.passed(self.key, settings.clock(), self.sent_at)
            if self.deadline.watch is not None:
                self.deadline.watch.answered(self, reply)
            return reply
        # Outside the handler, so that the first error is not kept as the context.
        return interpret(
            settings.profile, self.call, status, clean_headers, clean_body, url=self.url,
            now=settings.wallclock(),
        )  # fmt: skip

    # --- after a failed attempt ---------------------------------------------------

    def failed(self, error: SessionClientError) -> SessionClientError:
        """Record a failed attempt and decide about the next one; return the error
        to raise (a 412 after an attempt that may have landed becomes
        ``AmbiguousWriteError``). Whatever the error keeps is redacted first."""
        error = _redact.error(error, self.secrets)
        if isinstance(error, PreconditionFailedError) and self.maybe_applied:
            error = _ambiguous(error)
        settings = self.settings
        cause = cause_of(error, settings.profile)
        now = settings.clock()
        if cause is Cause.THROTTLED:
            if self.policy.throttle != "off" and error.retry_after is not None:
                closure = Closure(type(error), error.status or 429, error.method, error.url)  # type: ignore[arg-type]
                settings.gate.hold(
                    self.key, now, error.retry_after, sent_at=self.sent_at,
                    rate=report_rate(error.details), closure=closure,
                    cap=self.policy.retry_after_max,
                )  # fmt: skip
        elif error.status is not None:
            settings.gate.passed(self.key, now, self.sent_at)
        decision = self.policy.decide(
            attempt=len(self.history) + 1,
            cause=cause,
            safe=self.call.safe,
            retry_after=error.retry_after,
            remaining=self.deadline.at - now,
            rand=random.random(),
        )
        self.maybe_applied = self.maybe_applied or cause is Cause.TRANSIENT
        self._record(error, decision)
        return error

    def _recorded(self, error: SessionClientError) -> SessionClientError:
        """An error raised before sending: it carries the attempts made so far."""
        error.attempts = len(self.history)
        error.history = tuple(self.history)
        self.decision, self.decided_on = _NO_DECISION, error
        log.debug("%s %s not sent: %s", self.call.method, self.call.path, error.message)
        return error

    def _record(self, error: SessionClientError, decision: Decision) -> None:
        cause: int | str = error.status if error.status is not None else type(error).__name__
        if isinstance(error, TransportError) and error.__cause__ is not None:
            cause = type(error.__cause__).__name__
        attempt = Attempt(len(self.history) + 1, cause, decision.wait if decision.retry else 0.0)
        self.history.append(attempt)
        error.attempts = attempt.number
        error.history = tuple(self.history)
        self.decision, self.decided_on = decision, error
        if self.deadline.watch is not None:
            self.deadline.watch.failed_attempt(self, attempt, error, decision)
        if decision.retry:
            log.info(
                "retrying %s %s after %s in %.3f s (attempt %d of %d)",
                self.call.method, self.call.path, cause, decision.wait,
                attempt.number + 1, self.policy.max_attempts,
            )  # fmt: skip
            if self.policy.on_retry is not None:
                self.policy.on_retry(attempt)
        else:
            log.debug("%s %s failed: %s (%s)", self.call.method, self.call.path, cause,
                      decision.reason)  # fmt: skip

    # --- the policy as tenacity strategies -----------------------------------------

    def retrying_kwargs(self) -> dict[str, Any]:
        """tenacity's ``retry``, ``wait`` and ``stop`` for this request: the decision
        ``failed`` took from the policy (retry or not, how long to wait, whether the
        wait fits the deadline), read back for the attempt that just failed."""
        return {
            "retry": self._should_retry,
            "wait": self._wait,
            "stop": tenacity.stop_never,  # the policy's decision includes stopping
            "reraise": True,
        }

    def _should_retry(self, state: tenacity.RetryCallState) -> bool:
        outcome = state.outcome
        return bool(
            outcome is not None
            and outcome.failed
            and outcome.exception() is self.decided_on
            and self.decision.retry
        )

    def _wait(self, state: tenacity.RetryCallState) -> float:
        return self.decision.wait


def _ambiguous(error: PreconditionFailedError) -> AmbiguousWriteError:
    ambiguous = AmbiguousWriteError(
        "the precondition failed on a retry, and an earlier attempt may have been applied"
        + (f"; the current session is attached (ETag {error.etag})" if error.session else ""),
        status=error.status, method=error.method, url=error.url, headers=error.headers,
        session=error.session, etag=error.etag, request_id=error.request_id,
    )  # fmt: skip
    ambiguous.__cause__ = error
    return ambiguous


class BodyReader:
    """Accumulates a response body from its raw (still encoded) chunks, decoding gzip
    or deflate (zlib-wrapped or raw) itself so that a small compressed body cannot
    inflate past the cap: the body is refused at the cap, never read whole into
    memory. A compressed stream that does not end is refused, never half-read. The
    clients ask for no other encoding (``Accept-Encoding: gzip, deflate``)."""

    __slots__ = ("_chunks", "_encoding", "_inflate", "_response", "_run", "_size")

    def __init__(self, run: Run, response: httpx.Response) -> None:
        self._run = run
        self._response = response
        self._chunks: list[bytes] = []
        self._size = 0
        self._inflate: zlib._Decompress | None = None
        self._encoding = response.headers.get("content-encoding", "").strip().lower()
        if self._encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._encoding == "deflate":
            self._inflate = zlib.decompressobj()
        elif self._encoding not in ("identity", ""):
            raise self._malformed(f"an unsupported Content-Encoding {self._encoding!r}")

    def feed(self, raw: bytes) -> None:
        """Take the next raw chunk."""
        cap = self._run.settings.max_body_size
        # One byte more than the room left shows the excess.
        data = raw if self._inflate is None else self._decompress(raw, cap - self._size + 1)
        self._size += len(data)
        if self._size > cap or (self._inflate is not None and self._inflate.unconsumed_tail):
            raise self._malformed(f"a body over the {cap}-byte cap")
        self._chunks.append(data)

    def _decompress(self, raw: bytes, room: int) -> bytes:
        assert self._inflate is not None
        try:
            return self._inflate.decompress(raw, room)
        except zlib.error as exc:
            if self._encoding == "deflate" and self._size == 0 and not self._chunks:
                # RFC 9110 says zlib-wrapped, but servers send raw deflate too.
                self._encoding = "raw deflate"
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._decompress(raw, room)
            raise self._malformed(f"a body that does not decompress ({exc})") from None

    def body(self) -> bytes:
        """The whole body."""
        if self._inflate is not None:
            self._chunks.append(self._inflate.flush())
            if not self._inflate.eof and (self._size or self._response.num_bytes_downloaded):
                raise self._malformed(f"a {self._encoding} body that was cut short")
        return b"".join(self._chunks)

    def _malformed(self, what: str) -> MalformedResponseError:
        status = self._response.status_code
        return MalformedResponseError(
            f"{status} response with {what}",
            status=status, method=self._run.call.method, url=self._run.url,
            headers=self._response.headers,
        )  # fmt: skip


def preloaded_body(run: Run, response: httpx.Response) -> bytes:
    """A body something already read and decoded (a mock transport, an event hook),
    under the same cap."""
    body = response.content
    cap = run.settings.max_body_size
    if len(body) > cap:
        raise MalformedResponseError(
            f"{response.status_code} response with a body over the {cap}-byte cap",
            status=response.status_code, method=run.call.method, url=run.url,
            headers=response.headers,
        )  # fmt: skip
    return body
