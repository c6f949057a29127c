"""Every example runs, on the in-process emulator, and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted(p for p in (Path(__file__).parent.parent / "examples").glob("*.py")
                  if not p.name.startswith("_"))  # fmt: skip


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(example: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIONCLIENT_")}
    done = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_there_are_the_three_examples() -> None:
    assert {p.stem for p in EXAMPLES} >= {"quickstart", "resolve_conflicts", "handle_throttling"}
