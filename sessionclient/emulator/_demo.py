"""``sessionclient demo``: a lobby's whole life on the in-process emulator, printed as
a transcript of every HTTP exchange and of what the SDK made of it."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TextIO

import httpx

from .._auth import XBLToken
from .._exceptions import SessionClientError
from .._models import Accepted, NotModified, Session
from .._ref import SessionRef
from .._sync import SessionClient
from .._views import Handle
from .._watch import Change
from ._directory import DEFAULT_SCID
from ._emulator import EMULATOR_URL, Emulator
from ._throttle import Throttle

BURST_LIMIT = 10


class Recorder(httpx.BaseTransport):
    """Passes requests to the emulator and notes each exchange for the transcript."""

    def __init__(self, inner: httpx.BaseTransport, log: list[str], who: str) -> None:
        self._inner, self._log, self._who = inner, log, who

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Forward one request and record it with its answer."""
        conditions = "".join(
            f"  {name}: {request.headers[name]}"
            for name in ("If-Match", "If-None-Match")
            if name in request.headers
        )
        response = self._inner.handle_request(request)
        notes = "".join(
            f"  {name}: {response.headers[name]}"
            for name in ("ETag", "Retry-After")
            if name in response.headers
        )
        path = request.url.path
        if "/sessions/" in path:
            path = "…/sessions/" + path.split("/sessions/")[-1]
        elif request.url.query:
            path += "?" + request.url.query.decode("ascii", "replace")
        # The WebSocket's upgrade is RTA's, not a request the directory counts.
        arrow = "⇄" if response.status_code == 101 else "←"
        self._log.append(
            f"   {self._who:<5} {request.method:<6} {path}{conditions}\n"
            f"         {arrow} {response.status_code} {response.reason_phrase}{notes}"
        )
        return response


def _describe(result: object) -> str:
    if isinstance(result, list):
        return f"{len(result)} item(s): " + "; ".join(_describe(item) for item in result)
    if isinstance(result, Change):
        members = len(result.session.members)
        return (
            f"change {result.change_number}: {', '.join(sorted(result.changes))} "
            f"({members} member(s))"
        )
    if isinstance(result, Handle):
        what = f"{result.type} handle {result.id[:8]}… for {result.ref.name}"
        if result.invited_xuid:
            what += f", inviting {result.invited_xuid}"
        if result.strings or result.numbers:
            what += f", attributes {dict(result.strings)} {dict(result.numbers)}"
        return what
    if isinstance(result, Session):
        custom = result.custom_properties
        members = len(result.members)
        made = "created" if result.created else "session"
        return f"{made}: {members} member(s), custom properties {custom}"
    if isinstance(result, NotModified):
        return f"NotModified: the copy with ETag {result.etag} is current"
    if isinstance(result, Accepted):
        return f"Accepted: {result.message}"
    if isinstance(result, bool):
        return "the session still exists" if result else "the session is gone"
    return "None: no session"


class Demo:
    """The scenario; each step prints its exchanges and the SDK's interpretation."""

    def __init__(self, out: TextIO, time_scale: float) -> None:
        self.out = out
        self.log: list[str] = []
        self.emulator = Emulator(time_scale=time_scale, throttle=Throttle(burst_limit=BURST_LIMIT))
        self.ref = SessionRef(DEFAULT_SCID, "lobby", "friday-night")
        self.clients: dict[str, SessionClient] = {}

    def player(self, who: str, userhash: str) -> SessionClient:
        transport = Recorder(self.emulator.transport(), self.log, who)
        client = SessionClient(EMULATOR_URL, auth=XBLToken(userhash, "demo"), transport=transport)
        self.clients[who] = client
        return client

    def step(self, title: str, action: Callable[[], Any], *, fold: bool = False) -> Any:
        print(f"\n{title}", file=self.out)
        self.log.clear()
        try:
            result = action()
            outcome = _describe(result)
        except SessionClientError as error:
            result, outcome = error, f"{type(error).__name__}: {error.explain()}"
        lines = self.log
        if fold and len(lines) > 4:  # a burst: show its first and last exchanges
            lines = [*lines[:2], f"   … {len(lines) - 4} more exchanges like these …", *lines[-2:]]
        for line in lines:
            print(line, file=self.out)
        print(f"   = {outcome}", file=self.out)
        return result

    def run(self) -> None:
        host, ana, ben = (
            self.player("host", "1001"),
            self.player("ana", "1002"),
            self.player("ben", "1003"),
        )
        ref = self.ref
        lobby = {
            "constants": {"custom": {"mode": "capture-the-flag"}},
            "properties": {"custom": {"map": "harbor", "round": 0}},
        }
        self.step(
            "1. The host creates the lobby (create only: If-None-Match: *)",
            lambda: host.create(ref, lobby),
        )
        self.step(
            "2. Ana and Ben join",
            lambda: (
                ana.join(ref, properties={"custom": {"ready": True}}),
                ben.join(ref, properties={"custom": {"ready": False}}),
            )[-1],
        )
        seen = self.step(
            "3. The host and Ana read the lobby: both hold the same version",
            lambda: (ana.get(ref), host.get(ref))[-1],
        )
        assert isinstance(seen, Session)
        self.step(
            "4. The host starts round 1, writing only the version it read (If-Match)",
            lambda: host.set_properties(ref, {"round": 1}, if_match=seen.etag),
        )
        conflict = self.step(
            "5. Ana, from the version she read in step 3, also bumps the round: the writes collide",
            lambda: ana.set_properties(ref, {"round": 1}, if_match=seen.etag),
        )
        current = getattr(conflict, "session", None) or seen

        def next_round(session: Session | None) -> dict[str, Any] | None:
            if session is None:
                return None
            return {"properties": {"custom": {"round": session.custom_properties["round"] + 1}}}

        self.step(
            "6. Ana resolves it with update(): it starts from the session the 412 carried "
            "(no extra GET)",
            lambda: ana.update(current, next_round),
        )
        self.step(
            f"7. Ben polls in a burst; the emulator allows {BURST_LIMIT} calls per window, "
            "so it answers 429 and the SDK waits the Retry-After before retrying",
            lambda: [ben.get(ref) for _ in range(BURST_LIMIT)][-1],
            fold=True,
        )
        latest = self.step("8. Ana reads the lobby", lambda: ana.get(ref))
        assert isinstance(latest, Session)
        self.step(
            "9. Ana re-reads with If-None-Match: nothing changed since",
            lambda: ana.get(ref, if_none_match=latest.etag),
        )
        self.invite_and_search(host)
        for number, who in enumerate(("ben", "ana", "cleo", "host"), start=14):
            client = self.clients[who]
            self.step(f"{number}. {who.capitalize()} leaves", functools.partial(client.leave, ref))
        self.step("18. The lobby is gone: a read answers 204", lambda: host.get(ref))
        self.watch_a_lobby()

    def watch_a_lobby(self) -> None:
        """The chapter on change notifications (Real-Time Activity)."""
        try:
            import wsproto  # noqa: F401
        except ImportError:
            print("\n(19-22: watching a lobby needs sessionclient[watch]: skipped)", file=self.out)
            return
        ref = SessionRef(DEFAULT_SCID, "lobby", "watched")
        host, eve, finn = (
            self.player("host", "1001"),
            self.player("eve", "1006"),
            self.player("finn", "1007"),
        )
        watch = host.watch(ref)
        first = self.step(
            "19. The host opens a new lobby and watches it: a WebSocket to RTA (101), its "
            "ConnectionId written into the host's member; the first change is the lobby",
            lambda: (host.create(ref), next(watch))[-1],
        )
        assert isinstance(first, Change)
        self.step(
            "20. Eve joins: RTA taps the host, who reads the lobby once",
            lambda: (eve.join(ref), next(watch))[-1],
        )
        finn_watch = finn.watch(ref)
        self.step(
            "21. Finn joins, and watches too (his member holds his own connection)",
            lambda: (next(finn_watch), next(watch))[-1],
        )
        seconds = self.emulator.inactive_after * self.emulator.time_scale

        def lose_finn() -> Any:
            finn_session = host.get(ref)
            assert isinstance(finn_session, Session)
            member = finn_session.member("1007")
            connection = member.document["properties"]["system"]["connection"] if member else None
            self.emulator.rta.drop(connection)  # Finn's network goes away
            time.sleep(seconds)
            eve.get(ref)  # MPSD notices on its own; the emulator at its next request
            return next(watch)

        self.step(
            f"22. Finn's connection drops; {self.emulator.inactive_after:g} s later "
            f"({seconds:g} s here) MPSD makes him inactive and the host's watch says so",
            lose_finn,
        )
        watch.close()
        finn_watch.close()

    def invite_and_search(self, host: SessionClient) -> None:
        """The chapter beyond one session: an invite, and a lobby found by search."""
        ref = self.ref
        cleo, dan = self.player("cleo", "1004"), self.player("dan", "1005")
        invites = self.step(
            "10. The host invites a friend, Cleo: one invite handle (a POST that is not "
            "retried blindly: each one creates a handle)",
            lambda: host.invite(ref, ["1004"], title_id=1234, context_string="harbor, round 2"),
        )
        self.step(
            "11. Cleo accepts: she joins through the handle, without knowing the session's name",
            lambda: cleo.put_by_handle(invites[0].id, {"members": {"me": {}}}),
        )
        self.step(
            "12. The host publishes the lobby for search (its own, much lower, rate limit)",
            lambda: host.create_search_handle(
                ref, tags=["casual"], strings={"map": "harbor"}, numbers={"players": 4}
            ),
        )
        self.step(
            "13. Dan, a stranger, finds it: strings/map eq 'harbor' and numbers/players lt 8",
            lambda: dan.search(
                ref.scid, "lobby", filter="strings/map eq 'harbor' and numbers/players lt 8"
            ),
        )

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def run_demo(out: TextIO, *, time_scale: float = 0.01) -> int:
    """Run the scenario, print the transcript to ``out``; returns the exit code."""
    started = time.monotonic()
    print(
        "sessionclient demo: a lobby's life on the in-process emulator\n"
        f"(time scale {time_scale:g}: a 15 s throttling window lasts {15 * time_scale:g} s)",
        file=out,
    )
    demo = Demo(out, time_scale)
    try:
        demo.run()
    finally:
        demo.close()
    total = len(demo.emulator.requests)
    print(f"\n{total} requests in {time.monotonic() - started:.2f} s; all done.", file=out)
    return 0
