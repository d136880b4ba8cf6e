"""JSON documents cross the native boundary as Python objects (no JSON text made or parsed in
Python), with the same rules as ``json.dumps``: anything else, and any nesting deep enough to
threaten the stack, is a clean ``InvalidRequestError``."""

from __future__ import annotations

import types
from typing import Any

import pytest

from kavach_passkeys import (
    InvalidRequestError,
    Kavach,
    verify_authentication_response,
    verify_registration_response,
)
from kavach_passkeys.types import Flags, VerifiedAuthentication

from authenticator import SoftAuthenticator, random_challenge

ORIGIN = "https://app.example.com"
RP_ID = "example.com"


def refused(response: Any) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as caught:
        verify_registration_response(response, "c", ORIGIN, RP_ID)
    return caught.value


def test_deep_nesting_is_refused_cleanly_not_a_stack_overflow() -> None:
    nested: dict[str, Any] = {}
    inner = nested
    for _ in range(200_000):
        inner["x"] = {}
        inner = inner["x"]
    assert "nested deeper than 128 levels" in refused({"id": "x", "response": nested}).message
    deep_list: list[Any] = []
    cursor = deep_list
    for _ in range(200_000):
        cursor.append([])
        cursor = cursor[0]
    assert "nested deeper" in refused({"id": deep_list}).message


def test_deep_json_text_is_refused_cleanly() -> None:
    assert refused("[" * 200_000 + "]" * 200_000).message == "response is not valid JSON"
    assert refused(b"{" * 100_000).message == "response is not valid JSON"


def test_a_self_containing_value_is_refused() -> None:
    loop: list[Any] = []
    loop.append(loop)
    assert "nested deeper" in refused({"id": loop}).message


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({1: "x"}, "keys must be strings"),
        (float("nan"), "NaN and infinity are not JSON"),
        (float("inf"), "NaN and infinity are not JSON"),
        (2**70, "integer out of range"),
        (object(), "object of type object is not JSON serializable"),
        ({"x"}, "object of type set is not JSON serializable"),
    ],
)
def test_values_json_dumps_refuses_are_refused(value: Any, reason: str) -> None:
    err = refused({"id": "x", "response": {"clientDataJSON": value}})
    assert err.message == f"response is not JSON-serializable: {reason}"
    assert err.status == 400


def test_response_as_dict_text_bytes_bytearray_or_other_mapping() -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    challenge = random_challenge()
    response = authenticator.register({"challenge": challenge, "rp": {"id": RP_ID}, "user": {"id": "dQ"}})
    import json

    text = json.dumps(response)
    for form in (response, text, text.encode(), bytearray(text.encode()), types.MappingProxyType(response)):
        verified = verify_registration_response(form, challenge, ORIGIN, RP_ID)
        assert verified["credentialId"] == authenticator.id

    challenge = random_challenge()
    assertion = authenticator.authenticate({"challenge": challenge, "rpId": RP_ID})
    result = verify_authentication_response(assertion, challenge, ORIGIN, RP_ID, verified["publicKey"], 0)
    assert type(result) is dict and type(result["flags"]) is dict
    assert type(result["counter"]) is int and type(result["flags"]["userPresent"]) is bool


def test_host_api_results_are_plain_python_objects(kavach: Kavach) -> None:
    user = kavach.users.create("ada@example.com", "Ada")
    assert type(user) is dict and user["email"] == "ada@example.com"
    assert kavach.users.get("no-such-id") is None
    token = kavach.sessions.create(user["id"])["token"]
    assert kavach.list_credentials(token) == []
    options = kavach.authenticate_options()
    assert type(options["challenge"]) is str


# ---- sign-in verification reads the caller's objects straight into the core's typed input


def signed_in() -> tuple[dict[str, Any], str, str, str]:
    """A fresh assertion with its challenge, the stored key (base64url) and credential ID."""
    authenticator = SoftAuthenticator(ORIGIN)
    challenge = random_challenge()
    response = authenticator.register({"challenge": challenge, "rp": {"id": RP_ID}, "user": {"id": "dQ"}})
    key = verify_registration_response(response, challenge, ORIGIN, RP_ID)["publicKey"]
    challenge = random_challenge()
    authenticator.counter = 1
    return (
        authenticator.authenticate({"challenge": challenge, "rpId": RP_ID}),
        challenge,
        key,
        authenticator.id,
    )


def refused_sign_in(response: Any) -> InvalidRequestError:
    _, challenge, key, _ = signed_in()
    with pytest.raises(InvalidRequestError) as caught:
        verify_authentication_response(response, challenge, ORIGIN, RP_ID, key, 0)
    assert caught.value.status == 400
    return caught.value


def test_sign_in_result_has_the_documented_names() -> None:
    response, challenge, key, credential_id = signed_in()
    result = verify_authentication_response(response, challenge, ORIGIN, RP_ID, key, 0)
    assert set(result) == set(VerifiedAuthentication.__annotations__)
    assert set(result["flags"]) == set(Flags.__annotations__)
    # The registration result is the core's JSON, converted generically: the same flag names.
    registration = verify_registration_response(*registered_response())
    assert set(result["flags"]) == set(registration["flags"])
    assert (result["credentialId"], result["counter"], result["userHandle"]) == (credential_id, 1, "dQ")


def registered_response() -> tuple[dict[str, Any], str, str, str]:
    authenticator = SoftAuthenticator(ORIGIN)
    challenge = random_challenge()
    response = authenticator.register({"challenge": challenge, "rp": {"id": RP_ID}, "user": {"id": "dQ"}})
    return response, challenge, ORIGIN, RP_ID


def test_sign_in_response_as_dict_text_bytes_bytearray_or_other_mapping() -> None:
    import json

    for form in (
        lambda r: r,
        json.dumps,
        lambda r: json.dumps(r).encode(),
        lambda r: bytearray(json.dumps(r).encode()),
        types.MappingProxyType,
    ):
        response, challenge, key, _ = signed_in()
        result = verify_authentication_response(form(response), challenge, ORIGIN, RP_ID, key, 0)
        assert result["counter"] == 1


def test_sign_in_skips_members_it_does_not_read() -> None:
    response, challenge, key, _ = signed_in()
    # Unread members are not looked at, as a JSON parser would skip them: even non-JSON objects.
    response["clientExtensionResults"] = {"x": {1, 2}, "deep": [[[[object()]]]]}
    response["authenticatorAttachment"] = None
    assert verify_authentication_response(response, challenge, ORIGIN, RP_ID, key, 0)["counter"] == 1


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (float("nan"), "NaN and infinity are not JSON"),
        (2**70, "integer out of range"),
        (object(), "object of type object is not JSON serializable"),
        ({"x"}, "object of type set is not JSON serializable"),
        (b"bytes", "object of type bytes is not JSON serializable"),
        (12, "invalid type: integer `12`, expected a string"),
        (None, "invalid type: unit value, expected a string"),
    ],
)
def test_sign_in_values_of_the_wrong_type_are_refused(value: Any, reason: str) -> None:
    response, *_ = signed_in()
    response["response"]["signature"] = value
    assert refused_sign_in(response).message == f"malformed authentication response: {reason}"


def test_sign_in_refuses_non_string_keys_deep_nesting_and_missing_members() -> None:
    response, *_ = signed_in()
    response["response"][0] = "x"
    assert refused_sign_in(response).message.endswith("keys must be strings")
    response, *_ = signed_in()
    del response["response"]["signature"]
    assert refused_sign_in(response).message.endswith("missing field `signature`")
    # The response is read into a typed form of fixed depth, and members it does not read are
    # skipped unread: a deep or self-containing value ends at a missing field, never recursing.
    nested: dict[str, Any] = {}
    inner = nested
    for _ in range(200_000):
        inner["response"] = {}
        inner = inner["response"]
    assert refused_sign_in(nested).message.startswith("malformed authentication response: missing field")
    loop: dict[str, Any] = {"id": "x"}
    loop["response"] = loop
    loop["clientExtensionResults"] = loop
    assert refused_sign_in(loop).message.startswith("malformed authentication response:")
    # The other arguments are typed: a wrong type is a TypeError, as for any typed function.
    response, challenge, key, _ = signed_in()
    for origins in ([[ORIGIN]], 7):
        with pytest.raises(TypeError):
            verify_authentication_response(response, challenge, origins, RP_ID, key, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        verify_authentication_response(response, challenge, ORIGIN, RP_ID, key, "0")  # type: ignore[arg-type]
    assert refused_sign_in("{oops").message == "response is not valid JSON"
    # Deep text is JSON, just deep: it fails on its shape at the first level, never recursing.
    deep_text = "[" * 200_000 + "]" * 200_000
    assert refused_sign_in(deep_text).message.startswith("malformed authentication response: invalid type")
    assert refused_sign_in(["a", "list"]).message.startswith(
        "malformed authentication response: invalid length"
    )
    expected = "invalid type: integer `7`, expected struct AuthenticationResponseJson"
    assert refused_sign_in(7).message == f"malformed authentication response: {expected}"
