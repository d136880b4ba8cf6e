"""``KavachError``: the core's stable error (code, HTTP status, safe message) as a Python exception.

Every failure of a native call arrives here through :func:`from_native`, which picks the
subclass for the code's family, so callers can ``except VerificationError`` or branch on
``err.code``. The codes, their statuses and families are generated from the core's table into
``_codes.py``; ``tests/test_errors.py`` checks them against the native module.
"""

from __future__ import annotations

from typing import Any, Optional, get_args

from ._codes import FAMILY, STATUS, ErrorCode

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
    signal: Optional[dict[str, Any]]
    """A WebAuthn Signal API payload for the page: ``{"unknownCredential": {"rpId",
    "credentialId"}}`` when a usernameless sign-in used a passkey kavach does not know (the
    argument of ``PublicKeyCredential.signalUnknownCredential``); ``None`` otherwise."""

    def __init__(
        self,
        code: str,
        status: int,
        message: str,
        retry_after: Optional[int] = None,
        signal: Optional[dict[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.signal = signal

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})"

    def __reduce__(
        self,
    ) -> tuple[type[KavachError], tuple[str, int, str, Optional[int], Optional[dict[str, Any]]]]:
        return (type(self), (self.code, self.status, self.message, self.retry_after, self.signal))

    @property
    def family(self) -> str:
        """Who the error is about: ``"request"`` (the client's input), ``"caller"`` (the host's own
        call or configuration) or ``"internal"``."""
        return FAMILY.get(self.code, "internal")

    def to_json(self) -> dict[str, Any]:
        """The core's error body, ``{"error", "code", "status", "retryAfter"?, "signal"?}``: what
        the HTTP routes answer, for a host's own routes to answer the same way."""
        body: dict[str, Any] = {"error": self.message, "code": self.code, "status": self.status}
        if self.retry_after is not None:
            body["retryAfter"] = self.retry_after
        if self.signal is not None:
            body["signal"] = self.signal
        return body


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
    allows), ``TOO_MANY_CHALLENGES`` (503, reserved: nothing answers it today): refused for now;
    ``retry_after`` says when to try again."""


class InternalError(KavachError):
    """``INTERNAL`` (and ``PANIC``, ``NULL_PARAMETER``, which only the C ABI raises): not the
    caller's fault (database unavailable, a bug); details are logged, never returned."""


_FAMILIES: dict[str, type[KavachError]] = {
    "UNAUTHORIZED": UnauthorizedError,
    "INVALID_REQUEST": InvalidRequestError,
    "INVALID_UTF8": InvalidRequestError,
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
    "REAUTH_REQUIRED": ForbiddenError,
    "INVALID_CONFIG": ConfigError,
    "INTERNAL": InternalError,
    "NULL_PARAMETER": InternalError,
    "PANIC": InternalError,
    "RATE_LIMITED": RetryLaterError,
    "TOO_MANY_CHALLENGES": RetryLaterError,
}


def from_native(
    code: str,
    status: int,
    message: str,
    retry_after: Optional[int] = None,
    signal: Optional[dict[str, Any]] = None,
) -> KavachError:
    """The exception for a core error (called by the native module for every failure)."""
    return _FAMILIES.get(code, KavachError)(code, status, message, retry_after, signal)


def kavach_error(code: ErrorCode, message: str) -> KavachError:
    """An error raised by the Python layer itself (argument checks), with the code's default
    status."""
    return from_native(code, STATUS.get(code, 500), message)
