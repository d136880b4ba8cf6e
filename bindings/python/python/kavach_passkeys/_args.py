"""Argument conversion for the native calls: Python values in, JSON text out. Nothing is checked
here that the core checks itself (size limit, shape of a body)."""

from __future__ import annotations

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
