"""Every example runs from the repository root as the README says, on the in-process
emulator and against a served one, twice (a rerun succeeds), and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sessionclient.emulator import Emulator, Throttle

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))


def run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SESSIONCLIENT_")}
    return subprocess.run(
        command, capture_output=True, text=True, env={**clean, **env}, cwd=ROOT, timeout=60
    )


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(throttle=Throttle(enabled=False))  # its 15 s windows: not tested here
    with emulator.serve() as url:
        yield emulator, url


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("how", ["module", "file"])
def test_example_runs_in_process(example: str, how: str) -> None:
    command = ["-m", f"examples.{example}"] if how == "module" else [f"examples/{example}.py"]
    done = run([sys.executable, *command])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_runs_twice_against_a_served_emulator_and_leaves_nothing(
    example: str, served: tuple[Emulator, str]
) -> None:
    emulator, url = served
    for _ in range(2):
        done = run([sys.executable, "-m", f"examples.{example}"], SESSIONCLIENT_BASE_URL=url)
        assert done.returncode == 0, done.stderr
    # What the emulator holds (it is this process's): no session, no handle.
    assert emulator._sessions == {}
    assert emulator.handles() == []


def test_there_are_the_four_examples() -> None:
    assert set(EXAMPLES) >= {
        "quickstart", "resolve_conflicts", "handle_throttling", "cleanup_test_account"
    }  # fmt: skip
