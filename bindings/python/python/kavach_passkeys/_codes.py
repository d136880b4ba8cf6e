# Generated from core/src/error/codes.rs by core/tests/generated_lists.rs; do not edit.
"""The stable error codes, their default HTTP status and family."""

from typing import Literal

ErrorCode = Literal[
    "UNAUTHORIZED",
    "INVALID_REQUEST",
    "PAYLOAD_TOO_LARGE",
    "CHALLENGE_INVALID",
    "VERIFICATION_FAILED",
    "COUNTER_REGRESSION",
    "CREDENTIAL_EXISTS",
    "CREDENTIAL_NOT_FOUND",
    "LAST_CREDENTIAL",
    "FORBIDDEN_ORIGIN",
    "NOT_FOUND",
    "METHOD_NOT_ALLOWED",
    "USER_EXISTS",
    "USER_NOT_FOUND",
    "INVALID_CONFIG",
    "INTERNAL",
    "RATE_LIMITED",
    "TOO_MANY_CHALLENGES",
    "REAUTH_REQUIRED",
    "NULL_PARAMETER",
    "INVALID_UTF8",
    "PANIC",
]
"""Every stable code, in the core's order. Codes are never renamed or reused."""

STATUS: dict[str, int] = {
    "UNAUTHORIZED": 401,
    "INVALID_REQUEST": 400,
    "PAYLOAD_TOO_LARGE": 413,
    "CHALLENGE_INVALID": 400,
    "VERIFICATION_FAILED": 400,
    "COUNTER_REGRESSION": 401,
    "CREDENTIAL_EXISTS": 409,
    "CREDENTIAL_NOT_FOUND": 404,
    "LAST_CREDENTIAL": 409,
    "FORBIDDEN_ORIGIN": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "USER_EXISTS": 409,
    "USER_NOT_FOUND": 404,
    "INVALID_CONFIG": 500,
    "INTERNAL": 500,
    "RATE_LIMITED": 429,
    "TOO_MANY_CHALLENGES": 503,
    "REAUTH_REQUIRED": 403,
    "NULL_PARAMETER": 500,
    "INVALID_UTF8": 400,
    "PANIC": 500,
}
"""Each code's default HTTP status."""

FAMILY: dict[str, Literal["request", "caller", "internal"]] = {
    "UNAUTHORIZED": "request",
    "INVALID_REQUEST": "request",
    "PAYLOAD_TOO_LARGE": "request",
    "CHALLENGE_INVALID": "request",
    "VERIFICATION_FAILED": "request",
    "COUNTER_REGRESSION": "request",
    "CREDENTIAL_EXISTS": "request",
    "CREDENTIAL_NOT_FOUND": "request",
    "LAST_CREDENTIAL": "request",
    "FORBIDDEN_ORIGIN": "request",
    "NOT_FOUND": "request",
    "METHOD_NOT_ALLOWED": "request",
    "USER_EXISTS": "caller",
    "USER_NOT_FOUND": "caller",
    "INVALID_CONFIG": "caller",
    "INTERNAL": "internal",
    "RATE_LIMITED": "request",
    "TOO_MANY_CHALLENGES": "internal",
    "REAUTH_REQUIRED": "request",
    "NULL_PARAMETER": "caller",
    "INVALID_UTF8": "request",
    "PANIC": "internal",
}
"""Who each code is about: the client's request, the host's own call or configuration, or
nobody (an internal failure)."""
