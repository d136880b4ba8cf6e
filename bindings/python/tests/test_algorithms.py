"""Issue 21: ML-DSA and PS384 through the stateless verifiers, and ``passkey(algorithms=...)``.

The responses come from the Rust software authenticator (``tests/fixtures/stateless-algorithms.json``,
made by the script named in its ``generatedBy``): the Python test authenticator signs ES256 only.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from kavach_passkeys import (
    ConfigError,
    InvalidRequestError,
    VerificationError,
    create_kavach,
    verify_authentication_response,
    verify_registration_response,
)
from kavach_passkeys.plugins import passkey

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "stateless-algorithms.json"
CASES: dict[str, dict[str, Any]] = {c["name"]: c for c in json.loads(FIXTURES.read_text())["cases"]}


def register(case: dict[str, Any], **kwargs: Any) -> Any:
    r = case["registration"]
    return verify_registration_response(
        r["response"], r["expectedChallenge"], r["expectedOrigin"], r["expectedRPID"], **kwargs
    )


def sign_in(case: dict[str, Any], response: dict[str, Any]) -> Any:
    a = case["authentication"]
    return verify_authentication_response(
        response,
        expected_challenge=a["expectedChallenge"],
        expected_origin=a["expectedOrigin"],
        expected_rp_id=a["expectedRPID"],
        credential_public_key=a["credential"]["publicKey"],
        credential_counter=a["credential"]["counter"],
        credential_id=a["credential"]["id"],
    )


@pytest.mark.parametrize("name", ["ML-DSA-44", "ML-DSA-87", "PS384"])
def test_registration_and_sign_in_verify_and_a_flipped_signature_does_not(name: str) -> None:
    case = CASES[name]
    verified = register(case)
    assert verified["algorithm"] == case["alg"]
    assert verified["attestationFormat"] == "packed"
    assert verified["publicKey"] == case["authentication"]["credential"]["publicKey"]
    assert sign_in(case, case["authentication"]["response"])["counter"] == 1

    tampered = copy.deepcopy(case["authentication"]["response"])
    signature = bytearray(base64.urlsafe_b64decode(tampered["response"]["signature"] + "=="))
    signature[10] ^= 1
    tampered["response"]["signature"] = base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    with pytest.raises(VerificationError) as refused:
        sign_in(case, tampered)
    assert refused.value.code == "VERIFICATION_FAILED"


def test_a_signature_of_another_parameter_set_is_refused_naming_it() -> None:
    response = copy.deepcopy(CASES["ML-DSA-44"]["authentication"]["response"])
    response["response"]["signature"] = CASES["ML-DSA-87"]["authentication"]["response"]["response"][
        "signature"
    ]
    with pytest.raises(VerificationError, match="ML-DSA-44 signatures are 2420 bytes, this one is 4627"):
        sign_in(CASES["ML-DSA-44"], response)


def test_expected_algorithms_refuses_what_was_not_offered() -> None:
    case = CASES["ML-DSA-44"]
    assert register(case, expected_algorithms=["ML-DSA-44"])["algorithm"] == -48
    with pytest.raises(VerificationError, match=r"credential algorithm ML-DSA-44 \(-48\) was not offered"):
        register(case, expected_algorithms=["ES256", "EdDSA"])
    with pytest.raises(InvalidRequestError, match="is not an algorithm kavach verifies"):
        register(case, expected_algorithms=["ML-DSA44"])


def test_passkey_algorithms_sets_the_offer_in_order_and_is_validated() -> None:
    def kavach(algorithms: Any) -> Any:
        return create_kavach(
            secret="s" * 32,
            base_url="http://localhost:3000",
            database={"provider": "sqlite", "url": ":memory:"},
            plugins=[passkey(rp_name="T", rp_id="localhost", algorithms=algorithms)],
        )

    k = kavach(["ML-DSA-44", "ES256"])
    user = k.users.create(email="pq@example.com")
    token = k.sessions.create(user["id"])["token"]
    assert [p["alg"] for p in k.register_options(token)["pubKeyCredParams"]] == [-48, -7]
    with pytest.raises(ConfigError, match=r"passkey\.algorithms: 'Ed448' is not an algorithm"):
        kavach(["Ed448"])
