"""Issue 23: the requests the SDK sends, compared field by field with what Microsoft's
XSAPI sends for the same operation, and the answers the MPSD REST reference documents.

XSAPI is read at /work/.mirror/microsoft+xbox-live-api/repo (``XSAPI:`` below), the REST
reference at /work/.mirror/MicrosoftDocs+xbox-live-docs/repo under
``xbox-live-docs-pr/api-ref/xbox-live-rest/uri/sessiondirectory/`` (``REST:`` below).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

import sessionclient as sc

from .conftest import REF, SCID, Both, MakeClient

REF_JSON = {"scid": SCID, "templateName": "lobby", "name": "game-1"}
HANDLE = {"id": "h1", "version": 1, "type": "invite", "sessionRef": REF_JSON,
          "ownerXuid": "1001", "titleId": "1234", "invitedXuid": "1002"}  # fmt: skip


def bodies(route: respx.Route) -> list[Any]:
    return [json.loads(call.request.content) for call in route.calls]


def test_search_sends_global_true(client: Both, router: respx.Router) -> None:
    """XSAPI always sends ``"global": true`` in a search-handle query, and its unit
    test checks the exact body: Source/Services/Multiplayer/
    multiplayer_query_search_handle_request.cpp:101-124 (type, scid, templateName,
    global, filter, orderBy); Tests/UnitTests/Tests/Services/TestResponses/
    Multiplayer.json:1180-1187 ("searchHandlesRequestJson")."""
    route = router.post("/handles/query").respond(200, json={"results": []})
    client.search(SCID, "lobby", filter="numbers/skill gt 1", order_by="numbers/skill asc")
    client.search(SCID, "lobby")
    assert bodies(route) == [
        {"type": "search", "scid": SCID, "templateName": "lobby", "global": True,
         "filter": "numbers/skill gt 1", "orderBy": "numbers/skill asc"},
        {"type": "search", "scid": SCID, "templateName": "lobby", "global": True},
    ]  # fmt: skip


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(200), httpx.Response(201), httpx.Response(204),
     httpx.Response(201, headers={"Content-Type": "application/json"})],
    ids=["200", "201", "204", "201-json-type-no-body"],
)  # fmt: skip
def test_set_activity_without_a_body_is_done(
    client: Both, router: respx.Router, answer: httpx.Response
) -> None:
    """REST: uri-handlespost.md:29 ("No response body is retrieved") and :108-109
    ("Response body for setting activity: None"). XSAPI reads no body either:
    Source/Services/Multiplayer/multiplayer_service.cpp:399-440 (SetActivity completes
    with the status's result only). Its request body is XSAPI's:
    multiplayer_activity_handle_post_request.cpp:23-33 (type, sessionRef, version)."""
    route = router.post("/handles").mock(return_value=answer)
    assert client.set_activity(REF) is None
    assert bodies(route) == [{"type": "activity", "sessionRef": REF_JSON, "version": 1}]


def test_set_activity_with_a_body_still_reads_the_handle(
    client: Both, router: respx.Router
) -> None:
    """A service that does return the handle is read as before."""
    router.post("/handles").respond(201, json={**HANDLE, "type": "activity"})
    handle = client.set_activity(REF)
    assert isinstance(handle, sc.Handle)
    assert (handle.id, handle.ref) == ("h1", REF)


@pytest.mark.parametrize("status", [200, 204])
def test_delete_handle_and_session_accept_an_empty_success(
    client: Both, router: respx.Router, status: int
) -> None:
    """XSAPI's unit tests answer DELETE /handles/{id} with the mock's default, a 200
    without a body: Tests/UnitTests/Tests/Services/MultiplayerTests.cpp:2126-2137 and
    :2018 (HttpMock's status defaults to 200: Tests/UnitTests/Mocks/http_mock.h:23);
    XSAPI reads no body (multiplayer_service.cpp:633-667). A session DELETE shares the
    path."""
    handle = router.delete("/handles/h1").respond(status)
    session = router.delete(REF.path).respond(status)
    assert client.delete_handle("h1") is None
    assert client.delete(REF) is None
    assert handle.call_count == session.call_count == 1


@pytest.mark.parametrize("status", [200, 201])
def test_a_handle_that_must_come_back_still_must(
    client: Both, router: respx.Router, status: int
) -> None:
    """An empty success is done only where nothing is to be returned: an invite, a
    search handle or a handle read without a body is malformed (XSAPI deserializes the
    handle: multiplayer_service.cpp:536, and the invite's id)."""
    router.post("/handles").respond(status)
    router.get("/handles/h1").respond(200)
    with pytest.raises(sc.MalformedResponseError):
        client.invite(REF, ["1002"], title_id=1234)
    with pytest.raises(sc.MalformedResponseError):
        client.create_search_handle(REF, tags=["casual"])
    with pytest.raises(sc.MalformedResponseError):
        client.get_handle("h1")


def test_invite_always_sends_the_title_id(client: Both, router: respx.Router) -> None:
    """XSAPI always writes ``inviteAttributes.titleId`` as a decimal uint32 string:
    Source/Services/Multiplayer/multiplayer_invite_handle_post_request.cpp:22-41; the
    REST reference describes it (uri-handlespost.md:89)."""
    route = router.post("/handles").respond(201, json=HANDLE)
    client.invite(REF, ["1002"], title_id=4294967295)
    client.invite(REF, ["1002"], title_id="77", context="c", context_string="cs")
    assert bodies(route) == [
        {"type": "invite", "sessionRef": REF_JSON, "version": 1, "invitedXuid": "1002",
         "inviteAttributes": {"titleId": "4294967295"}},
        {"type": "invite", "sessionRef": REF_JSON, "version": 1, "invitedXuid": "1002",
         "inviteAttributes": {"titleId": "77", "context": "c", "contextString": "cs"}},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("title_id", "error"),
    [(None, ValueError), (4294967296, ValueError), (-1, ValueError), ("", ValueError),
     (True, TypeError), (1.0, TypeError)],
)  # fmt: skip
def test_invite_without_a_valid_title_id_is_refused_before_sending(
    client: Both, router: respx.Router, title_id: Any, error: type[Exception]
) -> None:
    """XSAPI's titleId is a uint32 (multiplayer_invite_handle_post_request.cpp:12)."""
    route = router.post("/handles").respond(201, json=HANDLE)
    with pytest.raises(error):
        client.invite(REF, ["1002"], title_id=title_id)
    with pytest.raises(ValueError, match="title_id"):
        client.invite(REF, ["1002"])
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("kwargs", "query"),
    [({"xuid": "1001", "visibility": "visible"}, "xuid=1001&visibility=visible"),
     ({"xuid": "1001", "visibility": "full"}, "xuid=1001&visibility=full"),
     ({"xuid": "1001", "visibility": "private", "private": True},
      "xuid=1001&visibility=private&private=true"),
     ({"keyword": "k", "version": 1}, "keyword=k&version=1"),
     ({"xuid": "1001", "visibility": "open", "version": 7, "private": True,
       "reservations": True, "inactive": True, "take": 1},
      "xuid=1001&visibility=open&version=7&private=true&reservations=true&inactive=true&take=1")],
)  # fmt: skip
def test_query_options_as_xsapi_writes_them(
    client: Both, router: respx.Router, kwargs: dict[str, Any], query: str
) -> None:
    """XSAPI's session query, in its order: xuid, keyword, visibility, version, private,
    reservations, inactive, take (Source/Services/Multiplayer/multiplayer_service.cpp:
    236-316); the visibility names of multiplayer_serializers.cpp:232-248 ("any" is no
    filter); ``version`` in REST: uri-serviceconfigsscidsessiontemplatessessiontemplate
    namesessionsget.md:55."""
    route = router.get(f"/serviceconfigs/{SCID}/sessions").respond(200, json={"results": []})
    client.query(SCID, **kwargs)
    assert route.calls.last.request.url.query.decode() == query


@pytest.mark.parametrize(
    "kwargs",
    [{"keyword": "k", "inactive": True}, {"keyword": "k", "reservations": True},
     {"xuid": "1", "take": 0}, {"xuid": "1", "take": 101}, {"xuid": "1", "version": 0},
     {"xuid": "1", "visibility": "any"}, {"xuid": "1", "visibility": "unknown"},
     {"xuid": "1", "visibility": "Open"}, {"xuid": "1", "visibility": "private"}],
)  # fmt: skip
def test_query_options_xsapi_refuses_are_refused_before_sending(
    client: Both, router: respx.Router, kwargs: dict[str, Any]
) -> None:
    """XSAPI refuses ``reservations`` and ``inactive`` without a xuid filter before
    sending (multiplayer_service.cpp:1664-1665) and never sends ``take=0`` (0 means no
    cap there: :305); the reference wants a positive take and version
    (uri-serviceconfigsscidsessiontemplatessessiontemplatenamesessionsget.md:55-56)."""
    route = router.get(url__regex="/sessions").respond(200, json={"results": []})
    with pytest.raises(ValueError, match=r"take|version|visibility|xuid filter"):
        client.query(SCID, **kwargs)
    assert route.call_count == 0


def test_query_version_must_be_an_int(client: Both) -> None:
    with pytest.raises(TypeError):
        client.query(SCID, xuid="1", version="2")


def test_query_version_is_at_most_the_contract_version_modulo_100(
    make_client: MakeClient, router: respx.Router
) -> None:
    """The reference: "The value must be less than or equal to the request's contract
    version modulo 100" (uri-serviceconfigsscidsessionsget.md:55): 7 for contract 107,
    4 for 104; refused before sending."""
    route = router.get(url__regex="/sessions").respond(200, json={"results": []})
    for contract, highest in ((107, 7), (104, 4)):
        client = make_client(httpx.MockTransport(router.handler), contract_version=contract)
        client.query(SCID, xuid="1", version=highest)
        with pytest.raises(ValueError, match=f"at most {highest}"):
            client.query(SCID, xuid="1", version=highest + 1)
    assert route.call_count == 2


# --- item 5: 408 ----------------------------------------------------------------------


def test_408_is_retried_when_the_request_is_safe(client: Both, router: respx.Router) -> None:
    """libHttpClient retries 408 with 429, 500, 502, 503 and 504:
    /work/.mirror/microsoft+libHttpClient/repo Source/HTTP/httpcall.cpp:541-547
    (HC_CALL::ShouldRetry). Here it is retried as a 500 is: only when repeating the
    request is safe (a GET), since a 408 may come from a proxy after the service
    acted."""
    read = router.get(REF.path).mock(
        side_effect=[httpx.Response(408), httpx.Response(200, json={"members": {}})]
    )
    posted = router.post("/handles").mock(
        side_effect=[httpx.Response(408), httpx.Response(201, json=HANDLE)]
    )
    assert isinstance(client.get(REF), sc.Session)
    assert read.call_count == 2
    with pytest.raises(sc.StatusError) as caught:
        client.invite(REF, ["1002"], title_id=1)
    assert (caught.value.status, posted.call_count) == (408, 1)


def test_408_is_transient_in_every_profile_that_retries_5xx() -> None:
    """The same rule for the RFC 9110 profile (RFC 9110 section 15.5.9: the client may
    repeat the request) and the task service's."""
    for name in ("rest", "mpsd", "tasks"):
        assert 408 in sc.PROFILES[name].transient, name


# --- item 10: transfer handles and social-group queries -------------------------------

ORIGIN = sc.SessionRef(SCID, "lobby", "friday")
ORIGIN_JSON = {"scid": SCID, "templateName": "lobby", "name": "friday"}


def test_create_transfer_handle(client: Both, router: respx.Router) -> None:
    """XSAPI's transfer handle body: multiplayer_transfer_handle_post_request.cpp:33-45
    (type, sessionRef: the target, version, originSessionRef), checked by its unit test
    against Tests/UnitTests/Tests/Services/TestResponses/Multiplayer.json:1129-1142;
    the answer is the handle (:1143-1157), read for its id (multiplayer_service.cpp:
    485-495)."""
    answer = {"type": "transfer", "id": "t1", "sessionRef": REF_JSON,
              "originSessionRef": ORIGIN_JSON, "version": 1}  # fmt: skip
    route = router.post("/handles").respond(201, json=answer)
    handle = client.create_transfer_handle(REF, ORIGIN)
    assert bodies(route) == [{"type": "transfer", "sessionRef": REF_JSON, "version": 1,
                              "originSessionRef": ORIGIN_JSON}]  # fmt: skip
    assert (handle.id, handle.type, handle.ref, handle.origin_ref) == ("t1", "transfer", REF,
                                                                       ORIGIN)  # fmt: skip
    with pytest.raises(TypeError):
        client.create_transfer_handle(REF, "lobby/friday")
    with pytest.raises(ValueError, match="itself"):
        client.create_transfer_handle(REF, REF)
    assert route.call_count == 1


def test_activities_of_a_social_group(client: Both, router: respx.Router) -> None:
    """XSAPI's activity query for a social group: multiplayer_activity_query_post_request
    .cpp:56-80 (owners.people: moniker and monikerXuid, instead of owners.xuids); the
    reference's example body: uri-handlesquerypost.md:70-83."""
    route = router.post("/handles/query").respond(200, json={"results": []})
    client.activities(SCID, social_group="favorites", social_group_xuid="3210")
    assert bodies(route) == [{"type": "activity", "scid": SCID,
                              "owners": {"people": {"moniker": "favorites",
                                                    "monikerXuid": "3210"}}}]  # fmt: skip


def test_search_by_a_social_group(client: Both, router: respx.Router) -> None:
    """XSAPI's search with a social group: multiplayer_query_search_handle_request.cpp:
    126-135 (sessionMembers.people), the body of its unit test: Multiplayer.json:
    1188-1201."""
    route = router.post("/handles/query").respond(200, json={"results": []})
    client.search(SCID, "lobby", filter="numbers/a eq 1", social_group="favorites",
                  social_group_xuid="1234")  # fmt: skip
    assert bodies(route) == [{"type": "search", "scid": SCID, "templateName": "lobby",
                              "global": True, "filter": "numbers/a eq 1",
                              "sessionMembers": {"people": {"moniker": "favorites",
                                                            "monikerXuid": "1234"}}}]  # fmt: skip


_HALF_GROUPS = [{"social_group": "people"}, {"social_group_xuid": "1"},
                {"social_group": "", "social_group_xuid": "1"},
                {"social_group": "people", "social_group_xuid": "x"}]  # fmt: skip


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"xuids": ["1"], "social_group": "people", "social_group_xuid": "1"}, *_HALF_GROUPS],
)
def test_bad_social_activity_queries_are_refused_before_sending(
    client: Both, router: respx.Router, kwargs: dict[str, Any]
) -> None:
    """XSAPI asserts xuids or a social group, not both (multiplayer_activity_query_post_
    request.cpp:59-60); the group needs its owner's xuid (:77)."""
    route = router.post("/handles/query").respond(200, json={"results": []})
    with pytest.raises(ValueError, match=r"xuid|social_group"):
        client.activities(SCID, **kwargs)
    assert route.call_count == 0


@pytest.mark.parametrize("kwargs", _HALF_GROUPS)
def test_bad_social_searches_are_refused_before_sending(
    client: Both, router: respx.Router, kwargs: dict[str, Any]
) -> None:
    route = router.post("/handles/query").respond(200, json={"results": []})
    with pytest.raises(ValueError, match=r"xuid|social_group"):
        client.search(SCID, "lobby", **kwargs)
    assert route.call_count == 0
