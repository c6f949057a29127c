"""Pure pieces of the emulator's directory beyond one session: what a session query
reports about a session, what a handle query adds to a handle, and the checks of a
new handle's body. They read documents and raise ``ValueError`` for a 400; the
``Directory`` does the routing, authorization and storage."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

Json = dict[str, Any]

CONTRACT_VERSION = 107
HANDLE_TYPES = ("activity", "invite", "search", "transfer")
_XUID = re.compile(r"[^\s,]{1,64}")  # the SDK insists on digits; the emulator's users are names
_ATTRIBUTE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_INVITE_ATTRIBUTES = ("titleId", "context", "contextString", "senderString")
TAKE_MAX = 100


def check_xuid(value: object, what: str = "xuid") -> str:
    """A xuid as the emulator accepts it."""
    if not isinstance(value, str) or not _XUID.fullmatch(value):
        raise ValueError(f"{what} must be a xuid string")
    return value


def check_xuids(value: object, what: str) -> list[str]:
    """A non-empty array of xuids (at most 100)."""
    if not isinstance(value, list) or not value or len(value) > TAKE_MAX:
        raise ValueError(f"{what} must be an array of 1 to {TAKE_MAX} xuids")
    return [check_xuid(x, what) for x in value]


def session_ref(key: tuple[str, str, str]) -> Json:
    """The ``sessionRef`` object of a stored session."""
    scid, template, name = key
    return {"scid": scid, "templateName": template, "name": name}


def _system(document: Json, section: str) -> Mapping[str, Any]:
    system = document.get(section, {}).get("system", {})
    return system if isinstance(system, dict) else {}


def visibility(document: Json) -> str:
    """The session's visibility (``open`` unless its constants say otherwise)."""
    value = _system(document, "constants").get("visibility")
    return value if isinstance(value, str) else "open"


def keywords(document: Json) -> list[str]:
    """The session's keywords."""
    found = _system(document, "properties").get("keywords")
    return [k for k in found if isinstance(k, str)] if isinstance(found, list) else []


def member_index(document: Json, xuid: str) -> str | None:
    """The index of the member with ``xuid``."""
    members = document["members"].items()
    return next((i for i, m in members if m["constants"]["system"]["xuid"] == xuid), None)


def summary(
    key: tuple[str, str, str],
    document: Json,
    *,
    xuid: str | None,
    keyword: str | None,
    visibility_filter: str | None,
    private: bool,
    reservations: bool,
    inactive: bool,
) -> Json | None:
    """The query result for one session, or None when the query does not select it.

    With ``xuid``, the session is selected when that user's member is active, or
    inactive with ``inactive``, or a reservation not yet taken with ``reservations``.
    Private sessions only with ``private`` (or ``visibility=private``).
    """
    shown = visibility(document)
    if visibility_filter is not None and shown != visibility_filter:
        return None
    if visibility_filter is None and shown == "private" and not private:
        return None
    words = keywords(document)
    if keyword is not None and keyword.lower() not in (w.lower() for w in words):
        return None
    properties = _system(document, "properties")
    join = properties.get("joinRestriction")
    item: Json = {
        "startTime": document.get("startTime"),
        "sessionRef": session_ref(key),
        "accepted": document["membersInfo"]["accepted"],
        "visibility": shown,
        "joinRestriction": join if isinstance(join, str) else "none",
        "keywords": words,
    }
    if xuid is None:
        return item
    index = member_index(document, xuid)
    if index is None:
        return None
    member = document["members"][index]
    if member.get("reserved"):
        status = "reserved"
    elif member["properties"].get("system", {}).get("active") is True:
        status = "active"
    else:
        status = "inactive"
    if (status == "reserved" and not reservations) or (status == "inactive" and not inactive):
        return None
    turn = properties.get("turn")
    my_turn = isinstance(turn, list) and int(index) in turn
    return {"xuid": xuid, **item, "status": status, "myTurn": my_turn}


def related_info(document: Json) -> Json:
    """``relatedInfo`` of a handle query result: the state of the handle's session."""
    properties = _system(document, "properties")
    join = properties.get("joinRestriction")
    return {
        "visibility": visibility(document),
        "joinRestriction": join if isinstance(join, str) else "none",
        "closed": properties.get("closed") is True,
        "maxMembersCount": _system(document, "constants").get("maxMembersCount"),
        "membersCount": document["membersInfo"]["count"],
    }


def role_info(document: Json) -> Json:
    """``roleInfo`` of a search result: the session's role types as written at the top
    of its document (the emulator does not count role holders)."""
    roles = document.get("roleTypes")
    return {"roleTypes": roles if isinstance(roles, dict) else {}}


def handle_ref(body: Json, key: str = "sessionRef") -> tuple[str, str, str]:
    """The session a new handle names: ``sessionRef`` (or ``key``) as (scid, template,
    name)."""
    ref = body.get(key)
    if not isinstance(ref, dict):
        raise ValueError(f"a handle needs a {key} object")
    parts = [ref.get(k) for k in ("scid", "templateName", "name")]
    if not all(isinstance(p, str) and p for p in parts):
        raise ValueError(f"{key} needs scid, templateName and name strings")
    scid, template, name = (str(p) for p in parts)
    return scid.lower(), template, name


def handle_extras(kind: str, body: Json) -> Json:
    """The type-specific fields of a new handle, checked."""
    if kind == "invite":
        extras: Json = {
            "invitedXuid": check_xuid(body.get("invitedXuid"), "invitedXuid"),
            "inviteProtocol": "game",
        }
        attributes = body.get("inviteAttributes", {})
        if not isinstance(attributes, dict) or not set(attributes) <= set(_INVITE_ATTRIBUTES):
            raise ValueError(f"inviteAttributes holds only {', '.join(_INVITE_ATTRIBUTES)}")
        if not all(isinstance(v, str) for v in attributes.values()):
            raise ValueError("inviteAttributes values are strings")
        extras["inviteAttributes"] = dict(attributes)
        return extras
    if kind == "search":
        attributes = body.get("searchAttributes", {})
        if not isinstance(attributes, dict) or not set(attributes) <= {
            "tags",
            "numbers",
            "strings",
        }:
            raise ValueError("searchAttributes holds only tags, numbers and strings")
        tags = attributes.get("tags", [])
        numbers = attributes.get("numbers", {})
        strings = attributes.get("strings", {})
        if not isinstance(tags, list) or not all(
            isinstance(t, str) and _ATTRIBUTE.fullmatch(t) for t in tags
        ):
            raise ValueError("searchAttributes.tags is an array of names")
        if not isinstance(numbers, dict) or not all(
            _ATTRIBUTE.fullmatch(k) and isinstance(v, int | float) and not isinstance(v, bool)
            for k, v in numbers.items()
        ):
            raise ValueError("searchAttributes.numbers maps names to numbers")
        if not isinstance(strings, dict) or not all(
            _ATTRIBUTE.fullmatch(k) and isinstance(v, str) for k, v in strings.items()
        ):
            raise ValueError("searchAttributes.strings maps names to strings")
        return {"searchAttributes": {"tags": tags, "numbers": numbers, "strings": strings}}
    if kind == "transfer":
        origin = handle_ref(body, "originSessionRef")
        if origin == handle_ref(body):
            raise ValueError("a transfer handle's origin is another session than its target")
        return {"originSessionRef": session_ref(origin)}
    return {}


def people(value: object, where: str) -> tuple[str, str] | None:
    """(moniker, monikerXuid) of ``value.people`` (a social group), None when ``value``
    names none."""
    group = value.get("people") if isinstance(value, dict) else None
    if group is None:
        return None
    moniker = group.get("moniker") if isinstance(group, dict) else None
    if not isinstance(moniker, str) or not moniker or not isinstance(group, dict):
        raise ValueError(f"{where}.people needs a moniker and a monikerXuid")
    return moniker, check_xuid(group.get("monikerXuid"), f"{where}.people.monikerXuid")


def _number(value: object) -> int | float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return value if ok else None  # type: ignore[return-value]


def search_record(handle: Json, document: Json) -> Json:
    """What a search filter reads of a search handle and its session, by path (the
    paths of ``_filter``). The emulator has no tournaments (``registrationState``,
    ``scheduledTime``: null); a session's owners are its handle's owner."""
    attributes = handle.get("searchAttributes", {})
    record: Json = {
        "tags": list(attributes.get("tags", [])),
        "achievementIds": list(handle.get("achievementIds", [])),
        "language": handle.get("language"),
        "session/scid": handle["sessionRef"]["scid"],
        "session/templateName": handle["sessionRef"]["templateName"],
        "session/postedTime": handle.get("createTime"),
        "session/keywords": keywords(document),
        "session/memberXuids": [
            m["constants"]["system"]["xuid"] for m in document["members"].values()
        ],
        "session/ownerXuids": [handle["ownerXuid"]],
    }
    for kind in ("strings", "numbers"):
        for name, value in attributes.get(kind, {}).items():
            record[f"{kind}/{name}"] = value
    constants = _system(document, "constants")
    count = document["membersInfo"]["count"]
    most, target = (
        _number(constants.get("maxMembersCount")),
        _number(constants.get("targetMembersCount")),
    )
    record["session/membersCount"] = count
    record["session/maxMembersCount"] = most
    record["session/targetMembersCount"] = target
    record["session/maxMembersCountRemaining"] = None if most is None else most - count
    record["session/targetMembersCountRemaining"] = None if target is None else target - count
    record["session/needs"] = (
        record["session/targetMembersCountRemaining"]
        if target is not None
        else record["session/maxMembersCountRemaining"]
    )
    roles = role_info(document)["roleTypes"]
    for role_type, spec in roles.items():
        defined = spec.get("roles", {}) if isinstance(spec, dict) else {}
        for role, limits in defined.items() if isinstance(defined, dict) else ():
            held = sum(
                1
                for m in document["members"].values()
                if isinstance(m.get("roles"), dict) and m["roles"].get(role_type) == role
            )
            limits = limits if isinstance(limits, dict) else {}
            goal = _number(limits.get("target"))
            goal = goal if goal is not None else _number(limits.get("max"))
            base = f"session/roles/{role_type}/{role}"
            record[f"{base}/count"] = held
            record[f"{base}/target"] = goal
            record[f"{base}/needs"] = None if goal is None else goal - held
    return record
