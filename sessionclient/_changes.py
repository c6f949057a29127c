"""Typed builders of session deltas: what XSAPI's ``XblMultiplayerSessionCurrentUserSet*``
and ``XblMultiplayerSessionConstantsSet*`` write, as the dict ``put()`` takes.

Each builder checks its input (``TypeError`` / ``ValueError`` before anything is sent)
and returns a plain delta; ``merge_changes`` combines several. Raw dicts keep working:
these only spell the same JSON without typos. Durations are milliseconds, as MPSD has
them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from ._core import encode_json
from ._directory import check_xuids
from ._models import CHANGE_TYPES

HostSelectionMetric = Literal["bandwidthUp", "bandwidthDown", "bandwidth", "latency"]
CAPABILITIES = frozenset(
    {
        "connectivity",
        "suppressPresenceActivityCheck",
        "gameplay",
        "large",
        "userAuthorizationStyle",
        "connectionRequiredForActiveMembers",
        "crossPlay",
        "searchable",
        "hasOwners",
    }
)
"""The session capabilities XSAPI can set (multiplayer_session.cpp:1641-1690)."""

Delta = dict[str, Any]
SESSION_VERSION = (
    1  # the major session version of contract 107 (XSAPI: MULTIPLAYER_SESSION_VERSION)
)


def _ms(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int of milliseconds, not {type(value).__name__}")
    if not 0 <= value < 2**52:  # XSAPI writes them as 52-bit unsigned integers
        raise ValueError(f"{what} must be between 0 and 2**52 - 1 milliseconds, not {value}")
    return value


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, not {value}")
    return value


def _names(values: object, what: str) -> list[str]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"{what} must be a list of str")
    found = list(values)
    if not all(isinstance(v, str) and v for v in found):
        raise TypeError(f"{what} must hold non-empty str")
    return found


def _object(value: object, what: str) -> dict[str, Any]:
    encode_json(value, what=what)  # a JSON object, or TypeError / ValueError
    assert isinstance(value, Mapping)
    return dict(value)


@attrs.frozen
class Timeouts:
    """How long MPSD keeps members in each state, and an empty session (ms)."""

    reserved_removal: int
    inactive_removal: int
    ready_removal: int
    session_empty: int

    def _json(self) -> Delta:
        return {
            "reservedRemovalTimeout": _ms(self.reserved_removal, "reserved_removal"),
            "inactiveRemovalTimeout": _ms(self.inactive_removal, "inactive_removal"),
            "readyRemovalTimeout": _ms(self.ready_removal, "ready_removal"),
            "sessionEmptyTimeout": _ms(self.session_empty, "session_empty"),
        }


@attrs.frozen
class MemberInitialization:
    """Member initialization (QoS before the game starts): its timeouts (ms), whether
    the title evaluates the measurements itself, and how many members must be ready."""

    join_timeout: int
    measurement_timeout: int
    evaluation_timeout: int | None = None
    external_evaluation: bool = False
    members_needed_to_start: int = 2

    def _json(self) -> Delta:
        if not isinstance(self.external_evaluation, bool):
            raise TypeError("external_evaluation must be a bool")
        found: Delta = {
            "joinTimeout": _ms(self.join_timeout, "join_timeout"),
            "measurementTimeout": _ms(self.measurement_timeout, "measurement_timeout"),
        }
        if self.external_evaluation:
            if self.evaluation_timeout is None:
                raise ValueError("external_evaluation needs an evaluation_timeout")
            found["evaluationTimeout"] = _ms(self.evaluation_timeout, "evaluation_timeout")
        elif self.evaluation_timeout is not None:
            raise ValueError("evaluation_timeout applies only with external_evaluation=True")
        found["externalEvaluation"] = self.external_evaluation
        found["membersNeededToStart"] = _count(
            self.members_needed_to_start, "members_needed_to_start"
        )
        return found


@attrs.frozen
class PeerToPeerRequirements:
    """What every pair of members must reach: latency at most (ms), bandwidth at least
    (kbps)."""

    latency_maximum: int
    bandwidth_minimum: int

    def _json(self) -> Delta:
        latency = _ms(self.latency_maximum, "latency_maximum")
        bandwidth = _count(self.bandwidth_minimum, "bandwidth_minimum")
        return {"latencyMaximum": latency, "bandwidthMinimum": bandwidth}


@attrs.frozen
class PeerToHostRequirements:
    """What each member must reach to the host: latency at most (ms), bandwidth down
    and up at least (kbps), and the metric that picks the host."""

    latency_maximum: int
    bandwidth_down_minimum: int
    bandwidth_up_minimum: int
    host_selection_metric: HostSelectionMetric = "latency"

    def _json(self) -> Delta:
        metric = self.host_selection_metric
        if metric not in ("bandwidthUp", "bandwidthDown", "bandwidth", "latency"):
            raise ValueError(f"invalid host_selection_metric {metric!r}")
        return {
            "latencyMaximum": _ms(self.latency_maximum, "latency_maximum"),
            "bandwidthDownMinimum": _count(self.bandwidth_down_minimum, "bandwidth_down_minimum"),
            "bandwidthUpMinimum": _count(self.bandwidth_up_minimum, "bandwidth_up_minimum"),
            "hostSelectionMetric": metric,
        }


def _typed(value: object, cls: type, what: str) -> Delta:
    if not isinstance(value, cls):
        raise TypeError(f"{what} must be a {cls.__name__}, not {type(value).__name__}")
    found: Delta = value._json()  # type: ignore[attr-defined]
    return found


def session_constants(
    *,
    max_members_count: int | None = None,
    visibility: Literal["private", "visible", "open"] | None = None,
    capabilities: Iterable[str] | None = None,
    initiators: Iterable[str] | None = None,
    timeouts: Timeouts | None = None,
    member_initialization: MemberInitialization | None = None,
    peer_to_peer: PeerToPeerRequirements | None = None,
    peer_to_host: PeerToHostRequirements | None = None,
    measurement_server_addresses: Mapping[str, Any] | None = None,
    cloud_compute_package: Mapping[str, Any] | None = None,
    custom: Mapping[str, Any] | None = None,
) -> Delta:
    """``{"constants": {...}}`` for a new session (constants are set when it is
    created): the fields of XSAPI's ``XblMultiplayerSessionConstantsSet*``
    (multiplayer_session.cpp:1625-1820). ``capabilities`` names the ones to turn on
    (``CAPABILITIES``)."""
    system: Delta = {}
    if max_members_count is not None:
        if _count(max_members_count, "max_members_count") == 0:
            raise ValueError("max_members_count must be positive")
        system["maxMembersCount"] = max_members_count
    if visibility is not None:
        if visibility not in ("private", "visible", "open"):
            raise ValueError(f"visibility must be private, visible or open, not {visibility!r}")
        system["visibility"] = visibility
    if capabilities is not None:
        names = _names(capabilities, "capabilities")
        unknown = sorted(set(names) - CAPABILITIES)
        if unknown:
            raise ValueError(f"unknown capabilities {unknown}: use {sorted(CAPABILITIES)}")
        system["capabilities"] = dict.fromkeys(names, True)
    if initiators is not None:
        system["initiators"] = sorted(check_xuids(initiators, "initiators"), key=int)
    if timeouts is not None:
        system.update(_typed(timeouts, Timeouts, "timeouts"))
    for key, value, cls, what in (
        (
            "memberInitialization",
            member_initialization,
            MemberInitialization,
            "member_initialization",
        ),
        ("peerToPeerRequirements", peer_to_peer, PeerToPeerRequirements, "peer_to_peer"),
        ("peerToHostRequirements", peer_to_host, PeerToHostRequirements, "peer_to_host"),
    ):
        if value is not None:
            system[key] = _typed(value, cls, what)
    if measurement_server_addresses is not None:
        system["measurementServerAddresses"] = _object(
            measurement_server_addresses, "measurement_server_addresses"
        )
    if cloud_compute_package is not None:
        system["cloudComputePackage"] = _object(cloud_compute_package, "cloud_compute_package")
    # As XSAPI writes constants: the session version, and custom even when empty.
    system["version"] = SESSION_VERSION
    custom_json = _object(custom, "custom") if custom is not None else {}
    return {"constants": {"system": system, "custom": custom_json}}


def my_member(
    *,
    active: bool | None = None,
    secure_device_address: str | None = None,
    roles: Mapping[str, str] | None = None,
    groups: Iterable[str] | None = None,
    encounters: Iterable[str] | None = None,
    initialization_group: Iterable[int] | None = None,
    measurements: Mapping[str, Any] | None = None,
    server_measurements: Mapping[str, Any] | None = None,
    subscription_id: str | None = None,
    change_types: Iterable[str] | None = None,
    custom: Mapping[str, Any] | None = None,
    initialize: bool = False,
    custom_constants: object = None,
) -> Delta:
    """``{"members": {"me": {...}}}``: what XSAPI's
    ``XblMultiplayerSessionCurrentUserSet*`` write (multiplayer_session_member.cpp:
    605-705). ``active=False`` also clears ``ready``, as XSAPI does; ``roles`` maps a
    role type to a role; ``subscription_id`` with ``change_types`` (``CHANGE_TYPES``)
    subscribes to change notifications. When joining, ``initialize`` asks for member
    initialization and ``custom_constants`` (any JSON) are the member's constants."""
    me: Delta = {}
    if not isinstance(initialize, bool):
        raise TypeError("initialize must be a bool")
    if initialize or custom_constants is not None:
        constants: Delta = {"system": {"initialize": True}} if initialize else {}
        if custom_constants is not None:
            encode_json(custom_constants, what="custom_constants", object_only=False)
            constants["custom"] = custom_constants
        me["constants"] = constants
    system: Delta = {}
    if active is not None:
        if not isinstance(active, bool):
            raise TypeError("active must be a bool")
        system["active"] = active
        if not active:
            system["ready"] = False
    if (subscription_id is None) != (change_types is None):
        raise ValueError("give subscription_id and change_types together")
    if subscription_id is not None and change_types is not None:
        if not isinstance(subscription_id, str) or not subscription_id:
            raise TypeError("subscription_id must be a non-empty str")
        kinds = _names(change_types, "change_types")
        unknown = sorted(set(kinds) - CHANGE_TYPES)
        if unknown:
            raise ValueError(f"unknown change types {unknown}: use {sorted(CHANGE_TYPES)}")
        system["subscription"] = {"id": subscription_id, "changeTypes": kinds}
    if secure_device_address is not None:
        if not isinstance(secure_device_address, str) or not secure_device_address:
            raise TypeError("secure_device_address must be a non-empty str (base64)")
        system["secureDeviceAddress"] = secure_device_address
    if initialization_group is not None:
        if isinstance(initialization_group, str | bytes):
            raise TypeError("initialization_group must be a list of member indices")
        indices = [_count(i, "initialization_group") for i in initialization_group]
        system["initializationGroup"] = indices
    if groups is not None:
        system["groups"] = _names(groups, "groups")
    if encounters is not None:
        system["encounters"] = _names(encounters, "encounters")
    if measurements is not None:
        system["measurements"] = _object(measurements, "measurements")
    if server_measurements is not None:
        system["serverMeasurements"] = _object(server_measurements, "server_measurements")
    if roles is not None:
        if not isinstance(roles, Mapping):
            raise TypeError("roles must map role types to roles")
        me["roles"] = {
            _names([k], "role types")[0]: _names([v], "roles")[0] for k, v in roles.items()
        }
    properties: Delta = {"system": system} if system else {}
    if custom is not None:
        properties["custom"] = _object(custom, "custom")
    if properties:
        me["properties"] = properties
    return {"members": {"me": me}}


def reserve(
    xuids: Iterable[str], *, custom: Mapping[str, Any] | None = None, initialize: bool = False
) -> Delta:
    """Reserve places for users (``members.reserve_<n>``), as XSAPI's
    ``XblMultiplayerSessionAddMemberReservation`` does (multiplayer_session.cpp:452-476):
    each reserved member's constants hold its xuid, ``custom`` and ``initialize``."""
    if not isinstance(initialize, bool):
        raise TypeError("initialize must be a bool")
    extra = {"custom": _object(custom, "custom")} if custom is not None else {}
    members: Delta = {}
    for n, xuid in enumerate(dict.fromkeys(check_xuids(xuids))):
        system: Delta = {"xuid": xuid, **({"initialize": True} if initialize else {})}
        members[f"reserve_{n}"] = {"constants": {"system": system, **extra}}
    return {"members": members}


def merge_changes(*deltas: Mapping[str, Any]) -> Delta:
    """One delta from several (``merge_changes(my_member(active=True), {...})``);
    ``ValueError`` when two set one field to different values."""
    merged: Delta = {}
    for delta in deltas:
        if not isinstance(delta, Mapping):
            raise TypeError(f"each delta must be a mapping, not {type(delta).__name__}")
        _merge_into(merged, delta, ())
    return merged


def _merge_into(target: Delta, delta: Mapping[str, Any], path: tuple[str, ...]) -> None:
    for key, value in delta.items():
        where = (*path, key)
        if isinstance(value, Mapping):
            here = target.setdefault(key, {})
            if not isinstance(here, dict):
                raise ValueError(f"two deltas set {'.'.join(where)} differently")
            _merge_into(here, value, where)
        elif key in target and encode_json(target[key], object_only=False) != encode_json(
            value, object_only=False
        ):
            raise ValueError(f"two deltas set {'.'.join(where)} differently")
        else:
            target[key] = value
