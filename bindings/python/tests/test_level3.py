"""WebAuthn Level 3 features through the Python binding: Credential's new fields, PRF salts,
``credentials.import_``, the well-known documents and the new options' start-up messages."""

from __future__ import annotations

from typing import Any

import pytest

from kavach_passkeys import ConfigError, InvalidRequestError, KavachError, create_kavach
from kavach_passkeys.plugins import passkey

from authenticator import SoftAuthenticator
from conftest import ORIGIN, config

FINGERPRINT = ":".join(f"{i + 1:02X}" for i in range(32))
APPS: Any = {"android": [{"package": "com.example.app", "sha256_cert_fingerprints": [FINGERPRINT]}]}


def with_passkey(**options: Any) -> Any:
    return create_kavach(config(plugins=[passkey(rp_name="Test", rp_id="localhost", **options)]))


def test_a_credential_records_cred_props_prf_and_how_it_was_made() -> None:
    kavach = with_passkey(prf=True)
    user = kavach.users.create("ada@example.com")
    token = kavach.sessions.create(user["id"])["token"]
    options = kavach.register_options(token, {"mediation": "conditional"})
    assert options["extensions"] == {"credProps": True, "prf": {}}
    response = SoftAuthenticator(ORIGIN).register(options)
    response["clientExtensionResults"] = {
        "credProps": {"rk": True},
        "prf": {"enabled": True, "results": {"first": "c2VjcmV0"}},
    }
    credential = kavach.register_verify(token, response)
    assert (
        credential["discoverable"],
        credential["prfEnabled"],
        credential["cloneWarning"],
        credential["createdBy"],
    ) == (
        True,
        True,
        False,
        "conditional",
    )
    assert "c2VjcmV0" not in repr(kavach.list_credentials(token))


@pytest.mark.anyio
async def test_prf_salts_reach_the_options_sync_and_async() -> None:
    kavach = with_passkey(prf=True)
    salts: Any = {"eval": {"first": "c2FsdA"}}
    assert kavach.authenticate_options(prf=salts)["extensions"] == {"prf": salts}
    assert (await kavach.authenticate_options_async(prf=salts))["extensions"] == {"prf": salts}
    assert "extensions" not in kavach.authenticate_options()
    with pytest.raises(InvalidRequestError):
        kavach.authenticate_options(prf={"eval": {"second": "c2FsdA"}})


def test_an_imported_webauthn_credential_signs_in() -> None:
    kavach = with_passkey()
    user = kavach.users.create("moved@example.com")
    authenticator = SoftAuthenticator(ORIGIN)
    authenticator.rp_id = "localhost"
    imported = kavach.credentials.import_(
        {
            "userId": user["id"],
            "credentialId": authenticator.id,
            "publicKey": _b64(authenticator.cose_key),
            "format": "webauthn",
        }
    )
    assert (imported["createdBy"], imported["name"]) == ("import", "Passkey")
    sign_in = kavach.authenticate_verify(
        authenticator.authenticate(kavach.authenticate_options("moved@example.com"))
    )
    assert sign_in["userId"] == user["id"]
    with pytest.raises(KavachError) as refused:
        kavach.credentials.import_(
            {"userId": "nobody", "credentialId": "AAAA", "publicKey": "AAAA", "format": "u2f"}
        )
    assert refused.value.code == "USER_NOT_FOUND"


def test_well_known_documents_merge_the_hosts_entries() -> None:
    kavach = with_passkey(
        related_origins=["https://shop.example.co.uk"],
        apps={**APPS, "ios": [{"team_id": "ABCDE12345", "bundle_id": "com.example.app"}]},
    )
    assert kavach.well_known.webauthn() == {"origins": [ORIGIN, "https://shop.example.co.uk"]}
    links = kavach.well_known.asset_links([{"relation": ["delegate_permission/common.handle_all_urls"]}])
    assert len(links) == 2 and links[1]["target"]["sha256_cert_fingerprints"] == [FINGERPRINT]
    aasa = kavach.well_known.apple_app_site_association({"applinks": {"details": []}})
    assert aasa == {"applinks": {"details": []}, "webcredentials": {"apps": ["ABCDE12345.com.example.app"]}}
    assert kavach.handles_path("/.well-known/apple-app-site-association")
    status, _, body = kavach._native.handle("GET", "/.well-known/webauthn", [], b"")
    assert status == 200 and b"shop.example.co.uk" in body


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"apps": {"android": [{"package": "com.example.app", "sha256_cert_fingerprints": ["AB:CD"]}]}},
            "not a SHA-256 fingerprint",
        ),
        ({"related_origins": ["http://shop.example.net"]}, "must use https"),
        ({"counter_policy": "warn"}, "'strict' or 'flag'"),
        ({"conditional_create": True, "user_verification": "required"}, "conditionalCreate"),
        (
            {"apps": {"ios": [{"team_id": "abc", "bundle_id": "com.example.app"}]}},
            "10-character Apple team ID",
        ),
    ],
)
def test_the_new_options_are_validated_at_start_up(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        with_passkey(**options)


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
