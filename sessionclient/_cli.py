"""The ``sessionclient`` command: script sessions, explain statuses, run the emulator
and the demo.

Exit codes (also in the README):

== ==========================================================
0  success
2  usage error
3  not found or absent (404, or a 204 "no such session")
4  conflict or precondition (409, 412, ambiguous write)
5  throttled (429, 503)
6  other client error (4xx)
7  server error (5xx, malformed response)
8  transport error (connect, reset, timeout)
== ==========================================================
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from . import _cli_directory
from ._client import DEFAULT_BASE_URL, SessionClient
from ._etag import ANY
from ._exceptions import (
    AmbiguousWriteError,
    ClientError,
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
    ServiceUnavailableError,
    SessionClientError,
    TooManyRequestsError,
    TransportError,
)
from ._explain import LANGUAGES, explain
from ._models import Accepted, Element, NotModified, Session
from ._profiles import PROFILES
from ._ref import SessionRef
from ._retry import RetryPolicy

OK, USAGE, ABSENT, CONFLICT, THROTTLED, CLIENT, SERVER, TRANSPORT = 0, 2, 3, 4, 5, 6, 7, 8

_EXIT_CODES: tuple[
    tuple[type[SessionClientError] | tuple[type[SessionClientError], ...], int], ...
] = (
    (NotFoundError, ABSENT),
    ((ConflictError, PreconditionFailedError, AmbiguousWriteError), CONFLICT),
    ((TooManyRequestsError, ServiceUnavailableError), THROTTLED),
    (ClientError, CLIENT),
    (TransportError, TRANSPORT),
)


def exit_code(error: SessionClientError) -> int:
    """The exit code of an error (see the module docstring)."""
    return next((code for cls, code in _EXIT_CODES if isinstance(error, cls)), SERVER)


def _session_ref(text: str) -> SessionRef:
    """A session path or URL, or ``SCID/TEMPLATE/NAME``."""
    if "serviceconfigs" in text.lower():
        return SessionRef.from_url(text)
    parts = text.split("/")
    if len(parts) != 3:
        raise ValueError(f"expected a session URL or SCID/TEMPLATE/NAME, got {text!r}")
    return SessionRef(*parts)


def to_json(result: object) -> Any:
    """The JSON printed for a result."""
    if isinstance(result, Session):
        return {"ref": result.ref.path, "etag": _str(result.etag), "created": result.created,
                "session": result.document}  # fmt: skip
    if isinstance(result, Element):
        return {"ref": result.ref.path, "element": result.path, "etag": _str(result.etag),
                "value": result.document}  # fmt: skip
    if isinstance(result, NotModified):
        return {"ref": str(result.ref), "etag": _str(result.etag), "notModified": True}
    if isinstance(result, Accepted):
        return {"ref": str(result.ref), "accepted": True, "message": result.message}
    return result


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _body(source: str | None, stdin: TextIO) -> Any:
    if source is None:
        return {}
    text = stdin.read() if source == "-" else open(source, encoding="utf-8").read()  # noqa: SIM115
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sessionclient",
        description="Script multiplayer sessions (Xbox Live MPSD), explain statuses, and run "
        "the offline emulator.",
        epilog="Exit codes: 0 ok, 2 usage, 3 not found or absent, 4 conflict or precondition, "
        "5 throttled, 6 other client error, 7 server error, 8 transport error.",
    )
    parser.add_argument("--json", action="store_true", help="report errors as JSON on stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    def session_command(name: str, help: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help)
        command.add_argument("session", help="session URL or path, or SCID/TEMPLATE/NAME")
        command.add_argument("--element", help="members/me, members/N, servers/NAME, properties")
        command.add_argument(
            "--base-url",
            default=os.environ.get("SESSIONCLIENT_BASE_URL", DEFAULT_BASE_URL),
            help="service URL (env SESSIONCLIENT_BASE_URL)",
        )
        command.add_argument(
            "--max-attempts", type=int, default=5, help="attempts per call (1: no retries)"
        )
        command.add_argument(
            "--deadline", type=float, default=30.0, help="seconds for the whole call"
        )
        command.add_argument(
            "--token",
            default=os.environ.get("SESSIONCLIENT_TOKEN"),
            help="Authorization value, e.g. 'XBL3.0 x=<userhash>;<token>' "
            "(env SESSIONCLIENT_TOKEN; never printed)",
        )
        return command

    session_command("get", "read a session or element").add_argument(
        "--if-none-match", metavar="ETAG", help="answer 'notModified' if unchanged"
    )
    put = session_command("put", "merge a JSON delta into a session or element")
    put.add_argument("--body", metavar="FILE", help="JSON delta from FILE, or - for stdin")
    conditions = put.add_mutually_exclusive_group()
    conditions.add_argument("--if-match", metavar="ETAG", help="write only this version ('*': any)")
    conditions.add_argument("--if-none-match", metavar="ETAG", help="'*': create only")
    conditions.add_argument(
        "--create-only", action="store_true", help="same as --if-none-match '*'"
    )
    session_command("delete", "delete a session or element").add_argument(
        "--if-match", metavar="ETAG", help="delete only this version"
    )

    explain_cmd = sub.add_parser("explain", help="what a status means and what to do")
    explain_cmd.add_argument("status", type=int)
    explain_cmd.add_argument("--service", choices=sorted(PROFILES), default="mpsd")
    explain_cmd.add_argument("--lang", default="en", help=f"one of {', '.join(LANGUAGES)}")

    emulator = sub.add_parser("emulator", help="serve the session directory emulator over HTTP")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8080)
    emulator.add_argument("--time-scale", type=float, default=1.0, help="speed up its clocks")
    emulator.add_argument("--no-throttle", action="store_true", help="admit every call")
    emulator.add_argument("--burst-limit", type=int, default=30, help="calls per burst window")
    emulator.add_argument("--burst-window", type=float, default=15.0, help="seconds")

    demo = sub.add_parser("demo", help="run a whole scenario on the in-process emulator")
    demo.add_argument("--time-scale", type=float, default=0.01)
    _cli_directory.register(sub)  # ls, invite, activity, search, templates
    return parser


def _run_session_command(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    ref = _session_ref(args.session)
    policy = RetryPolicy(max_attempts=args.max_attempts, deadline=args.deadline)
    with SessionClient(args.base_url, auth=args.token, retry=policy) as client:
        result: object
        if args.command == "get":
            if args.element:
                result = client.get_element(ref, args.element, if_none_match=args.if_none_match)
            else:
                result = client.get(ref, if_none_match=args.if_none_match)
        elif args.command == "put":
            changes = _body(args.body, stdin)
            if_none_match = ANY if args.create_only else args.if_none_match
            conditions = {"if_match": args.if_match, "if_none_match": if_none_match}
            if args.element:
                result = client.put_element(ref, args.element, changes, **conditions)
            else:
                result = client.put(ref, changes, **conditions)
        elif args.element:
            result = client.delete_element(ref, args.element, if_match=args.if_match)
        else:
            client.delete(ref, if_match=args.if_match)
            result = {"deleted": ref.path}
    print(json.dumps(to_json(result), indent=2, ensure_ascii=False), file=stdout)
    return ABSENT if result is None else OK


def _explain(args: argparse.Namespace, stdout: TextIO) -> int:
    rows = [row for row in PROFILES[args.service].rows if row.status == args.status]
    if not rows:
        print(
            f"{args.status}: {explain('unknown.' + _family(args.status), args.lang)}", file=stdout
        )
        return OK
    for row in rows:
        variant = row.key.split(".", 2)[2] if row.key.count(".") == 2 else ""
        label = f"{row.status} ({variant})" if variant else str(row.status)
        print(f"{label}: {explain(row.key, args.lang)}", file=stdout)
    return OK


def _family(status: int) -> str:
    return {4: "client", 5: "server"}.get(status // 100, "other")


def _report(error: BaseException, as_json: bool, stderr: TextIO) -> None:
    if as_json:
        report: dict[str, Any] = {"error": type(error).__name__, "message": str(error)}
        if isinstance(error, SessionClientError):
            report.update(status=error.status, method=error.method, url=error.url,
                          retryAfter=error.retry_after, requestId=error.request_id)  # fmt: skip
        print(json.dumps(report, ensure_ascii=False), file=stderr)
    else:
        print(f"sessionclient: {error}", file=stderr)


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit code."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        if args.command == "explain":
            return _explain(args, stdout)
        if args.command in ("emulator", "demo"):
            from .emulator import _commands

            return _commands.run(args, stdout)
        if args.command in _cli_directory.COMMANDS:
            return _cli_directory.run(args, stdout)
        return _run_session_command(args, stdin, stdout)
    except SessionClientError as error:
        _report(error, args.json, stderr)
        return exit_code(error)
    except (ValueError, TypeError, OSError) as error:
        _report(error, args.json, stderr)
        return USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
