"""What a call did, for whoever watches: OpenTelemetry spans, the ``on_attempt`` hook
and the log lines.

The engine reports events (an attempt answered or failed, a wait and its reason, a
refusal at the gate, the operation's end) to one ``Watch`` per operation, named by the
public method that was called. A watch exists only while someone watches: a tracer
provider is set, the policy has an ``on_attempt`` hook, or the ``sessionclient`` logger
is enabled for DEBUG. Otherwise ``watching`` returns None and every place that would
report checks one variable.

OpenTelemetry is optional (``sessionclient[otel]``, the API only): without it nothing
of it is imported. Spans follow the HTTP client conventions where they apply; neither
the token nor a session document is ever an attribute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ._core import Call
from ._exceptions import Attempt, SessionClientError, TransportError
from ._http import redact_query
from ._retry import Decision, RetryPolicy
from ._version import __version__

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace as otel
except ImportError:  # the 'otel' extra is not installed: no spans
    otel = otel_context = None  # type: ignore[assignment]

log = logging.getLogger("sessionclient")

HOLD_WARNING = 1.0
"""Seconds at the cool-down gate after which a held call is logged at WARNING."""

# Why a call waited: the values of the ``sessionclient.wait.reason`` event attribute.
RETRY_AFTER, BACKOFF, GATE, CONFLICT, POLL = "retry-after", "backoff", "gate", "conflict", "poll"


def _tracing() -> bool:
    """Whether a tracer provider is set (OpenTelemetry's proxy stands in until one is)."""
    return otel is not None and not isinstance(otel.get_tracer_provider(), otel.ProxyTracerProvider)


def watching(name: str, clock: Callable[[], float], policy: RetryPolicy) -> Watch | None:
    """A watch for the operation ``name`` (the public method called: get, update,
    query ...) about to start, or None when nobody watches (the common case: then
    nothing else is done for it)."""
    if (
        policy.on_attempt is None
        and not log.isEnabledFor(logging.DEBUG)
        and (otel is None or isinstance(otel.get_tracer_provider(), otel.ProxyTracerProvider))
    ):
        return None  # ``_tracing``, inline: this runs before every call
    return Watch(name, clock, policy)


class Watch:
    """One operation, as it happens: its span, its attempts and its waits."""

    __slots__ = (
        "attempts",
        "clock",
        "conflicts",
        "last",
        "name",
        "origin",
        "policy",
        "request_id",
        "span",
        "started",
        "status",
        "token",
        "url",
        "waited",
    )

    def __init__(self, name: str, clock: Callable[[], float], policy: RetryPolicy) -> None:
        self.name = name
        self.policy = policy
        self.clock = clock
        self.started = self.clock()
        self.origin = time.time_ns()  # the wall clock at ``started``, for span times
        self.attempts = 0
        self.conflicts = 0
        self.waited = 0.0
        self.last: Call[Any] | None = None  # the last request, and its URL
        self.url = ""
        self.status: int | None = None  # of the last answer
        self.request_id: str | None = None
        self.span: Any = None
        self.token: Any = None
        if _tracing():
            tracer = otel.get_tracer("sessionclient", __version__)
            self.span = tracer.start_span(
                f"sessionclient {name}",
                kind=otel.SpanKind.CLIENT,
                start_time=self.origin,
                attributes={"sessionclient.operation": name},
            )
            # Current while the call runs: httpx's own instrumentation nests under it.
            self.token = otel_context.attach(otel.set_span_in_context(self.span))

    def _ns(self, moment: float) -> int:
        """A moment on the client's clock as OpenTelemetry's nanoseconds."""
        return self.origin + int((moment - self.started) * 1e9)

    # --- events from ``_engine`` --------------------------------------------------

    def answered(
        self,
        call: Call[Any],
        url: str,
        number: int,
        status: int,
        request_id: str | None,
        sent_at: float,
    ) -> None:
        """Attempt ``number`` got an answer that is not an error (``request_id`` is
        already redacted: a server may echo what it got)."""
        self._attempt(call, url, number, status, request_id, None, sent_at)
        self._hook(Attempt(number, status, 0.0))

    def failed_attempt(
        self,
        call: Call[Any],
        url: str,
        attempt: Attempt,
        error: SessionClientError,
        decision: Decision,
        sent_at: float,
    ) -> None:
        """An attempt failed; ``decision`` says whether and when it is retried."""
        self._attempt(call, url, attempt.number, error.status, error.request_id, error, sent_at)
        if decision.retry:
            reason = RETRY_AFTER if error.retry_after is not None else BACKOFF
            self.wait(reason, decision.wait)
        self._hook(attempt)

    def refused(self, call: Call[Any], url: str, error: SessionClientError) -> None:
        """The gate refused to send (the service is cooling down)."""
        self.last, self.url = call, redact_query(url)
        if self.span is not None:
            self.span.add_event(
                "sessionclient.gate.refused",
                {"sessionclient.retry_after": error.retry_after or 0.0},
                timestamp=self._ns(self.clock()),
            )

    def wait(self, reason: str, seconds: float) -> None:
        """A wait was decided, and why (``RETRY_AFTER``, ``BACKOFF``, ``GATE`` ...)."""
        self.waited += seconds
        if self.span is not None:
            self.span.add_event(
                "sessionclient.wait",
                {"sessionclient.wait.reason": reason, "sessionclient.wait.seconds": seconds},
                self._ns(self.clock()),
            )

    def paused(self, reason: str, seconds: float) -> None:
        """A flow paused (a conflict resolved, a task polled); 0 s pauses that only
        read the clock (no reason) are not waits."""
        if reason == CONFLICT:
            self.conflicts += 1
            if self.span is not None:
                self.span.add_event(
                    "sessionclient.conflict",
                    {"sessionclient.conflicts": self.conflicts},
                    self._ns(self.clock()),
                )
        if reason:
            self.wait(reason, seconds)

    def _attempt(
        self,
        call: Call[Any],
        url: str,
        number: int,
        status: int | None,
        request_id: str | None,
        error: SessionClientError | None,
        sent_at: float,
    ) -> None:
        # url.full without query values (OpenTelemetry: they may be credentials).
        url = redact_query(url)
        self.last, self.url, self.status, self.request_id = call, url, status, request_id
        self.attempts += 1
        if self.span is None:
            return
        attributes: dict[str, Any] = {
            "http.request.method": call.method,
            "url.full": url,
            "sessionclient.attempt": number,
        }
        if number > 1:
            attributes["http.request.resend_count"] = number - 1
        if status is not None:
            attributes["http.response.status_code"] = status
        if request_id:
            attributes["sessionclient.request_id"] = request_id
        if error is not None:
            attributes["error.type"] = _error_type(error)
        tracer = otel.get_tracer("sessionclient", __version__)
        # Made when the attempt ended, with the time it was sent: a span of its own
        # per attempt, beside (not around) httpx's, at no cost to the request itself.
        span = tracer.start_span(
            f"{call.method} attempt",
            context=otel.set_span_in_context(self.span),
            kind=otel.SpanKind.CLIENT,
            start_time=self._ns(sent_at),
            attributes=attributes,
        )
        if error is not None:
            span.set_status(otel.StatusCode.ERROR, _error_type(error))
        span.end(self._ns(self.clock()))

    def _hook(self, attempt: Attempt) -> None:
        if self.policy.on_attempt is not None:
            self.policy.on_attempt(attempt)

    # --- the operation's end ------------------------------------------------------

    def done(self, result: object) -> None:
        """The operation returned ``result``."""
        self._end(type(result).__name__, None)

    def failed(self, exc: BaseException) -> None:
        """The operation raised ``exc`` (its own error, a cancellation ...)."""
        self._end(type(exc).__name__, exc)

    def _end(self, outcome: str, exc: BaseException | None) -> None:
        call, error = self.last, exc if isinstance(exc, SessionClientError) else None
        status, request_id = self.status, self.request_id
        if error is not None:
            status, request_id = error.status, error.request_id or request_id
        elapsed = self.clock() - self.started
        if log.isEnabledFor(logging.DEBUG):
            method, path = (call.method, redact_query(call.path)) if call is not None else ("", "")
            ended = f"{outcome} {status}" if exc is not None and status else outcome
            log.debug(
                "%s %s %s: %s, %d attempt%s in %.3f s (waited %.3f s)%s",
                self.name,
                method,
                path,
                ended if exc is not None else status,
                self.attempts,
                "" if self.attempts == 1 else "s",
                elapsed,
                self.waited,
                f" (request id {request_id})" if request_id else "",
            )
        span = self.span
        if span is None:
            return
        attributes: dict[str, Any] = {
            "sessionclient.attempts": self.attempts,
            "sessionclient.outcome": outcome,
            "sessionclient.waited": self.waited,
        }
        if self.conflicts:
            attributes["sessionclient.conflicts"] = self.conflicts
        if call is not None:
            attributes["http.request.method"] = call.method
            attributes["url.full"] = self.url
            if call.ref is not None:
                attributes["sessionclient.scid"] = call.ref.scid
                attributes["sessionclient.template"] = call.ref.template
        if status is not None:
            attributes["http.response.status_code"] = status
        if request_id:
            attributes["sessionclient.request_id"] = request_id
        if exc is not None:
            attributes["error.type"] = _error_type(exc)
            span.set_status(otel.StatusCode.ERROR, str(exc) if error is not None else outcome)
        span.set_attributes(attributes)
        try:
            span.end(self._ns(self.clock()))
        finally:
            otel_context.detach(self.token)


def _error_type(exc: BaseException) -> str:
    """OpenTelemetry's ``error.type``: the status for an HTTP error, else the class
    (for a transport failure, httpx's)."""
    if isinstance(exc, TransportError) and exc.__cause__ is not None:
        return type(exc.__cause__).__name__
    if isinstance(exc, SessionClientError) and exc.status is not None:
        return str(exc.status)
    return type(exc).__name__


def held(call: Call[Any], before: float, seconds: float, watch: Watch | None) -> None:
    """The gate holds ``call`` for ``seconds`` more, after ``before``: a WARNING once
    the hold passes ``HOLD_WARNING`` (whether or not anyone watches), and a wait for
    the watch."""
    if before <= HOLD_WARNING < before + seconds:
        log.warning(
            "%s %s held %.3f s at the cool-down gate: the service asked this client to slow down",
            call.method,
            redact_query(call.path),
            before + seconds,
        )
    if watch is not None:
        watch.wait(GATE, seconds)


def refused(call: Call[Any], url: str, error: SessionClientError, watch: Watch | None) -> None:
    """The gate refused to send ``call``: a WARNING, and an event for the watch."""
    log.warning("%s %s not sent: %s", call.method, redact_query(call.path), error.message)
    if watch is not None:
        watch.refused(call, url, error)
