"""Authorization: one forced refresh on 401, and the token never shows."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import httpx
import pytest
import respx

import sessionclient as sc

from .conftest import REF, TOKEN, MakeClient


class Provider:
    """A provider that hands out a new token each time it is forced to refresh."""

    def __init__(self) -> None:
        self.calls: list[bool] = []

    def __call__(self, force_refresh: bool) -> str:
        self.calls.append(force_refresh)
        return sc.xbl3_authorization("42", f"{TOKEN}-{sum(self.calls)}")


class AsyncProvider(Provider):
    async def fetch(self, force_refresh: bool) -> str:
        return self(force_refresh)


def test_401_refreshes_once_and_resends(make_client: MakeClient, router: respx.Router) -> None:
    provider = Provider()
    client = make_client(httpx.MockTransport(router.handler), auth=provider)
    tokens: list[str] = []  # read at send time: httpx resends the same request object

    def answer(request: httpx.Request) -> httpx.Response:
        tokens.append(request.headers["authorization"])
        return httpx.Response(401 if len(tokens) == 1 else 204, text="expired")

    router.get(REF.path).mock(side_effect=answer)
    assert client.get(REF) is None
    assert provider.calls == [False, True]
    assert tokens == [f"XBL3.0 x=42;{TOKEN}-0", f"XBL3.0 x=42;{TOKEN}-1"]


def test_a_second_401_raises(make_client: MakeClient, router: respx.Router) -> None:
    provider = Provider()
    client = make_client(httpx.MockTransport(router.handler), auth=provider)
    route = router.put(REF.path).respond(401, text="token rejected")
    with pytest.raises(sc.UnauthorizedError, match="token rejected") as caught:
        client.put(REF, {}, if_none_match=sc.ANY)
    assert route.call_count == 2
    assert provider.calls == [False, True]
    assert caught.value.attempts == 1  # the refresh is part of the attempt, not a retry


def test_async_provider(kind: str, make_client: MakeClient, router: respx.Router) -> None:
    provider = AsyncProvider()
    client = make_client(httpx.MockTransport(router.handler), auth=provider.fetch)
    route = router.get(REF.path).respond(204)
    if kind == "sync":
        with pytest.raises(TypeError, match="AsyncSessionClient"):
            client.get(REF)
        assert route.call_count == 0
    else:
        assert client.get(REF) is None
        assert route.calls.last.request.headers["authorization"].endswith(f"{TOKEN}-0")


@pytest.mark.parametrize("value", ["", "XBL3.0 x=1;a\r\nX-Evil: 1", 7])
def test_provider_values_are_checked_without_echoing_them(
    make_client: MakeClient, router: respx.Router, value: Any
) -> None:
    client = make_client(httpx.MockTransport(router.handler), auth=lambda _refresh: value)
    route = router.get(REF.path).respond(204)
    with pytest.raises((TypeError, ValueError)) as caught:
        client.get(REF)
    assert "Evil" not in str(caught.value)
    assert route.call_count == 0


def test_a_fixed_token_is_a_header_not_resent_on_401(
    make_client: MakeClient, router: respx.Router
) -> None:
    client = make_client(httpx.MockTransport(router.handler), auth=f"XBL3.0 x=42;{TOKEN}")
    route = router.get(REF.path).respond(401, text="expired")
    with pytest.raises(sc.UnauthorizedError):
        client.get(REF)
    assert route.call_count == 1  # nothing to refresh: resending would fail the same way
    assert route.calls.last.request.headers["authorization"] == f"XBL3.0 x=42;{TOKEN}"
    assert TOKEN not in repr(client.client._http.headers)


def test_xbl3_authorization() -> None:
    assert sc.xbl3_authorization("123", "tok") == "XBL3.0 x=123;tok"
    for userhash, token in [("", "t"), ("a;b", "t"), ("u", "")]:
        with pytest.raises(ValueError):  # noqa: PT011
            sc.xbl3_authorization(userhash, token)


def test_token_never_appears_in_reprs_errors_or_logs(
    make_client: MakeClient, router: respx.Router, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    auth = sc.XBLToken("2533274790395904", TOKEN)
    client = make_client(
        httpx.MockTransport(router.handler), auth=auth, retry=sc.RetryPolicy(max_attempts=2)
    )
    router.get(REF.path).mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "1"}),
            httpx.Response(401, text="nope"),
            httpx.Response(401, text="nope"),
        ]
    )
    with pytest.raises(sc.UnauthorizedError) as caught:
        client.get(REF)
    error = caught.value
    texts = [repr(auth), repr(client.client), str(error), repr(error), error.explain()]
    texts += [repr(error.headers), repr(pickle.loads(pickle.dumps(error)))]
    texts += [record.getMessage() for record in caplog.records]
    assert any("retrying GET" in t for t in texts)  # the logs were captured
    for text in texts:
        assert TOKEN not in text
