"""The request each call sends, what is refused before sending, and how statuses the
table lacks or bodies that break its promises come back."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
import respx

import sessionclient as sc

from .conftest import BASE, REF, Both, MakeClient

NEVER = sc.RetryPolicy.never()


def sent(route: respx.Route) -> httpx.Request:
    assert route.call_count == 1
    return route.calls.last.request


def test_default_headers(client: Both, router: respx.Router) -> None:
    route = router.get(REF.path).respond(204)
    assert client.get(REF) is None
    headers = sent(route).headers
    assert headers["x-xbl-contract-version"] == "107"
    assert headers["accept"] == "application/json"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == f"sessionclient/{sc.__version__}"
    assert headers["authorization"].startswith("XBL3.0 x=2533274790395904;")
    assert "if-match" not in headers
    assert "if-none-match" not in headers


def test_contract_version_is_configurable(make_client: MakeClient, router: respx.Router) -> None:
    client = make_client(httpx.MockTransport(router.handler), contract_version=105)
    route = router.get(REF.path).respond(204)
    client.get(REF)
    assert sent(route).headers["x-xbl-contract-version"] == "105"


@pytest.mark.parametrize(
    ("kwargs", "header", "value"),
    [
        ({"if_match": sc.ETag.parse('"0x8D9A!"')}, "if-match", '"0x8D9A!"'),
        ({"if_match": '"plain-str"'}, "if-match", '"plain-str"'),
        ({"if_match": sc.ANY}, "if-match", "*"),
        ({"if_none_match": sc.ANY}, "if-none-match", "*"),
    ],
)
def test_conditional_headers_are_sent_exactly(
    client: Both, router: respx.Router, kwargs: dict[str, Any], header: str, value: str
) -> None:
    route = router.put(REF.path).respond(200, json={}, headers={"ETag": '"n"'})
    client.put(REF, {"properties": {"custom": {"a": 1}}}, **kwargs)
    request = sent(route)
    assert request.headers[header] == value
    assert json.loads(request.content) == {"properties": {"custom": {"a": 1}}}


@pytest.mark.parametrize("tag", ['W/"abc"', '"abc"', "*"])
def test_if_none_match_on_get_is_sent_exactly(client: Both, router: respx.Router, tag: str) -> None:
    route = router.get(REF.path).respond(304, headers={"ETag": '"abc"'})
    result = client.get(REF, if_none_match=tag)
    assert result == sc.NotModified(REF, sc.ETag('"abc"'))
    assert sent(route).headers["if-none-match"] == tag


@pytest.mark.parametrize(
    ("op", "args", "kwargs", "error", "match"),
    [
        ("put", (REF, {}), {"if_match": 'W/"1"'}, ValueError, "strong"),
        ("delete", (REF,), {"if_match": 'W/"1"'}, ValueError, "strong"),
        ("put", (REF, {}), {"if_match": '"1"', "if_none_match": "*"}, ValueError, "not both"),
        ("put", (REF, {}), {"if_none_match": '"1"'}, ValueError, "create only"),
        ("put", (REF, {}), {"if_match": "1"}, ValueError, "entity tag"),
        ("put", (REF, {}), {"if_match": 1}, TypeError, "if_match"),
        ("put", (REF, []), {}, TypeError, "mapping"),
        ("put", (REF, {"a": math.nan}), {}, ValueError, "JSON"),
        ("put", (REF, {"a": {1, 2}}), {}, TypeError, "JSON"),
        ("get", ("not a ref",), {}, TypeError, "SessionRef"),
        ("get_element", (REF, "members/me/../.."), {}, ValueError, "invalid element"),
        ("put_element", (REF, "constants", {}), {}, ValueError, "invalid element"),
    ],
)
def test_bad_input_is_refused_before_sending(
    client: Both,
    router: respx.Router,
    op: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    route = router.route().respond(200)
    with pytest.raises(error, match=match):
        getattr(client, op)(*args, **kwargs)
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (302, sc.StatusError),
        (401, sc.UnauthorizedError),
        (418, sc.ClientError),
        (451, sc.ClientError),
        (500, sc.InternalServerError),
        (501, sc.MethodNotImplementedError),
        (502, sc.ServerError),
        (504, sc.GatewayTimeoutError),
        (599, sc.ServerError),
        (206, sc.StatusError),
        (101, sc.StatusError),
    ],
)
def test_statuses_without_a_row_raise_the_nearest_class(
    client: Both, router: respx.Router, status: int, cls: type[sc.StatusError]
) -> None:
    route = router.get(REF.path).respond(
        status, headers={"Location": "https://elsewhere.example/x"}, text="odd"
    )
    with pytest.raises(sc.StatusError) as caught:
        client.get(REF, retry=NEVER)
    assert type(caught.value) is cls
    assert caught.value.status == status
    assert route.call_count == 1  # redirects are not followed; a fixed token is not resent


@pytest.mark.parametrize(
    ("headers", "body", "found"),
    [
        ({"Content-Type": "text/html"}, b"<html><title>Proxy error</title></html>", "Proxy error"),
        ({"Content-Type": "application/json"}, b'{"members": ', "invalid JSON"),
        ({"Content-Type": "application/json"}, b"[1, 2]", "JSON list"),
        ({"Content-Type": "application/json"}, b"", "empty body"),
        ({"Content-Type": "application/json"}, b'{"a": NaN}', "invalid JSON"),
        ({"Content-Type": "application/json"}, b"[" * 100_000, "invalid JSON"),
        ({}, b'{"members": {}}', "no content type"),
    ],
)
def test_a_200_that_breaks_its_promise_is_malformed(
    client: Both, router: respx.Router, headers: dict[str, str], body: bytes, found: str
) -> None:
    router.get(REF.path).respond(200, headers=headers, content=body)
    with pytest.raises(sc.MalformedResponseError, match=found) as caught:
        client.get(REF)
    assert caught.value.status == 200
    assert caught.value.url == BASE + REF.path


def test_304_without_if_none_match_is_malformed(client: Both, router: respx.Router) -> None:
    router.get(REF.path).respond(304)
    with pytest.raises(sc.MalformedResponseError, match="If-None-Match"):
        client.get(REF)


def test_error_text_names_status_method_url_message_and_request_id(
    client: Both, router: respx.Router
) -> None:
    router.put(REF.path).respond(
        409,
        text="constants conflict",
        headers={"X-Request-Id": "req-77", "Content-Type": "text/plain"},
    )
    with pytest.raises(sc.ConflictError) as caught:
        client.put(REF, {})
    error = caught.value
    assert str(error) == (
        f"409 Conflict on PUT {BASE}{REF.path}: constants conflict (request id req-77)"
    )
    assert error.request_id == "req-77"
    assert error.method == "PUT"
    assert error.headers["x-request-id"] == "req-77"


def test_html_error_page_gives_a_readable_message(client: Both, router: respx.Router) -> None:
    page = (
        "<html><head><style>p{}</style><title>502 Bad Gateway</title></head>"
        "<body>nginx</body></html>"
    )
    router.get(REF.path).respond(502, text=page, headers={"Content-Type": "text/html"})
    with pytest.raises(sc.ServerError) as caught:
        client.get(REF, retry=NEVER)
    assert caught.value.message == "nginx"  # the status line is printed once, not twice


def test_content_location_cannot_rename_a_named_session(client: Both, router: respx.Router) -> None:
    other = sc.SessionRef(REF.scid, "lobby", "resolved")
    router.get(REF.path).respond(
        200, json={}, headers={"Content-Location": other.path, "ETag": '"e"'}
    )
    session = client.get(REF)
    assert session is not None
    assert session.ref == REF  # issue 24.2: the session asked for, never another one


def test_missing_etag_on_a_200_leaves_etag_none(client: Both, router: respx.Router) -> None:
    router.get(REF.path).respond(200, json={"members": {}})
    session = client.get(REF)
    assert session is not None
    assert session.etag is None


def test_context_manager_closes_the_pool(kind: str, loop: Any) -> None:
    if kind == "sync":
        with sc.SessionClient() as sync_client:
            pass
        assert sync_client._http.is_closed
    else:

        async def scenario() -> sc.AsyncSessionClient:
            async with sc.AsyncSessionClient() as async_client:
                pass
            return async_client

        assert loop.run_until_complete(scenario())._http.is_closed


def test_default_timeout_is_sent_with_each_request(client: Both, router: respx.Router) -> None:
    route = router.get(REF.path).respond(204)
    client.get(REF, retry=sc.RetryPolicy(deadline=None))
    timeout = sent(route).extensions["timeout"]
    assert timeout == {"connect": 5.0, "read": 10.0, "write": 10.0, "pool": 10.0}


def test_construction_is_validated() -> None:
    with pytest.raises(ValueError, match="http"):
        sc.SessionClient("ftp://x")
    with pytest.raises(TypeError, match="RetryPolicy"):
        sc.SessionClient(retry=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="insecure_skip_tls_verify"):
        sc.SessionClient(verify=False)  # type: ignore[arg-type]
    assert repr(sc.SessionClient(BASE)) == f"SessionClient(base_url='{BASE}')"


@pytest.mark.parametrize(
    ("cls", "transport"),
    [
        (sc.SessionClient, ...),
        (sc.SessionClient, httpx.AsyncHTTPTransport()),  # the async kind, to a sync client
        (sc.AsyncSessionClient, httpx.HTTPTransport()),
        (sc.AsyncSessionClient, "http://127.0.0.1:9"),
    ],
)
def test_a_transport_that_is_not_an_httpx_transport_is_refused(cls: Any, transport: Any) -> None:
    with pytest.raises(TypeError, match="transport"):
        cls(BASE, transport=transport)


def test_a_resource_client_refuses_a_bad_transport_too() -> None:
    with pytest.raises(TypeError, match="transport"):
        sc.ResourceClient(BASE, profile="contacts", transport=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="transport"):
        sc.AsyncResourceClient(BASE, profile="tasks", transport=...)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("base_url", "quoted"),
    [("ftp://example.test", "'ftp://example.test'"), ("http://", "'http://'"),
     ("https://user:hunter2@example.test/x", "'https://example.test/x'")],
)  # fmt: skip
def test_a_bad_base_url_is_quoted_without_its_credentials(base_url: str, quoted: str) -> None:
    with pytest.raises(ValueError, match="base_url") as refused:
        sc.SessionClient(base_url)
    assert quoted in str(refused.value)
    assert "hunter2" not in str(refused.value)
