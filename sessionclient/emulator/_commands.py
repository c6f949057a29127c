"""The ``emulator`` and ``demo`` commands of the command line."""

from __future__ import annotations

import argparse
from typing import TextIO

from ._adapters import quiet_drops
from ._demo import run_demo
from ._directory import DEFAULT_SCID
from ._emulator import Emulator
from ._throttle import Throttle


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``sessionclient emulator`` or ``sessionclient demo``."""
    if args.command == "demo":
        return run_demo(out, time_scale=args.time_scale)
    try:
        import uvicorn
    except ImportError:
        raise OSError(
            "the emulator server needs uvicorn: pip install 'sessionclient[emulator]'"
        ) from None
    throttle = Throttle(
        burst_limit=args.burst_limit, burst_window=args.burst_window, enabled=not args.no_throttle
    )
    emulator = Emulator(time_scale=args.time_scale, throttle=throttle)
    print(
        f"session directory emulator on http://{args.host}:{args.port}\n"
        f"  service config {DEFAULT_SCID}: templates 'lobby' (8 members) and 'arena' (large)\n"
        "  authorize with 'XBL3.0 x=<userhash>;<token>' (any token); Ctrl-C stops it",
        file=out,
        flush=True,
    )
    quiet_drops()
    uvicorn.run(emulator.app(), host=args.host, port=args.port, log_level="warning")
    return 0
