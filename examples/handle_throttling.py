"""Throttling (429) handled for you, and handled by you when you would rather not wait."""

from __future__ import annotations

if __package__:  # python -m examples.handle_throttling
    from ._setup import connect, emulator, session_ref
else:  # python examples/handle_throttling.py
    from _setup import connect, emulator, session_ref  # type: ignore[no-redef]

import sessionclient as sc
from sessionclient.emulator import Throttle


def main() -> None:
    # A tight limit so that the example meets it: 5 calls per 15 s window, on a clock
    # running 100 times faster than real time.
    directory = emulator(time_scale=0.01, throttle=Throttle(burst_limit=5))
    ref = session_ref("throttling-demo")
    seen: list[sc.Attempt] = []
    waiting = sc.RetryPolicy(on_retry=seen.append)
    with connect("1001", directory, retry=waiting) as client:
        client.create(ref)
        for _ in range(8):
            client.get(ref)  # the 6th call meets 429; the client waits and retries
        print(f"8 reads done; retries: {[(a.cause, round(a.wait, 3)) for a in seen]}")

    # An interactive tool may prefer to fail fast and reschedule.
    impatient = sc.RetryPolicy(max_attempts=1, throttle="fail")
    with connect("1002", directory, retry=impatient) as client:
        try:
            for _ in range(8):
                client.get(ref)
        except sc.TooManyRequestsError as throttled:
            print(f"throttled; try again in {throttled.retry_after:.3f} s ({throttled.explain()})")
    with connect("1001", directory) as client:
        client.delete(ref)


if __name__ == "__main__":
    main()
