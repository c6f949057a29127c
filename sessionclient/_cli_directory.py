"""The directory commands of ``sessionclient``: ``ls``, ``invite``, ``activity set|get``,
``search`` and ``templates``. JSON on stdout, the exit codes of ``_cli``.

Kept apart from ``_cli`` (which only registers and dispatches them) so that each can
change without the other.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, TextIO

from ._client import DEFAULT_BASE_URL, SessionClient
from ._exceptions import SessionClientError
from ._ref import SessionRef
from ._retry import RetryPolicy
from ._views import View

COMMANDS = frozenset({"ls", "invite", "activity", "search", "templates"})


def _session(text: str) -> SessionRef:
    """A session URL or path, or ``SCID/TEMPLATE/NAME``."""
    if "serviceconfigs" in text.lower():
        return SessionRef.from_url(text)
    parts = text.split("/")
    if len(parts) != 3:
        raise ValueError(f"expected a session URL or SCID/TEMPLATE/NAME, got {text!r}")
    return SessionRef(*parts)


def _connection(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
    command.add_argument(
        "--base-url",
        default=os.environ.get("SESSIONCLIENT_BASE_URL", DEFAULT_BASE_URL),
        help="service URL (env SESSIONCLIENT_BASE_URL)",
    )
    command.add_argument(
        "--max-attempts", type=int, default=5, help="attempts per call (1: no retries)"
    )
    command.add_argument("--deadline", type=float, default=30.0, help="seconds for the call")
    command.add_argument(
        "--token",
        default=os.environ.get("SESSIONCLIENT_TOKEN"),
        help="Authorization value (env SESSIONCLIENT_TOKEN; never printed)",
    )
    return command


def register(sub: Any) -> None:
    """Add the directory commands to the subparsers of the ``sessionclient`` parser."""
    ls = _connection(sub.add_parser("ls", help="list the sessions of users or with a keyword"))
    ls.add_argument("scid", help="service configuration id")
    ls.add_argument("--xuid", action="append", default=[], help="a user (repeat for several)")
    ls.add_argument("--template", help="only this template")
    ls.add_argument("--keyword", help="sessions with this keyword")
    ls.add_argument("--take", type=int, help="at most this many results (0-100)")
    for flag, words in (("--inactive", "also where the user is not active"),
                        ("--reservations", "also reservations not taken yet"),
                        ("--private", "also private sessions (your own xuid)")):  # fmt: skip
        ls.add_argument(flag, action="store_true", help=words)

    invite = _connection(sub.add_parser("invite", help="invite users to a session"))
    invite.add_argument("session", help="session URL or path, or SCID/TEMPLATE/NAME")
    invite.add_argument("--xuid", action="append", required=True, help="repeat for several")
    invite.add_argument("--context-string", help="shown with the invite")

    activity = sub.add_parser("activity", help="set your activity, or read your friends'")
    which = activity.add_subparsers(dest="activity", required=True)
    _connection(which.add_parser("set", help="make a session your activity")).add_argument(
        "session", help="session URL or path, or SCID/TEMPLATE/NAME"
    )
    get = _connection(which.add_parser("get", help="what these users are playing"))
    get.add_argument("scid")
    get.add_argument("--xuid", action="append", required=True, help="repeat for several")

    search = _connection(sub.add_parser("search", help="find sessions by search handle"))
    search.add_argument("where", metavar="SCID/TEMPLATE")
    search.add_argument("--filter", help="e.g. \"Strings/map eq 'harbor'\"")
    search.add_argument("--order-by", help="e.g. 'Numbers/skill desc'")

    templates = _connection(sub.add_parser("templates", help="list the session templates"))
    templates.add_argument("scid")


def _json(result: object) -> Any:
    if isinstance(result, list):
        return [_json(item) for item in result]
    if isinstance(result, View):
        return result.document
    return result


def run(args: argparse.Namespace, stdout: TextIO) -> int:
    """Run a directory command; errors propagate to ``_cli.main``."""
    policy = RetryPolicy(max_attempts=args.max_attempts, deadline=args.deadline)
    with SessionClient(args.base_url, auth=args.token, retry=policy) as client:
        result: object
        if args.command == "ls":
            users = args.xuid
            result = client.query(
                args.scid, template=args.template, keyword=args.keyword, take=args.take,
                xuid=users[0] if len(users) == 1 else None, xuids=users if len(users) > 1 else None,
                inactive=args.inactive, reservations=args.reservations, private=args.private,
            )  # fmt: skip
        elif args.command == "invite":
            try:
                result = client.invite(
                    _session(args.session), args.xuid, context_string=args.context_string
                )
            except SessionClientError as error:
                if error.handles:  # say what was created before the failure
                    print(json.dumps(_json(list(error.handles)), indent=2), file=stdout)
                raise
        elif args.command == "activity" and args.activity == "set":
            result = client.set_activity(_session(args.session))
        elif args.command == "activity":
            result = client.activities(args.scid, args.xuid)
        elif args.command == "search":
            scid, _, template = args.where.partition("/")
            if not template:
                raise ValueError(f"expected SCID/TEMPLATE, got {args.where!r}")
            result = client.search(scid, template, filter=args.filter, order_by=args.order_by)
        else:
            result = client.templates(args.scid)
    print(json.dumps(_json(result), indent=2, ensure_ascii=False), file=stdout)
    return 0
