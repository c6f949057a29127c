"""One call across its attempts, without I/O: the state both clients drive.

A ``Run`` holds what the sync and async clients share for a call: the deadline, the
cool-down gate, the per-attempt timeout, the body cap, the interpretation, and the
record of each failed attempt with the policy's decision. The clients only send,
read and sleep.
"""

from __future__ import annotations

import logging
import math
import random
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import tenacity

from ._core import Call, Reply, interpret
from ._exceptions import (
    AmbiguousWriteError,
    Attempt,
    MalformedResponseError,
    PreconditionFailedError,
    SessionClientError,
    TooManyRequestsError,
    TransportError,
)
from ._http import excerpt
from ._retry import Cause, CoolDown, Decision, RetryPolicy, cause_of, pace_from

if TYPE_CHECKING:
    from ._profiles import Profile

log = logging.getLogger("sessionclient")

# Failures where nothing reached the server: retrying them can never apply a write twice.
_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class Run:
    """The state of one call: created per call, used by exactly one driver."""

    __slots__ = (
        "call",
        "clock",
        "deadline_at",
        "decided_on",
        "decision",
        "gate",
        "history",
        "host",
        "max_body_size",
        "maybe_applied",
        "policy",
        "profile",
        "url",
        "wallclock",
    )  # fmt: skip

    def __init__(
        self,
        call: Call,
        *,
        url: str,
        policy: RetryPolicy,
        profile: Profile,
        gate: CoolDown,
        host: str,
        deadline_at: float,
        clock: Callable[[], float],
        wallclock: Callable[[], float],
        max_body_size: int,
    ) -> None:
        self.call = call
        self.url = url
        self.policy = policy
        self.profile = profile
        self.gate = gate
        self.host = host
        self.clock = clock
        self.wallclock = wallclock
        self.max_body_size = max_body_size
        self.deadline_at = deadline_at
        self.history: list[Attempt] = []
        self.decision = Decision(False)
        self.decided_on: BaseException | None = None
        self.maybe_applied = False  # an earlier attempt may have reached the server

    # --- before an attempt --------------------------------------------------------

    def admit(self) -> float:
        """Seconds to wait at the cool-down gate before sending; raises
        ``TooManyRequestsError`` when the wait is not allowed (``throttle="fail"``)
        or would pass the deadline."""
        if self.policy.throttle == "off":
            return 0.0
        now = self.clock()
        fail = self.policy.throttle == "fail"
        within = 0.0 if fail else self.deadline_at - now
        wait = self.gate.admit(self.host, now, within=within, pace=not fail)
        if wait > within:
            error = TooManyRequestsError(
                f"the service asked this client to slow down; {wait:.3f} s of the "
                "cool-down remain, so the request was not sent",
                status=429, method=self.call.method, url=self.url, retry_after=wait,
                explanation_key="cooldown",
            )  # fmt: skip
            self._record(error, Decision(False, reason="cooling down"))
            raise error
        return wait

    def remaining(self) -> float:
        """Seconds left before the deadline (``math.inf`` without one)."""
        return self.deadline_at - self.clock()

    def timeout(self, base: httpx.Timeout) -> httpx.Timeout | None:
        """The attempt's timeouts: the client's, shortened to the time left before the
        deadline so that one attempt cannot outlive it (None: use the client's)."""
        remaining = self.deadline_at - self.clock()
        parts = (base.connect, base.read, base.write, base.pool)
        if remaining == math.inf or all(p is not None and p <= remaining for p in parts):
            return None
        remaining = max(remaining, 0.001)
        c, r, w, p = (remaining if x is None else min(x, remaining) for x in parts)
        return httpx.Timeout(connect=c, read=r, write=w, pool=p)

    # --- during an attempt --------------------------------------------------------

    def body_reader(self, response: httpx.Response) -> BodyReader:
        """A reader for the response body that enforces the size cap and deadline."""
        return BodyReader(self, response)

    def transport_error(self, exc: httpx.HTTPError) -> TransportError:
        """Wrap an httpx failure; the message never includes request headers."""
        if isinstance(exc, httpx.LocalProtocolError):
            # The request could not even be written; the library's message quotes the
            # offending header, which may be the token, so it is not repeated, and
            # sending it again would fail the same way.
            error = TransportError(
                "not sent (LocalProtocolError: the request could not be encoded)",
                sent=False, retryable=False, method=self.call.method, url=self.url,
            )  # fmt: skip
        else:
            sent = not isinstance(exc, _UNSENT)
            what = "no complete response" if sent else "could not connect"
            detail = excerpt(str(exc).encode(), 300) or "no detail"
            error = TransportError(
                f"{what} ({type(exc).__name__}: {detail})",
                sent=sent, method=self.call.method, url=self.url,
            )  # fmt: skip
        error.__cause__ = exc
        return error

    def interpret(self, status: int, headers: httpx.Headers, body: bytes) -> Reply:
        """Interpret the response of this attempt (see ``_core.interpret``)."""
        return interpret(
            self.profile, self.call, status, headers, body, url=self.url, now=self.wallclock()
        )

    # --- after a failed attempt ---------------------------------------------------

    def failed(self, error: SessionClientError) -> SessionClientError:
        """Record a failed attempt and decide about the next one; return the error
        to raise (a 412 after an attempt that may have landed becomes
        ``AmbiguousWriteError``)."""
        if isinstance(error, PreconditionFailedError) and self.maybe_applied:
            error = _ambiguous(error)
        cause = cause_of(error, self.profile)
        if self.call.creates and cause is Cause.THROTTLED and error.status != 429:
            # A creating POST (a handle) is repeated only when the service said it did
            # nothing and when to come back: 429, or 503 with Retry-After.
            cause = cause if error.retry_after is not None else Cause.TRANSIENT
        # The profile's classification decides the gate too: "not done, come back then".
        gated = self.policy.throttle != "off" and cause is Cause.THROTTLED
        if gated and error.retry_after is not None:
            spacing, linger = pace_from(error.details, error.retry_after)
            self.gate.hold(self.host, self.clock() + error.retry_after, spacing, linger)
        decision = self.policy.decide(
            attempt=len(self.history) + 1,
            cause=cause,
            safe=self.call.safe,
            retry_after=error.retry_after,
            remaining=self.deadline_at - self.clock(),
            rand=random.random(),
        )
        self.maybe_applied = self.maybe_applied or cause is Cause.TRANSIENT
        self._record(error, decision)
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

    # --- for tenacity -------------------------------------------------------------

    def should_retry(self, state: tenacity.RetryCallState) -> bool:
        """tenacity ``retry``: only the failure this run has just decided to retry."""
        outcome = state.outcome
        return bool(
            outcome is not None
            and outcome.failed
            and outcome.exception() is self.decided_on
            and self.decision.retry
        )

    def next_wait(self, state: tenacity.RetryCallState) -> float:
        """tenacity ``wait``: the wait the policy decided."""
        return self.decision.wait

    def retrying_kwargs(self) -> dict[str, Any]:
        """The tenacity arguments shared by ``Retrying`` and ``AsyncRetrying``."""
        return {
            "retry": self.should_retry,
            "wait": self.next_wait,
            "stop": tenacity.stop_never,
            "reraise": True,
        }


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
    or deflate itself so that a small compressed body cannot inflate past the cap:
    the body is refused at the cap, never read whole into memory. A body that arrives
    complete is kept even if the deadline passed while it did; one still incomplete at
    the deadline is abandoned."""

    def __init__(self, run: Run, response: httpx.Response) -> None:
        self._run = run
        self._response = response
        self._chunks: list[bytes] = []
        self._size = 0
        self._inflate: zlib._Decompress | None
        # A body something read already (a mock transport, an event hook) is decoded.
        self.preloaded = response.content if response.is_stream_consumed else None
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if self.preloaded is not None:
            self._inflate = None
        elif encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._inflate = zlib.decompressobj()
        elif encoding in ("identity", ""):
            self._inflate = None
        else:
            raise self._malformed(f"an unsupported Content-Encoding {encoding!r}")

    def feed(self, raw: bytes) -> None:
        """Take the next raw chunk."""
        room = self._run.max_body_size - self._size + 1  # one byte more shows the excess
        if self._inflate is None:
            data = raw
        else:
            try:
                data = self._inflate.decompress(raw, room)
            except zlib.error as exc:
                raise self._malformed(f"a body that does not decompress ({exc})") from None
        self._size += len(data)
        if self._size > self._run.max_body_size or (
            self._inflate and self._inflate.unconsumed_tail
        ):
            raise self._malformed(f"a body over the {self._run.max_body_size}-byte cap")
        self._chunks.append(data)
        if self._run.clock() > self._run.deadline_at and not self._complete():
            raise self._run.transport_error(httpx.ReadTimeout("the call's deadline passed"))

    def body(self) -> bytes:
        """The whole body."""
        if self._inflate is not None:
            self._chunks.append(self._inflate.flush())
        return b"".join(self._chunks)

    def _complete(self) -> bool:
        if self.preloaded is not None:
            return True
        declared = self._response.headers.get("content-length", "")
        return declared.isdigit() and self._response.num_bytes_downloaded >= int(declared)

    def _malformed(self, what: str) -> MalformedResponseError:
        status = self._response.status_code
        return MalformedResponseError(
            f"{status} response with {what}",
            status=status, method=self._run.call.method, url=self._run.url,
            headers=self._response.headers,
        )  # fmt: skip
