"""The shapes kavach returns, as ``TypedDict``s: the same JSON (camelCase keys) the HTTP routes
answer (docs/http.md, docs/host-api.md), so one document describes every language."""

from __future__ import annotations

import sys
from typing import Any, Literal, Optional, Union

# Pydantic (FastAPI response models) needs typing_extensions' TypedDict before Python 3.12.
if sys.version_info >= (3, 12):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover
    from typing_extensions import NotRequired, TypedDict

__all__ = [
    "ActivityPage",
    "AndroidApp",
    "Apps",
    "AuthenticationOptions",
    "Credential",
    "CurrentSession",
    "DatabaseOptions",
    "Event",
    "Flags",
    "ImportedCredential",
    "IosApp",
    "KavachOptions",
    "NewSession",
    "PasskeyPlugin",
    "PrfInputs",
    "PrfSalts",
    "RateLimitOptions",
    "RegistrationOptions",
    "SessionInfo",
    "SessionListing",
    "SessionOptions",
    "SignIn",
    "User",
    "VerifiedAuthentication",
    "VerifiedRegistration",
]

JSONObject = dict[str, Any]

RegistrationOptions = JSONObject
"""``PublicKeyCredentialCreationOptionsJSON``: what ``startRegistration({optionsJSON})`` takes."""

AuthenticationOptions = JSONObject
"""``PublicKeyCredentialRequestOptionsJSON``: what ``startAuthentication({optionsJSON})`` takes."""


class User(TypedDict):
    id: str
    email: str
    name: Optional[str]


class SessionInfo(TypedDict):
    """A session as the API shows it: never the token. The same shape from ``sessions.get``,
    ``sessions.create`` and ``GET /session`` (which ``current_session`` relays)."""

    id: str
    expiresAt: str
    userId: str
    authenticatedAt: Optional[str]
    """When a passkey last verified the user (a passkey sign-in); None for ``sessions.create``."""


class CurrentSession(TypedDict):
    """``sessions.get`` and ``GET /session``. ``setCookie`` only when resolving the session renewed
    it (sliding expiry): send it as the answer's Set-Cookie."""

    user: User
    session: SessionInfo
    setCookie: NotRequired[str]


class SessionListing(TypedDict):
    """``GET /sessions``: one of the signed-in user's sessions."""

    id: str
    createdAt: str
    lastSeenAt: str
    expiresAt: str
    authenticatedAt: Optional[str]
    current: bool


class Event(TypedDict):
    """A security event (DESIGN §10), as the ``on_event`` handler receives it and the activity list
    shows it. Never a token, challenge, key or PRF value. ``type``: ``user.created``,
    ``passkey.registered``, ``passkey.renamed``, ``passkey.deleted``, ``signin.succeeded``,
    ``signin.failed``, ``session.created``, ``session.revoked``, ``session.renewed``,
    ``stepup.succeeded``, ``counter.regression``, ``rate.limited``, ``metadata.stale``,
    ``credential.imported``."""

    type: str
    at: str
    userId: NotRequired[str]
    credentialId: NotRequired[str]
    sessionId: NotRequired[str]
    client: NotRequired[str]
    code: NotRequired[str]
    """Why a sign-in failed (an error code)."""
    count: NotRequired[int]
    """Only above 1: failures aggregated into one stored row, sessions revoked at once."""


class ActivityPage(TypedDict):
    """``GET /passkey/activity``, ``kavach.activity`` and ``users.activity``: newest first."""

    events: list[Event]
    nextCursor: Optional[str]
    """Pass as ``before`` for the next (older) page; None on the last."""


class NewSession(TypedDict):
    """``sessions.create``: the token is shown exactly once, here and in ``setCookie``."""

    token: str
    setCookie: str
    session: SessionInfo


class MetadataInfo(TypedDict):
    """``attestation.load_metadata``: what was installed. ``stale``: past ``nextUpdate`` (loaded
    with a warning; refused under ``metadata_stale="refuse"``)."""

    number: int
    nextUpdate: str
    stale: bool


class SignIn(TypedDict):
    """``authenticate_verify``: who signed in, and the new session (set ``setCookie`` on the
    response, or hand ``token`` to a non-browser client)."""

    userId: str
    sessionId: str
    token: str
    setCookie: str
    expiresAt: str


class AttestationInfo(TypedDict):
    """What the authenticator's attestation proved at registration: the statement ``format``,
    the ``trust`` reached, with ``verified`` the trust anchor's name as ``root`` and where it came
    from as ``source``, and whether the attestation proves the ``aaguid`` (``aaguidAttested``)
    rather than the authenticator merely claiming it."""

    format: Literal[
        "none", "packed", "fido-u2f", "tpm", "android-key", "android-safetynet", "apple", "compound"
    ]
    trust: Literal["none", "self", "unverified", "verified"]
    root: Optional[str]
    source: Optional[Literal["bundled", "configured", "mds"]]
    aaguidAttested: bool


class AttestationPolicy(TypedDict, total=False):
    """``attestation_policy``: ``require="verified"`` refuses registrations without a certificate
    chain to a trusted root; ``allowed_aaguids`` (dashed hex) admits only these authenticator
    models, and only when the attestation proves the model. Needs ``attestation="direct"``."""

    require: Literal["any", "verified"]
    allowed_aaguids: list[str]


class AttestationRoot(TypedDict):
    """An extra trust anchor: a ``name`` recorded with the credentials it vouches for, PEM
    certificate(s), and optionally the one attestation ``format`` it is for."""

    name: str
    pem: str
    format: NotRequired[str]


class Credential(TypedDict):
    """A stored passkey. ``id`` is the WebAuthn credential ID in base64url."""

    id: str
    name: str
    createdAt: str
    lastUsedAt: Optional[str]
    deviceType: Literal["singleDevice", "multiDevice"]
    backedUp: bool
    transports: list[str]
    aaguid: str
    attestation: AttestationInfo
    discoverable: Optional[bool]
    """Whether it signs in without an email (``credProps.rk`` at registration); None: unknown."""
    prfEnabled: bool
    """The authenticator enabled PRF for it (``prf=True``)."""
    cloneWarning: bool
    """A sign-in saw its counter go backwards (``counter_policy="flag"``)."""
    createdBy: Literal["registration", "conditional", "import"]


class ImportedCredential(TypedDict):
    """``kavach.credentials.import_``: a credential registered elsewhere."""

    userId: str
    credentialId: str
    publicKey: str
    """``webauthn``: the COSE key; ``u2f``: the 65-byte uncompressed P-256 point (base64url)."""
    format: Literal["u2f", "webauthn"]
    counter: NotRequired[int]
    name: NotRequired[str]
    transports: NotRequired[list[str]]
    userHandle: NotRequired[str]
    backupEligible: NotRequired[bool]


class PrfSalts(TypedDict):
    first: str
    second: NotRequired[str]


class PrfInputs(TypedDict, total=False):
    """PRF salts (base64url) for ``authenticate_options``: for every credential, or per ID."""

    eval: PrfSalts
    evalByCredential: dict[str, PrfSalts]


class AndroidApp(TypedDict):
    package: str
    sha256_cert_fingerprints: list[str]


class IosApp(TypedDict):
    team_id: str
    bundle_id: str


class Apps(TypedDict, total=False):
    """``apps``: native apps sharing these passkeys (DESIGN: docs/configuration.md)."""

    android: list[AndroidApp]
    ios: list[IosApp]


class Flags(TypedDict):
    userPresent: bool
    userVerified: bool
    backupEligible: bool
    backedUp: bool


class VerifiedRegistration(TypedDict):
    """``verify_registration_response``: store ``credentialId``, ``publicKey`` (COSE,
    base64url), ``algorithm`` and ``counter``."""

    credentialId: str
    publicKey: str
    algorithm: int
    counter: int
    flags: Flags
    aaguid: str
    attestationFormat: str
    attestationTrust: str
    attestationRoot: Optional[str]
    attestationSource: Optional[Literal["bundled", "configured", "mds"]]
    aaguidAttested: bool
    transports: list[str]
    discoverable: Optional[bool]
    prfEnabled: bool
    deviceType: Literal["singleDevice", "multiDevice"]


class VerifiedAuthentication(TypedDict):
    """``verify_authentication_response``: store the new ``counter``."""

    credentialId: str
    counter: int
    flags: Flags
    userHandle: Optional[str]


# ---- configuration (docs/configuration.md, snake_case; the core also takes the camelCase names)


class DatabaseOptions(TypedDict, total=False):
    provider: Literal["sqlite", "postgres"]
    url: str


class SessionOptions(TypedDict, total=False):
    max_age: int


AlgorithmName = Literal[
    "EdDSA",
    "Ed25519",
    "ES256",
    "ES384",
    "ES512",
    "PS256",
    "PS384",
    "PS512",
    "RS256",
    "ML-DSA-44",
    "ML-DSA-65",
    "ML-DSA-87",
]
"""A signature algorithm kavach verifies, by its IANA COSE name (docs/algorithms.md)."""

Hint = Literal["security-key", "client-device", "hybrid"]
"""A ``PublicKeyCredentialHint``: which kind of authenticator the browser should lead with."""


class PasskeyPlugin(TypedDict):
    """What :func:`kavach_passkeys.plugins.passkey` returns: an entry of ``plugins``."""

    id: Literal["passkey"]
    rp_name: str
    rp_id: str
    origin: NotRequired[Union[str, list[str]]]
    timeout: NotRequired[int]
    attestation: NotRequired[Literal["none", "indirect", "direct"]]
    user_verification: NotRequired[Literal["required", "preferred", "discouraged"]]
    allow_deleting_last_passkey: NotRequired[bool]
    max_outstanding_challenges: NotRequired[int]  # deprecated: no effect (stateless challenges)
    attestation_policy: NotRequired[AttestationPolicy]
    attestation_roots: NotRequired[list[AttestationRoot]]
    bundled_attestation_roots: NotRequired[bool]
    metadata: NotRequired[dict[Literal["blob_path", "stale"], str]]
    android_safety_net: NotRequired[dict[Literal["require_cts_profile_match"], bool]]
    algorithms: NotRequired[list[AlgorithmName]]
    top_origins: NotRequired[list[str]]
    hints: NotRequired[list[Hint]]
    related_origins: NotRequired[list[str]]
    apps: NotRequired[Apps]
    prf: NotRequired[bool]
    appid: NotRequired[str]
    counter_policy: NotRequired[Literal["strict", "flag"]]
    conditional_create: NotRequired[bool]


class RateLimitOptions(TypedDict, total=False):
    """``rate_limit``: at most ``max`` requests per ``window`` seconds on the sign-in routes
    (authenticate options and verify) from one client key (the core derives it from the peer
    address the ASGI/FastAPI adapters pass and, behind ``trusted_proxies``, from
    X-Forwarded-For), and on the register routes from one session. ``storage``: ``"memory"``
    (default; each instance counts alone) or ``"database"`` (every instance on the database
    shares one budget)."""

    enabled: bool
    max: int
    window: int
    storage: Literal["memory", "database"]


class KavachOptions(TypedDict, total=False):
    """``create_kavach``'s options. ``secret`` and ``base_url`` are required, and one passkey
    plugin."""

    database: DatabaseOptions
    secret: str
    previous_secrets: list[str]
    base_url: str
    base_path: str
    session: SessionOptions
    plugins: list[PasskeyPlugin]
    rate_limit: RateLimitOptions
    #: Reverse proxies (IP addresses or CIDR networks, e.g. ``"10.0.0.0/8"``) whose
    #: X-Forwarded-For is believed: from a peer among them, the client key is the rightmost
    #: X-Forwarded-For entry that is not one of them; otherwise the peer. Default: none.
    trusted_proxies: list[str]
