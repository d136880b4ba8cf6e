"""Plugins for :func:`kavachos.create_kavach`'s ``plugins`` list (DESIGN §2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Optional, Union

from ..types import PasskeyPlugin

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
) -> PasskeyPlugin:
    """The passkey plugin: ``passkey(rp_name="My App", rp_id="example.com")``.

    ``origin``: allowed origin(s), default the origin of ``base_url``. ``timeout``: ceremony
    timeout in ms (1000..600000, default 60000). ``attestation``: ``none`` (default),
    ``indirect`` or ``direct``. ``user_verification``: ``preferred`` (default), ``required`` or
    ``discouraged``. Values are validated by ``create_kavach``. Options left ``None`` take the
    core's default.
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
    return plugin
