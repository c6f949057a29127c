"""Two writers change the same session; update() re-applies the change on 412."""

from __future__ import annotations

from typing import Any

if __package__:  # python -m examples.resolve_conflicts
    from ._setup import connect, emulator, session_ref
else:  # python examples/resolve_conflicts.py
    from _setup import connect, emulator, session_ref  # type: ignore[no-redef]

import sessionclient as sc


def add_point(session: sc.Session | None) -> dict[str, Any] | None:
    """The change to make, computed from the session as it is now."""
    if session is None:
        return None  # nobody to score for: write nothing
    score = session.custom_properties.get("score", 0)
    return {"properties": {"custom": {"score": score + 1}}}


def main() -> None:
    directory = emulator()
    ref = session_ref("conflicts-demo")
    with connect("1001", directory) as alice, connect("1002", directory) as bob:
        alice.create(ref, {"properties": {"custom": {"score": 0}}})
        bob.join(ref)
        stale = alice.get(ref)
        assert isinstance(stale, sc.Session)

        bob.update(ref, add_point)  # bob scores: the session moves on

        # alice writes from her stale copy: the service refuses with 412 and the current
        # session, which update() feeds to add_point again, without another GET.
        try:
            alice.put(ref, add_point(stale) or {}, if_match=stale.etag)
        except sc.PreconditionFailedError as conflict:
            print(f"412: the session changed (now ETag {conflict.etag}); retrying with update()")
            result = alice.update(conflict.session or ref, add_point)
            assert isinstance(result, sc.Session)
            print("score:", result.custom_properties["score"])
            assert result.custom_properties["score"] == 2
        alice.delete(ref)


if __name__ == "__main__":
    main()
