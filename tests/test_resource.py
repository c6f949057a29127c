"""The Contacts (seed 004) and Tasks (seed 003) tables through the generic resource
clients: every row, date conditions, the profiles' retry rules, and task polling."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import httpx
import pytest
import respx

import sessionclient as sc
from sessionclient._resource import check_path, task_outcome

from .conftest import BASE, Both, FakeClock, MakeClient

NEVER = sc.RetryPolicy.never()
JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain"}
CONTACT = {"ID": "c-1", "FirstName": "Ada"}
WHEN = datetime(2009, 2, 13, 23, 31, 30, tzinfo=timezone.utc)
HTTP_WHEN = "Fri, 13 Feb 2009 23:31:30 GMT"


@attrs.frozen
class Case:
    id: str
    method: str
    path: str
    response: httpx.Response
    check: Callable[[Any], None]
    kwargs: dict[str, Any] = attrs.field(factory=dict)


def is_result(expected: object) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert result == expected

    return check


@attrs.frozen
class Raises:
    """Checks the exception a row raises, and names the row's explanation key."""

    cls: type[sc.SessionClientError]
    key: str
    expected: dict[str, Any]

    def __call__(self, error: Any) -> None:
        assert type(error) is self.cls, repr(error)
        assert error.explanation_key == self.key
        for name, value in self.expected.items():
            assert getattr(error, name) == value, name
        assert str(error)


def raises(cls: type[sc.SessionClientError], key: str, **expected: Any) -> Raises:
    return Raises(cls, key, expected)


def error(status: int, text: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers={**TEXT, **headers}, text=text)


C = "/LiveContacts/Contacts"
CONTACT_CASES = [
    Case("200-get", "get", C, httpx.Response(200, headers={**JSON, "ETag": '"a"',
         "Last-Modified": HTTP_WHEN}, json=[CONTACT]),
         is_result(sc.Resource(C, sc.ETag('"a"'), WHEN, [CONTACT]))),
    Case("201-post", "post", C, httpx.Response(201, headers={**JSON, "Location": f"{C}/c-1"},
         json=CONTACT), is_result(sc.Created(C, f"{C}/c-1", None, CONTACT)), {"json": CONTACT}),
    Case("201-post-no-body", "post", C, httpx.Response(201, headers={"Location": f"{C}/c-1"}),
         is_result(sc.Created(C, f"{C}/c-1", None, None)), {"json": CONTACT}),
    Case("204-put", "put", f"{C}/c-1", httpx.Response(204), is_result(sc.NoContent(f"{C}/c-1")),
         {"json": CONTACT}),
    Case("204-delete", "delete", f"{C}/c-1", httpx.Response(204),
         is_result(sc.NoContent(f"{C}/c-1"))),
    Case("206-delta-sync", "get", "/LiveContacts", httpx.Response(206, headers=JSON,
         json={"Contacts": [CONTACT]}),
         is_result(sc.PartialContent("/LiveContacts", None, {"Contacts": [CONTACT]})),
         {"delta_sync": True}),
    Case("304-if-modified-since", "get", C, httpx.Response(304),
         is_result(sc.NotModified(C, None)), {"if_modified_since": WHEN}),
    Case("400", "put", f"{C}/c-1", error(400, "invalid Enum value"),
         raises(sc.BadRequestError, "contacts.400", message="invalid Enum value"),
         {"json": {"Kind": "x"}}),
    Case("401-address-book", "get", C, error(401, "not authorized for this address book"),
         raises(sc.UnauthorizedError, "contacts.401.address-book")),
    Case("401-caller-id", "get", C, error(401, "Invalid CallerID"),
         raises(sc.UnauthorizedError, "contacts.401.caller-id")),
    Case("403-quota", "post", C, error(403, "Exceeded the maximum number of inserted objects"),
         raises(sc.ForbiddenError, "contacts.403.quota"), {"json": CONTACT}),
    Case("403-method", "post", f"{C}/c-1", error(403, "Method not supported"),
         raises(sc.ForbiddenError, "contacts.403.method"), {"json": CONTACT}),
    Case("404", "get", f"{C}/nope", error(404, "ContactID is not valid"),
         raises(sc.NotFoundError, "contacts.404")),
    Case("405-allow", "delete", "/LiveContacts/Owner", error(405, "no", Allow="GET, PUT"),
         raises(sc.MethodNotAllowedError, "contacts.405", allow=("GET", "PUT"))),
    Case("409-unique-key", "post", C, error(409, "duplicate key"),
         raises(sc.ConflictError, "contacts.409"), {"json": CONTACT}),
    Case("412-if-unmodified-since", "put", f"{C}/c-1", error(412, "record is newer"),
         raises(sc.PreconditionFailedError, "contacts.412"),
         {"json": CONTACT, "if_unmodified_since": WHEN}),
    Case("412-if-match", "put", f"{C}/c-1", error(412, "etag differs"),
         raises(sc.PreconditionFailedError, "contacts.412.if-match"),
         {"json": CONTACT, "if_match": '"a"'}),
    Case("412-if-match-any", "put", f"{C}/c-1", error(412, "no such item"),
         raises(sc.PreconditionFailedError, "contacts.412.if-match.any"),
         {"json": CONTACT, "if_match": sc.ANY}),
    Case("204-put-etag", "put", f"{C}/c-1", httpx.Response(204, headers={"ETag": '"v2"'}),
         is_result(sc.NoContent(f"{C}/c-1", sc.ETag.from_header('"v2"'))), {"json": CONTACT}),
    Case("412-if-none-match", "put", f"{C}/c-1", error(412, "exists"),
         raises(sc.PreconditionFailedError, "contacts.412.if-none-match"),
         {"json": CONTACT, "if_none_match": sc.ANY}),
    Case("500", "get", C, error(500, "unexpected"), raises(sc.InternalServerError, "contacts.500")),
    Case("503", "get", C, error(503, "no services", **{"Retry-After": "5"}),
         raises(sc.ServiceUnavailableError, "contacts.503", retry_after=5.0)),
    Case("504", "get", C, error(504, "contacts unavailable"),
         raises(sc.GatewayTimeoutError, "contacts.504")),
]  # fmt: skip

TASK_RUNNING = {"Href": f"{BASE}/api/tasks/task-1", "TaskId": "task-1", "State": "Running"}


def is_task(result: Any) -> None:
    assert isinstance(result, sc.Task | sc.AsyncTask)
    assert result.path == "/api/tasks/task-1"
    assert result.document == TASK_RUNNING


T = "/api/jobs/job-1"
VEEAM_ERROR = {"FirstChanceExceptionMessage": None, "Message": "Job is locked", "StatusCode": 0}
TASK_CASES = [
    Case("200-get", "get", T, httpx.Response(200, headers=JSON, json={"Name": "nightly"}),
         is_result(sc.Resource(T, None, None, {"Name": "nightly"}))),
    Case("200-put", "put", T, httpx.Response(200, headers=JSON, json={"Name": "daily"}),
         is_result(sc.Resource(T, None, None, {"Name": "daily"})), {"json": {"Name": "daily"}}),
    Case("201-post", "post", "/api/jobs", httpx.Response(201, headers=JSON, json={"Id": "j2"}),
         is_result(sc.Created("/api/jobs", None, None, {"Id": "j2"})), {"json": {}}),
    Case("202-post-task", "post", f"{T}/start", httpx.Response(202, headers=JSON,
         json=TASK_RUNNING), is_task),
    Case("202-delete-task", "delete", T, httpx.Response(202, headers=JSON, json=TASK_RUNNING),
         is_task),
    Case("204-delete", "delete", T, httpx.Response(204), is_result(sc.NoContent(T))),
    Case("204-post", "post", T, httpx.Response(204), is_result(sc.NoContent(f"{T}?action=stop")),
         {"params": {"action": "stop"}}),
    Case("400", "post", "/api/jobs", httpx.Response(400, headers=JSON, json=VEEAM_ERROR),
         raises(sc.BadRequestError, "tasks.400", message="Job is locked"), {"json": {}}),
    Case("401", "get", T, httpx.Response(401, headers=JSON, json=VEEAM_ERROR),
         raises(sc.UnauthorizedError, "tasks.401")),
    Case("403", "get", T, httpx.Response(403, headers=JSON, json=VEEAM_ERROR),
         raises(sc.ForbiddenError, "tasks.403")),
    Case("404", "get", T, httpx.Response(404, headers=JSON, json=VEEAM_ERROR),
         raises(sc.NotFoundError, "tasks.404")),
    Case("405", "put", "/api/tasks", httpx.Response(405, headers=JSON, json=VEEAM_ERROR),
         raises(sc.MethodNotAllowedError, "tasks.405"), {"json": {}}),
    Case("500", "get", T, httpx.Response(500, headers=JSON, json=VEEAM_ERROR),
         raises(sc.InternalServerError, "tasks.500")),
    Case("501", "delete", T, httpx.Response(501, headers=JSON, json=VEEAM_ERROR),
         raises(sc.MethodNotImplementedError, "tasks.501")),
    Case("503", "get", T, httpx.Response(503, headers=JSON, json=VEEAM_ERROR),
         raises(sc.ServiceUnavailableError, "tasks.503")),
]  # fmt: skip


def run_case(client: Both, router: respx.Router, case: Case) -> httpx.Request:
    route = router.route().mock(return_value=case.response)
    try:
        outcome = getattr(client, case.method)(case.path, retry=NEVER, **case.kwargs)
    except sc.SessionClientError as caught:
        outcome = caught
    case.check(outcome)
    assert route.call_count == 1
    return route.calls.last.request


@pytest.mark.parametrize("case", CONTACT_CASES, ids=[c.id for c in CONTACT_CASES])
def test_contacts_row(make_client: MakeClient, router: respx.Router, case: Case) -> None:
    client = make_client(httpx.MockTransport(router.handler), resource=True, profile="contacts")
    request = run_case(client, router, case)
    assert request.method == case.method.upper()
    assert request.url.raw_path.decode() == case.path
    if "json" in case.kwargs:
        assert json.loads(request.content) == case.kwargs["json"]
        assert request.headers["content-type"] == "application/json"
    if case.kwargs.get("delta_sync"):
        assert request.headers["deltasync"] == "Basic"
    if "if_modified_since" in case.kwargs:
        assert request.headers["if-modified-since"] == HTTP_WHEN
    if "if_unmodified_since" in case.kwargs:
        assert request.headers["if-unmodified-since"] == HTTP_WHEN


@pytest.mark.parametrize("case", TASK_CASES, ids=[c.id for c in TASK_CASES])
def test_tasks_row(make_client: MakeClient, router: respx.Router, case: Case) -> None:
    client = make_client(httpx.MockTransport(router.handler), resource=True, profile=sc.TASKS)
    request = run_case(client, router, case)
    assert request.url.path == case.path
    assert dict(request.url.params) == case.kwargs.get("params", {})


@pytest.mark.parametrize("profile", [sc.CONTACTS, sc.TASKS], ids=lambda p: p.name)
def test_every_seed_row_of_the_profile_has_a_case(profile: sc.Profile) -> None:
    cases = CONTACT_CASES if profile is sc.CONTACTS else TASK_CASES
    checked = {c.id.split("-")[0] for c in cases}
    assert {str(r.status) for r in profile.rows} <= checked
    keys = {c.check.key for c in cases if isinstance(c.check, Raises)}
    error_keys = {r.key for r in profile.rows if r.kind is sc._profiles.Kind.ERROR}
    assert error_keys <= keys


# --- the profiles' own retry rules --------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "method", "retried"),
    [
        (504, {"Retry-After": "2"}, "post", True),  # throttled: not done, any method
        (503, {"Retry-After": "2"}, "post", True),
        (504, {}, "post", False),  # without Retry-After: as a 500, a POST is not repeated
        (503, {}, "post", False),
        (504, {}, "get", True),
        (500, {}, "get", True),
    ],
)
def test_contacts_retry_rules(
    make_client: MakeClient,
    router: respx.Router,
    status: int,
    headers: dict[str, str],
    method: str,
    retried: bool,
) -> None:
    client = make_client(httpx.MockTransport(router.handler), resource=True, profile="contacts")
    success = httpx.Response(201) if method == "post" else httpx.Response(200, json=[])
    route = router.route().mock(side_effect=[httpx.Response(status, headers=headers), success])
    args = {"json": CONTACT} if method == "post" else {}
    if retried:
        getattr(client, method)(C, **args)
        assert route.call_count == 2
    else:
        with pytest.raises(sc.ServerError):
            getattr(client, method)(C, **args)
        assert route.call_count == 1


# --- dates and paths ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (WHEN, HTTP_WHEN),
        (WHEN.astimezone(timezone(timedelta(hours=9))), HTTP_WHEN),
        (1234567890.75, HTTP_WHEN),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
    ],
)
def test_http_dates_are_formatted_in_gmt(value: Any, expected: str) -> None:
    assert sc._http.format_http_date(value) == expected
    assert sc._http.parse_http_date(expected) == int(
        value.timestamp() if isinstance(value, datetime) else value
    )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"if_modified_since": datetime(2009, 2, 13)}, ValueError),  # naive: zone unknown
        ({"if_modified_since": "yesterday"}, TypeError),
        ({"if_modified_since": True}, TypeError),
    ],
)
def test_bad_dates_are_refused_before_sending(
    make_client: MakeClient, router: respx.Router, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    client = make_client(httpx.MockTransport(router.handler), resource=True, profile="contacts")
    route = router.route().respond(200, json={})
    with pytest.raises(error):
        client.get(C, **kwargs)
    assert route.call_count == 0


@pytest.mark.parametrize(
    "path",
    ["", "relative", "//evil.example/x", "/a/../b", "/a/%2e%2e/b", "/a/%2Fb", "/a b",
     "/a\\b", "https://evil.example/x", "/a?b=1", "/a#frag", "/a//b"],
)  # fmt: skip
def test_paths_that_could_leave_the_base_are_refused(path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        check_path(path)


@pytest.mark.parametrize("path", ["/", "/LiveContacts", "/a/b/", "/api/jobs/%7Bid%7D", "/a:b@c"])
def test_valid_paths(path: str) -> None:
    assert check_path(path) == path


# --- tasks ------------------------------------------------------------------------------


def task(state: str, success: bool | None = None, message: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {**TASK_RUNNING, "State": state}
    if success is not None:
        doc["Result"] = {"Success": "true" if success else "false", "Message": message}
    return doc


@pytest.fixture
def tasks_client(make_client: MakeClient, router: respx.Router) -> Both:
    return make_client(httpx.MockTransport(router.handler), resource=True, profile="tasks")


def start(client: Both, router: respx.Router, *polls: httpx.Response) -> tuple[Any, respx.Route]:
    router.post("/api/jobs/job-1/start").respond(202, json=task("Running"))
    route = router.get("/api/tasks/task-1").mock(side_effect=list(polls))
    handle = client.post("/api/jobs/job-1/start")
    assert isinstance(handle, sc.AsyncTask if client.is_async else sc.Task)
    assert handle.path == "/api/tasks/task-1"
    return handle, route


def run(client: Both, awaitable_or_value: Any) -> Any:
    return (
        client.loop.run_until_complete(awaitable_or_value)
        if client.is_async
        else awaitable_or_value
    )


def test_task_polls_until_finished(
    tasks_client: Both, router: respx.Router, clock: FakeClock
) -> None:
    handle, route = start(
        tasks_client, router,
        httpx.Response(200, json=task("Running")),
        httpx.Response(200, json=task("Running")),
        httpx.Response(200, json=task("Finished", True, "done")),
    )  # fmt: skip
    final = run(tasks_client, handle.wait(interval=1.0))
    assert isinstance(final, sc.Resource)  # the final task, typed
    assert final.path == "/api/tasks/task-1"
    assert final.document["State"] == "Finished"
    assert route.call_count == 3
    assert clock.sleeps == [1.0, 1.5, 2.25]  # growing by half each poll


def test_task_wait_returns_the_last_poll_as_a_resource(
    tasks_client: Both, router: respx.Router
) -> None:
    handle, _ = start(
        tasks_client, router,
        httpx.Response(200, json=task("Finished", True, "done"), headers={
            "ETag": '"t9"', "Last-Modified": "Sun, 06 Nov 1994 08:49:37 GMT"}),
    )  # fmt: skip
    final = run(tasks_client, handle.wait(interval=1.0))
    assert isinstance(final, sc.Resource)
    assert final.etag == sc.ETag('"t9"')
    assert final.last_modified is not None
    assert final.last_modified.year == 1994
    assert final.document["Result"]["Message"] == "done"


def test_a_task_finished_in_the_202_returns_without_polling(
    tasks_client: Both, router: respx.Router
) -> None:
    router.post("/api/jobs/job-1/start").respond(202, json=task("Finished", True))
    route = router.get("/api/tasks/task-1").respond(500)
    handle = tasks_client.post("/api/jobs/job-1/start")
    final = run(tasks_client, handle.wait())
    assert isinstance(final, sc.Resource)
    assert (final.path, final.etag, final.document["State"]) == ("/api/tasks/task-1", None,
                                                                  "Finished")  # fmt: skip
    assert route.call_count == 0


def test_task_honours_retry_after_between_polls(
    tasks_client: Both, router: respx.Router, clock: FakeClock
) -> None:
    handle, _ = start(
        tasks_client, router,
        httpx.Response(200, json=task("Running"), headers={"Retry-After": "7"}),
        httpx.Response(200, json=task("Finished", True)),
    )  # fmt: skip
    run(tasks_client, handle.wait(interval=1.0))
    assert clock.sleeps == [1.0, 7.0]


def test_task_failure_is_typed(tasks_client: Both, router: respx.Router) -> None:
    handle, _ = start(
        tasks_client, router, httpx.Response(200, json=task("Finished", False, "Job is locked"))
    )
    with pytest.raises(sc.TaskFailedError, match="Job is locked") as caught:
        run(tasks_client, handle.wait())
    assert caught.value.task["Result"]["Success"] == "false"
    assert caught.value.explain("fr") != caught.value.explain("en")


def test_task_deadline_is_held_without_oversleeping(
    tasks_client: Both, router: respx.Router, clock: FakeClock
) -> None:
    handle, route = start(tasks_client, router, *[httpx.Response(200, json=task("Running"))] * 20)
    with pytest.raises(sc.TaskTimeoutError):
        run(tasks_client, handle.wait(timeout=10.0, interval=2.0))
    assert sum(clock.sleeps) <= 10.0
    assert route.call_count == len(clock.sleeps)


def test_a_task_on_another_origin_is_refused(tasks_client: Both, router: respx.Router) -> None:
    router.post("/api/jobs/job-1/start").respond(
        202, json={**TASK_RUNNING, "Href": "https://evil.example/api/tasks/task-1"}
    )
    with pytest.raises(sc.MalformedResponseError, match="another origin"):
        tasks_client.post("/api/jobs/job-1/start")


@pytest.mark.parametrize(
    ("document", "outcome"),
    [
        ({"State": "Running"}, (False, False, "running")),
        ({"State": "Finished", "Result": {"Success": "true", "Message": "ok"}}, (True, True, "ok")),
        ({"State": "Finished", "Result": {"Success": False}}, (True, False, "finished")),
        ({"state": "failed"}, (True, False, "failed")),
        ({"status": "Completed"}, (True, True, "completed")),
        ([], (False, False, "")),
    ],
)
def test_task_outcome(document: Any, outcome: tuple[bool, bool, str]) -> None:
    assert task_outcome(document) == outcome
