"""Generate ``sessionclient/_sync.py`` from ``sessionclient/_async.py``.

The async clients are the source: this drops ``async``/``await``, gives the ``Async``
names their sync twins, removes what only async needs (a line ending ``# async only``,
or a block between ``# --- async only`` and ``# --- end async only``), keeps what
only sync needs (a comment ``# sync only: <code>`` becomes ``<code>``) and formats the
result with ruff. ``python .ci/unasync.py --check`` fails when the file is stale.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "sessionclient" / "_async.py"
TARGET = ROOT / "sessionclient" / "_sync.py"

# Applied in order, each to every line.
REPLACEMENTS = [
    (r"\bhttpx\.AsyncClient\b", "httpx.Client"),
    (r"\bhttpx\.AsyncBaseTransport\b", "httpx.BaseTransport"),
    (r"\basync_http_transport\b", "http_transport"),
    (r"\bAsyncGenerator\[(\w+), None\]", r"Generator[\1, None, None]"),
    (r"\bAsyncGenerator\b", "Generator"),
    (r"\bhttpcore\.AsyncNetworkStream\b", "httpcore.NetworkStream"),
    (r"\bAwaitable\[None\]", "None"),
    (r"\bAwaitable, ", ""),
    (r"\bAsyncClient\b", "SyncClient"),
    (r"\bAsyncOptions\b", "SyncOptions"),
    (r"\bAsync(SessionClient|ResourceClient|Task|RtaSocket|RtaHub)\b", r"\1"),
    (r"\banyio\.Event\b", "threading.Event"),
    (r"\banyio\.sleep\b", "time.sleep"),
    (r"\basync def\b", "def"),
    (r"\basync (for|with)\b", r"\1"),
    (r"\bawait ", ""),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\baiter_raw\b", "iter_raw"),
    (r"\baclose\b", "close"),
    (r"\ban asynchronous\b", "a synchronous"),
    (r"\bAn asynchronous\b", "A synchronous"),
    (r"\bThe asynchronous\b", "The synchronous"),
]
DOCSTRING = '''"""The synchronous clients, generated from ``_async.py`` by ``.ci/unasync.py``: edit
that file, not this one.
"""
'''


def generate() -> str:
    """The sync module's text, formatted."""
    lines: list[str] = []
    skipping = False
    for line in SOURCE.read_text().splitlines(keepends=True):
        marker = line.strip()
        if marker == "# --- async only":
            skipping = True
            continue
        if marker == "# --- end async only":
            skipping = False
            continue
        if skipping or marker.endswith("# async only"):
            continue
        if marker.startswith("# sync only: "):
            line = line.replace("# sync only: ", "", 1)
        for pattern, replacement in REPLACEMENTS:
            line = re.sub(pattern, replacement, line)
        lines.append(line)
    text = "".join(lines)
    text = text.replace(" (MPSD by default),\n    on asyncio or trio.", " (MPSD by default).")
    end = text.index('"""', 3) + 4  # the source's own docstring
    text = DOCSTRING + text[end:]
    for command in (["check", "--fix", "--select", "I", "--quiet"], ["format"]):
        text = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--stdin-filename", str(TARGET), "-"],
            input=text, capture_output=True, text=True, check=True, cwd=ROOT,
        ).stdout  # fmt: skip
    return text


def main() -> int:
    text = generate()
    if "--check" in sys.argv[1:]:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run python .ci/unasync.py")
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
