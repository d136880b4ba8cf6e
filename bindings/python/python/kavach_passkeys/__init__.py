"""kavach_passkeys: passkeys (WebAuthn) for Python servers, over the kavach Rust core.

.. code-block:: python

    from kavach_passkeys import create_kavach
    from kavach_passkeys.plugins import passkey

    kavach = create_kavach(
        secret=os.environ["KAVACH_SECRET"],
        base_url="https://auth.example.com",
        plugins=[passkey(rp_name="My App", rp_id="example.com")],
    )
    app.include_router(kavach.fastapi_router())   # every route under /auth

Every operation is a sync method that releases the GIL, with an ``async`` twin (``*_async``)
for async frameworks. Failures raise :class:`KavachError` (``.code``, ``.status``,
``.message``) or one of its subclasses.
"""

from __future__ import annotations

from ._http import HttpResponse
from ._kavach import Credentials, Kavach, Sessions, Users, WellKnown, create_kavach, create_kavach_async
from ._native import __version__
from ._operations import EventHandler, LogHook, clear_log_hook, flush_log, set_log_hook
from ._verify import (
    verify_authentication_response,
    verify_authentication_response_async,
    verify_registration_response,
    verify_registration_response_async,
)
from .errors import (
    ConfigError,
    ConflictError,
    ForbiddenError,
    InternalError,
    InvalidRequestError,
    KavachError,
    NotFoundError,
    RetryLaterError,
    UnauthorizedError,
    VerificationError,
)
from .types import (
    ActivityPage,
    AlgorithmName,
    Credential,
    CurrentSession,
    Event,
    Hint,
    KavachOptions,
    MetadataInfo,
    NewSession,
    SessionInfo,
    SessionListing,
    SignIn,
    User,
    VerifiedAuthentication,
    VerifiedRegistration,
)

__all__ = [
    "ActivityPage",
    "AlgorithmName",
    "ConfigError",
    "ConflictError",
    "Credential",
    "Credentials",
    "CurrentSession",
    "Event",
    "EventHandler",
    "ForbiddenError",
    "Hint",
    "HttpResponse",
    "InternalError",
    "InvalidRequestError",
    "Kavach",
    "KavachError",
    "KavachOptions",
    "LogHook",
    "MetadataInfo",
    "NewSession",
    "NotFoundError",
    "RetryLaterError",
    "SessionInfo",
    "SessionListing",
    "Sessions",
    "SignIn",
    "UnauthorizedError",
    "User",
    "Users",
    "VerificationError",
    "VerifiedAuthentication",
    "VerifiedRegistration",
    "WellKnown",
    "__version__",
    "clear_log_hook",
    "create_kavach",
    "create_kavach_async",
    "flush_log",
    "set_log_hook",
    "verify_authentication_response",
    "verify_authentication_response_async",
    "verify_registration_response",
    "verify_registration_response_async",
]
