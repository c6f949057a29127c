"""The exceptions of sessionclient.

```
SessionClientError
├── StatusError
│   ├── ClientError
│   │   ├── BadRequestError            400
│   │   ├── UnauthorizedError          401
│   │   ├── ForbiddenError             403
│   │   ├── NotFoundError              404
│   │   ├── MethodNotAllowedError      405
│   │   ├── ConflictError              409
│   │   ├── PreconditionFailedError    412
│   │   └── TooManyRequestsError       429
│   └── ServerError
│       ├── InternalServerError        500
│       ├── MethodNotImplementedError  501
│       ├── ServiceUnavailableError    503
│       └── GatewayTimeoutError        504
├── MalformedResponseError
├── AmbiguousWriteError
├── TransportError
└── TaskError                          a polled task (202) did not succeed
    ├── TaskFailedError
    └── TaskTimeoutError
```
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx

from ._explain import explain

if TYPE_CHECKING:
    from ._etag import ETag
    from ._models import Session
    from ._views import Handle


class Attempt(NamedTuple):
    """One attempt of a call: what ended it and how long the client waited after it."""

    number: int
    cause: int | str
    """The HTTP status, or the name of the transport error."""
    wait: float
    """Seconds waited before the next attempt (0.0 after the last one)."""


def reason_phrase(status: int) -> str:
    """The standard reason phrase of a status, or '' for an unregistered one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class SessionClientError(Exception):
    """Base of every exception raised by sessionclient.

    Attributes: ``status`` (None when no response arrived), ``method``, ``url``,
    ``headers`` (of the response), ``message`` (the server's words, or ours),
    ``session`` (the current session when the body carried one), ``etag`` (its
    validator), ``retry_after`` (seconds the server asked to wait), ``attempts``,
    ``history`` (one ``Attempt`` per attempt), ``request_id`` (the service's
    correlation id, MPSD's ``X-XblCorrelationId``: quote it to support), ``debug``
    (Xbox Live's ``X-Xbl-Debug`` header, which names the reason of some refusals) and
    ``details`` (a JSON body that is not a session, such as a throttling report). ``handles``: for a
    call that creates several handles (``invite``), the ones created before it failed.
    """

    explanation_key = "error"
    handles: tuple[Handle, ...] = ()

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        url: str = "",
        headers: httpx.Headers | None = None,
        session: Session | None = None,
        etag: ETag | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
        debug: str | None = None,
        details: Any = None,
        explanation_key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.url = url
        self.headers = headers if headers is not None else httpx.Headers()
        self.session = session
        self.etag = etag
        self.retry_after = retry_after
        self.request_id = request_id
        self.debug = debug
        self.details = details
        self.attempts = 1
        self.history: tuple[Attempt, ...] = ()
        if explanation_key is not None:
            self.explanation_key = explanation_key

    @property
    def reason(self) -> str:
        """The reason phrase of ``status`` ('' without a status)."""
        return reason_phrase(self.status) if self.status is not None else ""

    def explain(self, lang: str = "en") -> str:
        """What happened and what to do next, in English, French or Korean ('en',
        'fr', 'ko'; a region such as 'fr-CA' is ignored); any other language is a
        ``ValueError``."""
        return explain(self.explanation_key, lang)

    def _head(self) -> str:
        if self.status is None:
            return type(self).__name__
        return f"{self.status} {self.reason}".rstrip()

    def __str__(self) -> str:
        text = self._head()
        if self.method or self.url:
            text += " on " + " ".join(part for part in (self.method, self.url) if part)
        text += f": {self.message or self.explain()}"
        if self.attempts > 1:
            text += f" after {self.attempts} attempts"
        if self.request_id:  # last, where support and a reader look for it
            text += f" (request id {self.request_id})"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> Any:
        # Keyword-only constructors do not pickle by default; errors cross process
        # boundaries in test runners and worker pools.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[SessionClientError], state: dict[str, Any]) -> SessionClientError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class StatusError(SessionClientError):
    """The server answered with a status that is an error for this call."""


class ClientError(StatusError):
    """A 4xx status: the request needs to change before it can succeed."""


class ServerError(StatusError):
    """A 5xx status: the service failed to handle a request that may be valid."""


class BadRequestError(ClientError):
    """400: the request is malformed or misses a required field."""


class UnauthorizedError(ClientError):
    """401: authorization is missing or expired (after one forced token refresh)."""


class ForbiddenError(ClientError):
    """403: authorization failed, or the session is readable but not writable by
    you (then ``.session`` holds it)."""


class NotFoundError(ClientError):
    """404: the URI, handle, SCID, template or session element does not exist."""


class MethodNotAllowedError(ClientError):
    """405: the verb is wrong for this URI; ``.allow`` lists the verbs that are not."""

    @property
    def allow(self) -> tuple[str, ...]:
        """The methods from the ``Allow`` header, upper-cased."""
        values = ",".join(self.headers.get_list("allow"))
        return tuple(m.strip().upper() for m in values.split(",") if m.strip())


class ConflictError(ClientError):
    """409: the request is incompatible with the session (constants, large sessions)."""


class PreconditionFailedError(ClientError):
    """412: If-Match / If-None-Match did not hold; ``.session`` and ``.etag`` are the
    current ones when the server sent them."""


class TooManyRequestsError(ClientError):
    """429: throttled; ``.retry_after`` says when to try again."""


class InternalServerError(ServerError):
    """500: the service failed unexpectedly."""


class MethodNotImplementedError(ServerError):
    """501: the service does not implement this functionality."""


class ServiceUnavailableError(ServerError):
    """503: overloaded or in maintenance; ``.retry_after`` says when to come back."""


class GatewayTimeoutError(ServerError):
    """504: a gateway gave up waiting for the service."""


class MalformedResponseError(SessionClientError):
    """The response does not hold what its status promises (for example a 200 whose
    body is HTML, truncated JSON, or larger than the configured cap)."""

    explanation_key = "malformed"


class AmbiguousWriteError(SessionClientError):
    """A retried conditional write got 412 after an earlier attempt that may have
    landed: the write may or may not be applied. ``.session`` is the current session
    (when the 412 carried it); compare it with what you wrote."""

    explanation_key = "ambiguous"


class TransportError(SessionClientError):
    """No usable response: connecting, sending or receiving failed or timed out.
    ``.sent`` tells whether the request may have reached the server; the httpx
    exception is the ``__cause__``."""

    explanation_key = "transport"

    def __init__(self, message: str, *, sent: bool, retryable: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.sent = sent
        self.retryable = retryable
        """False when sending again cannot help (the request could not be encoded)."""


class TaskError(SessionClientError):
    """A task started by a 202 did not succeed; ``.task`` is its last state."""

    def __init__(self, message: str, *, task: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.task = task


class TaskFailedError(TaskError):
    """The task finished and reported a failure (the message is the task's)."""

    explanation_key = "task.failed"


class TaskTimeoutError(TaskError):
    """The task had not finished when the caller's deadline came; it may still run."""

    explanation_key = "task.timeout"


BY_STATUS: dict[int, type[StatusError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    412: PreconditionFailedError,
    429: TooManyRequestsError,
    500: InternalServerError,
    501: MethodNotImplementedError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
}


def class_for_status(status: int) -> type[StatusError]:
    """The exception class of a status: its own, else the nearest ancestor."""
    if status in BY_STATUS:
        return BY_STATUS[status]
    if 400 <= status < 500:
        return ClientError
    if 500 <= status < 600:
        return ServerError
    return StatusError
