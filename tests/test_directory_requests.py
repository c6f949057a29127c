"""The exact request of every directory operation (method, path, query, body, headers),
and how each answer is read, on both clients through respx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

import sessionclient as sc

from .conftest import REF, SCID, TOKEN, Both

SESSIONS = f"/serviceconfigs/{SCID}/sessions"
REF_JSON = {"scid": SCID, "templateName": "lobby", "name": "game-1"}
HANDLE = {"id": "6c1d3a52-0a0e-4c34-9e9b-0f6cf3b4f1aa", "version": 1, "type": "activity",
          "sessionRef": REF_JSON, "ownerXuid": "2533274790395904", "titleId": "1234",
          "createTime": "2024-05-01T18:30:00.000Z", "gameTypes": ["durango"]}  # fmt: skip
SUMMARY = {"xuid": "1001", "startTime": "2024-05-01T18:30:00.1234567Z", "sessionRef": REF_JSON,
           "accepted": 2, "status": "active", "visibility": "open", "joinRestriction": "none",
           "myTurn": True, "keywords": ["harbor"]}  # fmt: skip
SESSION = {"members": {"0": {"constants": {"system": {"xuid": "1001", "index": 0}}}}}


def sent(route: respx.Route) -> httpx.Request:
    assert route.call_count == 1
    request: httpx.Request = route.calls.last.request
    assert request.headers["x-xbl-contract-version"] == "107"
    assert request.headers["Authorization"].endswith(TOKEN)
    return request


def body(request: httpx.Request) -> Any:
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.content)


@pytest.mark.parametrize(
    ("kwargs", "path", "query"),
    [
        ({"xuid": "1001"}, SESSIONS, "xuid=1001"),
        ({"keyword": "harbor night", "template": "lobby", "visibility": "open", "take": 1},
         f"/serviceconfigs/{SCID}/sessiontemplates/lobby/sessions",
         "keyword=harbor%20night&visibility=open&take=1"),
        ({"xuids": ["1001"], "private": True, "reservations": True, "inactive": True, "take": 100},
         SESSIONS, "xuid=1001&private=true&reservations=true&inactive=true&take=100"),
    ],
    ids=["xuid", "keyword", "flags"],
)  # fmt: skip
def test_query_is_one_get(
    client: Both, router: respx.Router, kwargs: dict[str, Any], path: str, query: str
) -> None:
    route = router.get(url__regex=r"/sessions").respond(200, json={"results": [SUMMARY]})
    (found,) = client.query(SCID, **kwargs)
    request = sent(route)
    assert (request.method, request.url.path, request.url.query.decode()) == ("GET", path, query)
    assert request.content == b""
    assert isinstance(found, sc.SessionSummary)
    assert (found.ref, found.xuid, found.status, found.accepted) == (REF, "1001", "active", 2)
    assert (found.my_turn, found.keywords, found.start_time.microsecond) == (True, ("harbor",),
                                                                             123456)  # fmt: skip


def test_several_xuids_are_one_batch_post(client: Both, router: respx.Router) -> None:
    route = router.post(f"/serviceconfigs/{SCID}/sessiontemplates/lobby/batch").respond(
        200, json={"results": [SUMMARY, {**SUMMARY, "xuid": "1002"}, SUMMARY]}
    )
    found = client.query(SCID, template="lobby", xuids=["1001", "1002", "1001"], inactive=True)
    request = sent(route)
    assert request.url.query == b"inactive=true"
    assert body(request) == {"xuids": ["1001", "1002", "1001"]}
    assert [s.xuid for s in found] == ["1001", "1002", "1001"]


@pytest.mark.parametrize(
    "answer",
    [{"results": {}}, {"sessions": []}, [], {"results": [1]}, "x"],
)
def test_a_query_answer_without_results_is_malformed(
    client: Both, router: respx.Router, answer: Any
) -> None:
    router.get(url__regex=r"/sessions").respond(200, json=answer)
    with pytest.raises(sc.MalformedResponseError, match="results") as caught:
        client.query(SCID, xuid="1")
    assert caught.value.status == 200
    assert SESSIONS in str(caught.value)


def test_set_activity(client: Both, router: respx.Router) -> None:
    route = router.post("/handles").respond(
        201, json=HANDLE, headers={"Location": f"/handles/{HANDLE['id']}"}
    )
    handle = client.set_activity(REF)
    request = sent(route)
    assert (request.url.path, request.url.query) == ("/handles", b"")
    assert body(request) == {"version": 1, "type": "activity", "sessionRef": REF_JSON}
    assert (handle.id, handle.type, handle.ref, handle.title_id) == (
        HANDLE["id"], "activity", REF, "1234"
    )  # fmt: skip
    assert handle.game_types == ("durango",)
    assert handle.document == HANDLE


def test_activities(client: Both, router: respx.Router) -> None:
    related = {"visibility": "open", "joinRestriction": "followed", "closed": False,
               "maxMembersCount": 8, "membersCount": 3}  # fmt: skip
    route = router.post("/handles/query").respond(
        200, json={"results": [{**HANDLE, "relatedInfo": related, "customProperties": {"m": 1}}]}
    )
    (activity,) = client.activities(SCID, ["1001", "1002"])
    request = sent(route)
    assert request.url.query == b"include=relatedInfo,customProperties"
    assert body(request) == {"type": "activity", "scid": SCID,
                             "owners": {"xuids": ["1001", "1002"]}}  # fmt: skip
    assert isinstance(activity, sc.Activity)
    assert activity.related_info.join_restriction == "followed"
    assert activity.related_info.members_count == 3
    assert activity.custom_properties == {"m": 1}


def test_invite_sends_one_post_per_user(client: Both, router: respx.Router) -> None:
    answers = iter([{**HANDLE, "type": "invite", "id": f"h{n}"} for n in range(2)])
    route = router.post("/handles").mock(
        side_effect=lambda _: httpx.Response(201, json=next(answers))
    )
    handles = client.invite(REF, ["1001", "1002"], context="ctx", context_string="cs",
                            sender_string="ss", title_id="77")  # fmt: skip
    assert [h.id for h in handles] == ["h0", "h1"]
    bodies = [json.loads(call.request.content) for call in route.calls]
    attributes = {"titleId": "77", "context": "ctx", "contextString": "cs", "senderString": "ss"}
    assert bodies == [
        {"version": 1, "type": "invite", "sessionRef": REF_JSON, "invitedXuid": xuid,
         "inviteAttributes": attributes}
        for xuid in ("1001", "1002")
    ]  # fmt: skip
    assert [c.request.method for c in route.calls] == ["POST", "POST"]


def test_invite_failure_keeps_the_handles_created(client: Both, router: respx.Router) -> None:
    route = router.post("/handles").mock(side_effect=[
        httpx.Response(201, json={**HANDLE, "id": "first"}),
        httpx.Response(404, text="no such user"),
        httpx.Response(201, json=HANDLE),
    ])  # fmt: skip
    with pytest.raises(sc.NotFoundError, match="no such user") as caught:
        client.invite(REF, ["1", "2", "3"], title_id=1, retry=sc.RetryPolicy.never())
    assert [h.id for h in caught.value.handles] == ["first"]
    assert route.call_count == 2  # the third user was not invited


def test_handle_post_without_retry_after_is_not_repeated(
    client: Both, router: respx.Router
) -> None:
    route = router.post("/handles").mock(
        side_effect=[httpx.Response(503), httpx.Response(201, json=HANDLE)]
    )
    with pytest.raises(sc.ServiceUnavailableError):
        client.set_activity(REF)
    assert route.call_count == 1


def test_handle_post_with_retry_after_is_repeated(client: Both, router: respx.Router) -> None:
    route = router.post("/handles").mock(side_effect=[
        httpx.Response(503, headers={"Retry-After": "1"}), httpx.Response(201, json=HANDLE),
    ])  # fmt: skip
    assert client.set_activity(REF).id == HANDLE["id"]
    assert route.call_count == 2


def test_get_and_delete_handle(client: Both, router: respx.Router) -> None:
    path = f"/handles/{HANDLE['id']}"
    got = router.get(path).respond(200, json=HANDLE)
    gone = router.delete(path).respond(204)
    assert client.get_handle(HANDLE["id"]) == sc.Handle(HANDLE)
    assert client.delete_handle(HANDLE["id"]) is None
    for route, method in ((got, "GET"), (gone, "DELETE")):
        request = sent(route)
        assert (request.method, request.url.path, request.content) == (method, path, b"")


def test_get_by_handle_names_the_session_from_content_location(
    client: Both, router: respx.Router
) -> None:
    route = router.get("/handles/h1/session").respond(
        200, json=SESSION, headers={"ETag": '"e1"', "Content-Location": REF.path}
    )
    session = client.get_by_handle("h1")
    sent(route)
    assert isinstance(session, sc.Session)
    assert (session.ref, session.etag, session.document) == (REF, sc.ETag('"e1"'), SESSION)


def test_a_session_behind_a_handle_without_content_location_is_malformed(
    client: Both, router: respx.Router
) -> None:
    router.get("/handles/h1/session").respond(200, json=SESSION)
    with pytest.raises(sc.MalformedResponseError, match="Content-Location"):
        client.get_by_handle("h1")


def test_put_by_handle(client: Both, router: respx.Router) -> None:
    route = router.put("/handles/h1/session").mock(side_effect=[
        httpx.Response(200, json=SESSION, headers={"ETag": '"e2"', "Content-Location": REF.path}),
        httpx.Response(204),
    ])  # fmt: skip
    session = client.put_by_handle("h1", {"members": {"me": {}}}, if_match='"e1"')
    request = route.calls[0].request
    assert request.headers["If-Match"] == '"e1"'
    assert body(request) == {"members": {"me": {}}}
    assert isinstance(session, sc.Session)
    assert session.ref == REF
    assert client.put_by_handle("h1", {"members": {"me": None}}) is None
    assert "If-Match" not in route.calls[1].request.headers


def test_create_search_handle(client: Both, router: respx.Router) -> None:
    route = router.post("/handles").respond(201, json={**HANDLE, "type": "search"})
    client.create_search_handle(REF, tags=["casual", "eu"], numbers={"skill": 3.5},
                                strings={"map": "harbor"})  # fmt: skip
    assert body(sent(route)) == {
        "version": 1, "type": "search", "sessionRef": REF_JSON,
        "searchAttributes": {"tags": ["casual", "eu"], "numbers": {"skill": 3.5},
                             "strings": {"map": "harbor"}},
    }  # fmt: skip


def test_search(client: Both, router: respx.Router) -> None:
    result = {
        **HANDLE,
        "type": "search",
        "searchAttributes": {
            "tags": ["casual"],
            "numbers": {"skill": 4},
            "strings": {"map": "harbor"},
        },
        "roleInfo": {"r": 1},
    }
    route = router.post("/handles/query").respond(200, json={"results": [result]})
    (found,) = client.search(SCID, "lobby", filter="Strings/map eq 'it''s'",
                             order_by="Numbers/skill desc")  # fmt: skip
    request = sent(route)
    assert request.url.query == b"include=relatedInfo,roleInfo,customProperties"
    assert body(request) == {
        "type": "search",
        "scid": SCID,
        "templateName": "lobby",
        "global": True,
        "filter": "Strings/map eq 'it''s'",
        "orderBy": "Numbers/skill desc",
    }
    assert isinstance(found, sc.SearchResult)
    assert (found.tags, found.numbers, found.strings) == (
        ("casual",),
        {"skill": 4},
        {"map": "harbor"},
    )
    assert found.role_info == {"r": 1}
    client.search(SCID, "lobby")
    assert json.loads(route.calls.last.request.content) == {
        "type": "search",
        "scid": SCID,
        "templateName": "lobby",
        "global": True,
    }


def test_templates(client: Both, router: respx.Router) -> None:
    listed = router.get(f"/serviceconfigs/{SCID}/sessiontemplates").respond(
        200, json={"results": [{"name": "lobby", "contractVersion": 107}, {"name": "arena"}]}
    )
    one = router.get(f"/serviceconfigs/{SCID}/sessiontemplates/lobby").respond(
        200, json={"contractVersion": 107, "constants": {"system": {"maxMembersCount": 8}}}
    )
    assert client.templates(SCID) == ["lobby", "arena"]
    assert client.template(SCID, "lobby")["constants"]["system"] == {"maxMembersCount": 8}
    assert sent(listed).method == sent(one).method == "GET"


@pytest.mark.parametrize("answer", [{"results": [{"contractVersion": 107}]},
                                    {"results": [{"name": 3}]}])  # fmt: skip
def test_a_template_list_without_names_is_malformed(
    client: Both, router: respx.Router, answer: Any
) -> None:
    router.get(f"/serviceconfigs/{SCID}/sessiontemplates").respond(200, json=answer)
    with pytest.raises(sc.MalformedResponseError):
        client.templates(SCID)


def test_a_template_that_is_not_an_object_is_malformed(client: Both, router: respx.Router) -> None:
    router.get(f"/serviceconfigs/{SCID}/sessiontemplates/lobby").respond(200, json=[1])
    with pytest.raises(sc.MalformedResponseError, match="JSON object"):
        client.template(SCID, "lobby")


@pytest.mark.parametrize(
    ("status", "body"),
    [(204, None), (201, {"results": []}), (304, None)],
)
def test_statuses_a_query_cannot_answer(
    client: Both, router: respx.Router, status: int, body: Any
) -> None:
    router.get(url__regex="/sessions").respond(status, json=body) if body is not None else (
        router.get(url__regex="/sessions").respond(status)
    )
    with pytest.raises(sc.SessionClientError) as caught:
        client.query(SCID, xuid="1")
    assert caught.value.status == status
