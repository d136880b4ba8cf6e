"""The async twins give the same results as the sync methods, and the event loop keeps running
while they work."""

from __future__ import annotations

import asyncio
import time

import pytest

from kavach_passkeys import (
    Kavach,
    UnauthorizedError,
    VerificationError,
    verify_authentication_response_async,
    verify_registration_response_async,
)

from authenticator import SoftAuthenticator, random_challenge
from conftest import ORIGIN

pytestmark = pytest.mark.anyio


async def test_every_twin_translates_like_its_sync_method(kavach: Kavach) -> None:
    user = await kavach.users.create_async("ada@example.com", "Ada")
    assert await kavach.users.get_async(user["id"]) == user
    assert await kavach.users.find_by_email_async("ada@example.com") == user
    new = await kavach.sessions.create_async(user["id"])
    token = new["token"]
    current = await kavach.sessions.get_async(token)
    assert current is not None and current["user"] == user

    authenticator = SoftAuthenticator(ORIGIN)
    options = await kavach.register_options_async(token)
    credential = await kavach.register_verify_async(token, authenticator.register(options))
    assert await kavach.list_credentials_async(token) == [credential]
    renamed = await kavach.rename_credential_async(token, credential["id"], "Phone")
    assert renamed["name"] == "Phone"

    options = await kavach.authenticate_options_async("ada@example.com")
    sign_in = await kavach.authenticate_verify_async(authenticator.authenticate(options))
    assert sign_in["userId"] == user["id"]

    await kavach.users.set_has_other_sign_in_async(user["id"], True)
    await kavach.delete_credential_async(token, credential["id"])
    assert await kavach.list_credentials_async(token) == []
    response = await kavach.handle_async("GET", "/auth/session", [("authorization", f"Bearer {token}")])
    assert response.status == 200
    assert await kavach.sessions.revoke_async(new["session"]["id"]) is True
    with pytest.raises(UnauthorizedError):
        await kavach.list_credentials_async(token)


async def test_stateless_twins() -> None:
    origin, rp_id = "https://app.example.com", "example.com"
    authenticator = SoftAuthenticator(origin)
    challenge = random_challenge()
    options = {"challenge": challenge, "rp": {"id": rp_id}, "user": {"id": "dQ"}}
    verified = await verify_registration_response_async(
        authenticator.register(options), challenge, origin, rp_id
    )
    challenge = random_challenge()
    response = authenticator.authenticate({"challenge": challenge, "rpId": rp_id})
    result = await verify_authentication_response_async(
        response, challenge, origin, rp_id, verified["publicKey"], 0, credential_id=authenticator.id
    )
    assert result["credentialId"] == authenticator.id
    with pytest.raises(VerificationError):
        await verify_authentication_response_async(
            response, challenge, origin, rp_id, verified["publicKey"], 9
        )


async def test_event_loop_stays_responsive_while_twins_work() -> None:
    origin, rp_id = "https://app.example.com", "example.com"
    authenticator = SoftAuthenticator(origin)
    challenge = random_challenge()
    options = {"challenge": challenge, "rp": {"id": rp_id}, "user": {"id": "dQ"}}
    verified = await verify_registration_response_async(
        authenticator.register(options), challenge, origin, rp_id
    )
    challenge = random_challenge()
    response = authenticator.authenticate({"challenge": challenge, "rpId": rp_id})

    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    async def work() -> None:
        for _ in range(300):
            await verify_authentication_response_async(
                response, challenge, origin, rp_id, verified["publicKey"], 0
            )

    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    await asyncio.gather(*(work() for _ in range(4)))
    elapsed = time.perf_counter() - started
    done.set()
    await tick
    # 1 200 verifications ran; had they run on the loop, it would have stalled for all of it.
    assert len(gaps) > 10
    assert max(gaps) < max(0.25, elapsed / 4), (max(gaps), elapsed)
