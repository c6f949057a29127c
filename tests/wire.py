"""A scripted HTTP/1.1 server on 127.0.0.1 for tests about bytes on the wire.

It answers each request with the next response of its script (raw bytes, so headers
can hold anything a real server may send) and keeps every request head as it came.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Iterable

Answer = bytes | Callable[[bytes], bytes]
"""A raw response, or a function of the raw request head that returns one."""


def response(
    status: str, headers: Iterable[tuple[str | bytes, str | bytes]] = (), body: bytes = b""
) -> bytes:
    """A raw HTTP/1.1 response; header values given as bytes go out untouched."""
    lines = [f"HTTP/1.1 {status}".encode(), f"Content-Length: {len(body)}".encode()]
    for name, value in headers:
        raw_name = name if isinstance(name, bytes) else name.encode("ascii")
        raw_value = value if isinstance(value, bytes) else value.encode("latin-1")
        lines.append(raw_name + b": " + raw_value)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def header(head: bytes, name: str) -> bytes | None:
    """The raw value of a header in a raw request head (the first one), or None."""
    wanted = name.lower().encode() + b":"
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(wanted):
            return line[len(wanted) :].strip(b" \t")
    return None


def _read(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(header(head, "content-length") or b"0")
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head


class Scripted:
    """Serves ``script`` in order, one response per request, on keep-alive connections;
    ``heads`` are the raw request heads received. Use as a context manager."""

    def __init__(self, script: Iterable[Answer] = ()) -> None:
        self.script: list[Answer] = list(script)
        self.heads: list[bytes] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                while True:
                    try:
                        head = _read(sock)
                    except OSError:
                        return
                    if not head:
                        return
                    with outer._lock:
                        outer.heads.append(head)
                        answer = outer.script.pop(0) if outer.script else None
                    if answer is None:
                        sock.sendall(response("500 Internal Server Error", body=b"no script"))
                        return
                    sock.sendall(answer(head) if callable(answer) else answer)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def play(self, *answers: Answer) -> None:
        """Replace the script (the heads received so far are forgotten)."""
        with self._lock:
            self.script = list(answers)
            self.heads = []

    def __enter__(self) -> Scripted:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
