"""The exception tree of the public contract, and what every error carries."""

from __future__ import annotations

import pickle

import httpx
import pytest

import sessionclient as sc
from sessionclient._explain import LANGUAGES, TEXTS
from sessionclient.emulator import DEFAULT_SCID, Emulator

TREE = {
    sc.StatusError: sc.SessionClientError,
    sc.ClientError: sc.StatusError,
    sc.ServerError: sc.StatusError,
    sc.BadRequestError: sc.ClientError,
    sc.UnauthorizedError: sc.ClientError,
    sc.ForbiddenError: sc.ClientError,
    sc.NotFoundError: sc.ClientError,
    sc.MethodNotAllowedError: sc.ClientError,
    sc.ConflictError: sc.ClientError,
    sc.PreconditionFailedError: sc.ClientError,
    sc.TooManyRequestsError: sc.ClientError,
    sc.InternalServerError: sc.ServerError,
    sc.MethodNotImplementedError: sc.ServerError,
    sc.ServiceUnavailableError: sc.ServerError,
    sc.GatewayTimeoutError: sc.ServerError,
    sc.MalformedResponseError: sc.SessionClientError,
    sc.AmbiguousWriteError: sc.SessionClientError,
    sc.TransportError: sc.SessionClientError,
    sc.TaskError: sc.SessionClientError,
    sc.TaskFailedError: sc.TaskError,
    sc.TaskTimeoutError: sc.TaskError,
}


@pytest.mark.parametrize(("cls", "parent"), TREE.items(), ids=lambda c: c.__name__)
def test_tree(cls: type[Exception], parent: type[Exception]) -> None:
    assert cls.__bases__ == (parent,)


@pytest.mark.parametrize("cls", TREE, ids=lambda c: c.__name__)
def test_str_is_never_empty_and_errors_pickle(cls: type[sc.SessionClientError]) -> None:
    kwargs: dict[str, object] = {"sent": True} if cls is sc.TransportError else {}
    error = cls("", **kwargs)  # type: ignore[arg-type]
    assert str(error).strip()
    for attribute in ("status", "method", "url", "headers", "message", "session", "retry_after",
                      "attempts", "etag", "history", "request_id"):  # fmt: skip
        assert hasattr(error, attribute), attribute
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is cls
    assert str(clone) == str(error)


def test_explanations_exist_in_every_language_and_differ() -> None:
    for key, texts in TEXTS.items():
        assert set(texts) == set(LANGUAGES), key
        assert len(set(texts.values())) == 3, key  # a translation, not a copy
        assert all(t.strip() for t in texts.values()), key
    for profile in sc.PROFILES.values():
        for row in profile.rows:
            assert row.key in TEXTS, row.key
    for cls in (sc.MalformedResponseError, sc.AmbiguousWriteError, sc.TransportError,
                sc.TaskFailedError, sc.TaskTimeoutError):  # fmt: skip
        assert cls.explanation_key in TEXTS


def test_explain_languages_and_fallback() -> None:
    error = sc.PreconditionFailedError(
        "x", status=412, headers=httpx.Headers(), explanation_key="mpsd.412.session"
    )
    assert error.explain() == TEXTS["mpsd.412.session"]["en"]
    assert error.explain("fr") == TEXTS["mpsd.412.session"]["fr"]
    assert error.explain("ko-KR") == TEXTS["mpsd.412.session"]["ko"]
    assert error.explain("FR_ca") == TEXTS["mpsd.412.session"]["fr"]


@pytest.mark.parametrize("lang", ["de", "", "english", "x-fr"])
def test_an_unknown_language_is_refused_naming_those_accepted(lang: str) -> None:
    error = sc.PreconditionFailedError("x", status=412, explanation_key="mpsd.412.session")
    with pytest.raises(ValueError, match="en, fr, ko"):
        error.explain(lang)


def test_a_second_create_says_the_session_already_exists() -> None:
    emulator = Emulator()
    ref = sc.SessionRef(DEFAULT_SCID, "lobby", "twice")
    with emulator.client() as client:
        client.create(ref)
        with pytest.raises(sc.PreconditionFailedError) as caught:
            client.create(ref)
    assert "the session already exists" in str(caught.value)
    assert "no message" not in str(caught.value)


def test_a_non_members_write_says_not_a_member() -> None:
    emulator = Emulator()
    ref = sc.SessionRef(DEFAULT_SCID, "lobby", "members-only")
    with emulator.client("1001") as host, emulator.client("1002") as stranger:
        host.create(ref)
        with pytest.raises(sc.ForbiddenError) as caught:
            stranger.set_properties(ref, {"map": "harbor"})
    assert "not a member" in str(caught.value)
    assert caught.value.session is not None  # and the session is still attached
    assert "the current session is attached" in str(caught.value)
