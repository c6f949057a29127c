"""Create a lobby, join it, read it, leave it."""

from __future__ import annotations

if __package__:  # python -m examples.quickstart
    from ._setup import connect, emulator, session_ref
else:  # python examples/quickstart.py
    from _setup import connect, emulator, session_ref  # type: ignore[no-redef]

import sessionclient as sc


def main() -> None:
    directory = emulator()
    ref = session_ref("quickstart-lobby")
    with connect("1001", directory) as host, connect("1002", directory) as guest:
        lobby = host.create(ref, {"properties": {"custom": {"map": "harbor"}}})
        assert isinstance(lobby, sc.Session)
        assert lobby.created
        print(f"created {ref.name}: ETag {lobby.etag}")

        guest.join(ref, properties={"custom": {"ready": True}})
        session = host.get(ref)
        assert isinstance(session, sc.Session)
        print(f"{len(session.members)} members, map {session.custom_properties['map']}")

        # A conditional read costs nothing when nothing changed.
        assert host.get(ref, if_none_match=session.etag) == sc.NotModified(ref, session.etag)

        print("guest leaves; session still there:", guest.leave(ref))
        print("host leaves; session still there:", host.leave(ref))
        assert host.get(ref) is None


if __name__ == "__main__":
    main()
