"""Clean up after a test account: find every session it is in (reservations, inactive
and private ones included), leave each, drop its activity, and report what was left.

On the emulator it first scatters the account over a few sessions, as a test run
would. Against a real endpoint, set SESSIONCLIENT_XUID to the account's xuid.
"""

from __future__ import annotations

import os

if __package__:  # python -m examples.cleanup_test_account
    from ._setup import connect, emulator, session_ref
else:  # python examples/cleanup_test_account.py
    from _setup import connect, emulator, session_ref  # type: ignore[no-redef]

import sessionclient as sc
from sessionclient.emulator import Emulator

TEST_ACCOUNT = os.environ.get("SESSIONCLIENT_XUID", "2814000000000001")
FRIEND = "2814000000000002"


def scatter(directory: Emulator | None) -> list[sc.SessionRef]:
    """What a test run leaves behind: sessions alone, shared, private, reserved. Returns
    the friend's sessions, which the friend leaves at the end."""
    with connect(TEST_ACCOUNT, directory) as account, connect(FRIEND, directory) as friend:
        account.create(session_ref("cleanup-solo"))
        account.create(session_ref("cleanup-private"),
                       {"constants": {"system": {"visibility": "private"}}})  # fmt: skip
        shared = session_ref("cleanup-shared")
        friend.create(shared)
        account.join(shared, properties={"system": {"active": True}})
        account.set_activity(shared)
        reserved = session_ref("cleanup-reserved")
        friend.create(reserved)
        friend.put(reserved, {"members": {"reserve_1": {
            "constants": {"system": {"xuid": TEST_ACCOUNT}}}}})  # fmt: skip
    return [shared, reserved]


def main() -> None:
    directory = emulator()
    emulated = "SESSIONCLIENT_TOKEN" not in os.environ  # in-process, or served
    friends = scatter(directory) if emulated else []
    scid = session_ref("any").scid
    with connect(TEST_ACCOUNT, directory) as account:
        found = account.query(
            scid, xuid=TEST_ACCOUNT, inactive=True, reservations=True, private=True
        )
        print(f"{TEST_ACCOUNT} is in {len(found)} session(s)")
        for summary in found:
            still_there = account.leave(summary.ref)
            fate = "left; it goes on without us" if still_there else "left; it is gone"
            print(f"  {summary.ref.template}/{summary.ref.name} ({summary.status}): {fate}")
        for activity in account.activities(scid, [TEST_ACCOUNT]):
            account.delete_handle(activity.id)
            print(f"  activity {activity.id} deleted")
        left = account.query(
            scid, xuid=TEST_ACCOUNT, inactive=True, reservations=True, private=True
        )
        print(f"what was left: {len(left)} session(s)")
        assert not left
    with connect(FRIEND, directory) as friend:  # the scattering's other half
        for ref in friends:
            friend.leave(ref)


if __name__ == "__main__":
    main()
