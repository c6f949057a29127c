"""The directory commands of ``sessionclient``: ``ls``, ``invite``, ``transfer``,
``activity set|get``, ``search`` and ``templates``. JSON on stdout; the shared options,
the client, errors and exit codes are ``_cli``'s.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from . import _cli_base as cli
from ._exceptions import SessionClientError
from ._views import View

SESSION_HELP = cli.SESSION_HELP


def _json(result: object) -> Any:
    if isinstance(result, list):
        return [_json(item) for item in result]
    if isinstance(result, View):
        return result.document
    return result


def _print(result: object, io: cli.IO) -> int:
    print(json.dumps(_json(result), indent=2, ensure_ascii=False), file=io.stdout)
    return cli.OK


def _add_ls(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ls = sub.add_parser(
        "ls",
        parents=[cli._service()],
        help="list the sessions of users, or with a keyword",
        description="List the sessions of one or more users (--xuid), or those tagged with "
        "a keyword (--keyword), in one service configuration: one JSON array of session "
        "references with their members' state. A filter is required.",
    )
    ls.add_argument("scid", help="service configuration id")
    ls.add_argument("--xuid", action="append", help="a user; repeat for several (default: none)")
    ls.add_argument("--template", help="only this template (default: every template)")
    ls.add_argument("--keyword", help="sessions with this keyword (default: none)")
    ls.add_argument(
        "--take", type=int, help="at most this many results, 1-100 (default: the service's)"
    )
    for flag, words in (
        ("--inactive", "also where the user is not active"),
        ("--reservations", "also reservations not taken yet"),
        ("--private", "also private sessions (your own xuid)"),
    ):
        ls.add_argument(flag, action="store_true", help=f"{words} (default: off)")


def _run_ls(args: argparse.Namespace, io: cli.IO) -> int:
    users = args.xuid or []
    with cli._client(args) as client:
        result = client.query(
            args.scid,
            template=args.template,
            keyword=args.keyword,
            take=args.take,
            xuid=users[0] if len(users) == 1 else None,
            xuids=users if len(users) > 1 else None,
            inactive=args.inactive,
            reservations=args.reservations,
            private=args.private,
        )
    return _print(result, io)


def _add_invite(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    invite = sub.add_parser(
        "invite",
        parents=[cli._service()],
        help="invite users to a session",
        description="Invite users to a session you are a member of: one invite handle "
        "per user, printed as a JSON array (the handles made before a failure are "
        "printed too).",
    )
    invite.add_argument("session", help=SESSION_HELP)
    invite.add_argument(
        "--xuid", action="append", required=True, help="a user to invite (required; repeat)"
    )
    invite.add_argument(
        "--title-id", required=True, help="your title id (decimal), as in your token (required)"
    )
    invite.add_argument("--context-string", help="shown with the invite (default: none)")


def _run_invite(args: argparse.Namespace, io: cli.IO) -> int:
    ref = cli._session_ref(args.session)
    with cli._client(args) as client:
        try:
            result = client.invite(
                ref, args.xuid, title_id=args.title_id, context_string=args.context_string
            )
        except SessionClientError as error:
            if error.handles:  # say what was created before the failure
                _print(list(error.handles), io)
            raise
    return _print(result, io)


def _add_activity(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    activity = sub.add_parser(
        "activity",
        parents=[cli._common()],
        help="set your activity, or read your friends'",
        description="Your activity is the session you are playing in, which your friends "
        "can see and join: 'set' makes a session yours, 'get' reads what users play.",
    )
    which = activity.add_subparsers(
        dest="activity", required=True, metavar="set|get", help="what to do"
    )
    text = "make a session your activity"
    which.add_parser(
        "set",
        parents=[cli._service()],
        help=text,
        description=f"{text[0].upper()}{text[1:]} (you must be a member): prints its "
        "activity handle.",
    ).add_argument("session", help=SESSION_HELP)
    text = "what these users are playing"
    get = which.add_parser(
        "get",
        parents=[cli._service()],
        help=text,
        description="The activities of these users in a service configuration: what they "
        "are playing, as a JSON array.",
    )
    get.add_argument("scid", help="service configuration id")
    get.add_argument("--xuid", action="append", required=True, help="a user (required; repeat)")
    get.add_argument(
        "--social-group",
        help="the users of this social group of the one --xuid "
        "(people, favorites) instead (default: none)",
    )


def _run_activity(args: argparse.Namespace, io: cli.IO) -> int:
    with cli._client(args) as client:
        if args.activity == "set":
            result: object = client.set_activity(cli._session_ref(args.session))
        else:
            result = client.activities(args.scid, **_users(args))
    return _print(result, io)


def _users(args: argparse.Namespace) -> dict[str, Any]:
    if args.social_group is None:
        return {"xuids": args.xuid}
    if len(args.xuid) != 1:
        raise cli.UsageError("--social-group takes one --xuid: the group's owner")
    return {"social_group": args.social_group, "social_group_xuid": args.xuid[0]}


def _add_transfer(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    text = "let a lobby's members join another session"
    transfer = sub.add_parser(
        "transfer",
        help=text,
        parents=[cli._service()],
        description="Create a transfer handle from a session (a lobby) to another: members "
        "of the first may join the second through it. Prints the handle.",
    )
    transfer.add_argument("session", help="the session to move to: " + SESSION_HELP)
    transfer.add_argument(
        "--from",
        dest="origin",
        required=True,
        metavar="SESSION",
        help="the session whose members may move, a lobby (required)",
    )


def _run_transfer(args: argparse.Namespace, io: cli.IO) -> int:
    target, origin = cli._session_ref(args.session), cli._session_ref(args.origin)
    with cli._client(args) as client:
        return _print(client.create_transfer_handle(target, origin), io)


def _add_search(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    search = sub.add_parser(
        "search",
        parents=[cli._service()],
        help="find sessions by their search handles",
        description="Find the sessions of a template by their search handles' tags, "
        "strings and numbers, with an OData filter: a JSON array of search handles.",
    )
    search.add_argument("where", metavar="SCID/TEMPLATE", help="where to search")
    search.add_argument(
        "--filter", help="e.g. \"tolower(strings/map) eq 'harbor'\" (default: none)"
    )
    search.add_argument("--order-by", help="e.g. 'numbers/skill desc' (default: none)")
    search.add_argument(
        "--social-group",
        metavar="GROUP/XUID",
        help="only sessions with members of this social group of XUID, "
        "e.g. favorites/2533274790395904 (default: none)",
    )


def _run_search(args: argparse.Namespace, io: cli.IO) -> int:
    scid, _, template = args.where.partition("/")
    if not template:
        raise cli.UsageError(f"expected SCID/TEMPLATE, got {args.where!r}")
    group, _, owner = (args.social_group or "").partition("/")
    if args.social_group is not None and not owner:
        raise cli.UsageError(f"expected --social-group GROUP/XUID, got {args.social_group!r}")
    with cli._client(args) as client:
        result = client.search(
            scid,
            template,
            filter=args.filter,
            order_by=args.order_by,
            social_group=group or None,
            social_group_xuid=owner or None,
        )
    return _print(result, io)


def _add_templates(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    templates = sub.add_parser(
        "templates",
        parents=[cli._service()],
        help="list the session templates",
        description="The names of a service configuration's session templates, as a JSON array.",
    )
    templates.add_argument("scid", help="service configuration id")


def _run_templates(args: argparse.Namespace, io: cli.IO) -> int:
    with cli._client(args) as client:
        return _print(client.templates(args.scid), io)


COMMANDS = {
    "ls": (_add_ls, _run_ls),
    "invite": (_add_invite, _run_invite),
    "transfer": (_add_transfer, _run_transfer),
    "activity": (_add_activity, _run_activity),
    "search": (_add_search, _run_search),
    "templates": (_add_templates, _run_templates),
}
"""The directory commands, as ``_cli.COMMANDS`` entries."""
