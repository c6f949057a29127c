"""The OpenTelemetry spans of a call, read back from the SDK's in-memory exporter:
one span per call, one per attempt, events for its waits, conflicts and refusals;
sync and async on asyncio and trio (the ``client`` fixture). And the package without
OpenTelemetry at all."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

import sessionclient as sc

from .conftest import BASE, REF, SCID, TOKEN, Both, FakeClock

otel_trace = pytest.importorskip("opentelemetry.trace")
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

CORRELATION = "4106d0bc-1cb3-47bd-83fd-57d041c6febe"
SESSION = {"members": {}, "properties": {"custom": {"map": "harbor-of-secrets"}}}
URL = f"{BASE}{REF.path}"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """A tracer provider exporting to memory, set as the global one for this test
    only (``set_tracer_provider`` works once per process; this undoes it after)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(otel_trace, "_TRACER_PROVIDER", provider)
    yield exporter
    provider.shutdown()


def finished(exporter: InMemorySpanExporter) -> tuple[ReadableSpan, list[ReadableSpan]]:
    """The one call span, and its attempt spans in order."""
    found = exporter.get_finished_spans()
    (call,) = [s for s in found if s.parent is None]
    assert call.context is not None
    attempts = [s for s in found if s.parent is not None]
    assert all(s.parent.span_id == call.context.span_id for s in attempts)  # type: ignore[union-attr]
    return call, sorted(attempts, key=lambda s: s.start_time or 0)


def events(span: ReadableSpan) -> list[tuple[str, dict[str, Any]]]:
    return [(e.name, dict(e.attributes or {})) for e in span.events]


def everything(exporter: InMemorySpanExporter) -> str:
    """Every name, attribute and event of every span, as one text."""
    parts = []
    for span in exporter.get_finished_spans():
        parts += [span.name, repr(dict(span.attributes or {})), repr(span.status.description)]
        parts += [repr(events(span))]
    return "\n".join(parts)


def assert_nothing_secret(exporter: InMemorySpanExporter) -> None:
    text = everything(exporter)
    assert TOKEN not in text
    assert "harbor-of-secrets" not in text  # no session document


def test_a_call_that_succeeds_at_once(
    client: Both, router: respx.Router, spans: InMemorySpanExporter
) -> None:
    router.get(REF.path).respond(
        200, json=SESSION, headers={"ETag": '"v1"', "X-XblCorrelationId": CORRELATION}
    )
    assert isinstance(client.get(REF), sc.Session)
    call, attempts = finished(spans)
    assert call.name == "sessionclient get"
    assert call.kind is otel_trace.SpanKind.CLIENT
    assert dict(call.attributes or {}) == {
        "sessionclient.operation": "get",
        "sessionclient.attempts": 1,
        "sessionclient.outcome": "Session",
        "sessionclient.waited": 0.0,
        "sessionclient.scid": SCID,
        "sessionclient.template": "lobby",
        "sessionclient.request_id": CORRELATION,
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "url.full": URL,
    }
    assert call.status.status_code is otel_trace.StatusCode.UNSET
    assert events(call) == []
    (attempt,) = attempts
    assert attempt.name == "GET attempt"
    assert dict(attempt.attributes or {}) == {
        "http.request.method": "GET",
        "url.full": URL,
        "sessionclient.attempt": 1,
        "http.response.status_code": 200,
        "sessionclient.request_id": CORRELATION,
    }
    assert_nothing_secret(spans)


def test_a_call_retried_after_a_429_with_retry_after(
    client: Both, router: respx.Router, spans: InMemorySpanExporter, clock: FakeClock
) -> None:
    router.get(REF.path).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}, json={"message": "slow down"}),
            httpx.Response(200, json=SESSION, headers={"ETag": '"v1"'}),
        ]
    )
    assert isinstance(client.get(REF), sc.Session)
    call, (first, second) = finished(spans)
    attributes = dict(call.attributes or {})
    assert attributes["sessionclient.attempts"] == 2
    assert attributes["sessionclient.outcome"] == "Session"
    assert attributes["http.response.status_code"] == 200
    assert attributes["sessionclient.waited"] == pytest.approx(sum(clock.sleeps))
    (wait,) = events(call)
    assert wait[0] == "sessionclient.wait"
    assert wait[1]["sessionclient.wait.reason"] == "retry-after"
    assert 3 <= wait[1]["sessionclient.wait.seconds"] < 3.1
    assert first.attributes is not None
    assert second.attributes is not None
    assert first.attributes["http.response.status_code"] == 429
    assert first.attributes["error.type"] == "429"
    assert first.status.status_code is otel_trace.StatusCode.ERROR
    assert second.attributes["http.request.resend_count"] == 1
    assert second.attributes["sessionclient.attempt"] == 2
    # On the client's clock: the second attempt starts after the wait.
    assert second.start_time is not None
    assert first.end_time is not None
    assert (second.start_time - first.end_time) / 1e9 >= 3
    assert call.end_time is not None
    assert call.start_time is not None
    assert (call.end_time - call.start_time) / 1e9 == pytest.approx(sum(clock.sleeps))
    assert_nothing_secret(spans)


def test_a_back_off_wait_says_so(
    client: Both, router: respx.Router, spans: InMemorySpanExporter
) -> None:
    router.get(REF.path).mock(side_effect=[httpx.Response(500), httpx.Response(204)])
    assert client.get(REF) is None
    call, attempts = finished(spans)
    assert [e[1]["sessionclient.wait.reason"] for e in events(call)] == ["backoff"]
    assert dict(call.attributes or {})["sessionclient.outcome"] == "NoneType"
    assert len(attempts) == 2


def test_a_call_refused_by_the_gate(
    client: Both, router: respx.Router, spans: InMemorySpanExporter
) -> None:
    route = router.get(REF.path).respond(429, headers={"Retry-After": "30"})
    policy = sc.RetryPolicy(max_attempts=1, throttle="fail")
    with pytest.raises(sc.TooManyRequestsError):
        client.get(REF, retry=policy)
    spans.clear()
    with pytest.raises(sc.TooManyRequestsError) as caught:
        client.get(REF, retry=policy)
    assert route.call_count == 1
    call, attempts = finished(spans)
    assert attempts == []  # nothing was sent
    attributes = dict(call.attributes or {})
    assert attributes["sessionclient.attempts"] == 0
    assert attributes["sessionclient.outcome"] == "TooManyRequestsError"
    assert attributes["error.type"] == "429"
    assert attributes["url.full"] == URL
    assert call.status.status_code is otel_trace.StatusCode.ERROR
    assert call.status.description == str(caught.value)
    ((name, event),) = events(call)
    assert name == "sessionclient.gate.refused"
    assert 29 < event["sessionclient.retry_after"] <= 30
    assert_nothing_secret(spans)


def test_a_call_held_by_the_gate_shows_the_wait(
    client: Both, router: respx.Router, spans: InMemorySpanExporter
) -> None:
    router.get(REF.path).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "4"}), httpx.Response(204)]
    )
    with pytest.raises(sc.TooManyRequestsError):
        client.get(REF, retry=sc.RetryPolicy.never())
    spans.clear()
    assert client.get(REF) is None
    call, attempts = finished(spans)
    reasons = [e[1]["sessionclient.wait.reason"] for e in events(call)]
    assert set(reasons) == {"gate"}
    assert dict(call.attributes or {})["sessionclient.waited"] >= 4
    assert len(attempts) == 1


def test_an_update_that_resolves_two_conflicts(
    client: Both, router: respx.Router, spans: InMemorySpanExporter
) -> None:
    def version(n: int, status: int = 200) -> httpx.Response:
        document = {**SESSION, "properties": {"custom": {"map": "harbor-of-secrets", "n": n}}}
        return httpx.Response(status, json=document, headers={"ETag": f'"v{n}"'})

    router.get(REF.path).mock(return_value=version(1))
    router.put(REF.path).mock(side_effect=[version(2, 412), version(3, 412), version(4)])

    def bump(session: sc.Session | None) -> dict[str, Any]:
        assert session is not None
        return {"properties": {"custom": {"n": session.custom_properties["n"] + 1}}}

    result = client.update(REF, bump)
    assert isinstance(result, sc.Session)
    call, attempts = finished(spans)
    assert call.name == "sessionclient update"
    attributes = dict(call.attributes or {})
    assert attributes["sessionclient.conflicts"] == 2
    assert attributes["sessionclient.attempts"] == 4
    assert attributes["sessionclient.outcome"] == "Session"
    assert attributes["http.request.method"] == "PUT"
    assert attributes["http.response.status_code"] == 200
    names = [name for name, _ in events(call)]
    assert names == ["sessionclient.conflict", "sessionclient.wait"] * 2
    assert [e["sessionclient.wait.reason"] for n, e in events(call) if n.endswith("wait")] == [
        "conflict",
        "conflict",
    ]
    assert [(a.attributes or {}).get("http.response.status_code") for a in attempts] == [
        200,
        412,
        412,
        200,
    ]
    assert [(a.attributes or {})["http.request.method"] for a in attempts] == [
        "GET",
        "PUT",
        "PUT",
        "PUT",
    ]
    assert_nothing_secret(spans)


def test_the_call_span_is_current_while_it_sends(
    client: Both, router: respx.Router, spans: InMemorySpanExporter
) -> None:
    """So that httpx's own instrumentation, when installed, nests under it."""
    current: list[Any] = []

    def answer(_: httpx.Request) -> httpx.Response:
        current.append(otel_trace.get_current_span().get_span_context())
        return httpx.Response(204)

    router.get(REF.path).mock(side_effect=answer)
    client.get(REF)
    call, _ = finished(spans)
    assert current == [call.get_span_context()]
    assert not otel_trace.get_current_span().get_span_context().is_valid  # detached after


def test_the_token_and_document_stay_out_of_every_span(
    client: Both,
    router: respx.Router,
    spans: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Errors that quote the request or the session still leave no secret in a span."""
    router.put(REF.path).mock(
        side_effect=[
            httpx.Response(400, text=f"bad header XBL3.0 x=1;{TOKEN}"),
            httpx.Response(412, json=SESSION, headers={"ETag": '"v9"'}),
        ]
    )
    for _ in range(2):
        with pytest.raises(sc.SessionClientError):
            client.put(REF, {"properties": {"custom": {"map": "harbor-of-secrets"}}})
    # A server that echoes the token as its correlation id, on a success.
    router.get(REF.path).respond(200, json=SESSION, headers={"X-XblCorrelationId": TOKEN})
    caplog.set_level(logging.DEBUG, logger="sessionclient")
    client.get(REF)
    assert len(spans.get_finished_spans()) == 6
    assert_nothing_secret(spans)
    assert caplog.records
    assert not [r for r in caplog.records if TOKEN in r.getMessage()]


def test_a_provider_set_after_the_client_was_made_is_used(
    client: Both, router: respx.Router, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Applications configure OpenTelemetry in main(), after modules made their clients:
    a call made before traces nothing, a call made after is traced."""
    router.get(REF.path).respond(204)
    client.get(REF)  # no provider yet: the API's proxy, nothing recorded anywhere
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(otel_trace, "_TRACER_PROVIDER", provider)
    client.get(REF)
    assert [s.name for s in exporter.get_finished_spans()] == ["GET attempt", "sessionclient get"]


SCRIPT = """
import json, logging, sys
sys.modules["opentelemetry"] = None  # as if the extra were not installed
import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID, Emulator

records = []
handler = logging.Handler()
handler.emit = records.append
logging.getLogger("sessionclient").addHandler(handler)
logging.getLogger("sessionclient").setLevel(logging.DEBUG)
seen = []
policy = sc.RetryPolicy(on_attempt=seen.append)
with sc.SessionClient(auth="XBL3.0 x=1;t", transport=Emulator().transport(), retry=policy) as c:
    ref = sc.SessionRef(DEFAULT_SCID, "lobby", "x")
    created = c.create(ref, {})
print(json.dumps({
    "created": created.created,
    "attempts": [list(a) for a in seen],
    "log": [r.getMessage() for r in records],
    "otel": [m for m in sys.modules if m.startswith("opentelemetry") and sys.modules[m]],
}))
"""


def test_the_package_works_without_opentelemetry() -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["created"] is True
    assert out["attempts"] == [[1, 201, 0.0]]
    assert out["otel"] == []
    assert any(line.startswith("create PUT /serviceconfigs/") for line in out["log"])


def test_query_values_never_reach_a_span(
    make_client: Any, router: respx.Router, spans: InMemorySpanExporter
) -> None:
    """Issue 24.5: OpenTelemetry's semantic conventions ask that ``url.full`` not carry
    credentials; query values (``sig``, ``access_token``) are replaced, keys kept."""
    router.get("/blobs/1").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "1"}, text="busy"),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    client = make_client(httpx.MockTransport(router.handler), resource=True)
    client.get("/blobs/1", params={"sig": "s1gnature-value", "access_token": "acc3ss-value"})
    call, attempts = finished(spans)
    assert len(attempts) == 2
    redacted = f"{BASE}/blobs/1?sig=REDACTED&access_token=REDACTED"
    assert {dict(s.attributes or {})["url.full"] for s in (call, *attempts)} == {redacted}
    text = everything(spans)
    assert "s1gnature-value" not in text
    assert "acc3ss-value" not in text
