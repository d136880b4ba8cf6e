"""Each host-API operation translated: a full register + sign-in with a software authenticator,
credentials, users and sessions, through the real core."""

from __future__ import annotations

import pytest

from kavach_passkeys import ConflictError, Kavach, NotFoundError, UnauthorizedError, VerificationError

from authenticator import FLAG_UP, SoftAuthenticator
from conftest import ORIGIN, SignedUp


def test_register_options_are_for_the_session_user(kavach: Kavach) -> None:
    user = kavach.users.create("ada@example.com", "Ada")
    token = kavach.sessions.create(user["id"])["token"]
    options = kavach.register_options(token, {"name": "Laptop"})
    assert options["rp"] == {"name": "Test", "id": "localhost"}
    assert options["user"]["name"] == "ada@example.com"
    assert options["challenge"]
    assert any(p["alg"] == -7 for p in options["pubKeyCredParams"])


def test_registers_a_passkey_and_lists_it(kavach: Kavach, signed_up: SignedUp) -> None:
    credential = signed_up.credential
    assert credential["id"] == signed_up.authenticator.id
    assert credential["name"] == "Passkey"
    assert credential["lastUsedAt"] is None
    assert credential["deviceType"] == "singleDevice"
    assert kavach.list_credentials(signed_up.token) == [credential]


def test_register_verify_accepts_the_wrapped_form_with_a_name(kavach: Kavach, signed_up: SignedUp) -> None:
    second = SoftAuthenticator(ORIGIN)
    options = kavach.register_options(signed_up.token)
    credential = kavach.register_verify(
        signed_up.token, {"response": second.register(options), "name": "Key"}
    )
    assert credential["name"] == "Key"
    assert [c["id"] for c in kavach.list_credentials(signed_up.token)] == [
        second.id,
        signed_up.authenticator.id,
    ]


def test_same_authenticator_twice_is_credential_exists(kavach: Kavach, signed_up: SignedUp) -> None:
    options = kavach.register_options(signed_up.token)
    with pytest.raises(ConflictError) as caught:
        kavach.register_verify(signed_up.token, signed_up.authenticator.register(options))
    assert caught.value.code == "CREDENTIAL_EXISTS"


def test_signs_in_by_email(kavach: Kavach, signed_up: SignedUp) -> None:
    options = kavach.authenticate_options("ada@example.com")
    assert [c["id"] for c in options["allowCredentials"]] == [signed_up.authenticator.id]
    sign_in = kavach.authenticate_verify(signed_up.authenticator.authenticate(options))
    assert sign_in["userId"] == signed_up.user["id"]
    assert sign_in["setCookie"].startswith(
        f"kavach_session={sign_in['token']}; HttpOnly; SameSite=Lax; Path=/"
    )
    assert "Secure" not in sign_in["setCookie"]
    assert sign_in["expiresAt"].endswith("Z")
    session = kavach.sessions.get(sign_in["token"])
    assert session is not None
    assert session["session"]["id"] == sign_in["sessionId"]
    assert kavach.list_credentials(sign_in["token"])[0]["lastUsedAt"] is not None


def test_signs_in_usernameless_with_the_wrapped_form(kavach: Kavach, signed_up: SignedUp) -> None:
    options = kavach.authenticate_options()
    assert options["allowCredentials"] == []
    sign_in = kavach.authenticate_verify({"response": signed_up.authenticator.authenticate(options)})
    assert sign_in["userId"] == signed_up.user["id"]


def test_body_may_be_json_text_or_bytes(kavach: Kavach, signed_up: SignedUp) -> None:
    import json

    options = kavach.authenticate_options()
    assertion = json.dumps(signed_up.authenticator.authenticate(options))
    assert kavach.authenticate_verify(assertion.encode())["userId"] == signed_up.user["id"]


def test_unknown_email_answers_like_known_email(kavach: Kavach, signed_up: SignedUp) -> None:
    known = kavach.authenticate_options("ada@example.com")
    unknown = kavach.authenticate_options("nobody@example.com")
    assert set(known) == set(unknown)
    # An unknown email gets 1 to 5 made-up passkeys, as many as real users have (the count
    # follows real accounts, drawn per email from a key random per database), each shaped like
    # a real descriptor.
    assert 1 <= len(unknown["allowCredentials"]) <= 5
    real = known["allowCredentials"][0]
    for made_up in unknown["allowCredentials"]:
        assert set(made_up) == set(real)
        assert made_up["type"] == "public-key"


def test_replayed_assertion_is_challenge_invalid(kavach: Kavach, signed_up: SignedUp) -> None:
    assertion = signed_up.authenticator.authenticate(kavach.authenticate_options())
    kavach.authenticate_verify(assertion)
    with pytest.raises(VerificationError) as caught:
        kavach.authenticate_verify(assertion)
    assert caught.value.code == "CHALLENGE_INVALID"


def test_bad_signature_is_verification_failed_401(kavach: Kavach, signed_up: SignedUp) -> None:
    assertion = signed_up.authenticator.authenticate(kavach.authenticate_options())
    assertion["response"]["signature"] = SoftAuthenticator(ORIGIN).authenticate(
        {"challenge": "AAAA", "rpId": "localhost"}
    )["response"]["signature"]
    with pytest.raises(VerificationError) as caught:
        kavach.authenticate_verify(assertion)
    assert (caught.value.code, caught.value.status) == ("VERIFICATION_FAILED", 401)


def test_user_presence_is_required(kavach: Kavach, signed_up: SignedUp) -> None:
    assertion = signed_up.authenticator.authenticate(kavach.authenticate_options(), flags=0)
    with pytest.raises(VerificationError, match=r"(?i)presen"):
        kavach.authenticate_verify(assertion)
    assert FLAG_UP == 1


def test_renames_a_passkey(kavach: Kavach, signed_up: SignedUp) -> None:
    renamed = kavach.rename_credential(signed_up.token, signed_up.authenticator.id, "Phone")
    assert renamed["name"] == "Phone"
    with pytest.raises(Exception) as caught:
        kavach.rename_credential(signed_up.token, signed_up.authenticator.id, "x" * 65)
    assert getattr(caught.value, "code", None) == "INVALID_REQUEST"


def test_another_users_credential_is_not_found(kavach: Kavach, signed_up: SignedUp) -> None:
    other = kavach.users.create("bob@example.com")
    token = kavach.sessions.create(other["id"])["token"]
    with pytest.raises(NotFoundError) as caught:
        kavach.delete_credential(token, signed_up.authenticator.id)
    assert caught.value.code == "CREDENTIAL_NOT_FOUND"


def test_last_passkey_is_kept_unless_the_user_has_another_way_in(kavach: Kavach, signed_up: SignedUp) -> None:
    with pytest.raises(ConflictError) as caught:
        kavach.delete_credential(signed_up.token, signed_up.authenticator.id)
    assert caught.value.code == "LAST_CREDENTIAL"
    kavach.users.set_has_other_sign_in(signed_up.user["id"], True)
    kavach.delete_credential(signed_up.token, signed_up.authenticator.id)
    assert kavach.list_credentials(signed_up.token) == []


def test_users_get_and_find_by_email(kavach: Kavach) -> None:
    user = kavach.users.create("  ada@example.com ", "Ada")
    assert user == {"id": user["id"], "email": "ada@example.com", "name": "Ada"}
    assert kavach.users.get(user["id"]) == user
    assert kavach.users.find_by_email("ADA@example.com") == user
    assert kavach.users.get("nope") is None
    assert kavach.users.find_by_email("nobody@example.com") is None
    with pytest.raises(NotFoundError):
        kavach.users.set_has_other_sign_in("nope", True)


def test_sessions_read_from_token_cookie_or_bearer_and_revoke(kavach: Kavach) -> None:
    user = kavach.users.create("ada@example.com")
    new = kavach.sessions.create(user["id"])
    assert new["session"]["userId"] == user["id"]
    cookie_header = "theme=dark; " + new["setCookie"].split(";")[0]
    for form in (new["token"], cookie_header, f"Bearer {new['token']}"):
        current = kavach.sessions.get(form)
        assert current is not None
        assert current["user"]["id"] == user["id"]
    assert kavach.sessions.get("garbage") is None
    assert kavach.sessions.revoke(new["session"]["id"]) is True
    assert kavach.sessions.revoke(new["session"]["id"]) is False
    assert kavach.sessions.get(new["token"]) is None
    with pytest.raises(UnauthorizedError):
        kavach.register_options(new["token"])


def test_https_base_url_makes_secure_cookies() -> None:
    from kavach_passkeys import create_kavach
    from kavach_passkeys.plugins import passkey

    from conftest import config

    kavach = create_kavach(
        config(base_url="https://auth.example.com", plugins=[passkey(rp_name="T", rp_id="example.com")])
    )
    user = kavach.users.create("ada@example.com")
    assert "; Secure" in kavach.sessions.create(user["id"])["setCookie"]


def test_usernameless_sign_in_with_an_unknown_passkey_carries_a_signal(kavach: Kavach) -> None:
    stranger = SoftAuthenticator(ORIGIN)
    # Registered with some other server for the same RP ID: unknown here.
    stranger.register({"challenge": "AAAA", "rp": {"id": "localhost", "name": "x"}, "user": {"id": "AAAA"}})
    with pytest.raises(NotFoundError) as caught:
        kavach.authenticate_verify(stranger.authenticate(kavach.authenticate_options()))
    error = caught.value
    assert (error.code, error.status) == ("CREDENTIAL_NOT_FOUND", 404)
    assert error.signal == {"unknownCredential": {"rpId": "localhost", "credentialId": stranger.id}}
    assert error.to_json()["signal"] == error.signal
