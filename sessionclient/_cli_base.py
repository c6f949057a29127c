"""What every ``sessionclient`` command shares: exit codes, the service options, the
client they build, and the JSON they print."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import time
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn, TextIO

import httpx

from ._auth import XBLToken
from ._core import parse_json
from ._exceptions import (
    AmbiguousWriteError,
    Attempt,
    ClientError,
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
    ServiceUnavailableError,
    SessionClientError,
    TooManyRequestsError,
    TransportError,
    reason_phrase,
)
from ._explain import language
from ._flows import DEFAULT_BASE_URL
from ._http import check_base_url
from ._models import Accepted, Element, NotModified, Session
from ._ref import SessionRef
from ._retry import RetryPolicy
from ._sync import SessionClient

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


SESSION_HELP = (
    "the session: SCID/TEMPLATE/NAME, its path (/serviceconfigs/SCID/sessiontemplates/"
    "TEMPLATE/sessions/NAME) or its URL, whose host is the one called (--base-url, if "
    "set, must name the same)"
)


class UsageError(Exception):
    """A mistake in the command line: one line on stderr, exit 2."""


class ParserError(UsageError):
    """argparse refused the command line; ``usage`` is that of the (sub)command concerned."""

    def __init__(self, prog: str, message: str, usage: str) -> None:
        super().__init__(f"{prog}: {message}")
        self.text = f"{usage}{prog}: error: {message}"
        """As argparse prints it: the usage, then the error."""


class Parser(argparse.ArgumentParser):
    """An argparse parser that raises its errors, for ``main`` to report (as JSON under
    ``--json``), instead of printing them and exiting; its subparsers are Parsers too."""

    def error(self, message: str) -> NoReturn:
        """Raise ``ParserError``: the message, prefixed with this (sub)command's name."""
        raise ParserError(self.prog, message, self.format_usage())


def chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost subcommand's parser that ``args`` went through (``activity get`` ...)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            name = getattr(args, action.dest, None)
            if name in action.choices:
                return chosen(action.choices[name], args)
    return parser


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
        "on stdout); before or after the subcommand (default: off)",
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
        f"takes any; signs in as user {NO_AUTH_USERHASH} (default: off)",
    )
    service.add_argument(
        "--max-attempts",
        metavar="N",
        type=_positive(int),
        default=RetryPolicy().max_attempts,  # the SDK's: the deadline bounds a call
        help="attempts per call, 1 for no retries (default: %(default)s)",
    )
    service.add_argument(
        "--deadline",
        metavar="SECONDS",
        type=_positive(float),
        default=30.0,
        help="seconds for the whole call, retries included (default: %(default)s)",
    )
    service.add_argument(
        "--quiet",
        action="store_true",
        help="no progress line while a call waits on the service (default: off: a wait "
        "longer than a second shows on stderr, when it is a terminal and without --json)",
    )
    return service


def _session_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str
) -> argparse.ArgumentParser:
    command = sub.add_parser(name, help=help, description=help, parents=[_service()])
    command.add_argument(
        "session",
        help=SESSION_HELP,
    )
    command.add_argument(
        "--element",
        metavar="PATH",
        help="an element instead of the whole session: members/me, members/N, servers/NAME "
        "or properties (default: the whole session)",
    )
    return command


def _client(args: argparse.Namespace) -> SessionClient:
    """The client the shared options describe; refuses a call without a token, or one
    whose session URL names another service than the base URL (see ``_base_url``)."""
    base_url = _base_url(args)
    auth: str | XBLToken | None = args.token or os.environ.get("SESSIONCLIENT_TOKEN")
    try:
        check_base_url(base_url)
    except ValueError:
        # Not the parser's words: they may quote the URL, and its password.
        raise UsageError(
            "--base-url (or SESSIONCLIENT_BASE_URL) is not an http(s) URL with a host, "
            "a valid port and no credentials"
        ) from None
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
    progress: Progress | None = getattr(args, "progress", None)
    if progress is None:
        return SessionClient(base_url, auth=auth, retry=policy)
    policy = policy.evolve(on_retry=progress.retrying)
    return SessionClient(
        base_url, auth=auth, retry=policy, clock=progress.clock, sleep=progress.sleep
    )


def _base_url(args: argparse.Namespace) -> str:
    """Where the calls go: a session given as a URL names its own scheme, host and port,
    which ``--base-url`` or ``$SESSIONCLIENT_BASE_URL``, when set, must not contradict
    (the token goes only where the user pointed)."""
    given = args.base_url or os.environ.get("SESSIONCLIENT_BASE_URL") or None
    session: str | None = getattr(args, "session", None)
    if not session or "://" not in session:
        return given or DEFAULT_BASE_URL
    origin = _origin(session)
    if origin is None:
        raise UsageError("a session URL is http:// or https://, with a host")
    if httpx.URL(session).userinfo:
        raise UsageError(
            "the session URL holds a user name or password: give the token "
            "with --token or SESSIONCLIENT_TOKEN"
        )
    if given is None:
        return origin
    base = _origin(given, path=True)
    if base != origin:
        option = "--base-url" if args.base_url else "$SESSIONCLIENT_BASE_URL"
        raise UsageError(
            f"the session URL is on {origin}, but {option} is {base or 'no http(s) URL'}: "
            "give the session as SCID/TEMPLATE/NAME or its path, or make them agree"
        )
    return given


def _origin(url: str, path: bool = False) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, and its path if asked (never a user,
    password, query or fragment); None for another URL."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None
    kept = parsed.copy_with(
        userinfo=b"", path=parsed.path if path else "/", query=None, fragment=None
    )
    return str(kept).rstrip("/")


class Progress:
    """The client's sleep: a wait longer than a second shows on ``stream`` (when given)
    as one line, rewritten in place, that says what the call waits for and how many
    seconds are left; it is erased when the wait ends. The policy's ``on_retry`` hook
    (``retrying``) says what the next wait is for; any other wait is a cool-down the
    service asked for (the gate's)."""

    def __init__(
        self,
        stream: TextIO | None,
        attempts: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.stream, self.attempts, self.clock, self._sleep = stream, attempts, clock, sleep
        self._why = ""

    def retrying(self, attempt: Attempt) -> None:
        """What the next wait is for: attempt ``number + 1``, after what ended this one."""
        cause = attempt.cause
        if isinstance(cause, int):
            cause = f"{cause} {reason_phrase(cause)}".rstrip()
        self._why = f"{cause}; attempt {attempt.number + 1} of {self.attempts} in"

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, on the line when there is one and they pass a second."""
        why, self._why = self._why or "the service asked to slow down; sending in", ""
        if self.stream is None or seconds <= 1:
            self._sleep(seconds)
            return
        end, width = self.clock() + seconds, 0
        while (left := end - self.clock()) > 0:
            shown = max(1, round(left))
            line = f"sessionclient: {why} {shown} s"
            self.stream.write(f"\r{line.ljust(width)}")
            self.stream.flush()
            width = max(width, len(line))
            self._sleep(left - shown + 1)  # until the next whole second is shown
        self.stream.write(f"\r{' ' * width}\r")
        self.stream.flush()


def progress(args: argparse.Namespace, stderr: TextIO) -> Progress | None:
    """The sleep of a command that calls the service (None for the others): shown on
    ``stderr`` when it is a terminal, unless ``--quiet`` or ``--json``."""
    attempts: int | None = getattr(args, "max_attempts", None)
    if attempts is None:
        return None
    quiet = args.quiet or args.json or not stderr.isatty()
    return Progress(None if quiet else stderr, attempts)


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
        return {
            "ref": result.ref.path,
            "etag": _str(result.etag),
            "created": result.created,
            "session": result.document,
        }
    if isinstance(result, Element):
        return {
            "ref": result.ref.path,
            "element": result.path,
            "etag": _str(result.etag),
            "value": result.document,
        }
    if isinstance(result, NotModified):
        return {"ref": str(result.ref), "etag": _str(result.etag), "notModified": True}
    if isinstance(result, Accepted):
        return {"ref": str(result.ref), "accepted": True, "message": result.message}
    return result


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _print_json(value: Any, out: TextIO) -> None:
    text = json.dumps(to_json(value), indent=2, ensure_ascii=False)
    try:
        text.encode(getattr(out, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):  # a lone surrogate, or an ASCII terminal
        text = json.dumps(to_json(value), indent=2)
    print(text, file=out)


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
        # The SDK's own parser: no NaN, and a nesting depth every walk can take.
        return parse_json(text.encode("utf-8", "surrogatepass"))
    except ValueError as exc:
        raise UsageError(f"{option}: not JSON ({exc})") from None


# --- commands -------------------------------------------------------------------------
