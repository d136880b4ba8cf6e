"""Argument conversion for the native calls: Python values in, JSON text out. Nothing is checked
here that the core checks itself (size limit, shape of a body)."""

from __future__ import annotations

import json
import math
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
        raise kavach_error(code, _not_json_message(value, what, err)) from None


_JSON_SCALARS = (str, bool, int, float, type(None))


def _not_json_message(value: object, what: str, err: Exception) -> str:
    """Names the first value that is not JSON data, with its place (``options.secret``), so a
    placeholder such as ``secret=...`` is found at once. Only runs on the error path."""
    found = _first_non_json(value, what)
    if found is None:
        return f"{what} is not JSON-serializable: {err}"
    where, bad = found
    if bad is Ellipsis:
        return f"{where} is `...` (a placeholder): give it a value"
    if isinstance(bad, float):
        return f"{where} is {bad}, which JSON cannot represent"
    return (
        f"{where} is a {type(bad).__name__}; it must be JSON data "
        "(str, int, float, bool, None, a list or a dict with str keys)"
    )


def _first_non_json(
    value: object, where: str, seen: frozenset[int] = frozenset()
) -> tuple[str, object] | None:
    if isinstance(value, float) and not math.isfinite(value):
        return where, value
    if isinstance(value, _JSON_SCALARS):
        return None
    if id(value) in seen:
        return None  # a cycle: json.dumps's own message says so
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, _JSON_SCALARS):
                return f"{where}[{key!r}] (a key)", key
            found = _first_non_json(item, f"{where}.{key}", seen | {id(value)})
            if found is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _first_non_json(item, f"{where}[{index}]", seen | {id(value)})
            if found is not None:
                return found
        return None
    return where, value
