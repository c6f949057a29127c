"""What a call did, for whoever watches: OpenTelemetry spans, the ``on_attempt`` hook
and the log lines.

The drivers and ``_engine`` report events (an attempt answered or failed, a wait and
its reason, a refusal at the gate, the call's end) to one ``Watch`` per operation, held
by the operation's ``Deadline``. A watch exists only while someone watches: a tracer
provider is set, the policy has an ``on_attempt`` hook, or the ``sessionclient`` logger
is enabled for DEBUG. Otherwise ``watching`` returns None and every place that would
report checks one attribute.

OpenTelemetry is optional (``sessionclient[otel]``, the API only): without it nothing
of it is imported. Spans follow the HTTP client conventions where they apply; neither
the token nor a session document is ever an attribute.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _redact
from ._exceptions import Attempt, SessionClientError, TransportError
from ._version import __version__

if TYPE_CHECKING:
    from ._core import Pause, Reply
    from ._engine import Run, Settings
    from ._retry import Decision, RetryPolicy

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace as otel
except ImportError:  # the 'otel' extra is not installed: no spans
    otel = otel_context = None  # type: ignore[assignment]
else:
    if os.environ.get("OTEL_PYTHON_TRACER_PROVIDER"):
        otel.get_tracer_provider()  # the provider named there, loaded as OTel would

log = logging.getLogger("sessionclient")

HOLD_WARNING = 1.0
"""Seconds at the cool-down gate after which a held call is logged at WARNING."""

# Why a call waited: the values of the ``sessionclient.wait.reason`` event attribute.
RETRY_AFTER, BACKOFF, GATE, CONFLICT, POLL = "retry-after", "backoff", "gate", "conflict", "poll"


def _tracing() -> bool:
    """Whether a tracer provider is set (OpenTelemetry's own test, without building
    a tracer: a proxy stands in until one is)."""
    return otel is not None and otel._TRACER_PROVIDER is not None


def watching(settings: Settings, policy: RetryPolicy, depth: int = 2) -> Watch | None:
    """A watch for the operation about to start, or None when nobody watches (the
    common case: then nothing else is done for it). ``depth``: how many frames up the
    public method that was called is."""
    if policy.on_attempt is None and not _tracing() and not log.isEnabledFor(logging.DEBUG):
        return None
    # The public method that was called (get, update, query ...): the caller of the
    # driver's ``_operate`` (an awaiting coroutine's frame for async).
    frame = sys._getframe(depth)
    return Watch(frame.f_code.co_name, settings, policy)


class Watch:
    """One operation, as it happens: its span, its attempts and its waits."""

    __slots__ = (
        "attempts", "clock", "conflicts", "last", "name", "origin", "policy", "request_id",
        "span", "started", "status", "token", "waited",
    )  # fmt: skip

    def __init__(self, name: str, settings: Settings, policy: RetryPolicy) -> None:
        self.name = name
        self.policy = policy
        self.clock: Callable[[], float] = settings.clock
        self.started = self.clock()
        self.origin = time.time_ns()  # the wall clock at ``started``, for span times
        self.attempts = 0
        self.conflicts = 0
        self.waited = 0.0
        self.last: Run | None = None
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

    def answered(self, run: Run, reply: Reply) -> None:
        """An attempt got an answer that is not an error."""
        number = len(run.history) + 1
        request_id = reply.request_id
        if request_id:  # a server may echo what it got: never log or export a token
            request_id = _redact.text(request_id, run.secrets)
        self._attempt(run, number, reply.status, request_id, None)
        self._hook(Attempt(number, reply.status, 0.0))

    def failed_attempt(
        self, run: Run, attempt: Attempt, error: SessionClientError, decision: Decision
    ) -> None:
        """An attempt failed; ``decision`` says whether and when it is retried."""
        self._attempt(run, attempt.number, error.status, error.request_id, error)
        if decision.retry:
            reason = RETRY_AFTER if error.retry_after is not None else BACKOFF
            self.wait(reason, decision.wait)
        self._hook(attempt)

    def refused(self, run: Run, error: SessionClientError) -> None:
        """The gate refused to send (the service is cooling down)."""
        self.last = run
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

    def paused(self, pause: Pause, seconds: float) -> None:
        """A flow paused (a conflict resolved, a task polled); 0 s pauses that only
        read the clock are not waits."""
        if pause.reason == CONFLICT:
            self.conflicts += 1
            if self.span is not None:
                self.span.add_event(
                    "sessionclient.conflict",
                    {"sessionclient.conflicts": self.conflicts},
                    self._ns(self.clock()),
                )
        if pause.reason:
            self.wait(pause.reason, seconds)

    def _attempt(
        self,
        run: Run,
        number: int,
        status: int | None,
        request_id: str | None,
        error: SessionClientError | None,
    ) -> None:
        self.last, self.status, self.request_id = run, status, request_id
        self.attempts += 1
        if self.span is None:
            return
        call = run.call
        attributes: dict[str, Any] = {
            "http.request.method": call.method,
            "url.full": run.url,
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
            start_time=self._ns(run.sent_at),
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
        run, error = self.last, exc if isinstance(exc, SessionClientError) else None
        status, request_id = self.status, self.request_id
        if error is not None:
            status, request_id = error.status, error.request_id or request_id
        elapsed = self.clock() - self.started
        if log.isEnabledFor(logging.DEBUG):
            method, path = (run.call.method, run.call.path) if run is not None else ("", "")
            ended = f"{outcome} {status}" if exc is not None and status else outcome
            log.debug(
                "%s %s %s: %s, %d attempt%s in %.3f s (waited %.3f s)%s",
                self.name, method, path, ended if exc is not None else status,
                self.attempts, "" if self.attempts == 1 else "s", elapsed, self.waited,
                f" (request id {request_id})" if request_id else "",
            )  # fmt: skip
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
        if run is not None:
            call = run.call
            attributes["http.request.method"] = call.method
            attributes["url.full"] = run.url
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


def held(run: Run, seconds: float) -> None:
    """The gate holds ``run`` for ``seconds`` more: a WARNING once the hold passes
    ``HOLD_WARNING`` (whether or not anyone watches), and a wait for the watch."""
    before = run.held
    run.held = before + seconds
    if before <= HOLD_WARNING < run.held:
        log.warning(
            "%s %s held %.3f s at the cool-down gate: the service asked this client "
            "to slow down",
            run.call.method, run.call.path, run.held,
        )  # fmt: skip
    watch = run.deadline.watch
    if watch is not None:
        watch.wait(GATE, seconds)


def refused(run: Run, error: SessionClientError) -> None:
    """The gate refused to send ``run``: a WARNING, and an event for the watch."""
    log.warning("%s %s not sent: %s", run.call.method, run.call.path, error.message)
    watch = run.deadline.watch
    if watch is not None:
        watch.refused(run, error)
