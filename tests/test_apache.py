"""A real WebDAV server: Apache 2.4 with mod_dav, started from ``tests/apache/`` on
127.0.0.1 and a free port, driven by a ``ResourceClient`` with its default ``rest``
profile through create, read, conditional update and conditional delete.

Skipped when ``apache2`` is not installed (``apt-get install apache2``; ``.ci/run``
installs it). Apache marks an ETag weak for about a second after a write; rather than
wait, the test moves the file's modification time back, as if the resource had
settled.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import string
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import sessionclient as sc

from .conftest import Both

TEMPLATE = Path(__file__).parent / "apache" / "dav.conf.template"
MODULES = Path("/usr/lib/apache2/modules")
APACHE = shutil.which("apache2") or shutil.which("apache2", path="/usr/sbin:/usr/local/sbin")
NEVER = sc.RetryPolicy.never()

pytestmark = pytest.mark.skipif(
    APACHE is None or not (MODULES / "mod_dav_fs.so").exists(),
    reason="apache2 with mod_dav is not installed (apt-get install apache2)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _identity(root: Path) -> str:
    """As root, Apache must switch to an unprivileged user, who must own the files."""
    if os.geteuid() != 0:
        return ""
    for name in ("www-data", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        for path in (root, root / "dav", root / "lock"):
            os.chown(path, user.pw_uid, user.pw_gid)
        return f"User #{user.pw_uid}\nGroup #{user.pw_gid}"
    pytest.skip("no unprivileged user for Apache to run as")


class Apache:
    """Apache in the foreground (``-X``), one process, stopped by its own pid."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="sessionclient-apache-"))
        self.root.chmod(0o755)
        (self.root / "dav").mkdir()
        (self.root / "lock").mkdir()
        self.port = _free_port()
        config = string.Template(TEMPLATE.read_text()).substitute(
            root=self.root, port=self.port, modules=MODULES, identity=_identity(self.root)
        )
        self.config = self.root / "httpd.conf"
        self.config.write_text(config)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        path = self.root / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> Apache:
        assert APACHE is not None
        self.process = subprocess.Popen(
            [APACHE, "-X", "-f", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # wait until it listens, or dies
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                self.__exit__()
                pytest.fail(f"apache2 exited: {error}{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)  # the server starting, not the client under test
        self.__exit__()
        pytest.fail(f"apache2 did not listen within 15 s: {self.log()}")

    def __exit__(self, *_: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def touch(self, name: str, seconds: float) -> None:
        """Set a file's modification time ``seconds`` from now. A minute back, Apache
        gives it a strong ETag, as it would after waiting a second; ahead, a weak one,
        as it does just after a write (on a slow machine the read may come later)."""
        when = time.time() + seconds
        os.utime(self.root / "dav" / name, (when, when))


@pytest.fixture(scope="module")
def apache() -> Iterator[Apache]:
    with Apache() as server:
        yield server


def make(kind: str, url: str, loop: asyncio.AbstractEventLoop) -> Both:
    if kind == "sync":
        return Both(sc.ResourceClient(url, retry=NEVER), None)
    return Both(sc.AsyncResourceClient(url, retry=NEVER), loop)


def test_create_read_update_delete_against_mod_dav(
    apache: Apache, kind: str, loop: asyncio.AbstractEventLoop
) -> None:
    name = f"doc-{kind}.json"
    path = f"/{name}"
    client = make(kind, apache.url, loop)
    try:
        _cycle(client, apache, name, path)
    finally:
        client.close()
    assert not (apache.root / "dav" / name).exists()


def _cycle(client: Any, apache: Apache, name: str, path: str) -> None:
    # Create only: 201 with an HTML body and no ETag is a result under "rest".
    created = client.put(path, {"v": 1}, if_none_match=sc.ANY)
    assert isinstance(created, sc.Created)
    assert created.location == f"{apache.url}{path}"

    # Create only, again: 412, explained as If-None-Match, the page's words only.
    with pytest.raises(sc.PreconditionFailedError) as exists:
        client.put(path, {"v": 0}, if_none_match=sc.ANY)
    assert "If-None-Match" in exists.value.explain()
    assert exists.value.message == (
        "The precondition on the request for this URL evaluated to false."
    )
    assert str(exists.value).count("Precondition Failed") == 1

    # Read. Just after the write Apache's ETag is weak: If-Match refuses it with advice.
    apache.touch(name, 30)
    fresh = client.get(path)
    assert isinstance(fresh, sc.Resource)
    assert fresh.document == {"v": 1}
    assert fresh.etag is not None
    assert fresh.etag.weak
    with pytest.raises(ValueError, match="settled"):
        client.put(path, {"v": 2}, if_match=fresh.etag)

    # Once settled, the ETag is strong: a conditional update.
    apache.touch(name, -60)
    settled = client.get(path)
    assert settled.etag is not None
    assert not settled.etag.weak
    assert client.put(path, {"v": 2}, if_match=settled.etag) == sc.NoContent(path)

    # The old ETag no longer matches: 412, explained as If-Match.
    with pytest.raises(sc.PreconditionFailedError) as stale:
        client.put(path, {"v": 3}, if_match=settled.etag)
    assert "If-Match" in stale.value.explain()

    # A cached copy: 304 for the current ETag (weak comparison), weak or not.
    current = client.get(path)
    assert current.document == {"v": 2}
    cached = client.get(path, if_none_match=current.etag)
    assert isinstance(cached, sc.NotModified)
    assert cached.ref == path
    # Weakly equal: read just before Apache's one-second mark, the ETag was weak, and
    # the 304 may carry it strong (a race that failed one run in three when compared
    # with ==).
    assert cached.etag is not None
    assert cached.etag.weak_match(current.etag)

    # Conditional delete by date: refused for a date before the update; done for a date
    # not before the request. (mod_dav compares the date with the time of the DELETE,
    # not with the file's: its own Last-Modified passed only while the second of the
    # write lasted, and failed about one run in eight.)
    assert current.last_modified is not None
    before = current.last_modified - timedelta(minutes=5)
    with pytest.raises(sc.PreconditionFailedError) as changed:
        client.delete(path, if_unmodified_since=before)
    assert "If-Unmodified-Since" in changed.value.explain()
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert client.delete(path, if_unmodified_since=later) == sc.NoContent(path)

    # Gone.
    with pytest.raises(sc.NotFoundError) as gone:
        client.get(path)
    assert "Not Found" not in gone.value.message


def test_a_stale_date_cannot_delete(apache: Apache) -> None:
    with sc.ResourceClient(apache.url, retry=NEVER) as client:
        client.put("/dated.json", [1], if_none_match=sc.ANY)
        long_ago = datetime(2001, 1, 1, tzinfo=timezone.utc)
        with pytest.raises(sc.PreconditionFailedError):
            client.delete("/dated.json", if_unmodified_since=long_ago)
        assert client.get("/dated.json").document == [1]
        client.delete("/dated.json")
