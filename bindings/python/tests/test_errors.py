"""Errors keep the core's stable code, status and safe message, in a class per family."""

from __future__ import annotations

import pickle

import pytest

import kavach_passkeys
from kavach_passkeys import (
    ConflictError,
    InternalError,
    InvalidRequestError,
    Kavach,
    KavachError,
    NotFoundError,
    UnauthorizedError,
    VerificationError,
    _codes,
    _native,
    errors,
)


def test_python_codes_equal_the_core_codes() -> None:
    native = _native.error_codes()
    assert list(errors.CODES) == [code for code, _status, _family in native]
    assert [(code, _codes.STATUS[code], _codes.FAMILY[code]) for code in errors.CODES] == native
    assert set(errors._FAMILIES) == set(errors.CODES)


def test_every_code_maps_to_a_family_with_its_status() -> None:
    for code, status, family in _native.error_codes():
        err = errors.from_native(code, status, "m")
        assert err.family == family
        assert isinstance(err, KavachError)
        assert type(err) is not KavachError
        assert (err.code, err.status, err.message, str(err)) == (code, status, "m", "m")


def test_unknown_future_code_is_a_plain_kavach_error() -> None:
    err = errors.from_native("SOMETHING_NEW", 418, "m")
    assert type(err) is KavachError


def test_panic_surfaces_as_internal_never_panic_exception() -> None:
    with pytest.raises(InternalError) as caught:
        _native._panic_for_tests()
    assert caught.value.code == "INTERNAL"
    assert caught.value.status == 500
    assert caught.value.message == "internal error"


def test_missing_session_is_unauthorized(kavach: Kavach) -> None:
    with pytest.raises(UnauthorizedError) as caught:
        kavach.list_credentials("not-a-token")
    assert caught.value.code == "UNAUTHORIZED"
    assert caught.value.status == 401


def test_taken_email_is_user_exists(kavach: Kavach) -> None:
    kavach.users.create("ada@example.com")
    with pytest.raises(ConflictError) as caught:
        kavach.users.create("ADA@example.com")
    assert (caught.value.code, caught.value.status) == ("USER_EXISTS", 409)
    assert "already exists" in caught.value.message


def test_malformed_body_is_invalid_request(kavach: Kavach) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        kavach.authenticate_verify("{not json")
    assert (caught.value.code, caught.value.status) == ("INVALID_REQUEST", 400)


def test_oversized_body_is_payload_too_large(kavach: Kavach) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        kavach.authenticate_verify("x" * (65 * 1024))
    assert (caught.value.code, caught.value.status) == ("PAYLOAD_TOO_LARGE", 413)


def test_unknown_challenge_is_challenge_invalid(kavach: Kavach, authenticator: object) -> None:
    from authenticator import SoftAuthenticator, random_challenge

    assert isinstance(authenticator, SoftAuthenticator)
    assertion = authenticator.authenticate({"challenge": random_challenge(), "rpId": "localhost"})
    with pytest.raises(VerificationError) as caught:
        kavach.authenticate_verify(assertion)
    assert caught.value.code == "CHALLENGE_INVALID"


def test_unknown_user_is_user_not_found(kavach: Kavach) -> None:
    with pytest.raises(NotFoundError) as caught:
        kavach.sessions.create("no-such-user")
    assert caught.value.code == "USER_NOT_FOUND"


def test_errors_pickle_and_serialize_like_the_router() -> None:
    err = errors.from_native("LAST_CREDENTIAL", 409, "keep one")
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is ConflictError
    assert (copy.code, copy.status, copy.message) == ("LAST_CREDENTIAL", 409, "keep one")
    assert err.to_json() == {"error": "keep one", "code": "LAST_CREDENTIAL", "status": 409}
    limited = errors.from_native("RATE_LIMITED", 429, "slow down", 7)
    assert limited.to_json() == {"error": "slow down", "code": "RATE_LIMITED", "status": 429, "retryAfter": 7}


def test_non_json_body_is_invalid_request_naming_the_value(kavach: Kavach) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        kavach.authenticate_verify({"response": {1, 2}})
    assert caught.value.message.startswith("body.response is a set; it must be JSON data")


def test_public_names_are_exported() -> None:
    for name in kavach_passkeys.__all__:
        assert hasattr(kavach_passkeys, name), name
