"""The stateless verifiers (DESIGN §4), for hosts that keep their own storage: no database, no
instance. The options go to the core as a dict with the documented names
(``expectedChallenge``, ``expectedOrigin``, ``expectedRPID``, ...), converted to JSON values in
Rust; the response as the caller gave it (a dict, or JSON text parsed in Rust); the verified facts
come back as a dict. No JSON text is made or parsed in Python: at about 40 us a verification,
``json.dumps`` + ``json.loads`` cost a quarter as much again."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from . import _native
from ._args import base64url
from .types import VerifiedAuthentication, VerifiedRegistration

__all__ = [
    "verify_authentication_response",
    "verify_authentication_response_async",
    "verify_registration_response",
    "verify_registration_response_async",
]

ResponseJSON = Union[Mapping[str, Any], str, bytes, bytearray]
Origins = Union[str, Sequence[str]]


def _origins(origin: Origins) -> Union[str, list[str]]:
    return origin if isinstance(origin, str) else list(origin)


def _response(response: ResponseJSON) -> Union[dict[str, Any], str, bytes, bytearray]:
    """The response as the native verifiers take it: a ``dict`` or JSON text (``str``,
    ``bytes``, ``bytearray``). Another mapping type is copied into a dict (its values must still
    be JSON types); anything else is refused by the native side (``INVALID_REQUEST``)."""
    if isinstance(response, (dict, str, bytes, bytearray)):
        return response
    return dict(response)


def verify_registration_response(
    response: ResponseJSON,
    expected_challenge: str,
    expected_origin: Origins,
    expected_rp_id: str,
    require_user_verification: bool = False,
) -> VerifiedRegistration:
    """Verifies a ``RegistrationResponseJSON`` (as ``startRegistration`` returns it) against an
    explicit challenge, origin(s) and RP ID. Returns what to store: ``credentialId``,
    ``publicKey`` (COSE, base64url), ``algorithm``, ``counter``, ... Raises ``VerificationError``
    (``VERIFICATION_FAILED``, the message says which check) or ``InvalidRequestError``.
    Releases the GIL while verifying."""
    options = {
        "expectedChallenge": expected_challenge,
        "expectedOrigin": _origins(expected_origin),
        "expectedRPID": expected_rp_id,
        "requireUserVerification": require_user_verification,
    }
    return _native.verify_registration_response(_response(response), options)


def verify_authentication_response(
    response: ResponseJSON,
    expected_challenge: str,
    expected_origin: Origins,
    expected_rp_id: str,
    credential_public_key: Union[str, bytes],
    credential_counter: int,
    require_user_verification: bool = False,
    *,
    credential_id: Optional[str] = None,
) -> VerifiedAuthentication:
    """Verifies an ``AuthenticationResponseJSON`` against an explicit challenge, origin(s), RP ID
    and the stored credential (its COSE public key, as bytes or base64url, and counter; with
    ``credential_id`` the response must be for that credential). Returns the new ``counter`` to
    store. Raises ``VerificationError`` or ``InvalidRequestError``. Releases the GIL while
    verifying."""
    credential: dict[str, Any] = {
        "publicKey": base64url(credential_public_key),
        "counter": credential_counter,
    }
    if credential_id is not None:
        credential["id"] = credential_id
    options = {
        "expectedChallenge": expected_challenge,
        "expectedOrigin": _origins(expected_origin),
        "expectedRPID": expected_rp_id,
        "credential": credential,
        "requireUserVerification": require_user_verification,
    }
    return _native.verify_authentication_response(_response(response), options)


async def verify_registration_response_async(
    response: ResponseJSON,
    expected_challenge: str,
    expected_origin: Origins,
    expected_rp_id: str,
    require_user_verification: bool = False,
) -> VerifiedRegistration:
    """:func:`verify_registration_response` on a worker thread: the event loop keeps running."""
    return await asyncio.to_thread(
        verify_registration_response,
        response,
        expected_challenge,
        expected_origin,
        expected_rp_id,
        require_user_verification,
    )


async def verify_authentication_response_async(
    response: ResponseJSON,
    expected_challenge: str,
    expected_origin: Origins,
    expected_rp_id: str,
    credential_public_key: Union[str, bytes],
    credential_counter: int,
    require_user_verification: bool = False,
    *,
    credential_id: Optional[str] = None,
) -> VerifiedAuthentication:
    """:func:`verify_authentication_response` on a worker thread: the event loop keeps running."""
    return await asyncio.to_thread(
        lambda: verify_authentication_response(
            response,
            expected_challenge,
            expected_origin,
            expected_rp_id,
            credential_public_key,
            credential_counter,
            require_user_verification,
            credential_id=credential_id,
        )
    )
