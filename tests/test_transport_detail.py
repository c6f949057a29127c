"""One wording for a transport failure, whichever stack (sync or async) raised it."""

from __future__ import annotations

import errno
import os
import socket

import httpx

from sessionclient._http import transport_detail


def chained(top: BaseException, cause: BaseException) -> BaseException:
    top.__cause__ = cause
    return top


def test_the_os_error_under_the_async_stacks_wording_is_named() -> None:
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    anyio_style = chained(OSError("All connection attempts failed"), refused)
    error = chained(httpx.ConnectError("All connection attempts failed"), anyio_style)
    assert transport_detail(error) == f"[Errno {errno.ECONNREFUSED}] Connection refused"


def test_the_sync_wording_is_unchanged() -> None:
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    error = chained(httpx.ConnectError(str(refused)), refused)
    assert transport_detail(error) == str(refused)


def test_several_attempts_name_the_first_os_error() -> None:
    class Group(Exception):  # the shape of an ExceptionGroup, on every Python version
        def __init__(self, *exceptions: BaseException) -> None:
            super().__init__("multiple connection attempts failed")
            self.exceptions = exceptions

    group = Group(OSError("no errno"), ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    error = chained(httpx.ConnectError("All connection attempts failed"), group)
    assert (
        transport_detail(error) == f"[Errno {errno.ECONNREFUSED}] {os.strerror(errno.ECONNREFUSED)}"
    )


def test_without_an_os_error_the_text_is_kept_and_cycles_end() -> None:
    timeout = httpx.ReadTimeout("timed out")
    loop = RuntimeError("a")
    loop.__context__ = timeout
    timeout.__context__ = loop
    assert transport_detail(timeout) == "timed out"


def test_a_name_that_does_not_resolve_keeps_its_own_text() -> None:
    unresolved = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    error = chained(httpx.ConnectError(str(unresolved)), unresolved)
    assert transport_detail(error) == f"[Errno {socket.EAI_NONAME}] Name or service not known"
