"""Argument conversion for the native calls: Python values in, JSON text out. Nothing is checked
here that the core checks itself (size limit, shape of a body)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, Union

from .errors import ErrorCode, kavach_error

Body = Union[Mapping[str, Any], str, bytes, bytearray, None]
"""A request body: a mapping (serialized to JSON), JSON text or bytes, or ``None`` for ``{}``."""


def json_text(value: Body, what: str, code: ErrorCode = "INVALID_REQUEST") -> str:
    """``value`` as JSON text for the core."""
    if value is None:
        return "{}"
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise kavach_error(code, f"{what} is not UTF-8 JSON") from None
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise kavach_error(code, f"{what} is not JSON-serializable: {err}") from None


def json_value(value: Union[Mapping[str, Any], str, bytes, bytearray], what: str) -> Any:
    """A JSON document given as text, bytes or an already parsed value, as a value (for nesting
    inside the stateless verifiers' options)."""
    if isinstance(value, (str, bytes, bytearray)):
        try:
            return json.loads(value)
        except (ValueError, UnicodeDecodeError):
            raise kavach_error("INVALID_REQUEST", f"{what} is not valid JSON") from None
    return value


def base64url(value: Union[str, bytes, bytearray, memoryview]) -> str:
    """Bytes as unpadded base64url; a string is passed through (already base64url)."""
    if isinstance(value, str):
        return value
    return base64.urlsafe_b64encode(bytes(value)).rstrip(b"=").decode("ascii")
