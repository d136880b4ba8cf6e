"""``create_kavach`` and the ``Kavach`` instance: every method converts its arguments, calls the
native operation (which releases the GIL) and converts the result. No behaviour lives here.

Every operation has an ``async`` twin, ``<name>_async``, that runs the sync method on a worker
thread (``asyncio.to_thread``), so an ``async def`` route never blocks its event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Optional, Union, cast

from . import _native
from ._args import Body, json_text
from ._http import HttpResponse
from ._operations import EventDispatch, EventHandler
from ._verify import (
    verify_authentication_response,
    verify_authentication_response_async,
    verify_registration_response,
    verify_registration_response_async,
)
from .errors import from_native
from .types import (
    ActivityPage,
    AuthenticationOptions,
    Credential,
    CurrentSession,
    ImportedCredential,
    KavachOptions,
    MetadataInfo,
    NewSession,
    PrfInputs,
    RegistrationOptions,
    SessionListing,
    SignIn,
    User,
)

if TYPE_CHECKING:
    from fastapi import APIRouter
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from ._asgi import ASGIApp
    from ._wsgi import WSGIApp

__all__ = ["Credentials", "Kavach", "Sessions", "Users", "WellKnown", "create_kavach", "create_kavach_async"]

Options = Union[KavachOptions, Mapping[str, Any]]


def create_kavach(
    options: Optional[Options] = None, /, *, on_event: Optional[EventHandler] = None, **kwargs: Any
) -> Kavach:
    """Validates the configuration (docs/configuration.md; snake_case or camelCase names) and opens the
    database, running its migrations. Options can be a mapping, keyword arguments, or both.
    Raises ``ConfigError`` (``INVALID_CONFIG``) with the core's message when it is wrong.

    ``on_event``: a function, or an ``async def`` function, that receives every security event
    (:class:`~kavach_passkeys.types.Event`) after its change commits, on a thread of kavach's own
    through a bounded queue, so it never slows or breaks a ceremony (an exception it raises is
    reported to the log hook and dropped). Where an ``async def`` handler runs: see
    ``kavach_passkeys._operations``. It may also be given inside ``options`` (``"on_event"``), as
    Django's ``settings.KAVACH`` and Flask's ``app.config["KAVACH"]`` do. Call
    :meth:`Kavach.close` at shutdown to deliver what is pending."""
    merged = {**(options or {}), **kwargs}
    on_event = merged.pop("on_event", None) if on_event is None else on_event
    dispatch = EventDispatch(on_event) if on_event is not None else None
    native = _native.open(json_text(merged, "options", "INVALID_CONFIG"))
    if dispatch is not None:
        native.set_event_handler(dispatch)
    return Kavach(native, dispatch)


async def create_kavach_async(
    options: Optional[Options] = None, /, *, on_event: Optional[EventHandler] = None, **kwargs: Any
) -> Kavach:
    """:func:`create_kavach` on a worker thread; an ``async def`` ``on_event`` runs on the calling
    event loop."""
    merged = {**(options or {}), **kwargs}
    on_event = merged.pop("on_event", None) if on_event is None else on_event
    if on_event is None:
        return await asyncio.to_thread(lambda: create_kavach(merged))
    dispatch = EventDispatch(on_event)  # here, on the running loop: it is the handler's
    native = await asyncio.to_thread(_native.open, json_text(merged, "options", "INVALID_CONFIG"))
    native.set_event_handler(dispatch)
    return Kavach(native, dispatch)


_NOT_GIVEN: Any = object()


class Users:
    """``kavach.users``: the accounts passkeys belong to."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.KavachNative) -> None:
        self._native = native

    def create(self, email: str, name: Optional[str] = None) -> User:
        """Creates a user (emails are unique, case-insensitively). ``USER_EXISTS`` if taken,
        ``INVALID_REQUEST`` for a malformed email or name."""
        return self._native.create_user(email, name)

    def get(self, id: str) -> Optional[User]:
        """A user by id, or ``None``."""
        return self._native.get_user(id)

    def find_by_email(self, email: str) -> Optional[User]:
        """A user by email (case-insensitive), or ``None``."""
        return self._native.find_user_by_email(email)

    def set_has_other_sign_in(self, id: str, value: bool) -> None:
        """Whether the user can sign in some other way (then they may delete their last
        passkey). ``USER_NOT_FOUND`` for an unknown id."""
        self._native.set_user_has_other_sign_in(id, value)

    def update(self, id: str, *, email: Optional[str] = None, name: Optional[str] = _NOT_GIVEN) -> User:
        """Changes a user's email and/or name; what is not given stays. ``name=None`` clears the
        name (leaving ``name`` out keeps it); ``email=None`` is the same as leaving it out (every
        user has one). The updated user. ``USER_NOT_FOUND``, ``USER_EXISTS`` for an email taken,
        ``INVALID_REQUEST`` for a malformed one."""
        body: dict[str, Any] = {}
        if email is not None:
            body["email"] = email
        if name is not _NOT_GIVEN:
            body["name"] = name
        return cast(User, self._native.update_user(id, json_text(body, "body")))

    def delete(self, id: str) -> None:
        """Deletes a user and everything kavach keeps about them: passkeys, sessions and audit
        rows. ``USER_NOT_FOUND`` for an unknown id."""
        self._native.delete_user(id)

    def list_credentials(self, id: str) -> list[Credential]:
        """A user's passkeys by user id, newest first (admin tools). ``USER_NOT_FOUND``."""
        return cast(list[Credential], self._native.user_credentials(id))

    def revoke_credential(self, id: str, credential_id: str) -> None:
        """Deletes one of a user's passkeys (admin tools: it may be the last one).
        ``USER_NOT_FOUND``, ``CREDENTIAL_NOT_FOUND``."""
        self._native.revoke_user_credential(id, credential_id)

    def list_sessions(self, id: str) -> list[SessionListing]:
        """A user's live sessions by user id, newest first (``current`` is always false here)."""
        return cast(list[SessionListing], self._native.user_sessions(id))

    def revoke_sessions(self, id: str) -> int:
        """Signs a user out everywhere: how many sessions were revoked."""
        revoked: int = self._native.revoke_user_sessions(id)["revoked"]
        return revoked

    def activity(self, id: str, before: Optional[str] = None, limit: Optional[int] = None) -> ActivityPage:
        """A user's security activity (admin tools): ``{"events", "nextCursor"}``, newest first,
        ``limit`` (default 50, at most 200) events older than the ``before`` cursor."""
        return cast(ActivityPage, self._native.user_activity(id, before, limit))

    async def create_async(self, email: str, name: Optional[str] = None) -> User:
        return await asyncio.to_thread(self.create, email, name)

    async def update_async(
        self, id: str, *, email: Optional[str] = None, name: Optional[str] = _NOT_GIVEN
    ) -> User:
        return await asyncio.to_thread(lambda: self.update(id, email=email, name=name))

    async def delete_async(self, id: str) -> None:
        await asyncio.to_thread(self.delete, id)

    async def list_credentials_async(self, id: str) -> list[Credential]:
        return await asyncio.to_thread(self.list_credentials, id)

    async def revoke_credential_async(self, id: str, credential_id: str) -> None:
        await asyncio.to_thread(self.revoke_credential, id, credential_id)

    async def list_sessions_async(self, id: str) -> list[SessionListing]:
        return await asyncio.to_thread(self.list_sessions, id)

    async def revoke_sessions_async(self, id: str) -> int:
        return await asyncio.to_thread(self.revoke_sessions, id)

    async def activity_async(
        self, id: str, before: Optional[str] = None, limit: Optional[int] = None
    ) -> ActivityPage:
        return await asyncio.to_thread(self.activity, id, before, limit)

    async def get_async(self, id: str) -> Optional[User]:
        return await asyncio.to_thread(self.get, id)

    async def find_by_email_async(self, email: str) -> Optional[User]:
        return await asyncio.to_thread(self.find_by_email, email)

    async def set_has_other_sign_in_async(self, id: str, value: bool) -> None:
        await asyncio.to_thread(self.set_has_other_sign_in, id, value)


class Sessions:
    """``kavach.sessions``: how a host signs a user in after its own sign-up, and reads or ends
    sessions."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.KavachNative) -> None:
        self._native = native

    def create(self, user_id: str) -> NewSession:
        """Starts a session: ``{token, setCookie, session}``. Send ``setCookie`` as the
        ``Set-Cookie`` header (or hand ``token`` to a non-browser client)."""
        return self._native.create_session(user_id)

    def get(self, token_or_cookie_header: str) -> Optional[CurrentSession]:
        """Resolves a token, ``Bearer <token>`` or a ``Cookie`` header value: ``{user,
        session}``, or ``None`` when there is no live session."""
        return self._native.get_session(token_or_cookie_header)

    def revoke(self, id: str) -> bool:
        """Revokes a session by id; whether it existed."""
        return self._native.revoke_session(id)

    async def create_async(self, user_id: str) -> NewSession:
        return await asyncio.to_thread(self.create, user_id)

    async def get_async(self, token_or_cookie_header: str) -> Optional[CurrentSession]:
        return await asyncio.to_thread(self.get, token_or_cookie_header)

    async def revoke_async(self, id: str) -> bool:
        return await asyncio.to_thread(self.revoke, id)

    def require_recent_auth(self, token_or_cookie_header: str, seconds: int) -> None:
        """Returns when a passkey verified the session's user within ``seconds`` (a passkey
        sign-in or a step-up: ``POST /auth/passkey/authenticate/options {"stepUp": true}``);
        raises ``ForbiddenError`` with code ``REAUTH_REQUIRED`` otherwise, ``UnauthorizedError``
        without a live session. Call it before a sensitive action of your own."""
        self._native.require_recent_auth(token_or_cookie_header, seconds)

    async def require_recent_auth_async(self, token_or_cookie_header: str, seconds: int) -> None:
        await asyncio.to_thread(self.require_recent_auth, token_or_cookie_header, seconds)


class Attestation:
    """``kavach.attestation``: FIDO metadata replaced at run time."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.KavachNative) -> None:
        self._native = native

    def load_metadata(self, blob: Union[str, bytes]) -> MetadataInfo:
        """Verifies a FIDO MDS3 BLOB (the JWS text from https://mds3.fidoalliance.org/) against
        the FIDO root and makes it the metadata later registrations check. Raises
        ``KavachError`` with code ``INVALID_REQUEST``, keeping the BLOB in use, for one that
        does not verify, one older (a lower serial number) than the one in use, or a stale one
        under ``metadata_stale="refuse"``."""
        text = blob.decode("utf-8", "replace") if isinstance(blob, (bytes, bytearray)) else blob
        return self._native.load_metadata(text)

    async def load_metadata_async(self, blob: Union[str, bytes]) -> MetadataInfo:
        return await asyncio.to_thread(self.load_metadata, blob)


class Credentials:
    """``kavach.credentials``: credentials registered elsewhere."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.KavachNative) -> None:
        self._native = native

    def import_(self, credential: ImportedCredential) -> Credential:
        """``credentials.import``: stores a credential registered elsewhere (a FIDO U2F
        deployment, another WebAuthn server) for an existing user: ``{userId, credentialId,
        publicKey, format: "u2f" | "webauthn", counter?, name?, transports?, userHandle?}``.
        ``USER_NOT_FOUND``, ``CREDENTIAL_EXISTS``, or ``INVALID_REQUEST`` for a key kavach cannot
        verify with. Imported U2F credentials sign in through ``appid`` when it is set."""
        return self._native.import_credential(json_text(credential, "credential"))

    async def import_async(self, credential: ImportedCredential) -> Credential:
        return await asyncio.to_thread(self.import_, credential)


class WellKnown:
    """``kavach.well_known``: the documents browsers and phones fetch from
    ``https://<rp_id>/.well-known/``, for hosts that serve them themselves (kavach mounted at
    the site root answers them itself). ``extra`` is the host's own content, kept and merged."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.KavachNative) -> None:
        self._native = native

    def webauthn(self) -> dict[str, list[str]]:
        """``/.well-known/webauthn``: ``{"origins": [...]}`` (``origin`` and ``related_origins``)."""
        result: dict[str, list[str]] = self._native.well_known("webauthn", "")
        return result

    def asset_links(self, extra: Optional[list[Any]] = None) -> list[Any]:
        """``/.well-known/assetlinks.json``: the host's statements (App Links), then a
        ``get_login_creds`` statement per Android app of ``apps``."""
        result: list[Any] = self._native.well_known("assetlinks.json", _extra(extra))
        return result

    def apple_app_site_association(self, extra: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
        """``/.well-known/apple-app-site-association``: the host's document with each iOS app
        of ``apps`` added to ``webcredentials.apps``."""
        result: dict[str, Any] = self._native.well_known("apple-app-site-association", _extra(extra))
        return result


def _extra(extra: Any) -> str:
    return "" if extra is None else json_text(extra, "extra")


class Kavach:
    """A configured kavach instance (use :func:`create_kavach`). Thread-safe: share one per
    process.

    ``session`` arguments are a token, a ``Cookie`` header value or ``Bearer <token>``; a
    missing or expired session is ``UnauthorizedError``. Results are the JSON the HTTP routes
    answer (camelCase keys), typed in :mod:`kavach_passkeys.types`.
    """

    __slots__ = (
        "_current_session",
        "_events",
        "_native",
        "attestation",
        "credentials",
        "sessions",
        "users",
        "well_known",
    )

    users: Users
    sessions: Sessions
    attestation: Attestation
    credentials: Credentials
    well_known: WellKnown

    def __init__(self, native: _native.KavachNative, events: Optional[EventDispatch] = None) -> None:
        if not isinstance(native, _native.KavachNative):
            raise TypeError("use create_kavach(options) to create a Kavach instance")
        self._native = native
        self._events = events
        self._current_session: Optional[Callable[[Request, Response], Awaitable[CurrentSession]]] = None
        self.users = Users(native)
        self.sessions = Sessions(native)
        self.attestation = Attestation(native)
        self.credentials = Credentials(native)
        self.well_known = WellKnown(native)

    # ---- routing

    @property
    def base_path(self) -> str:
        """The route prefix every endpoint lives under, e.g. ``/auth``."""
        return self._native.base_path

    def handles_path(self, path: str) -> bool:
        """Whether a request path (query string allowed) is kavach's: basePath or below."""
        return self._native.handles_path(path)

    def handle(
        self,
        method: str,
        path: str,
        headers: Iterable[tuple[str, str]] = (),
        body: Union[bytes, bytearray, memoryview] = b"",
        client: Optional[str] = None,
    ) -> HttpResponse:
        """Routes one request through the core (docs/http.md): every route, status code, cookie
        and error body. ``path`` is the full path (with basePath; a query string is ignored).
        Bodies over 64 KiB are answered 413 by the core. ``client`` is the peer address your server
        saw (never a value taken from a header): the core derives the key of the optional
        per-client rate limit from it and, behind ``trusted_proxies``, from X-Forwarded-For;
        without it the request is not rate-limited. Never
        raises for a client's mistake: the error is in the response."""
        status, out_headers, out_body = self._native.handle(
            method, path, headers, body if isinstance(body, bytes) else bytes(body), client
        )
        return HttpResponse(status, out_headers, out_body)

    async def handle_async(
        self,
        method: str,
        path: str,
        headers: Iterable[tuple[str, str]] = (),
        body: Union[bytes, bytearray, memoryview] = b"",
        client: Optional[str] = None,
    ) -> HttpResponse:
        """:meth:`handle` on a worker thread."""
        return await asyncio.to_thread(self.handle, method, path, list(headers), bytes(body), client)

    def fastapi_router(self) -> APIRouter:
        """A FastAPI ``APIRouter`` serving every route under basePath through the core router
        (cookies and errors as the core answers them): ``app.include_router(kavach.fastapi_router())``.
        The routes are plain ASGI routes: the app's middleware wraps them, but dependencies
        given to ``include_router`` do not run for them. The peer address
        (``scope["client"][0]``) is passed on, from which the core derives the rate-limit key.
        Requests never run on the event loop (see ``kavach_passkeys._offload``)."""
        from ._fastapi import router

        return router(self)

    def asgi(self, app: Optional[ASGIApp] = None) -> ASGIApp:
        """A plain ASGI app serving every route under basePath through the core router. With
        ``app``, other paths (and non-HTTP scopes) go to it, so it also works as middleware:
        ``app = kavach.asgi(app)``. Without, they are answered 404 ``NOT_FOUND``. The peer
        address (``scope["client"][0]``) is passed on, from which the core derives the
        rate-limit key."""
        from ._asgi import KavachASGI

        return KavachASGI(self, app)

    def wsgi(self, app: Optional[WSGIApp] = None) -> WSGIApp:
        """A WSGI app (PEP 3333) serving every route under basePath through the core router. With
        ``app``, other paths go to it, so it also works as middleware around Django's or Flask's
        WSGI callable: ``application = kavach.wsgi(application)``. Without, they are answered 404
        ``NOT_FOUND``. The peer address (``REMOTE_ADDR``) is passed on, from which the core
        derives the client key; the GIL is released while the core works. For Django and Flask
        integrations (sessions on the request, settings), see ``kavach_passkeys.django`` and
        ``kavach_passkeys.flask``."""
        from ._wsgi import KavachWSGI

        return KavachWSGI(self, app)

    def session_from_headers(
        self, headers: Iterable[tuple[str, str]], client: Optional[str] = None
    ) -> Optional[CurrentSession]:
        """The session a request carries (its ``Authorization: Bearer`` or any of its ``Cookie``
        fields; other headers are ignored), as ``GET /session`` answers it, or ``None`` when there
        is no live session. Raises :class:`KavachError` for anything else (``INTERNAL`` when the
        database is down, ``RATE_LIMITED``). What the Django and Flask integrations use."""
        wanted = [(name, value) for name, value in headers if name.lower() in ("authorization", "cookie")]
        if not wanted:
            return None
        response = self.handle("GET", self.base_path + "/session", wanted, b"", client)
        if response.status == 200:
            current = cast(CurrentSession, response.json())
            # A renewed session (sliding expiry): the caller sends this with its answer.
            refreshed = response.header("set-cookie")
            if refreshed:
                current["setCookie"] = refreshed
            return current
        answer = response.json()
        if answer.get("code") == "UNAUTHORIZED":
            return None
        retry_after = response.header("retry-after")
        raise from_native(
            answer["code"], response.status, answer["error"], int(retry_after) if retry_after else None
        )

    def add_exception_handlers(self, app: Starlette) -> None:
        """Makes a FastAPI (or Starlette) app answer kavach's errors the way the router does:
        every ``KavachError`` its routes raise (``USER_EXISTS`` from ``users.create``, ...) and
        the refusals of ``Depends(kavach.current_session)`` become the error's status with
        ``{"error": message, "code": CODE, "status": STATUS}``, ``Cache-Control: no-store`` and
        ``Retry-After`` where the code has one. Call it once, after creating the app."""
        from ._fastapi import add_exception_handlers

        add_exception_handlers(app)

    @property
    def current_session(self) -> Callable[[Request, Response], Awaitable[CurrentSession]]:
        """A FastAPI dependency: ``session: CurrentSession = Depends(kavach.current_session)``.
        Reads the ``Authorization: Bearer`` or ``Cookie`` header and returns ``{user, session}``,
        or raises :class:`~kavach_passkeys._fastapi.KavachHTTPException` with the core's status
        (401 ``UNAUTHORIZED`` without a live session). Call :meth:`add_exception_handlers` once so
        that the app answers it as the router does, ``{"error": ..., "code": "UNAUTHORIZED", "status": 401}``;
        without them FastAPI's own handler wraps the same body in ``{"detail": ...}``. When the
        lookup renews the session (sliding expiry), the refreshed ``Set-Cookie`` is added to the
        route's answer (FastAPI merges a dependency's response headers when the route returns data;
        a route that returns a ``Response`` of its own gets no refreshed cookie)."""
        if self._current_session is None:
            from ._fastapi import session_dependency

            self._current_session = session_dependency(self)
        return self._current_session

    # ---- the six operations (and rename)

    def register_options(self, session: str, body: Body = None) -> RegistrationOptions:
        """Creation options for the session's user; ``body`` is ``{}`` or ``{name?,
        authenticatorAttachment?, hints?}``."""
        return self._native.register_options(session, json_text(body, "body"))

    def register_verify(self, session: str, body: Body) -> Credential:
        """Verifies a ``RegistrationResponseJSON`` (bare or ``{response, name?}``) and stores the
        passkey for the session's user: the new credential."""
        return self._native.register_verify(session, json_text(body, "body"))

    def authenticate_options(
        self, email: Optional[str] = None, *, prf: Optional[PrfInputs] = None
    ) -> AuthenticationOptions:
        """Request options; with an email, that user's credentials (unknown emails answer in
        the same shape). ``prf``: salts for the authenticator (``{"eval": {"first": ...}}``,
        base64url); the outputs stay in the browser."""
        request: dict[str, Any] = {"email": email}
        if prf is not None:
            request["prf"] = prf
        return self._native.authenticate_options(json_text(request, "options"))

    def authenticate_verify(self, body: Body) -> SignIn:
        """Verifies an ``AuthenticationResponseJSON`` (bare or ``{response}``) and starts a
        session: ``{userId, sessionId, token, setCookie, expiresAt}``."""
        return self._native.authenticate_verify(json_text(body, "body"))

    def list_credentials(self, session: str) -> list[Credential]:
        """The session user's passkeys, newest first."""
        return self._native.list_credentials(session)

    def rename_credential(self, session: str, id: str, name: str) -> Credential:
        """Renames one of the session user's passkeys (1 to 64 characters)."""
        return self._native.rename_credential(session, id, name)

    def delete_credential(self, session: str, id: str) -> None:
        """Deletes one of the session user's passkeys. ``LAST_CREDENTIAL`` for the last one
        unless the user can sign in another way."""
        self._native.delete_credential(session, id)

    async def register_options_async(self, session: str, body: Body = None) -> RegistrationOptions:
        return await asyncio.to_thread(self.register_options, session, body)

    async def register_verify_async(self, session: str, body: Body) -> Credential:
        return await asyncio.to_thread(self.register_verify, session, body)

    async def authenticate_options_async(
        self, email: Optional[str] = None, *, prf: Optional[PrfInputs] = None
    ) -> AuthenticationOptions:
        return await asyncio.to_thread(lambda: self.authenticate_options(email, prf=prf))

    async def authenticate_verify_async(self, body: Body) -> SignIn:
        return await asyncio.to_thread(self.authenticate_verify, body)

    async def list_credentials_async(self, session: str) -> list[Credential]:
        return await asyncio.to_thread(self.list_credentials, session)

    async def rename_credential_async(self, session: str, id: str, name: str) -> Credential:
        return await asyncio.to_thread(self.rename_credential, session, id, name)

    async def delete_credential_async(self, session: str, id: str) -> None:
        await asyncio.to_thread(self.delete_credential, session, id)

    # ---- operations (DESIGN §10)

    def activity(
        self, session: str, before: Optional[str] = None, limit: Optional[int] = None
    ) -> ActivityPage:
        """The session user's own security activity (``GET /passkey/activity``):
        ``{"events", "nextCursor"}``, newest first, ``limit`` (default 50, at most 200) events
        older than the ``before`` cursor (pass the previous page's ``nextCursor``)."""
        return cast(ActivityPage, self._native.activity(session, before, limit))

    async def activity_async(
        self, session: str, before: Optional[str] = None, limit: Optional[int] = None
    ) -> ActivityPage:
        return await asyncio.to_thread(self.activity, session, before, limit)

    def metrics(self) -> str:
        """This instance's metrics in the Prometheus text format 0.0.4 (serve them as
        ``text/plain; version=0.0.4``): events by type and code, requests and latency per route
        template, the database pool, the rate-limit table, the event queue. Serve them to your
        scraper only (bindings/python/README.md, "Operations")."""
        return self._native.metrics()

    def flush_events(self, timeout: float = 5.0) -> bool:
        """Waits at most ``timeout`` seconds until ``on_event`` has received every event so far
        (an ``async def`` handler: been scheduled). Whether it has."""
        return self._native.flush_events(timeout)

    async def flush_events_async(self, timeout: float = 5.0) -> bool:
        return await asyncio.to_thread(self.flush_events, timeout)

    def close(self) -> bool:
        """Call at shutdown: delivers the pending events to ``on_event`` and the pending log lines
        to the log hook (waiting at most 5 s each), then stops the event thread. Scheduled
        ``async def`` handler calls are waited for too, unless ``close`` runs on their event loop
        (it would block the loop that must run them: use :meth:`close_async` there). The instance
        still answers afterwards, but its events reach no handler. Whether everything was
        delivered in time."""
        delivered = self._native.close()
        if self._events is not None:
            self._events.wait_sync(5.0)
        return delivered

    async def close_async(self) -> bool:
        """:meth:`close` on a worker thread, then awaits the scheduled ``async def`` handler calls
        (at most 5 s). Also named ``aclose`` (for ``contextlib.aclosing``)."""
        delivered = await asyncio.to_thread(self._native.close)
        if self._events is not None:
            await self._events.wait_async(5.0)
        return delivered

    aclose = close_async

    def _bind_loop(self) -> None:
        """On an event loop (kavach's ASGI app): the loop ``async def`` handlers run on, when the
        instance was created without one."""
        if self._events is not None and self._events.loop is None:
            self._events.bind_loop()

    # ---- stateless verifiers (no database), also module-level functions

    verify_registration_response = staticmethod(verify_registration_response)
    verify_authentication_response = staticmethod(verify_authentication_response)
    verify_registration_response_async = staticmethod(verify_registration_response_async)
    verify_authentication_response_async = staticmethod(verify_authentication_response_async)
