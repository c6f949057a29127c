"""Issue 23 item 9: typed builders of session deltas, field by field against what XSAPI
writes: the current user, Source/Services/Multiplayer/multiplayer_session_member.cpp:
605-705 (MultiplayerSessionMember::Serialize); the constants, multiplayer_session.cpp:
1625-1820 (SerializeSessionConstants); reservations, multiplayer_session.cpp:452-476
(AddMemberReservation, members "reserve_<n>").
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sessionclient as sc
from sessionclient.emulator import DEFAULT_SCID, Emulator, Throttle


def test_my_member_writes_xsapis_fields() -> None:
    delta = sc.my_member(
        active=True, secure_device_address="AQID", roles={"lfg": "confirmed"},
        groups=["team-a"], encounters=["1003"], initialization_group=[0, 2],
        measurements={"e0": {"latency": 5}}, server_measurements={"s": {"latency": 9}},
        subscription_id="3F0C", change_types=["host", "membersList"], custom={"c": 1},
    )  # fmt: skip
    assert delta == {"members": {"me": {
        "roles": {"lfg": "confirmed"},  # a member's roles are not under properties (:628-636)
        "properties": {
            "system": {
                "active": True,
                "subscription": {"id": "3F0C", "changeTypes": ["host", "membersList"]},
                "secureDeviceAddress": "AQID",
                "initializationGroup": [0, 2],
                "groups": ["team-a"],
                "encounters": ["1003"],
                "measurements": {"e0": {"latency": 5}},
                "serverMeasurements": {"s": {"latency": 9}},
            },
            "custom": {"c": 1},
        },
    }}}  # fmt: skip


def test_inactive_clears_ready_as_xsapi_does() -> None:
    """multiplayer_session_member.cpp:610-617: active false also writes ready false."""
    assert sc.my_member(active=False) == {
        "members": {"me": {"properties": {"system": {"active": False, "ready": False}}}}
    }
    assert sc.my_member() == {"members": {"me": {}}}  # joining, nothing else


def test_session_constants_write_xsapis_fields() -> None:
    delta = sc.session_constants(
        max_members_count=8, visibility="open", capabilities=["gameplay", "crossPlay"],
        initiators=["20", "3"],
        timeouts=sc.Timeouts(reserved_removal=1, inactive_removal=2, ready_removal=3,
                             session_empty=4),
        member_initialization=sc.MemberInitialization(
            join_timeout=10, measurement_timeout=20, evaluation_timeout=30,
            external_evaluation=True, members_needed_to_start=3),
        peer_to_peer=sc.PeerToPeerRequirements(latency_maximum=250, bandwidth_minimum=10000),
        peer_to_host=sc.PeerToHostRequirements(latency_maximum=100, bandwidth_down_minimum=5,
                                               bandwidth_up_minimum=6,
                                               host_selection_metric="bandwidthUp"),
        measurement_server_addresses={"east": {"secureDeviceAddress": "AQ"}},
        cloud_compute_package={"crossSandbox": True},
        custom={"mode": "ffa"},
    )  # fmt: skip
    assert delta == {"constants": {
        "system": {
            "maxMembersCount": 8, "visibility": "open",
            "capabilities": {"gameplay": True, "crossPlay": True},
            "initiators": ["3", "20"],  # sorted as numbers (:1700)
            "reservedRemovalTimeout": 1, "inactiveRemovalTimeout": 2,
            "readyRemovalTimeout": 3, "sessionEmptyTimeout": 4,
            "memberInitialization": {"joinTimeout": 10, "measurementTimeout": 20,
                                     "evaluationTimeout": 30, "externalEvaluation": True,
                                     "membersNeededToStart": 3},
            "peerToPeerRequirements": {"latencyMaximum": 250, "bandwidthMinimum": 10000},
            "peerToHostRequirements": {"latencyMaximum": 100, "bandwidthDownMinimum": 5,
                                       "bandwidthUpMinimum": 6,
                                       "hostSelectionMetric": "bandwidthUp"},
            "measurementServerAddresses": {"east": {"secureDeviceAddress": "AQ"}},
            "cloudComputePackage": {"crossSandbox": True},
            "version": 1,  # XSAPI always writes the session version (:1635)
        },
        "custom": {"mode": "ffa"},
    }}  # fmt: skip
    init = sc.MemberInitialization(join_timeout=1, measurement_timeout=2)
    written = sc.session_constants(member_initialization=init)["constants"]["system"]
    assert written["memberInitialization"] == {  # no evaluationTimeout without it (:1750)
        "joinTimeout": 1, "measurementTimeout": 2, "externalEvaluation": False,
        "membersNeededToStart": 2,
    }  # fmt: skip


def test_reserve() -> None:
    assert sc.reserve(["1002", "1003", "1002"], custom={"team": 1}, initialize=True) == {
        "members": {
            "reserve_0": {"constants": {"system": {"xuid": "1002", "initialize": True},
                                        "custom": {"team": 1}}},
            "reserve_1": {"constants": {"system": {"xuid": "1003", "initialize": True},
                                        "custom": {"team": 1}}},
        }
    }  # fmt: skip


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: sc.my_member(active=1), TypeError),
        (lambda: sc.my_member(subscription_id="x"), ValueError),
        (lambda: sc.my_member(subscription_id="x", change_types=["members"]), ValueError),
        (lambda: sc.my_member(groups="team"), TypeError),
        (lambda: sc.my_member(roles={"lfg": 3}), TypeError),
        (lambda: sc.my_member(initialization_group=[-1]), ValueError),
        (lambda: sc.my_member(measurements={"x": float("nan")}), ValueError),
        (lambda: sc.my_member(custom=[1]), TypeError),
        (lambda: sc.session_constants(max_members_count=0), ValueError),
        (lambda: sc.session_constants(visibility="full"), ValueError),
        (lambda: sc.session_constants(capabilities=["flying"]), ValueError),
        (lambda: sc.session_constants(initiators=["x"]), ValueError),
        (lambda: sc.session_constants(timeouts={"reserved": 1}), TypeError),
        (lambda: sc.session_constants(timeouts=sc.Timeouts(1.5, 1, 1, 1)), TypeError),  # type: ignore[arg-type]
        (lambda: sc.session_constants(timeouts=sc.Timeouts(-1, 1, 1, 1)), ValueError),
        (lambda: sc.session_constants(
            member_initialization=sc.MemberInitialization(1, 2, external_evaluation=True)),
         ValueError),
        (lambda: sc.session_constants(
            peer_to_host=sc.PeerToHostRequirements(1, 2, 3, "speed")),  # type: ignore[arg-type]
         ValueError),
        (lambda: sc.reserve([]), ValueError),
        (lambda: sc.reserve(["1"], initialize="yes"), TypeError),  # type: ignore[arg-type]
    ],
)  # fmt: skip
def test_bad_input_is_refused(build: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        build()


def test_merge_changes() -> None:
    merged = sc.merge_changes(
        sc.session_constants(max_members_count=4), sc.my_member(active=True),
        {"properties": {"custom": {"map": "harbor"}}}, sc.reserve(["1002"]),
    )  # fmt: skip
    assert merged == {
        "constants": {"system": {"maxMembersCount": 4, "version": 1}, "custom": {}},
        "members": {"me": {"properties": {"system": {"active": True}}},
                    "reserve_0": {"constants": {"system": {"xuid": "1002"}}}},
        "properties": {"custom": {"map": "harbor"}},
    }  # fmt: skip
    assert sc.merge_changes({"a": 1}, {"a": 1}) == {"a": 1}
    for clash in ({"a": 2}, {"a": True}, {"a": None}, {"a": {"b": 1}}):
        with pytest.raises(ValueError, match="differently"):
            sc.merge_changes({"a": 1}, clash)


_json = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from("ab"),
                     lambda inner: st.dictionaries(st.sampled_from("xyz"), inner, max_size=2),
                     max_leaves=5)  # fmt: skip


@given(st.lists(st.dictionaries(st.sampled_from("xyz"), _json, max_size=2), max_size=3))
def test_merging_is_the_union_when_it_succeeds(deltas: list[dict[str, Any]]) -> None:
    """Each delta's leaves are in the merge with their value (or the merge refuses)."""
    try:
        merged = sc.merge_changes(*deltas)
    except ValueError:
        return

    def leaves(value: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
        if isinstance(value, dict) and value:
            return [leaf for k, v in value.items() for leaf in leaves(v, (*path, k))]
        return [] if isinstance(value, dict) else [(path, value)]

    found = dict(leaves(merged))
    for delta in deltas:
        for path, value in leaves(delta):
            assert found[path] == value
            assert type(found[path]) is type(value)


def test_the_emulator_takes_the_builders_deltas() -> None:
    """A session created from builders, as the service stores it."""
    emulator = Emulator(throttle=Throttle(enabled=False))
    ref = sc.SessionRef(DEFAULT_SCID, "lobby", "built")
    with emulator.client("1001") as host:
        created = host.create(ref, sc.merge_changes(
            sc.session_constants(max_members_count=8, custom={"mode": "ffa"}),
            sc.my_member(active=True, roles={"lfg": "confirmed"}, custom={"c": 1}),
            sc.reserve(["1002"]),
        ))  # fmt: skip
        assert isinstance(created, sc.Session)
        assert created.constants.custom == {"mode": "ffa"}
        me = created.member("1001")
        assert me is not None
        assert me.active is True
        assert created.member("1002") is not None  # reserved
