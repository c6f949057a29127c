"""The project's promises about itself: the README's test command is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"```(?:sh|bash|console)\n(.*?)\n```", readme, re.DOTALL)
    test_command = next(c.strip() for c in commands if "pytest" in c)
    assert test_command in ci.splitlines()


def test_package_ships_its_type_marker() -> None:
    assert (ROOT / "sessionclient" / "py.typed").exists()
