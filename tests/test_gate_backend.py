"""The gate's backend interface and the bucket's identity, without a Redis server:
what a client accepts as ``gate=``, how its bucket names who calls (never the
credential), and a ``RedisGate`` whose Redis is not there at all."""

from __future__ import annotations

import math
import socket
from typing import Any

import httpx
import pytest
import respx

import sessionclient as sc
from sessionclient._backend import GateBackend, identity
from sessionclient._gate import Closure, Gate

from .conftest import AUTH, BASE, REF, TOKEN, FakeClock, MakeClient


def test_the_in_process_gate_is_a_backend() -> None:
    assert isinstance(Gate(), GateBackend)
    assert isinstance(sc.RedisGate.from_url("redis://127.0.0.1:1/0"), GateBackend)


@pytest.mark.parametrize(
    "cls", [sc.SessionClient, sc.AsyncSessionClient, sc.ResourceClient, sc.AsyncResourceClient]
)
def test_a_gate_that_is_not_one_is_refused_at_construction(cls: Any) -> None:
    with pytest.raises(TypeError, match="gate must be a gate backend"):
        cls(BASE, gate=object())


class _Named:
    """A token provider with the user hash it signs in as."""

    def __init__(self, userhash: str) -> None:
        self.userhash = userhash

    def __call__(self, force_refresh: bool) -> str:
        return f"XBL3.0 x={self.userhash};fresh"


def test_one_user_is_one_identity_whatever_the_token() -> None:
    userhash = "2533274790395904"
    one = identity(sc.XBLToken(userhash, "one"))
    assert one == identity(f"XBL3.0 x={userhash};two")  # another worker's token
    assert one == identity(_Named(userhash))  # a provider that names its user
    # A provider that does not say who it is: unknown, the host's bucket alone.
    assert identity(lambda refresh: f"XBL3.0 x={userhash};three") == ""
    assert identity(sc.XBLToken(userhash, "a")) != identity(sc.XBLToken("1001", "a"))


class _Provider:
    """A token provider that says who it signs in as."""

    identity = "service-account-7"

    def __call__(self, force_refresh: bool) -> str:
        return "Bearer rotating"


def test_other_credentials_are_hashed_never_kept() -> None:
    bearer = identity("Bearer sk-0123456789")
    assert bearer.startswith("#")
    assert len(bearer) == 17
    assert "sk-0123456789" not in bearer
    assert bearer != identity("Bearer sk-9876543210")
    assert identity(_Provider()) not in ("", bearer)
    assert identity(None) == ""


def test_a_clients_bucket_is_its_host_and_identity() -> None:
    with sc.SessionClient(BASE, auth=AUTH) as client:
        bucket = client._settings.bucket
    assert bucket == "sessiondirectory.example" + identity(AUTH)
    assert TOKEN not in bucket
    with sc.ResourceClient(BASE) as anonymous:
        assert anonymous._settings.bucket == "sessiondirectory.example"


def test_options_are_checked_before_anything_connects() -> None:
    with pytest.raises(ValueError, match="namespace"):
        sc.RedisGate.from_url("redis://127.0.0.1:1/0", namespace="")
    with pytest.raises(ValueError, match="budget"):
        sc.RedisGate.from_url("redis://127.0.0.1:1/0", budget=0)
    with pytest.raises(ValueError, match="cooloff"):
        sc.RedisGate.from_url("redis://127.0.0.1:1/0", cooloff=-1)
    gate = sc.RedisGate.from_url("redis://:hunter2@127.0.0.1:1/0")
    assert "hunter2" not in repr(gate)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the probe goes


def test_without_its_redis_a_client_behaves_as_with_its_own_gate(
    make_client: MakeClient, router: respx.Router, clock: FakeClock
) -> None:
    gate = sc.RedisGate.from_url(f"redis://127.0.0.1:{_closed_port()}/0", clock=clock)
    route = router.get(REF.path)
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "20"}, json={"message": "slow down"}),
        httpx.Response(204),
        httpx.Response(204),
    ]
    client = make_client(httpx.MockTransport(router.handler), gate=gate)
    assert client.get(REF) is None
    assert client.get(REF) is None
    assert route.call_count == 3
    assert 20 <= clock.sleeps[0] < 21
    gate.close()


def test_a_waiter_behind_a_late_one_is_never_told_to_sleep_a_negative_time() -> None:
    """Regression: a caller that joins the queue after the release is due, behind a
    waiter that has not come back yet, has its turn in the past; the gate answered a
    negative wait, and ``time.sleep`` / ``anyio.sleep`` raised ValueError out of the
    call (seen in benchmarks.fleet)."""
    gate = Gate()
    closure = Closure(sc.TooManyRequestsError, 429, "GET", BASE)
    gate.hold("k", 0.0, 1.0, sent_at=0.0, rate=0.5, closure=closure)
    first = gate.admit("k", 0.0, None, math.inf)
    assert first.ticket is not None
    late = gate.admit("k", 5.0, None, math.inf)  # the first has not come back
    assert late.ticket is not None
    assert 0 < late.wait <= 0.51
