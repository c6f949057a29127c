"""The generic ``rest`` profile (RFC 9110 defaults) and what goes with it: the
``ResourceClient`` default, a custom profile from public names only, the conditions of
put/delete, 2xx statuses no row knows, messages of HTML and text bodies, explanations
that fit the condition sent, weak ETags and bad base URLs."""

from __future__ import annotations

import inspect
import io
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import sessionclient as sc
from sessionclient._cli import main

from .conftest import BASE, REF, SCID, MakeClient

NEVER = sc.RetryPolicy.never()
JSON = {"Content-Type": "application/json"}
WHEN = datetime(2009, 2, 13, 23, 31, 30, tzinfo=timezone.utc)
APACHE_201 = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN">\n<html>\n<head>\n'
    "<title>201 Created</title>\n</head><body>\n<h1>Created</h1>\n"
    "<p>Resource /x.json has been created.</p>\n</body></html>\n"
)
APACHE_412 = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN">\n<html><head>\n'
    "<title>412 Precondition Failed</title>\n</head><body>\n<h1>Precondition Failed</h1>\n"
    "<p>The precondition on the request for this URL evaluated to false.</p>\n</body></html>\n"
)
HTML = {"Content-Type": "text/html; charset=iso-8859-1"}


@pytest.fixture
def rest(make_client: MakeClient, router: respx.Router) -> Any:
    """A resource client with no profile given: the default."""
    return make_client(httpx.MockTransport(router.handler), resource=True, retry=NEVER)


# --- item 6: the rest profile -----------------------------------------------------------


SUCCESSES = [
    ("get", httpx.Response(200, headers={**JSON, "ETag": '"a"'}, json={"a": 1}),
     sc.Resource("/x", sc.ETag('"a"'), None, {"a": 1})),
    ("get", httpx.Response(200, headers={"Content-Type": "text/plain"}, text="hi"),
     sc.Resource("/x", None, None, "hi")),
    ("get", httpx.Response(200, headers={"Content-Type": "image/png"}, content=b"\x89PNG"),
     sc.Resource("/x", None, None, b"\x89PNG")),
    ("put", httpx.Response(201, headers={**HTML, "Location": f"{BASE}/x"}, text=APACHE_201),
     sc.Created("/x", f"{BASE}/x", None, APACHE_201)),
    ("put", httpx.Response(201), sc.Created("/x", None, None, None)),
    ("put", httpx.Response(202, text="queued"), sc.Accepted("/x", "queued")),
    ("get", httpx.Response(203, headers=JSON, json=[1]), sc.Resource("/x", None, None, [1], 203)),
    ("put", httpx.Response(204), sc.NoContent("/x")),
    ("delete", httpx.Response(204), sc.NoContent("/x")),
    ("get", httpx.Response(206, headers=JSON, json=[2]), sc.PartialContent("/x", None, [2])),
    ("get", httpx.Response(304, headers={"ETag": '"a"'}), sc.NotModified("/x", sc.ETag('"a"'))),
]  # fmt: skip


@pytest.mark.parametrize(("method", "answer", "expected"), SUCCESSES)
def test_rest_successes_are_results(
    rest: Any, router: respx.Router, method: str, answer: httpx.Response, expected: Any
) -> None:
    router.route().mock(return_value=answer)
    args = ({"a": 1},) if method == "put" else ()
    assert getattr(rest, method)("/x", *args) == expected


ERRORS = [
    (400, sc.BadRequestError), (401, sc.UnauthorizedError), (403, sc.ForbiddenError),
    (404, sc.NotFoundError), (405, sc.MethodNotAllowedError), (409, sc.ConflictError),
    (410, sc.ClientError), (412, sc.PreconditionFailedError), (422, sc.ClientError),
    (429, sc.TooManyRequestsError), (500, sc.InternalServerError),
    (501, sc.MethodNotImplementedError), (502, sc.ServerError),
    (503, sc.ServiceUnavailableError), (504, sc.GatewayTimeoutError),
]  # fmt: skip


@pytest.mark.parametrize(("status", "cls"), ERRORS)
def test_rest_errors_raise_their_class(
    rest: Any, router: respx.Router, status: int, cls: type[sc.StatusError]
) -> None:
    router.route().mock(return_value=httpx.Response(status, text="no"))
    with pytest.raises(sc.StatusError) as caught:
        rest.get("/x")
    assert type(caught.value) is cls
    assert caught.value.message == "no"
    for lang in ("en", "fr", "ko"):
        assert caught.value.explain(lang) != sc.SessionClientError("x").explain(lang)


@pytest.mark.parametrize("status", [429, 503])
def test_rest_retries_throttling_for_any_method(
    make_client: MakeClient, router: respx.Router, status: int
) -> None:
    client = make_client(httpx.MockTransport(router.handler), resource=True)
    route = router.route().mock(
        side_effect=[httpx.Response(status, headers={"Retry-After": "1"}), httpx.Response(201)]
    )
    assert client.post("/x", {}) == sc.Created("/x", None, None, None)
    assert route.call_count == 2


def test_rest_is_the_default_and_the_profiles_are_read_only() -> None:
    assert sc.PROFILES["rest"] is sc.REST
    assert inspect.signature(sc.ResourceClient).parameters["profile"].default == "rest"
    assert inspect.signature(sc.AsyncResourceClient).parameters["profile"].default == "rest"
    with pytest.raises(TypeError):
        sc.PROFILES["mine"] = sc.REST  # type: ignore[index]


def test_a_custom_profile_needs_only_public_names(
    make_client: MakeClient, router: respx.Router
) -> None:
    mine = sc.Profile(
        name="mine",
        title="A service that answers 299 with a JSON document",
        rows=(
            sc.Row(299, sc.Kind.DOCUMENT, sc.Body.RESOURCE, sc.Media.JSON, "rest.200"),
            sc.Row(404, sc.Kind.ERROR, sc.Body.MESSAGE, sc.Media.TEXT, "rest.404",
                   target=sc.Target.RESOURCE),
        ),
    )  # fmt: skip
    client = make_client(httpx.MockTransport(router.handler), resource=True, profile=mine)
    router.get("/a").mock(return_value=httpx.Response(299, json={"ok": True}))
    router.get("/b").mock(return_value=httpx.Response(404, text="gone"))
    assert client.get("/a") == sc.Resource("/a", None, None, {"ok": True}, 299)
    with pytest.raises(sc.NotFoundError, match="gone"):
        client.get("/b")
    assert {"Row", "Kind", "Body", "Media", "Target", "REST"} <= set(sc.__all__)


# --- item 7: conditions of put and delete ------------------------------------------------


def test_put_and_delete_take_the_conditions_rfc_9110_allows(
    rest: Any, router: respx.Router
) -> None:
    route = router.route().mock(return_value=httpx.Response(204))
    rest.put("/x", {}, if_none_match=sc.ANY)
    rest.put("/x", {}, if_match='"a"')
    rest.put("/x", {}, if_unmodified_since=WHEN)
    rest.delete("/x", if_match='"a"')
    rest.delete("/x", if_unmodified_since=WHEN)
    sent = [
        {k: v for k, v in call.request.headers.items() if k.startswith("if-")}
        for call in route.calls
    ]
    when = "Fri, 13 Feb 2009 23:31:30 GMT"
    assert sent == [{"if-none-match": "*"}, {"if-match": '"a"'}, {"if-unmodified-since": when},
                    {"if-match": '"a"'}, {"if-unmodified-since": when}]  # fmt: skip


def test_conditions_rfc_9110_ignores_are_refused(rest: Any, router: respx.Router) -> None:
    route = router.route().mock(return_value=httpx.Response(204))
    with pytest.raises(ValueError, match="only takes ANY"):
        rest.put("/x", {}, if_none_match='"a"')
    with pytest.raises(ValueError, match="GET and HEAD"):
        rest.request("PUT", "/x", json={}, if_modified_since=WHEN)
    assert route.call_count == 0


def test_request_options_are_typed() -> None:
    for cls in (sc.ResourceClient, sc.AsyncResourceClient):
        kinds = {p.kind for p in inspect.signature(cls.request).parameters.values()}
        assert inspect.Parameter.VAR_KEYWORD not in kinds


# --- item 8: a 2xx no row knows ---------------------------------------------------------


def test_a_2xx_without_a_row_is_a_result(make_client: MakeClient, router: respx.Router) -> None:
    client = make_client(httpx.MockTransport(router.handler), resource=True, profile="contacts")
    router.get("/x").mock(return_value=httpx.Response(203, headers=JSON, json={"a": 1}))
    router.put("/x").mock(return_value=httpx.Response(200, text="stored"))
    assert client.get("/x") == sc.Resource("/x", None, None, {"a": 1}, 203)
    assert client.put("/x", {}) == sc.Resource("/x", None, None, "stored", 200)


def test_a_session_call_still_raises_the_nearest_class_for_a_2xx_without_a_row(
    make_client: MakeClient, router: respx.Router
) -> None:
    # A session call's result (Session | NotModified | None) has no place for it.
    client = make_client(httpx.MockTransport(router.handler))
    router.get(REF.path).mock(return_value=httpx.Response(203, json={"members": {}}))
    with pytest.raises(sc.StatusError) as caught:
        client.get(REF)
    assert type(caught.value) is sc.StatusError
    assert caught.value.status == 203


# --- item 11: messages of HTML and text bodies ------------------------------------------


def test_markup_is_stripped_only_from_html(rest: Any, router: respx.Router) -> None:
    text = "expected: Authorization: <scheme> <credentials>"
    router.get("/t").mock(return_value=httpx.Response(401, text=text))
    router.get("/h").mock(return_value=httpx.Response(412, headers=HTML, text=APACHE_412))
    with pytest.raises(sc.UnauthorizedError) as plain:
        rest.get("/t")
    assert plain.value.message == text
    with pytest.raises(sc.PreconditionFailedError) as html:
        rest.get("/h")
    assert html.value.message == "The precondition on the request for this URL evaluated to false."
    assert str(html.value).count("Precondition Failed") == 1


def test_an_html_page_that_only_repeats_its_status_has_no_message(
    rest: Any, router: respx.Router
) -> None:
    page = "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body>"
    router.get("/x").mock(return_value=httpx.Response(404, headers=HTML, text=page + "</html>"))
    with pytest.raises(sc.NotFoundError) as caught:
        rest.get("/x")
    assert "Not Found" not in caught.value.message


# --- item 13: the 412 explanation fits the condition sent --------------------------------


@pytest.mark.parametrize(
    ("condition", "mentions", "not_mentions"),
    [
        ({"if_none_match": sc.ANY}, "If-None-Match", "If-Unmodified-Since"),
        ({"if_match": '"a"'}, "If-Match", "If-Unmodified-Since"),
        ({"if_unmodified_since": WHEN}, "If-Unmodified-Since", "If-None-Match"),
    ],
)
@pytest.mark.parametrize("profile", ["contacts", "rest"])
def test_412_explanation_fits_the_condition(
    make_client: MakeClient,
    router: respx.Router,
    profile: str,
    condition: dict[str, Any],
    mentions: str,
    not_mentions: str,
) -> None:
    client = make_client(httpx.MockTransport(router.handler), resource=True, profile=profile)
    router.route().mock(return_value=httpx.Response(412, text="no"))
    with pytest.raises(sc.PreconditionFailedError) as caught:
        client.put("/x", {}, **condition)
    for lang in ("en", "fr", "ko"):
        assert mentions in caught.value.explain(lang)
        assert not_mentions not in caught.value.explain(lang)


# --- item 5: weak ETags in If-Match -----------------------------------------------------


def test_a_weak_etag_in_if_match_says_what_to_do(rest: Any, router: respx.Router) -> None:
    route = router.route().mock(return_value=httpx.Response(204))
    with pytest.raises(ValueError, match="weak") as caught:
        rest.put("/x", {}, if_match='W/"7-66119ed693bee"')
    message = str(caught.value)
    assert 'W/"7-66119ed693bee"' in message
    assert "read" in message
    assert "settled" in message
    assert "if_unmodified_since" in message
    assert route.call_count == 0


# --- item 12: a bad base URL ------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://[::1", "http://", "http://h:99999", "ftp://h"])
@pytest.mark.parametrize(
    "cls", [sc.SessionClient, sc.AsyncSessionClient, sc.ResourceClient, sc.AsyncResourceClient]
)
def test_a_bad_base_url_is_a_value_error_naming_it(cls: Any, url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        cls(url)


def test_the_cli_refuses_a_bad_base_url_in_one_line() -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["get", f"{SCID}/lobby/x", "--base-url", "http://[::1", "--token", "XBL3.0 x=1;t"]
    code = main(argv, stdout=out, stderr=err)
    assert code == 2
    assert err.getvalue().count("\n") == 1
    assert "base_url" in err.getvalue() or "base-url" in err.getvalue()


def test_the_docs_custom_profile_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    page = (Path(__file__).parent.parent / "docs" / "rest.md").read_text()
    blocks = [b.split("```", 1)[0] for b in page.split("```python\n")[1:]]
    (block,) = [b for b in blocks if "sc.Profile(" in b]
    exec(compile(block, "docs/rest.md", "exec"), {})
    assert "If-Match" in capsys.readouterr().out


# --- issue 25, item 6: bodies other than JSON, results typed by method, one name ------


@pytest.mark.parametrize(
    ("method", "kwargs", "body", "content_type"),
    [
        ("put", {"content": b"\x00\x01png"}, b"\x00\x01png", "application/octet-stream"),
        ("put", {"content": "héllo"}, "héllo".encode(), "text/plain; charset=utf-8"),
        ("post", {"content": "<a/>", "content_type": "application/xml"}, b"<a/>",
         "application/xml"),
        ("post", {"json": {"a": 1}, "content_type": "application/merge-patch+json"},
         b'{"a":1}', "application/merge-patch+json"),
    ],
)  # fmt: skip
def test_a_body_is_bytes_text_or_json_with_its_type(
    rest: Any, router: respx.Router, method: str, kwargs: dict[str, Any], body: bytes,
    content_type: str,
) -> None:  # fmt: skip
    route = router.route().respond(204)
    assert getattr(rest, method)("/x", **kwargs) == sc.NoContent("/x")
    sent = route.calls.last.request
    assert sent.content == body
    assert sent.headers["content-type"] == content_type


@pytest.mark.parametrize(
    "kwargs",
    [{"json": {"a": 1}, "content": b"x"}, {"content": 3}, {"content_type": "text/plain"},
     {"content": b"x", "content_type": "text/plain\r\nX-Evil: 1"}],
)  # fmt: skip
def test_a_body_that_cannot_be_sent_is_refused_before_sending(
    rest: Any, router: respx.Router, kwargs: dict[str, Any]
) -> None:
    route = router.route().respond(204)
    with pytest.raises((TypeError, ValueError)):
        rest.post("/x", **kwargs)
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("method", "answer"),
    [("get", httpx.Response(201)), ("put", httpx.Response(304)),
     ("delete", httpx.Response(206, json=[1]))],
)  # fmt: skip
def test_a_status_that_cannot_answer_the_method_is_malformed(
    rest: Any, router: respx.Router, method: str, answer: httpx.Response
) -> None:
    """A result is typed by its method (a GET never returns ``Created``), and holds."""
    router.route().mock(return_value=answer)
    args = ({"a": 1},) if method == "put" else ()
    with pytest.raises(sc.MalformedResponseError, match="not a valid answer"):
        getattr(rest, method)("/x", *args)


def test_every_resource_result_names_its_path() -> None:
    etag = sc.ETag('"a"')
    for result in (sc.Resource("/x", etag, None, 1), sc.Created("/x", None, etag),
                   sc.NotModified("/x", etag), sc.Accepted("/x"), sc.NoContent("/x"),
                   sc.PartialContent("/x", etag, [])):  # fmt: skip
        assert result.path == "/x"
    assert sc.NotModified(REF, etag).path == REF.path


def test_get_and_put_are_typed_by_what_they_can_return() -> None:
    get = str(inspect.signature(sc.ResourceClient.get).return_annotation)
    put = str(inspect.signature(sc.ResourceClient.put).return_annotation)
    assert "ReadResult" in get
    assert "WriteResult" in put
    assert sc.Created not in sc._resource.ReadResult.__args__
    assert sc.NotModified not in sc._resource.WriteResult.__args__
