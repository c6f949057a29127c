"""``python -m benchmarks [--quick] [--only NAME ...] [--json PATH]``: run the
benchmarks, print the table (Markdown) and write it as JSON."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import attrs

NAMES = ("overhead", "throttle", "scale", "docsize", "retry_after", "contention")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--only", nargs="+", choices=NAMES, default=list(NAMES))
    parser.add_argument("--json", default="benchmarks/results/latest.json", help="output file")
    args = parser.parse_args()
    started = time.perf_counter()
    print("| benchmark | case | figure | target | verdict |")
    print("| --- | --- | --- | --- | --- |")
    results = []
    for name in args.only:
        module = importlib.import_module(f"benchmarks.{name}")
        for result in module.run(quick=args.quick):
            print(result.row(), flush=True)
            results.append(attrs.asdict(result))
    elapsed = time.perf_counter() - started
    print(f"\n{len(results)} figures in {elapsed:.0f} s on {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")  # fmt: skip
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    machine = {"cores": os.cpu_count(), "python": platform.python_version(), "seconds": elapsed}
    out.write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    missed = [r for r in results if r["met"] is False]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
