"""The ``emulator`` and ``demo`` commands of the command line."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
from typing import TextIO

from ._demo import run_demo
from ._directory import DEFAULT_SCID
from ._emulator import Emulator
from ._throttle import Throttle


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``sessionclient emulator`` or ``sessionclient demo``."""
    if args.command == "demo":
        return run_demo(out, time_scale=args.time_scale)
    from .._cli_base import UsageError

    try:
        import uvicorn  # noqa: F401
    except ImportError:
        raise UsageError(
            "the emulator server needs uvicorn: pip install 'sessionclient[emulator]'"
        ) from None
    throttle = Throttle(
        burst_limit=args.burst_limit, burst_window=args.burst_window, enabled=not args.no_throttle
    )
    emulator = Emulator(time_scale=args.time_scale, throttle=throttle)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())  # stop cleanly, like Ctrl-C
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(emulator.serve(args.host, args.port))
        except OSError as exc:
            why = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else str(exc)
            raise UsageError(f"cannot listen on {args.host}:{args.port}: {why}") from None
        # Announced only now: the port is bound and the server answers.
        limits = (
            "no throttling"
            if args.no_throttle
            else f"{args.burst_limit} calls per {args.burst_window:g} s per user"
        )
        print(
            f"session directory emulator on {url}\n"
            f"  service config {DEFAULT_SCID}: templates 'lobby' (8 members) and 'arena' "
            f"(large); {limits}\n"
            "  authorize with 'XBL3.0 x=<userhash>;<token>' (any token); Ctrl-C stops it",
            file=out,
            flush=True,
        )
        while not stop.wait(1.0):  # waking up lets signal handlers run
            pass
    return 0
