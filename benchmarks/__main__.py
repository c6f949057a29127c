"""``python -m benchmarks [--quick] [--only NAME ...] [--repeat N] [--strict] [--json PATH]``:
print the environment, run the benchmarks, print the table (Markdown) and the run's
duration, and write it all as JSON.

A benchmark that misses its target is reported as MISSED and the exit status stays 0:
running the benchmarks is not an error. ``--strict`` exits 1 when any target is missed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import time
from pathlib import Path

import attrs

from ._common import HEADER, environment

NAMES = (
    "overhead",
    "throttle",
    "nginx_throttle",
    "bare429",
    "haproxy_throttle",
    "scale",
    "docsize",
    "retry_after",
    "contention",
    "watch",
)
# Shorter names for --only.
ALIASES = {"nginx": "nginx_throttle", "haproxy": "haproxy_throttle"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds and calls: under a minute on 2 cores"
    )
    listed = f"{', '.join(NAMES)}; or {', '.join(ALIASES)}"
    parser.add_argument("--only", nargs="+", choices=NAMES + tuple(ALIASES), default=list(NAMES),
                        metavar="NAME", help=f"run only these ({listed})")  # fmt: skip
    parser.add_argument(
        "--repeat",
        type=int,
        metavar="N",
        help="run only the gated throttled case against the emulator, N times (e.g. 25), "
        "and print the worst run and how many met the target",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--json", default="benchmarks/results/latest.json", help="output file")
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    names = ["throttle"] if args.repeat is not None else [ALIASES.get(n, n) for n in args.only]

    machine = environment()
    print("Environment: " + ", ".join(f"{k} {v}" for k, v in machine.items()))
    if machine["sniffio"] == "MISSING":
        print("WARNING: sniffio is not installed: httpcore then retries `import sniffio` on "
              "every async lock, padding raw httpx and the SDK alike; "
              "pip install -e '.[bench]'")  # fmt: skip
    mode = "repeat" if args.repeat is not None else "quick" if args.quick else "full"
    print(f"Mode: {mode}; running {', '.join(names)}\n", flush=True)
    started = time.perf_counter()
    print(HEADER, flush=True)
    results = []
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        options = {"repeat": args.repeat} if args.repeat is not None else {}
        for result in module.run(quick=args.quick, **options):
            print(result.row(), flush=True)
            row = attrs.asdict(result)
            if math.isnan(result.value):  # a row not run (nginx missing): no figure
                row["value"] = None
            results.append(row)
    elapsed = time.perf_counter() - started
    missed = [r for r in results if r["met"] is False]
    print(
        f"\n{len(results)} rows, {len(missed)} missed their target, in {elapsed:.0f} s "
        f"({mode} run) on {machine['cpus']} cores, "
        f"{machine['python']}"
    )
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    machine |= {"seconds": round(elapsed, 1), "quick": args.quick, "ran": names}
    out.write_text(json.dumps({"machine": machine, "results": results}, indent=2, default=str))
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
