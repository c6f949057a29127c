"""The ``sessionclient`` command: script sessions, explain statuses, run the emulator
and the demo.

Exit codes (also in the manual's Command line page and in ``--help``):

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
import contextlib
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from ._cli_base import (
    ABSENT,
    EXIT_CODES_HELP,
    IO,
    OK,
    USAGE,
    Parser,
    ParserError,
    UsageError,
    _body,
    _client,
    _common,
    _lang,
    _port,
    _positive,
    _print_json,
    _service,
    _session_command,
    _session_ref,
    _status,
    chosen,
    exit_code,
    progress,
    to_json,
)
from ._etag import ANY
from ._exceptions import (
    SessionClientError,
)
from ._explain import LANGUAGES, explain
from ._models import CHANGE_TYPES
from ._profiles import PROFILES
from ._version import __version__


def _add_get(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    get = _session_command(sub, "get", "read a session or element")
    get.add_argument(
        "--if-none-match",
        metavar="ETAG",
        help="answer {'notModified': true} if the session still has this ETag "
        "(default: none: always the session)",
    )


def _run_get(args: argparse.Namespace, io: IO) -> int:
    ref = _session_ref(args.session)
    with _client(args) as client:
        if args.element is not None:  # "" is refused, never the session
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
        "--if-match",
        metavar="ETAG",
        help="write only this version ('*': only if it exists) (default: any version)",
    )
    conditions.add_argument(
        "--if-none-match", metavar="ETAG", help="'*': create only (default: none)"
    )
    conditions.add_argument(
        "--create-only", action="store_true", help="same as --if-none-match '*' (default: off)"
    )


def _run_put(args: argparse.Namespace, io: IO) -> int:
    ref = _session_ref(args.session)
    changes = _body(args.body, io.stdin)
    if_none_match = ANY if args.create_only else args.if_none_match
    conditions = {"if_match": args.if_match, "if_none_match": if_none_match}
    with _client(args) as client:
        if args.element is not None:  # "" is refused, never the session
            result: object = client.put_element(ref, args.element, changes, **conditions)
        else:
            result = client.put(ref, changes, **conditions)
    _print_json(result, io.stdout)
    return ABSENT if result is None else OK


def _add_delete(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    delete = _session_command(sub, "delete", "delete a session or element")
    delete.add_argument(
        "--if-match", metavar="ETAG", help="delete only this version (default: any version)"
    )


def _run_delete(args: argparse.Namespace, io: IO) -> int:
    ref = _session_ref(args.session)
    with _client(args) as client:
        if args.element is not None:  # "" is refused, never the session
            result: object = client.delete_element(ref, args.element, if_match=args.if_match)
        else:
            client.delete(ref, if_match=args.if_match)
            result = {"deleted": ref.path}
    _print_json(result, io.stdout)
    return ABSENT if result is None else OK


def _add_watch(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    text = (
        "print one JSON line per change of a session (its change number, change types and "
        "the session) until interrupted or the session is deleted; needs sessionclient[watch]"
    )
    watch = sub.add_parser("watch", help=text, description=text, parents=[_service()])
    watch.add_argument("session", help="the session: SCID/TEMPLATE/NAME, or its path or URL")
    watch.add_argument(
        "--changes",
        metavar="TYPES",
        help="comma-separated change types to report (default: everything): "
        + ", ".join(sorted(CHANGE_TYPES)),
    )
    watch.add_argument(
        "--count",
        type=_positive(int),
        metavar="N",
        help="stop after N changes, the first "
        "being the session as it is (default: none, until interrupted)",
    )


def _run_watch(args: argparse.Namespace, io: IO) -> int:
    ref = _session_ref(args.session)
    wanted = [t.strip() for t in args.changes.split(",")] if args.changes else None
    with _client(args) as client:
        try:
            changes = client.watch(ref, wanted)
        except ImportError as exc:  # the extra is missing: say which
            raise UsageError(str(exc)) from None
        if client.get(ref) is None:
            print(f"sessionclient: no session {ref.path}", file=io.stderr)
            return ABSENT
        with contextlib.closing(changes):
            for count, change in enumerate(changes, 1):
                line = {
                    "changeNumber": change.change_number,
                    "changes": sorted(change.changes),
                    **to_json(change.session),
                }
                print(json.dumps(line, ensure_ascii=False), file=io.stdout, flush=True)
                if count == args.count:
                    return OK
    return ABSENT  # the session was deleted


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
    "watch": (_add_watch, _run_watch),
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
    parser = Parser(
        prog="sessionclient",
        description="Script multiplayer sessions (Xbox Live MPSD), explain statuses, and run "
        "the offline emulator. Options such as --json go before or after the subcommand.",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="report errors as JSON on stderr (also after the subcommand; see its --help) "
        "(default: off)",
    )
    parser.add_argument("--version", action="version", version=f"sessionclient {__version__}")
    sub: argparse._SubParsersAction[Any] = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND"
    )  # its parsers are Parsers (argparse makes them of the parent's class)
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


# --- errors ---------------------------------------------------------------------------


def _report(error: BaseException, args: argparse.Namespace, io: IO) -> None:
    session = error.session if isinstance(error, SessionClientError) else None
    if args.json:
        report: dict[str, Any] = {"error": "usage", "message": str(error)}
        if isinstance(error, SessionClientError):
            report.update(
                error=type(error).__name__,
                status=error.status,
                method=error.method,
                url=error.url,
                retryAfter=error.retry_after,
                requestId=error.request_id,
            )
        if session is not None:
            _print_json(session, io.stdout)  # the current session, as `get` prints it
        print(json.dumps(report, ensure_ascii=False), file=io.stderr)
    else:
        hint = "; --json prints it on stdout" if session is not None else ""
        if isinstance(error, SessionClientError) and error.retry_after is not None:
            hint += f"; retry in {math.ceil(error.retry_after)} s, as the service asked"
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
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # argparse would blame the top level; name the subcommand's usage
            chosen(parser, args).error(f"unrecognized arguments: {' '.join(unknown)}")
    except SystemExit as exit_:  # --help, --version
        return int(exit_.code or 0)
    except ParserError as error:
        options = argv[: argv.index("--")] if "--" in argv else argv
        if "--json" in options:
            print(json.dumps({"error": "usage", "message": str(error)}), file=io.stderr)
        else:
            print(error.text, file=io.stderr)
        return USAGE
    args.progress = progress(args, io.stderr)
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
