"""What a user sees of a call without reading the code: MPSD's correlation ids on
results and errors, the ``on_attempt`` hook, the log lines, and OpenTelemetry spans."""

from __future__ import annotations

import pytest
import respx

import sessionclient as sc

from .conftest import BASE, REF, Both

CORRELATION = "4106d0bc-1cb3-47bd-83fd-57d041c6febe"
SESSION = {"members": {}, "properties": {"custom": {"map": "harbor"}}}


def test_the_correlation_id_of_mpsd_is_the_request_id_of_an_error(
    client: Both, router: respx.Router
) -> None:
    router.get(REF.path).respond(
        404, text="no such template", headers={"X-XblCorrelationId": CORRELATION}
    )
    with pytest.raises(sc.NotFoundError) as caught:
        client.get(REF)
    assert caught.value.request_id == CORRELATION


def test_the_error_text_ends_with_the_request_id(client: Both, router: respx.Router) -> None:
    router.get(REF.path).respond(500, text="boom", headers={"X-XblCorrelationId": CORRELATION})
    with pytest.raises(sc.InternalServerError) as caught:
        client.get(REF, retry=sc.RetryPolicy(max_attempts=2))
    assert str(caught.value) == (
        f"500 Internal Server Error on GET {BASE}{REF.path}: boom after 2 attempts "
        f"(request id {CORRELATION})"
    )


def test_a_session_keeps_the_request_id_that_came_with_it(
    client: Both, router: respx.Router
) -> None:
    router.get(REF.path).respond(
        200, json=SESSION, headers={"ETag": '"v1"', "X-XblCorrelationId": CORRELATION}
    )
    session = client.get(REF)
    assert isinstance(session, sc.Session)
    assert session.request_id == CORRELATION
    # The id says which response it was, not what the session is.
    assert session == sc.Session(REF, sc.ETag('"v1"'), SESSION)


def test_the_debug_header_of_a_refusal_is_kept_on_the_error(
    client: Both, router: respx.Router
) -> None:
    router.put(REF.path).respond(
        403,
        text="forbidden",
        headers={"X-XblCorrelationId": CORRELATION, "X-Xbl-Debug": "reason=NotAMember"},
    )
    with pytest.raises(sc.ForbiddenError) as caught:
        client.put(REF, {})
    assert caught.value.debug == "reason=NotAMember"
    assert caught.value.request_id == CORRELATION
