"""Plugins for :func:`kavach_passkeys.create_kavach`'s ``plugins`` list (docs/configuration.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Optional, Union

from ..types import AlgorithmName, Apps, AttestationPolicy, AttestationRoot, Hint, PasskeyPlugin

__all__ = ["passkey"]


def passkey(
    *,
    rp_name: str,
    rp_id: str,
    origin: Union[str, Sequence[str], None] = None,
    timeout: Optional[int] = None,
    attestation: Optional[Literal["none", "indirect", "direct"]] = None,
    user_verification: Optional[Literal["required", "preferred", "discouraged"]] = None,
    allow_deleting_last_passkey: Optional[bool] = None,
    max_outstanding_challenges: Optional[int] = None,
    attestation_policy: Optional[AttestationPolicy] = None,
    attestation_roots: Optional[Sequence[AttestationRoot]] = None,
    bundled_attestation_roots: Optional[bool] = None,
    metadata_blob_path: Optional[str] = None,
    metadata_stale: Optional[Literal["warn", "refuse"]] = None,
    android_safety_net_require_cts_profile_match: Optional[bool] = None,
    algorithms: Optional[Sequence[AlgorithmName]] = None,
    top_origins: Optional[Sequence[str]] = None,
    hints: Optional[Sequence[Hint]] = None,
    related_origins: Optional[Sequence[str]] = None,
    apps: Optional[Apps] = None,
    prf: Optional[bool] = None,
    appid: Optional[str] = None,
    counter_policy: Optional[Literal["strict", "flag"]] = None,
    conditional_create: Optional[bool] = None,
) -> PasskeyPlugin:
    """The passkey plugin: ``passkey(rp_name="My App", rp_id="example.com")``.

    ``origin``: allowed origin(s), default the origin of ``base_url``. ``timeout``: ceremony
    timeout in ms (1000..600000, default 60000). ``attestation``: ``none`` (default),
    ``indirect`` or ``direct``. ``user_verification``: ``preferred`` (default), ``required`` or
    ``discouraged``. ``max_outstanding_challenges``: deprecated, no effect (challenges are
    stateless; use ``rate_limit`` against floods), accepted with a warning.
    ``attestation_policy``, ``attestation_roots``, ``bundled_attestation_roots`` (default True),
    ``metadata_blob_path`` (a FIDO MDS3 BLOB; ``metadata_stale="refuse"`` refuses one past its
    nextUpdate, the default ``"warn"`` loads it with a warning) and
    ``android_safety_net_require_cts_profile_match`` (default True): attestation trust, see
    SECURITY.md. ``algorithms``: the signature algorithms offered in ``pubKeyCredParams`` by
    IANA name, most preferred first (``["ML-DSA-44", "ES256"]``); default every algorithm kavach
    verifies, classic first (docs/algorithms.md). ``top_origins``: the pages (https origins)
    that may embed a ceremony in a cross-origin iframe; default none, so a response with
    ``crossOrigin: true`` is refused. ``hints``: the authenticators the browser should lead
    with in both options (``"security-key"``, ``"client-device"``, ``"hybrid"``), most
    preferred first; a request body may set its own. ``related_origins``: other sites (https
    origins) whose pages may use this rp_id, served at ``/.well-known/webauthn`` (at most five
    registrable-domain labels). ``apps``: native apps (``{"android": [{"package",
    "sha256_cert_fingerprints"}], "ios": [{"team_id", "bundle_id"}]}``), served in
    ``assetlinks.json`` and ``apple-app-site-association``; an Android app's sign-in returns its
    token in the body. ``prf``: request the PRF extension (``Credential.prfEnabled``).
    ``appid``: the FIDO U2F AppID of imported U2F credentials. ``counter_policy``: ``"strict"``
    (default) or ``"flag"`` (accept a regressed counter, mark ``cloneWarning``).
    ``conditional_create``: accept ``mediation: "conditional"`` registrations (automatic
    passkey upgrade; default True unless user verification is required). Values are validated
    by ``create_kavach``.
    Options left ``None`` take the core's default.
    """
    plugin: PasskeyPlugin = {"id": "passkey", "rp_name": rp_name, "rp_id": rp_id}
    if origin is not None:
        plugin["origin"] = origin if isinstance(origin, str) else list(origin)
    if timeout is not None:
        plugin["timeout"] = timeout
    if attestation is not None:
        plugin["attestation"] = attestation
    if user_verification is not None:
        plugin["user_verification"] = user_verification
    if allow_deleting_last_passkey is not None:
        plugin["allow_deleting_last_passkey"] = allow_deleting_last_passkey
    if max_outstanding_challenges is not None:
        plugin["max_outstanding_challenges"] = max_outstanding_challenges
    if attestation_policy is not None:
        plugin["attestation_policy"] = attestation_policy
    if attestation_roots is not None:
        plugin["attestation_roots"] = list(attestation_roots)
    if bundled_attestation_roots is not None:
        plugin["bundled_attestation_roots"] = bundled_attestation_roots
    if metadata_blob_path is not None or metadata_stale is not None:
        metadata: dict[Literal["blob_path", "stale"], str] = {}
        if metadata_blob_path is not None:
            metadata["blob_path"] = metadata_blob_path
        if metadata_stale is not None:
            metadata["stale"] = metadata_stale
        plugin["metadata"] = metadata
    if android_safety_net_require_cts_profile_match is not None:
        plugin["android_safety_net"] = {
            "require_cts_profile_match": android_safety_net_require_cts_profile_match
        }
    if algorithms is not None:
        plugin["algorithms"] = list(algorithms)
    if top_origins is not None:
        plugin["top_origins"] = list(top_origins)
    if hints is not None:
        plugin["hints"] = list(hints)
    if related_origins is not None:
        plugin["related_origins"] = list(related_origins)
    if apps is not None:
        plugin["apps"] = apps
    if prf is not None:
        plugin["prf"] = prf
    if appid is not None:
        plugin["appid"] = appid
    if counter_policy is not None:
        plugin["counter_policy"] = counter_policy
    if conditional_create is not None:
        plugin["conditional_create"] = conditional_create
    return plugin
