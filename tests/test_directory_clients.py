"""Queries, handles, search and templates through both clients against the emulator
(in-process, and over real sockets for what crosses the wire: query strings, Location)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID, Emulator, Fault, Template, Throttle

from .conftest import FakeClock, World, world_of

WALL = 1_700_000_000.0  # 2023-11-14T22:13:20Z
TEMPLATES = {DEFAULT_SCID: (Template.of("lobby"), Template.of("arena", large=True))}
HOST, ANA, BEN = "1001", "1002", "1003"


def _emulator(clock: FakeClock, **options: Any) -> Emulator:
    options.setdefault("throttle", Throttle(enabled=False))
    return Emulator(TEMPLATES, clock=clock, wallclock=lambda: WALL, **options)


@pytest.fixture(params=["in-process", "socket"])
def world(
    request: pytest.FixtureRequest, kind: str, clock: FakeClock, loop: asyncio.AbstractEventLoop
) -> Iterator[World]:
    with world_of(_emulator(clock), clock, kind, loop, socket=request.param == "socket") as made:
        yield made


@pytest.fixture
def local(kind: str, clock: FakeClock, loop: asyncio.AbstractEventLoop) -> Iterator[World]:
    """In-process only: for behaviour that the wire does not change."""
    with world_of(_emulator(clock), clock, kind, loop, socket=False) as made:
        yield made


# --- session queries ------------------------------------------------------------------


def test_query_by_xuid_finds_the_sessions_a_user_is_in(world: World) -> None:
    host, ana = world.client(HOST), world.client(ANA)
    first = world.lobby(host, properties={"system": {"keywords": ["ranked"]}})
    second = world.lobby(host)
    world.lobby(ana)  # host is not in this one
    host.join(second, properties={"system": {"active": True}})
    found = host.query(DEFAULT_SCID, xuid=HOST, inactive=True)
    assert [s.ref for s in found] == [first, second]
    assert [s.status for s in found] == ["inactive", "active"]
    assert found[0].keywords == ("ranked",)
    assert found[0].start_time == datetime.fromtimestamp(WALL, timezone.utc)
    assert (found[0].xuid, found[0].accepted, found[0].visibility) == (HOST, 1, "open")
    assert (found[0].join_restriction, found[0].my_turn) == ("none", False)
    # Without inactive=True only sessions where the user is active are listed.
    assert [s.ref for s in host.query(DEFAULT_SCID, xuid=HOST)] == [second]


def test_query_by_keyword_template_and_take(world: World) -> None:
    host = world.client(HOST)
    tagged = [world.lobby(host, properties={"system": {"keywords": ["Harbor"]}})
              for _ in range(3)]  # fmt: skip
    world.lobby(host, "arena", properties={"system": {"keywords": ["harbor"]}})
    world.lobby(host)
    found = host.query(DEFAULT_SCID, template="lobby", keyword="harbor")
    assert [s.ref for s in found] == tagged
    assert found[0].status is None  # a keyword query is about no one in particular
    assert len(host.query(DEFAULT_SCID, keyword="harbor", take=2)) == 2
    assert len(host.query(DEFAULT_SCID, keyword="harbor", take=1)) == 1
    assert len(host.query(DEFAULT_SCID, keyword="harbor")) == 4


def test_batch_keeps_xuid_order_and_repeats(world: World) -> None:
    host, ana, ben = world.client(HOST), world.client(ANA), world.client(BEN)
    shared = world.lobby(host)
    ana.join(shared)
    own = world.lobby(ben)
    found = host.query(DEFAULT_SCID, xuids=[BEN, ANA, HOST], inactive=True)
    assert [(s.xuid, s.ref) for s in found] == [(BEN, own), (ANA, shared), (HOST, shared)]
    assert world.emulator.requests[-1][:2] == ("POST", f"/serviceconfigs/{DEFAULT_SCID}/batch")


def test_reservations_and_private_sessions(local: World) -> None:
    host, ana = local.client(HOST), local.client(ANA)
    hidden = local.lobby(host, constants={"system": {"visibility": "private"}})
    host.put(hidden, {"members": {"reserve_1": {"constants": {"system": {"xuid": ANA}}}}})
    assert ana.query(DEFAULT_SCID, xuid=ANA, inactive=True) == []
    mine = ana.query(DEFAULT_SCID, xuid=ANA, reservations=True, private=True)
    assert [(s.ref, s.status, s.visibility) for s in mine] == [(hidden, "reserved", "private")]
    assert [s.ref for s in host.query(DEFAULT_SCID, xuid=HOST, private=True, inactive=True)] == [
        hidden
    ]
    with pytest.raises(sc.ForbiddenError) as caught:
        host.query(DEFAULT_SCID, xuid=ANA, private=True)
    assert caught.value.status == 403
    with pytest.raises(sc.ForbiddenError):
        host.query(DEFAULT_SCID, xuids=[HOST, ANA], reservations=True)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({}, ValueError, "needs a filter"),
        ({"xuid": "1", "xuids": ["2"]}, ValueError, "not both"),
        ({"xuids": []}, ValueError, "empty"),
        ({"xuids": "1001"}, TypeError, "list of xuid"),
        ({"xuid": 1001}, TypeError, "str of digits"),
        ({"xuid": "12a"}, ValueError, "decimal digits"),
        ({"keyword": "x", "take": 101}, ValueError, "between 1 and 100"),
        ({"keyword": "x", "take": 0}, ValueError, "between 1 and 100"),
        ({"keyword": "x", "take": True}, TypeError, "take"),
        ({"keyword": "x", "visibility": "secret"}, ValueError, "visibility"),
        ({"keyword": "x", "private": "yes"}, TypeError, "private"),
        ({"keyword": ""}, ValueError, "keyword"),
        ({"keyword": "a\nb"}, ValueError, "keyword"),
    ],
)
def test_bad_queries_are_refused_before_sending(
    local: World, kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    client = local.client(HOST)
    with pytest.raises(error, match=words):
        client.query(DEFAULT_SCID, **kwargs)
    assert local.emulator.requests == []


def test_query_of_an_unknown_template_is_404(local: World) -> None:
    with pytest.raises(sc.NotFoundError):
        local.client(HOST).query(DEFAULT_SCID, template="ranked", xuid=HOST)


# --- activities -----------------------------------------------------------------------


def test_activity_set_replaced_and_seen_by_friends(local: World) -> None:
    host, ana = local.client(HOST), local.client(ANA)
    first = local.lobby(host, properties={"custom": {"map": "harbor"}})
    assert host.set_activity(first) is None  # MPSD answers without a body, as documented
    (handle,) = host.activities(DEFAULT_SCID, [HOST])
    assert (handle.type, handle.ref, handle.owner_xuid, handle.version) == (
        "activity", first, HOST, 1
    )  # fmt: skip
    second = local.lobby(host)
    host.set_activity(second)  # replaces the first
    local.lobby(ana)
    seen = ana.activities(DEFAULT_SCID, [HOST, ANA])
    assert [(a.owner_xuid, a.ref) for a in seen] == [(HOST, second)]
    assert isinstance(seen[0], sc.Activity)
    info = seen[0].related_info
    assert (info.members_count, info.max_members_count, info.closed) == (1, 8, False)
    assert (info.visibility, info.join_restriction) == ("open", "none")
    with pytest.raises(sc.NotFoundError):
        host.get_handle(handle.id)


def test_only_members_create_handles(local: World) -> None:
    host, ana = local.client(HOST), local.client(ANA)
    ref = local.lobby(host)
    with pytest.raises(sc.ForbiddenError, match="only members"):
        ana.set_activity(ref)
    with pytest.raises(sc.NotFoundError):
        host.set_activity(sc.SessionRef(DEFAULT_SCID, "lobby", "nowhere"))


# --- invites and handles --------------------------------------------------------------


def test_invite_then_join_through_the_handle(world: World) -> None:
    host, ana = world.client(HOST), world.client(ANA)
    ref = world.lobby(host)
    handles = host.invite(ref, [ANA, BEN, ANA], context="join me", title_id=1234)
    assert [h.invited_xuid for h in handles] == [ANA, BEN]  # one per distinct user
    assert all(h.type == "invite" and h.ref == ref for h in handles)
    assert handles[0].invite_attributes == {"context": "join me", "titleId": "1234"}
    assert handles[0].invite_protocol == "game"
    assert handles[0].create_time == datetime.fromtimestamp(WALL, timezone.utc)
    read = ana.get_handle(handles[0].id)
    assert read == handles[0]
    session = ana.get_by_handle(handles[0].id)
    assert isinstance(session, sc.Session)
    assert session.ref == ref  # from Content-Location
    joined = ana.put_by_handle(handles[0].id, {"members": {"me": {}}}, if_match=session.etag)
    assert isinstance(joined, sc.Session)
    assert [m.xuid for m in joined.members] == [HOST, ANA]
    ana.delete_handle(handles[0].id)
    with pytest.raises(sc.NotFoundError):
        ana.get_handle(handles[0].id)
    with pytest.raises(sc.ForbiddenError):
        ana.delete_handle(handles[1].id)  # neither its owner nor its invitee


def test_put_by_handle_with_a_stale_etag_is_412_with_the_session(world: World) -> None:
    host, ana = world.client(HOST), world.client(ANA)
    ref = world.lobby(host)
    (invite,) = host.invite(ref, [ANA], title_id=1234)
    stale = ana.get_by_handle(invite.id)
    assert isinstance(stale, sc.Session)
    host.set_properties(ref, {"round": 2})
    with pytest.raises(sc.PreconditionFailedError) as caught:
        ana.put_by_handle(invite.id, {"members": {"me": {}}}, if_match=stale.etag)
    assert caught.value.session is not None
    assert caught.value.session.ref == ref
    assert caught.value.session.custom_properties == {"round": 2}


def test_handles_go_when_their_session_goes(local: World) -> None:
    host = local.client(HOST)
    ref = local.lobby(host)
    (invite,) = host.invite(ref, [ANA], title_id=1234)
    host.set_activity(ref)
    (activity,) = host.activities(DEFAULT_SCID, [HOST])
    assert host.leave(ref) is False
    for handle in (invite, activity):
        with pytest.raises(sc.NotFoundError):
            host.get_handle(handle.id)
        with pytest.raises(sc.NotFoundError):
            host.get_by_handle(handle.id)
    assert local.emulator.handles() == []


def test_a_failed_invite_carries_the_handles_already_created(
    kind: str, clock: FakeClock, loop: asyncio.AbstractEventLoop
) -> None:
    # Two calls per burst: the lobby and the first invite pass, the second is throttled.
    world = World(_emulator(clock, throttle=Throttle(burst_limit=2)), clock, None, kind, loop)
    host = world.client(HOST, retry=sc.RetryPolicy.never())
    ref = world.lobby(host)
    with pytest.raises(sc.TooManyRequestsError) as caught:
        host.invite(ref, [ANA, BEN], title_id=1234)
    assert [h.invited_xuid for h in caught.value.handles] == [ANA]
    assert [h["invitedXuid"] for h in world.emulator.handles()] == [ANA]
    host.close()


@pytest.mark.parametrize(
    ("fault", "sent"),
    [
        (Fault.status(503), 1),  # no Retry-After: it may have been created
        (Fault.status(500), 1),
        (Fault.status(503, retry_after=2), 2),  # the service said it did nothing
        (Fault.status(429, retry_after=2), 2),
        (Fault.status(429), 2),
    ],
    ids=["503", "500", "503-retry-after", "429-retry-after", "429"],
)
def test_handle_posts_are_retried_only_when_the_service_did_nothing(
    local: World, fault: Fault, sent: int
) -> None:
    host = local.client(HOST)
    ref = local.lobby(host)
    local.emulator.inject(fault, method="POST", path_contains="/handles")
    local.emulator.requests.clear()
    if sent == 1:
        with pytest.raises(sc.ServerError):
            host.set_activity(ref)
    else:
        assert host.set_activity(ref) is None
    assert [r.method for r in local.emulator.requests] == ["POST"] * sent


def test_reads_through_queries_are_retried_like_gets(local: World) -> None:
    host = local.client(HOST)
    ref = local.lobby(host)
    local.emulator.inject(Fault.status(500), times=2, method="POST")
    local.emulator.requests.clear()
    assert [s.ref for s in host.query(DEFAULT_SCID, xuids=[HOST, ANA], inactive=True)] == [ref]
    assert len(local.emulator.requests) == 3  # a batch POST only reads: safe to repeat


def test_bad_handle_calls_are_refused_before_sending(local: World) -> None:
    host = local.client(HOST)
    ref = sc.SessionRef(DEFAULT_SCID, "lobby", "x")
    cases: list[tuple[Any, type[Exception]]] = [
        (lambda: host.get_handle("../x"), ValueError),
        (lambda: host.get_handle(7), TypeError),
        (lambda: host.delete_handle(""), ValueError),
        (lambda: host.put_by_handle("h", {"x": 1}, if_match='W/"weak"'), ValueError),
        (lambda: host.invite(ref, [], title_id=1), ValueError),
        (lambda: host.invite(ref, [ANA], title_id="12x"), ValueError),
        (lambda: host.invite(ref, [ANA], title_id=1, context=""), ValueError),
        (lambda: host.invite("not a ref", [ANA], title_id=1), TypeError),
        (lambda: host.set_activity(None), TypeError),
        (lambda: host.activities(DEFAULT_SCID, ANA), TypeError),
        (lambda: host.activities("not-a-guid", [ANA]), ValueError),
        (lambda: host.create_search_handle(ref, tags="casual"), TypeError),
        (lambda: host.create_search_handle(ref, tags=["has space"]), ValueError),
        (lambda: host.create_search_handle(ref, numbers={"skill": True}), TypeError),
        (lambda: host.create_search_handle(ref, numbers={"skill": float("nan")}), ValueError),
        (lambda: host.create_search_handle(ref, strings={"map": 3}), TypeError),
        (lambda: host.search(DEFAULT_SCID, "lobby", filter="Strings/map eq 'harbor"), ValueError),
        (lambda: host.search(DEFAULT_SCID, "lobby", filter="(Numbers/a gt 1"), ValueError),
        (lambda: host.search(DEFAULT_SCID, "lobby", filter="Numbers/a gt 1)"), ValueError),
        (lambda: host.search(DEFAULT_SCID, "../x"), ValueError),
        (lambda: host.templates("nope"), ValueError),
        (lambda: host.template(DEFAULT_SCID, "a/b"), ValueError),
    ]
    for call, error in cases:
        with pytest.raises(error):
            call()
    assert local.emulator.requests == []


# --- search -----------------------------------------------------------------------------


def test_a_search_result_carries_the_roles_a_session_defines(local: World) -> None:
    """XSAPI writes ``roleTypes`` at the top of the session document
    (multiplayer_session.cpp:1834-1837; its test data's ``roleTypesRequestJson``), and
    reads it there (:1471-1476); a search result's ``roleInfo`` carries them
    (multiplayer_search_handle_details.cpp:232-235). The emulator read them under
    ``constants.system``."""
    host = local.client(HOST)
    roles = {"lfg": {"roles": {"friend": {"max": 1, "target": 1}}}}
    ref = local.lobby(host, roleTypes=roles)
    host.create_search_handle(ref, strings={"map": "harbor"})
    (found,) = host.search(DEFAULT_SCID, "lobby", filter="strings/map eq 'harbor'")
    assert found.role_info == {"roleTypes": roles}


def test_search_filters_and_orders(world: World) -> None:
    host = world.client(HOST)
    lobbies = {}
    for map_name, skill, tags in (("harbor", 3, ["casual"]), ("Harbor", 7, []),
                                  ("desert", 5, ["casual"]), ("harbor", None, [])):  # fmt: skip
        ref = world.lobby(host)
        numbers = {"skill": skill} if skill is not None else {}
        handle = host.create_search_handle(
            ref, tags=tags, numbers=numbers, strings={"map": map_name}
        )
        assert (handle.type, handle.strings, handle.tags) == (
            "search",
            {"map": map_name},
            tuple(tags),
        )
        lobbies[(map_name, skill)] = ref
    found = host.search(DEFAULT_SCID, "lobby", filter="tolower(strings/map) eq 'harbor'",
                        order_by="numbers/skill desc")  # fmt: skip
    assert [r.ref for r in found] == [lobbies[("Harbor", 7)], lobbies[("harbor", 3)],
                                      lobbies[("harbor", None)]]  # fmt: skip
    assert isinstance(found[0], sc.SearchResult)
    assert found[0].numbers == {"skill": 7}
    assert found[0].related_info.members_count == 1
    assert found[0].custom_properties == {}
    assert found[0].role_info == {"roleTypes": {}}
    either = host.search(
        DEFAULT_SCID, "lobby",
        filter="(numbers/skill ge 5 and tags/any(d:d eq 'casual'))"
        " or tolower(strings/map) ne 'harbor'",
    )  # fmt: skip
    assert {r.ref for r in either} == {lobbies[("desert", 5)]}
    assert host.search(DEFAULT_SCID, "arena") == []
    assert len(host.search(DEFAULT_SCID, "lobby")) == 4


def test_a_filter_the_service_cannot_parse_is_400(local: World) -> None:
    with pytest.raises(sc.BadRequestError, match="unknown field"):
        local.client(HOST).search(DEFAULT_SCID, "lobby", filter="Colour eq 'red'")


def test_search_handles_have_their_own_bucket(
    kind: str, clock: FakeClock, loop: asyncio.AbstractEventLoop
) -> None:
    world = World(_emulator(clock, throttle=Throttle()), clock, None, kind, loop)
    # The default policy: the gate keeps search handles in buckets of their own.
    host = world.client(HOST)
    refs = [world.lobby(host) for _ in range(2)]
    for ref in refs:  # the second write is throttled: one write per 15 s
        host.create_search_handle(ref, strings={"map": "harbor"})
    assert [r.status for r in world.emulator.requests].count(429) == 1
    assert 15 <= sum(clock.sleeps) < 15.1
    assert len(host.search(DEFAULT_SCID, "lobby")) == 2  # reads have their own bucket
    assert 15 <= sum(clock.sleeps) < 15.1
    assert len(host.search(DEFAULT_SCID, "lobby")) == 2  # one read per 15 s
    assert [r.status for r in world.emulator.requests].count(429) == 2
    assert 30 <= sum(clock.sleeps) < 30.1
    # Sessions were never throttled: their bucket holds 30 per 15 s.
    assert all(r.status != 429 for r in world.emulator.requests if "/handles" not in r.path)
    host.close()


# --- templates ------------------------------------------------------------------------


def test_templates(local: World) -> None:
    client = local.client(HOST)
    assert client.templates(DEFAULT_SCID) == ["lobby", "arena"]
    arena = client.template(DEFAULT_SCID, "arena")
    assert arena["contractVersion"] == 107
    assert arena["constants"]["system"]["capabilities"] == {"large": True}
    with pytest.raises(sc.NotFoundError):
        client.template(DEFAULT_SCID, "ranked")
    with pytest.raises(sc.NotFoundError):
        client.templates("11111111-2222-3333-4444-555555555555")


# --- the typed view of real documents ---------------------------------------------------


def test_typed_view_of_an_emulated_session(local: World) -> None:
    host, ana = local.client(HOST), local.client(ANA)
    ref = local.lobby(
        host,
        constants={"system": {"visibility": "open", "capabilities": {"searchable": True}},
                   "custom": {"mode": "ctf"}},
        properties={"system": {"keywords": ["harbor"], "joinRestriction": "followed",
                               "turn": [0]}},
    )  # fmt: skip
    ana.join(ref, properties={"system": {"active": True, "ready": True}, "custom": {"hat": 1}})
    session = host.get(ref)
    assert isinstance(session, sc.Session)
    assert session.constants.max_members_count == 8
    assert session.constants.visibility == "open"
    assert session.constants.capabilities == {"large": False, "searchable": True}
    assert session.constants.custom == {"mode": "ctf"}
    props = session.system_properties
    assert (props.keywords, props.join_restriction, props.turn) == (("harbor",), "followed", (0,))
    assert (props.closed, props.locked, props.host) == (None, None, None)
    assert session.members_info.count == 2
    assert session.members_info.accepted == 2
    assert session.change_number == 2  # the emulator numbers changes: create, join
    assert [(m.index, m.xuid) for m in session.members] == [(0, HOST), (1, ANA)]
    member = session.member(ANA)
    assert member is not None
    assert (member.active, member.ready, member.custom_properties) == (True, True, {"hat": 1})
    assert member.gamertag == f"Player {ANA}"
    assert member.join_time == datetime.fromtimestamp(WALL, timezone.utc)
    assert session.member("999") is None


def test_the_demo_invites_a_friend_and_finds_the_lobby_by_search() -> None:
    from sessionclient.emulator._demo import run_demo

    out = io.StringIO()
    assert run_demo(out) == 0
    transcript = out.getvalue()
    chapter = transcript[transcript.index("10. The host invites") : transcript.index("14. ")]
    assert chapter.count("POST   /handles\n         ← 201 Created") == 2
    assert "PUT    /handles/" in chapter
    assert "inviting 1004" in chapter
    assert "POST   /handles/query?include=relatedInfo,roleInfo,customProperties" in chapter
    assert chapter.rstrip().endswith("{'map': 'harbor'} {'players': 4}")


# --- issue 23 item 10: transfer handles and social groups ---------------------------------


def test_a_lobby_moves_its_members_through_a_transfer_handle(world: World) -> None:
    """The host creates the game, points a transfer handle at it from the lobby; a lobby
    member joins the game through it, a stranger cannot."""
    host, ana, ben = world.client(HOST), world.client(ANA), world.client(BEN)
    lobby = world.lobby(host)
    ana.join(lobby)
    game = world.lobby(host, "arena")
    handle = host.create_transfer_handle(game, lobby)
    assert (handle.type, handle.ref, handle.origin_ref) == ("transfer", game, lobby)
    assert host.get_handle(handle.id).origin_ref == lobby
    joined = ana.put_by_handle(handle.id, {"members": {"me": {}}})
    assert isinstance(joined, sc.Session)
    assert joined.ref == game
    with pytest.raises(sc.ForbiddenError):
        ben.put_by_handle(handle.id, {"members": {"me": {}}})
    with pytest.raises(sc.ForbiddenError):  # only a member of the origin may create it
        world.client(BEN).create_transfer_handle(world.lobby(ben), lobby)


def test_activities_and_search_by_social_group(world: World) -> None:
    host, ana = world.client(HOST), world.client(ANA)
    world.emulator.set_social_group(BEN, "favorites", [HOST])
    ref = world.lobby(host)
    host.set_activity(ref)
    ana.set_activity(world.lobby(ana))
    host.create_search_handle(ref, tags=["casual"])
    ana.create_search_handle(world.lobby(ana), tags=["casual"])
    ben = world.client(BEN)
    seen = ben.activities(DEFAULT_SCID, social_group="favorites", social_group_xuid=BEN)
    assert [a.owner_xuid for a in seen] == [HOST]
    found = ben.search(DEFAULT_SCID, "lobby", social_group="favorites", social_group_xuid=BEN)
    assert [r.ref for r in found] == [ref]
    assert ben.activities(DEFAULT_SCID, social_group="people", social_group_xuid=BEN) == []
