"""A tiny ES256 software authenticator (WebAuthn §6): enough to register a passkey and sign in
with it against the real core, with real signatures. Attestation format "none"."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from typing import Any, Optional, Union

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_AT = 0x40

CborValue = Union[int, bytes, str, dict[Any, Any]]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    if value < 0x100:
        return bytes([major << 5 | 24, value])
    if value < 0x10000:
        return bytes([major << 5 | 25]) + struct.pack(">H", value)
    return bytes([major << 5 | 26]) + struct.pack(">I", value)


def cbor(value: CborValue) -> bytes:
    """Minimal CBOR (RFC 8949): integers, byte and text strings, maps."""
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        text = value.encode("utf-8")
        return _head(3, len(text)) + text
    return _head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())


class SoftAuthenticator:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.private_key.public_key().public_numbers()
        # COSE_Key EC2 / ES256 (RFC 9053): kty 2, alg -7, crv 1 (P-256), x, y
        self.cose_key = cbor(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )
        self.credential_id = os.urandom(16)
        self.counter = 0
        self.user_handle: Optional[str] = None
        self.rp_id: Optional[str] = None

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def _client_data(self, kind: str, challenge: str, **overrides: Any) -> bytes:
        data = {
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": False,
            **overrides,
        }
        return json.dumps(data).encode()

    def register(self, options: dict[str, Any], **client_data: Any) -> dict[str, Any]:
        """navigator.credentials.create(): RegistrationResponseJSON."""
        self.rp_id = options["rp"]["id"]
        self.user_handle = options["user"]["id"]
        client_data_json = self._client_data("webauthn.create", options["challenge"], **client_data)
        auth_data = (
            sha256(self.rp_id.encode())
            + bytes([FLAG_UP | FLAG_UV | FLAG_AT])
            + struct.pack(">I", self.counter)
            + bytes(16)  # AAGUID: zero
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self.cose_key
        )
        attestation = cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data_json),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def authenticate(
        self, options: dict[str, Any], *, flags: int = FLAG_UP | FLAG_UV, **client_data: Any
    ) -> dict[str, Any]:
        """navigator.credentials.get(): AuthenticationResponseJSON, signed over
        authData || sha256(clientDataJSON)."""
        client_data_json = self._client_data("webauthn.get", options["challenge"], **client_data)
        rp_id = options.get("rpId") or self.rp_id or ""
        auth_data = sha256(rp_id.encode()) + bytes([flags]) + struct.pack(">I", self.counter)
        signature = self.private_key.sign(auth_data + sha256(client_data_json), ec.ECDSA(hashes.SHA256()))
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data_json),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": self.user_handle,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }


def random_challenge() -> str:
    return b64url(os.urandom(32))
