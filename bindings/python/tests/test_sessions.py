"""A user's sessions and the recent passkey check through the Python binding."""

from __future__ import annotations

import json

import pytest

from kavach_passkeys import ForbiddenError, Kavach, UnauthorizedError

from authenticator import SoftAuthenticator
from conftest import ORIGIN, SignedUp


def test_sessions_are_listed_and_require_recent_auth_wants_a_passkey_check(kavach: Kavach) -> None:
    user = SignedUp(kavach, "sessions@example.com")
    options = kavach.authenticate_options("sessions@example.com")
    sign_in = kavach.authenticate_verify(user.authenticator.authenticate(options))

    response = kavach.handle("GET", "/auth/sessions", [("authorization", f"Bearer {sign_in['token']}")])
    listed = json.loads(response.body)["sessions"]
    assert [(s["current"], s["authenticatedAt"] is not None) for s in listed] == [
        (True, True),
        (False, False),
    ]

    with pytest.raises(ForbiddenError) as refused:
        kavach.sessions.require_recent_auth(user.token, 300)
    assert refused.value.code == "REAUTH_REQUIRED" and refused.value.status == 403
    kavach.sessions.require_recent_auth(sign_in["token"], 300)
    with pytest.raises(UnauthorizedError):
        kavach.sessions.require_recent_auth("nope", 300)
    current = kavach.sessions.get(sign_in["token"])
    assert current is not None and current["session"]["authenticatedAt"] is not None
    assert SoftAuthenticator(ORIGIN).id  # the fixture module stays importable


@pytest.mark.anyio
async def test_require_recent_auth_async(kavach: Kavach) -> None:
    user = SignedUp(kavach, "async@example.com")
    with pytest.raises(ForbiddenError):
        await kavach.sessions.require_recent_auth_async(user.token, 60)
