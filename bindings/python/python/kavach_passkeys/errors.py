"""``KavachError``: the core's stable error (code, HTTP status, safe message) as a Python exception.

Every failure of a native call arrives here through :func:`from_native`, which picks the
subclass for the code's family, so callers can ``except VerificationError`` or branch on
``err.code``. The codes are the core's ``ErrorCode::ALL``; ``tests/test_errors.py`` checks that
:data:`CODES` equals the native list.
"""

from __future__ import annotations

from typing import Literal, Optional, get_args

from . import _native

__all__ = [
    "CODES",
    "ConfigError",
    "ConflictError",
    "ErrorCode",
    "ForbiddenError",
    "InternalError",
    "InvalidRequestError",
    "KavachError",
    "NotFoundError",
    "RetryLaterError",
    "UnauthorizedError",
    "VerificationError",
    "from_native",
    "kavach_error",
]

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
]
"""Every stable code, in the core's order. Codes are never renamed or reused."""

CODES: tuple[ErrorCode, ...] = get_args(ErrorCode)
"""The same codes as a tuple (tests check it against the core's list)."""


class KavachError(Exception):
    """A kavach failure: ``code`` (stable, e.g. ``"CHALLENGE_INVALID"``), ``status`` (the HTTP
    status the router answers with) and ``message`` (safe to show to an end user)."""

    code: str
    status: int
    message: str
    retry_after: Optional[int]
    """For ``RATE_LIMITED`` and ``TOO_MANY_CHALLENGES``: seconds after which a retry may
    succeed (what the router sends as ``Retry-After``); ``None`` otherwise."""

    def __init__(self, code: str, status: int, message: str, retry_after: Optional[int] = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[type[KavachError], tuple[str, int, str, Optional[int]]]:
        return (type(self), (self.code, self.status, self.message, self.retry_after))

    def to_json(self) -> dict[str, str]:
        """The core's error body, ``{"error": message, "code": code}``: what the HTTP routes
        answer, for a host's own routes to answer the same way."""
        return {"error": self.message, "code": self.code}


class UnauthorizedError(KavachError):
    """``UNAUTHORIZED``: no session, or it expired or was revoked."""


class InvalidRequestError(KavachError):
    """``INVALID_REQUEST``, ``PAYLOAD_TOO_LARGE``, ``METHOD_NOT_ALLOWED``: the caller sent
    something malformed."""


class VerificationError(KavachError):
    """``VERIFICATION_FAILED``, ``CHALLENGE_INVALID``, ``COUNTER_REGRESSION``: a WebAuthn
    ceremony was refused; the message says which check failed."""


class ConflictError(KavachError):
    """``CREDENTIAL_EXISTS``, ``LAST_CREDENTIAL``, ``USER_EXISTS``."""


class NotFoundError(KavachError):
    """``CREDENTIAL_NOT_FOUND``, ``USER_NOT_FOUND``, ``NOT_FOUND``."""


class ForbiddenError(KavachError):
    """``FORBIDDEN_ORIGIN``: a state-changing request from an origin that is not allowed."""


class ConfigError(KavachError):
    """``INVALID_CONFIG``: raised by ``create_kavach``, with a message naming the setting."""


class RetryLaterError(KavachError):
    """``RATE_LIMITED`` (429: this client sent more requests than the configured rate limit
    allows), ``TOO_MANY_CHALLENGES`` (503: more ceremonies are outstanding than allowed): refused
    for now; ``retry_after`` says when to try again."""


class InternalError(KavachError):
    """``INTERNAL``: not the caller's fault (database unavailable, a bug); details are logged,
    never returned."""


_FAMILIES: dict[str, type[KavachError]] = {
    "UNAUTHORIZED": UnauthorizedError,
    "INVALID_REQUEST": InvalidRequestError,
    "PAYLOAD_TOO_LARGE": InvalidRequestError,
    "METHOD_NOT_ALLOWED": InvalidRequestError,
    "CHALLENGE_INVALID": VerificationError,
    "VERIFICATION_FAILED": VerificationError,
    "COUNTER_REGRESSION": VerificationError,
    "CREDENTIAL_EXISTS": ConflictError,
    "LAST_CREDENTIAL": ConflictError,
    "USER_EXISTS": ConflictError,
    "CREDENTIAL_NOT_FOUND": NotFoundError,
    "USER_NOT_FOUND": NotFoundError,
    "NOT_FOUND": NotFoundError,
    "FORBIDDEN_ORIGIN": ForbiddenError,
    "INVALID_CONFIG": ConfigError,
    "INTERNAL": InternalError,
    "RATE_LIMITED": RetryLaterError,
    "TOO_MANY_CHALLENGES": RetryLaterError,
}


def from_native(code: str, status: int, message: str, retry_after: Optional[int] = None) -> KavachError:
    """The exception for a core error (called by the native module for every failure)."""
    return _FAMILIES.get(code, KavachError)(code, status, message, retry_after)


def kavach_error(code: ErrorCode, message: str) -> KavachError:
    """An error raised by the Python layer itself (argument checks), with the code's default
    status."""
    return from_native(code, _DEFAULT_STATUS.get(code, 500), message)


_DEFAULT_STATUS: dict[str, int] = dict(_native.error_codes())
