"""The ``sessionclient`` command: script sessions, explain statuses, run the emulator
and the demo.

Exit codes (also in the README and in ``--help``):

== ==========================================================
0  success
2  usage error
3  not found or absent (404, or a 204 "no such session")
4  conflict or precondition (409, 412, ambiguous write)
5  throttled (429, 503)
6  other client error (4xx)
7  server error or malformed response (5xx, a body that breaks its promise)
8  transport error (connect, reset, timeout)
== ==========================================================

Adding a command: write ``_add_NAME(sub)`` (its parser, with ``parents=`` from
``_common()`` or ``_service()``) and ``_run_NAME(args, io)``, and list both in
``COMMANDS``. Shared options, the client, errors and exit codes are handled here once.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TextIO

import httpx

from ._auth import XBLToken
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
from ._explain import LANGUAGES, explain, language
from ._models import Accepted, Element, NotModified, Session
from ._profiles import PROFILES
from ._ref import SessionRef
from ._retry import RetryPolicy
from ._version import __version__

OK, USAGE, ABSENT, CONFLICT, THROTTLED, CLIENT, SERVER, TRANSPORT = 0, 2, 3, 4, 5, 6, 7, 8

EXIT_CODES_HELP = (
    "Exit codes: 0 success, 2 usage, 3 not found or absent, 4 conflict or precondition, "
    "5 throttled, 6 other client error, 7 server error or malformed response, "
    "8 transport error."
)

_EXIT_CODES: tuple[
    tuple[type[SessionClientError] | tuple[type[SessionClientError], ...], int], ...
] = (
    (NotFoundError, ABSENT),
    ((ConflictError, PreconditionFailedError, AmbiguousWriteError), CONFLICT),
    ((TooManyRequestsError, ServiceUnavailableError), THROTTLED),
    (ClientError, CLIENT),
    (TransportError, TRANSPORT),
)

NO_AUTH_USERHASH = "2533274790395904"
"""Who ``--no-auth`` signs in as: the emulator takes any token, so a fixed identity
(the emulator's default user) stands in for one."""


class UsageError(Exception):
    """A mistake in the command line: one line on stderr, exit 2."""


class IO(NamedTuple):
    """The streams a command reads and writes."""

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO


def exit_code(error: SessionClientError) -> int:
    """The exit code of an error (see the module docstring)."""
    return next((code for cls, code in _EXIT_CODES if isinstance(error, cls)), SERVER)


# --- argument types: each refusal is one line that says what is accepted ---------------


def _status(text: str) -> int:
    try:
        status = int(text)
    except ValueError:
        status = 0
    if not 100 <= status <= 599:
        raise argparse.ArgumentTypeError(f"expected an HTTP status, 100-599, not {text!r}")
    return status


def _lang(text: str) -> str:
    try:
        return language(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected a port, 0-65535 (0: any free one), not {text!r}"
        )
    return port


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, not {text!r}")
        return value

    return parse


# --- shared options -------------------------------------------------------------------


def _common() -> argparse.ArgumentParser:
    """Options every subcommand takes (also accepted before the subcommand)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,  # keep a --json given before the subcommand
        help="report errors as JSON on stderr (and print the session a 403/412 carries "
        "on stdout); before or after the subcommand",
    )
    return common


def _service() -> argparse.ArgumentParser:
    """Options of every command that calls the service."""
    service = argparse.ArgumentParser(add_help=False, parents=[_common()])
    service.add_argument(
        "--base-url",
        metavar="URL",
        help=f"service URL (default: $SESSIONCLIENT_BASE_URL, else {DEFAULT_BASE_URL})",
    )
    auth = service.add_mutually_exclusive_group()
    auth.add_argument(
        "--token",
        help="Authorization value, 'XBL3.0 x=<userhash>;<token>' (default: "
        "$SESSIONCLIENT_TOKEN; required unless --no-auth; never printed)",
    )
    auth.add_argument(
        "--no-auth",
        action="store_true",
        help="no token: for an emulator on this machine (a loopback --base-url), which "
        f"takes any; signs in as user {NO_AUTH_USERHASH}",
    )
    service.add_argument(
        "--max-attempts",
        metavar="N",
        type=_positive(int),
        default=5,
        help="attempts per call, 1 for no retries (default: %(default)s)",
    )
    service.add_argument(
        "--deadline",
        metavar="SECONDS",
        type=_positive(float),
        default=30.0,
        help="seconds for the whole call, retries included (default: %(default)s)",
    )
    return service


def _session_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str
) -> argparse.ArgumentParser:
    command = sub.add_parser(name, help=help, description=help, parents=[_service()])
    command.add_argument(
        "session",
        help="the session: SCID/TEMPLATE/NAME, or its path or URL (…/serviceconfigs/SCID/"
        "sessiontemplates/TEMPLATE/sessions/NAME)",
    )
    command.add_argument(
        "--element",
        metavar="PATH",
        help="an element instead of the whole session: members/me, members/N, servers/NAME "
        "or properties (default: the whole session)",
    )
    return command


def _client(args: argparse.Namespace) -> SessionClient:
    """The client the shared options describe; refuses a call without a token."""
    base_url = args.base_url or os.environ.get("SESSIONCLIENT_BASE_URL") or DEFAULT_BASE_URL
    auth: str | XBLToken | None = args.token or os.environ.get("SESSIONCLIENT_TOKEN")
    if args.no_auth:
        host = httpx.URL(base_url).host
        if not _loopback(host):
            raise UsageError(
                f"--no-auth is only for an emulator on this machine (a loopback base URL), "
                f"not {host or base_url!r}; give a token with --token or SESSIONCLIENT_TOKEN"
            )
        auth = XBLToken(NO_AUTH_USERHASH, "no-auth")
    elif not auth:
        raise UsageError(
            "no token: set SESSIONCLIENT_TOKEN or pass --token 'XBL3.0 x=<userhash>;<token>' "
            "(--no-auth for an emulator on this machine)"
        )
    policy = RetryPolicy(max_attempts=args.max_attempts, deadline=args.deadline)
    return SessionClient(base_url, auth=auth, retry=policy)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _session_ref(text: str) -> SessionRef:
    """A session path or URL, or ``SCID/TEMPLATE/NAME``."""
    if "serviceconfigs" in text.lower():
        return SessionRef.from_url(text)
    parts = text.split("/")
    if len(parts) != 3:
        raise UsageError(f"expected a session URL or SCID/TEMPLATE/NAME, got {text!r}")
    return SessionRef(*parts)


# --- results --------------------------------------------------------------------------


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


def _print_json(value: Any, out: TextIO) -> None:
    print(json.dumps(to_json(value), indent=2, ensure_ascii=False), file=out)


def _body(source: str, stdin: TextIO) -> Any:
    """The JSON delta of ``--body``: a file, or ``-`` for stdin; never empty."""
    option = f"--body {source}"
    try:
        if source == "-":
            text = stdin.read()
        else:
            with open(source, encoding="utf-8") as file:
                text = file.read()
    except OSError as exc:
        raise UsageError(f"{option}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{option}: not UTF-8 text") from None
    if not text.strip():
        raise UsageError(
            f"{option}: the body is empty; give a JSON object ('{{}}' changes nothing)"
        )
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{option}: not JSON ({exc})") from None


# --- commands -------------------------------------------------------------------------


def _add_get(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    get = _session_command(sub, "get", "read a session or element")
    get.add_argument(
        "--if-none-match",
        metavar="ETAG",
        help="answer {'notModified': true} if the session still has this ETag",
    )


def _run_get(args: argparse.Namespace, io: IO) -> int:
    ref = _session_ref(args.session)
    with _client(args) as client:
        if args.element:
            result: object = client.get_element(ref, args.element, if_none_match=args.if_none_match)
        else:
            result = client.get(ref, if_none_match=args.if_none_match)
    _print_json(result, io.stdout)
    return ABSENT if result is None else OK


def _add_put(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    put = _session_command(sub, "put", "merge a JSON delta into a session or element")
    put.add_argument(
        "--body",
        metavar="FILE",
        required=True,
        help="the JSON delta, from FILE or - for stdin (required; '{}' changes nothing)",
    )
    conditions = put.add_mutually_exclusive_group()
    conditions.add_argument(
        "--if-match", metavar="ETAG", help="write only this version ('*': only if it exists)"
    )
    conditions.add_argument("--if-none-match", metavar="ETAG", help="'*': create only")
    conditions.add_argument(
        "--create-only", action="store_true", help="same as --if-none-match '*'"
    )


def _run_put(args: argparse.Namespace, io: IO) -> int:
    ref = _session_ref(args.session)
    changes = _body(args.body, io.stdin)
    if_none_match = ANY if args.create_only else args.if_none_match
    conditions = {"if_match": args.if_match, "if_none_match": if_none_match}
    with _client(args) as client:
        if args.element:
            result: object = client.put_element(ref, args.element, changes, **conditions)
        else:
            result = client.put(ref, changes, **conditions)
    _print_json(result, io.stdout)
    return ABSENT if result is None else OK


def _add_delete(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    delete = _session_command(sub, "delete", "delete a session or element")
    delete.add_argument("--if-match", metavar="ETAG", help="delete only this version")


def _run_delete(args: argparse.Namespace, io: IO) -> int:
    ref = _session_ref(args.session)
    with _client(args) as client:
        if args.element:
            result: object = client.delete_element(ref, args.element, if_match=args.if_match)
        else:
            client.delete(ref, if_match=args.if_match)
            result = {"deleted": ref.path}
    _print_json(result, io.stdout)
    return ABSENT if result is None else OK


def _add_explain(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    text = "what a status means and what to do"
    command = sub.add_parser("explain", help=text, description=text, parents=[_common()])
    command.add_argument("status", type=_status, help="an HTTP status, 100-599")
    command.add_argument(
        "--service",
        choices=sorted(PROFILES),
        default="mpsd",
        help="whose status table (default: %(default)s)",
    )
    command.add_argument(
        "--lang",
        type=_lang,
        default="en",
        help=f"language: {', '.join(LANGUAGES)} (default: %(default)s)",
    )


def _run_explain(args: argparse.Namespace, io: IO) -> int:
    # A status may have several rows (bodies, methods) sharing one explanation.
    keys = dict.fromkeys(r.key for r in PROFILES[args.service].rows if r.status == args.status)
    if not keys:
        family = {4: "client", 5: "server"}.get(args.status // 100, "other")
        print(f"{args.status}: {explain('unknown.' + family, args.lang)}", file=io.stdout)
        return OK
    for key in keys:
        variant = key.split(".", 2)[2] if key.count(".") == 2 else ""
        label = f"{args.status} ({variant})" if variant else str(args.status)
        print(f"{label}: {explain(key, args.lang)}", file=io.stdout)
    return OK


def _add_emulator(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    text = "serve the session directory emulator over HTTP"
    emulator = sub.add_parser("emulator", help=text, description=text, parents=[_common()])
    emulator.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    emulator.add_argument(
        "--port",
        metavar="PORT",
        type=_port,
        default=8080,
        help="port, 0 for any free one (default: %(default)s)",
    )
    emulator.add_argument(
        "--time-scale",
        metavar="FACTOR",
        type=_positive(float),
        default=1.0,
        help="multiplies every duration: 0.01 runs a 15 s window in 0.15 s (default: %(default)s)",
    )
    emulator.add_argument(
        "--no-throttle", action="store_true", help="admit every call (default: throttle)"
    )
    emulator.add_argument(
        "--burst-limit",
        metavar="N",
        type=_positive(int),
        default=30,
        help="calls per user and SCID per burst window (default: %(default)s)",
    )
    emulator.add_argument(
        "--burst-window",
        metavar="SECONDS",
        type=_positive(float),
        default=15.0,
        help="seconds of the burst window (default: %(default)s)",
    )


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    text = "run a whole scenario on the in-process emulator"
    demo = sub.add_parser("demo", help=text, description=text, parents=[_common()])
    demo.add_argument(
        "--time-scale",
        metavar="FACTOR",
        type=_positive(float),
        default=0.01,
        help="multiplies the emulator's durations: 0.01 turns a 15 s throttling window "
        "into 0.15 s (default: %(default)s)",
    )


def _run_emulator_or_demo(args: argparse.Namespace, io: IO) -> int:
    from .emulator import _commands  # the emulator loads only when asked for

    return _commands.run(args, io.stdout)


COMMANDS: dict[
    str,
    tuple[
        Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None],
        Callable[[argparse.Namespace, IO], int],
    ],
] = {
    "get": (_add_get, _run_get),
    "put": (_add_put, _run_put),
    "delete": (_add_delete, _run_delete),
    "explain": (_add_explain, _run_explain),
    "emulator": (_add_emulator, _run_emulator_or_demo),
    "demo": (_add_demo, _run_emulator_or_demo),
}


def _directory_commands() -> None:
    # Imported here: those commands use this module's options, client and errors.
    from ._cli_directory import COMMANDS as directory

    COMMANDS.update(directory)


_directory_commands()
"""Every subcommand: how to add its parser, how to run it."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sessionclient",
        description="Script multiplayer sessions (Xbox Live MPSD), explain statuses, and run "
        "the offline emulator. Options such as --json go before or after the subcommand.",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="report errors as JSON on stderr (also after the subcommand; see its --help)",
    )
    parser.add_argument("--version", action="version", version=f"sessionclient {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


# --- errors ---------------------------------------------------------------------------


def _report(error: BaseException, args: argparse.Namespace, io: IO) -> None:
    session = error.session if isinstance(error, SessionClientError) else None
    if args.json:
        report: dict[str, Any] = {"error": "usage", "message": str(error)}
        if isinstance(error, SessionClientError):
            report.update(error=type(error).__name__, status=error.status, method=error.method,
                          url=error.url, retryAfter=error.retry_after,
                          requestId=error.request_id)  # fmt: skip
        if session is not None:
            _print_json(session, io.stdout)  # the current session, as `get` prints it
        print(json.dumps(report, ensure_ascii=False), file=io.stderr)
    else:
        hint = "; --json prints it on stdout" if session is not None else ""
        print(f"sessionclient: {error}{hint}", file=io.stderr)


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit code."""
    io = IO(stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return COMMANDS[args.command][1](args, io)
    except SessionClientError as error:
        _report(error, args, io)
        return exit_code(error)
    except (UsageError, ValueError, TypeError, OSError) as error:
        _report(error, args, io)
        return USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
