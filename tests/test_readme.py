"""Every snippet of the README and of the documentation site (``docs/``) runs as
written, and its Python type-checks.

Each fenced ``python`` block runs on its own (a reader pastes it into a fresh file),
after ``PREAMBLE``: the names a reader supplies. Calls to the real service
(``https://sessiondirectory.xboxlive.com``) are answered by a fresh in-process emulator,
so a block written for the real service runs unchanged. A block that defines ``test_*``
functions is a test file: it runs under pytest in a subprocess, with the plugin's
fixtures, as a reader's test suite would. All blocks, preamble included, go through one
``mypy --strict`` run. The README's first block runs without the preamble: a reader
meets it first.

Each ``sh`` block that calls ``sessionclient`` runs under ``bash -eu`` in an empty
directory, against ``sessionclient emulator`` served on a free port, which stands in for
the ``127.0.0.1:8080`` a block names.

A block that cannot run (it installs software, or needs real Xbox Live credentials) is
preceded by ``<!-- no-run: why -->``. New blocks are picked up without touching this file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
import respx

from sessionclient import DEFAULT_BASE_URL
from sessionclient.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent

PREAMBLE = """\
# Supplied by the reader: their Xbox Live user hash and token.
userhash = "2533274790395904"
token = "reader-token"
"""

_FENCE = re.compile(
    r"(?P<mark><!--\s*no-run\b(?P<why>[^>]*)-->\s*\n)?^```(?P<lang>[\w-]*)\n(?P<code>.*?)^```",
    re.MULTILINE | re.DOTALL,
)
_CALLS_CLI = re.compile(r"(?m)(?:^|[|&;(]\s*|\$\(\s*)(?:\S*/)?sessionclient\s")


class Block(NamedTuple):
    page: str
    line: int
    lang: str
    code: str
    no_run: str | None  # why it does not run, when marked


def blocks() -> list[Block]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(ROOT).as_posix()
        for match in _FENCE.finditer(text):
            line = text.count("\n", 0, match.start("lang")) + 1
            why = match["why"].strip(" :") if match["mark"] else None
            found.append(Block(name, line, match["lang"], match["code"], why))
    return found


def python_blocks() -> list[Block]:
    return [b for b in blocks() if b.lang == "python" and b.no_run is None]


def cli_blocks() -> list[Block]:
    return [b for b in blocks() if b.lang in ("sh", "bash", "console") and b.no_run is None
            and _CALLS_CLI.search(b.code)]  # fmt: skip


def ids(block: Block) -> str:
    return f"{block.page}:{block.line}"


def test_the_docs_have_runnable_blocks_and_few_exceptions() -> None:
    assert len(python_blocks()) >= 5
    assert cli_blocks()
    marked = [b for b in blocks() if b.no_run is not None]
    assert all(b.no_run for b in marked), "say why a block cannot run: <!-- no-run: why -->"
    assert len(marked) <= 2, [ids(b) for b in marked]


def test_the_readme_is_short_and_starts_with_its_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert text.count("\n") <= 200
    commands = [b for b in blocks() if b.page == "README.md" and b.lang == "sh"][:2]
    assert "sessionclient demo" in commands[0].code
    assert "pytest" in commands[1].code
    first_python = next(b for b in python_blocks() if b.page == "README.md")
    assert first_python.line > commands[1].line


def test_the_readmes_first_example_runs_as_pasted() -> None:
    """No preamble, no service: a reader's first paste runs against the emulator."""
    first = next(b for b in python_blocks() if b.page == "README.md")
    done = subprocess.run(
        [sys.executable, "-c", first.code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr


# --- Python -----------------------------------------------------------------------------


@pytest.fixture
def service() -> Iterator[Emulator]:
    """The real service's host, answered by an in-process emulator; any other host (a
    served emulator on loopback) is reached for real."""
    emulator = Emulator(time_scale=0.01)
    transport = emulator.transport()

    def answer(request: httpx.Request) -> httpx.Response:
        return transport.handle_request(request)

    host = httpx.URL(DEFAULT_BASE_URL).host
    with respx.mock(assert_all_called=False) as router:
        router.route(host=host).mock(side_effect=answer)
        router.route().pass_through()
        yield emulator
    _reset_tracing()


def _reset_tracing() -> None:
    """A block may set OpenTelemetry's global tracer provider, which a process sets only
    once: undone, as OpenTelemetry's own test utilities do, so later tests trace nothing."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is not None:
        trace._TRACER_PROVIDER = None  # type: ignore[attr-defined]
        trace._TRACER_PROVIDER_SET_ONCE._done = False  # type: ignore[attr-defined]


_DEFINES_TESTS = re.compile(r"(?m)^(?:async )?def test_")


@pytest.mark.parametrize("block", python_blocks(), ids=ids)
def test_python_block_runs(block: Block, service: Emulator, tmp_path: Path) -> None:
    if _DEFINES_TESTS.search(block.code):
        test_file = tmp_path / f"test_{Path(block.page).stem}_{block.line}.py"
        test_file.write_text(block.code, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
            capture_output=True, text=True, cwd=tmp_path, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert " passed" in done.stdout
        return
    namespace: dict[str, Any] = {"__name__": "readme"}
    source = PREAMBLE + block.code
    exec(compile(source, ids(block), "exec"), namespace)


def test_python_blocks_pass_mypy_strict(tmp_path: Path) -> None:
    files = []
    for block in python_blocks():
        path = tmp_path / f"{Path(block.page).stem}_line_{block.line}.py"
        path.write_text(PREAMBLE + block.code, encoding="utf-8")
        files.append(str(path))
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *files],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


# --- the command line -------------------------------------------------------------------


def served_emulator() -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [str(BIN / "sessionclient"), "emulator", "--port", "0", "--no-throttle"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    match = re.search(r"http://(127\.0\.0\.1:\d+)", server.stdout.readline())
    if match is None:
        server.kill()
        raise AssertionError(server.communicate())
    return server, match.group(1)


@pytest.mark.parametrize("block", cli_blocks(), ids=ids)
def test_cli_block_runs(block: Block, tmp_path: Path) -> None:
    server, address = served_emulator()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIONCLIENT_")}
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        script = block.code.replace("127.0.0.1:8080", address)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
        )  # fmt: skip
    finally:
        server.terminate()
        server.communicate(timeout=20)
    assert done.returncode == 0, f"{ids(block)}\n{done.stdout}\n{done.stderr}"
