"""JSON documents cross the native boundary as Python objects (no JSON text made or parsed in
Python), with the same rules as ``json.dumps``: anything else, and any nesting deep enough to
threaten the stack, is a clean ``InvalidRequestError``."""

from __future__ import annotations

import types
from typing import Any

import pytest

from kavachos import InvalidRequestError, Kavach, verify_authentication_response, verify_registration_response

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
