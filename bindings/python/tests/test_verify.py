"""The stateless verifiers: Python arguments mapped to the core's JSON, no database."""

from __future__ import annotations

import base64
from typing import Any

import pytest

import kavach_passkeys
from kavach_passkeys import (
    InvalidRequestError,
    Kavach,
    VerificationError,
    verify_authentication_response,
    verify_registration_response,
)

from authenticator import SoftAuthenticator, random_challenge

ORIGIN = "https://app.example.com"
RP_ID = "example.com"


def registered() -> tuple[SoftAuthenticator, kavach_passkeys.VerifiedRegistration]:
    authenticator = SoftAuthenticator(ORIGIN)
    challenge = random_challenge()
    options = {"challenge": challenge, "rp": {"id": RP_ID, "name": "X"}, "user": {"id": "dXNlcg"}}
    verified = verify_registration_response(authenticator.register(options), challenge, ORIGIN, RP_ID)
    return authenticator, verified


def test_verifies_a_registration() -> None:
    authenticator, verified = registered()
    assert verified["credentialId"] == authenticator.id
    assert verified["algorithm"] == -7
    assert verified["counter"] == 0
    assert verified["attestationFormat"] == "none"
    assert verified["flags"]["userVerified"] is True
    assert verified["deviceType"] == "singleDevice"


def test_verifies_an_authentication_with_a_list_of_origins_and_key_bytes() -> None:
    authenticator, verified = registered()
    authenticator.counter = 5
    challenge = random_challenge()
    response = authenticator.authenticate({"challenge": challenge, "rpId": RP_ID})
    key = base64.urlsafe_b64decode(verified["publicKey"] + "==")
    result = verify_authentication_response(
        response,
        expected_challenge=challenge,
        expected_origin=["https://other.example.com", ORIGIN],
        expected_rp_id=RP_ID,
        credential_public_key=key,
        credential_counter=0,
        require_user_verification=True,
        credential_id=authenticator.id,
    )
    assert result == {
        "credentialId": authenticator.id,
        "counter": 5,
        "flags": {"userPresent": True, "userVerified": True, "backupEligible": False, "backedUp": False},
        "userHandle": "dXNlcg",
    }


def test_wrong_origin_is_verification_failed() -> None:
    authenticator = SoftAuthenticator("https://evil.example.com")
    challenge = random_challenge()
    response = authenticator.register({"challenge": challenge, "rp": {"id": RP_ID}, "user": {"id": "dQ"}})
    with pytest.raises(VerificationError) as caught:
        verify_registration_response(response, challenge, ORIGIN, RP_ID)
    assert caught.value.code == "VERIFICATION_FAILED"
    assert "origin" in caught.value.message


def test_wrong_challenge_is_verification_failed() -> None:
    authenticator, verified = registered()
    response = authenticator.authenticate({"challenge": random_challenge(), "rpId": RP_ID})
    with pytest.raises(VerificationError):
        verify_authentication_response(response, random_challenge(), ORIGIN, RP_ID, verified["publicKey"], 0)


def test_counter_regression_is_refused() -> None:
    authenticator, verified = registered()
    challenge = random_challenge()
    response = authenticator.authenticate({"challenge": challenge, "rpId": RP_ID})
    with pytest.raises(VerificationError) as caught:
        verify_authentication_response(response, challenge, ORIGIN, RP_ID, verified["publicKey"], 7)
    assert caught.value.code == "COUNTER_REGRESSION"


def test_response_may_be_json_text() -> None:
    import json

    authenticator = SoftAuthenticator(ORIGIN)
    challenge = random_challenge()
    response = authenticator.register({"challenge": challenge, "rp": {"id": RP_ID}, "user": {"id": "dQ"}})
    assert verify_registration_response(json.dumps(response), challenge, ORIGIN, RP_ID)["counter"] == 0
    with pytest.raises(InvalidRequestError):
        verify_registration_response("{oops", challenge, ORIGIN, RP_ID)


def test_malformed_response_is_invalid_request() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        verify_registration_response({"id": "x"}, "c", ORIGIN, RP_ID)
    assert caught.value.status == 400


def test_also_methods_of_the_instance(kavach: Kavach) -> None:
    assert kavach.verify_registration_response is verify_registration_response
    assert kavach.verify_authentication_response is verify_authentication_response


PORTAL = "https://portal.example.net"


def test_expected_top_origins_admit_a_listed_embedding_page_only() -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    challenge = random_challenge()
    options = {"challenge": challenge, "rp": {"id": RP_ID, "name": "X"}, "user": {"id": "dXNlcg"}}
    embedded: dict[str, Any] = {"crossOrigin": True, "topOrigin": PORTAL}
    registration = authenticator.register(options, **embedded)
    with pytest.raises(VerificationError, match="cross-origin"):
        verify_registration_response(registration, challenge, ORIGIN, RP_ID)
    verified = verify_registration_response(
        registration, challenge, ORIGIN, RP_ID, expected_top_origins=[PORTAL]
    )

    challenge = random_challenge()
    response = authenticator.authenticate({"challenge": challenge, "rpId": RP_ID}, **embedded)

    def verify(top: list[str]) -> kavach_passkeys.VerifiedAuthentication:
        return verify_authentication_response(
            response,
            challenge,
            ORIGIN,
            RP_ID,
            verified["publicKey"],
            0,
            expected_top_origins=top,
        )

    with pytest.raises(VerificationError, match="top-level origin"):
        verify(["https://evil.example.org"])
    assert verify([PORTAL])["counter"] == authenticator.counter
    with pytest.raises(InvalidRequestError, match=r"^expectedTopOrigins"):
        verify(["android:apk-key-hash:AAAA"])
