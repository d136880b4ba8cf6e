"""The stateless verifiers (docs/host-api.md), for hosts that keep their own storage: no database, no
instance. The response goes to the core as the caller gave it (a dict, or JSON text parsed in
Rust); the verified facts come back as a dict. No JSON text is made or parsed in Python: at about
40 us a verification, ``json.dumps`` + ``json.loads`` cost a quarter as much again.

``verify_authentication_response`` is the native function itself, with its keyword arguments:
sign-in is the hot path, and a Python frame building an options dict cost 0.6 us of 39.
Registration (once per passkey) builds the documented options dict (``expectedChallenge``,
``expectedOrigin``, ``expectedRPID``, ...) here."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from . import _native
from .types import AlgorithmName, VerifiedAuthentication, VerifiedRegistration

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
    if isinstance(response, Mapping) and not isinstance(response, dict):
        return dict(response)
    return response  # anything else: the native side refuses it (INVALID_REQUEST)


def verify_registration_response(
    response: ResponseJSON,
    expected_challenge: str,
    expected_origin: Origins,
    expected_rp_id: str,
    require_user_verification: bool = True,
    *,
    expected_algorithms: Optional[Sequence[AlgorithmName]] = None,
    expected_top_origins: Optional[Sequence[str]] = None,
) -> VerifiedRegistration:
    """Verifies a ``RegistrationResponseJSON`` (as ``startRegistration`` returns it) against an
    explicit challenge, origin(s) and RP ID. Returns what to store: ``credentialId``,
    ``publicKey`` (COSE, base64url), ``algorithm``, ``counter``, ... Raises ``VerificationError``
    (``VERIFICATION_FAILED``, the message says which check) or ``InvalidRequestError``.
    ``expected_algorithms``: the algorithms the registration offered, by IANA name (default every
    algorithm kavach verifies); a credential of another one is refused.
    ``expected_top_origins``: the pages that may embed the ceremony in a cross-origin iframe
    (default none: ``crossOrigin: true`` is refused). Releases the GIL while verifying."""
    options: dict[str, object] = {
        "expectedChallenge": expected_challenge,
        "expectedOrigin": _origins(expected_origin),
        "expectedRPID": expected_rp_id,
        "requireUserVerification": require_user_verification,
    }
    if expected_algorithms is not None:
        options["expectedAlgorithms"] = list(expected_algorithms)
    if expected_top_origins is not None:
        options["expectedTopOrigins"] = list(expected_top_origins)
    return _native.verify_registration_response(_response(response), options)


# Documented in Rust (bindings/python/src/verify.rs); arguments of the wrong Python type raise
# ``TypeError``, like any typed function.
verify_authentication_response = _native.verify_authentication_response


async def verify_registration_response_async(
    response: ResponseJSON,
    expected_challenge: str,
    expected_origin: Origins,
    expected_rp_id: str,
    require_user_verification: bool = True,
    *,
    expected_algorithms: Optional[Sequence[AlgorithmName]] = None,
    expected_top_origins: Optional[Sequence[str]] = None,
) -> VerifiedRegistration:
    """:func:`verify_registration_response` on a worker thread: the event loop keeps running."""
    return await asyncio.to_thread(
        lambda: verify_registration_response(
            response,
            expected_challenge,
            expected_origin,
            expected_rp_id,
            require_user_verification,
            expected_algorithms=expected_algorithms,
            expected_top_origins=expected_top_origins,
        )
    )


async def verify_authentication_response_async(
    response: ResponseJSON,
    expected_challenge: str,
    expected_origin: Origins,
    expected_rp_id: str,
    credential_public_key: Union[str, bytes],
    credential_counter: int,
    require_user_verification: bool = True,
    *,
    credential_id: Optional[str] = None,
    expected_top_origins: Optional[Sequence[str]] = None,
    expected_app_id: Optional[str] = None,
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
            expected_top_origins=expected_top_origins,
            expected_app_id=expected_app_id,
        )
    )
