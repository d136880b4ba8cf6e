"""Django integration: kavach's routes in a Django project, configured from settings, and the
signed-in user's session on every request.

.. code-block:: python

    # settings.py
    KAVACH = {
        "secret": os.environ["KAVACH_SECRET"],
        "base_url": "https://example.com",
        "plugins": [passkey(rp_name="My App", rp_id="example.com")],
    }
    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "kavach_passkeys.django.KavachMiddleware",   # before CsrfViewMiddleware
        ...,
    ]

    # a view
    def account(request: KavachRequest) -> HttpResponse:
        if request.kavach_session is None:          # looked up on first read, then cached
            return redirect("/sign-in")
        user = request.kavach_session["user"]

``KavachMiddleware`` answers every request under basePath (``/auth`` by default) through the core
router and passes everything else on. Instead of the middleware, the routes can be included in
``urls.py``: ``path("auth/", include("kavach_passkeys.django"))`` (basePath must then be the
path they are included at). Either way the router answers exactly as in every other language:
status codes, cookies (each ``Set-Cookie`` as the core wrote it) and ``{error, code, status}``
bodies.

**CSRF.** kavach's own routes are exempt from Django's CSRF check, and only they are: kavach
refuses a state-changing request whose ``Origin`` is present and not allowed, or absent with
``Sec-Fetch-Site: cross-site`` / ``same-site`` (403 ``FORBIDDEN_ORIGIN``, DESIGN §3), and its
routes take JSON, which a cross-site form cannot send. The middleware answers them before
``CsrfViewMiddleware`` ever sees them (it checks in ``process_view``); the URL include marks its
view ``csrf_exempt``. Every other view of the project keeps Django's CSRF protection.

**Settings.** ``KAVACH``: the options of :func:`kavach_passkeys.create_kavach` as a dict (snake_case
or camelCase names), or a :class:`~kavach_passkeys.Kavach` instance. The instance is created on
first use and shared by the process (:func:`get_kavach`).

**Sessions.** Importing this module gives ``django.http.HttpRequest`` a read-only property,
``request.kavach_session``: ``{"user", "session"}`` as ``GET /auth/session`` answers it, or ``None``
when the request carries no live session (its ``Authorization: Bearer`` or ``Cookie`` header).
It is read on first access (one indexed lookup) and cached on the request. Annotate views with
:class:`KavachRequest` for type checkers, or call :func:`get_session`. When that read renews the
session (sliding expiry), ``KavachMiddleware`` adds the refreshed ``Set-Cookie`` to the view's
response (:func:`forward_renewal`), so an active user stays signed in.

The GIL is released while the core works (the WSGI adapter's rules for headers, ``Cookie`` fields,
the body and the peer address apply: see ``kavach_passkeys._wsgi``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Container, Mapping
from http.cookies import Morsel, SimpleCookie
from typing import TYPE_CHECKING, Any, Optional

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from ._kavach import Kavach, create_kavach
from ._wsgi import BODY_LIMIT, environ_headers, read_body
from .types import CurrentSession

__all__ = [
    "KavachMiddleware",
    "KavachRequest",
    "forward_renewal",
    "get_kavach",
    "get_session",
    "kavach_view",
    "urlpatterns",
]

if TYPE_CHECKING:

    class KavachRequest(HttpRequest):
        """An ``HttpRequest`` as views see it once this module is imported: annotate views with
        it so that type checkers know ``request.kavach_session``."""

        @property
        def kavach_session(self) -> Optional[CurrentSession]: ...

else:
    KavachRequest = HttpRequest

_lock = threading.Lock()
_instance: Optional[Kavach] = None


def get_kavach() -> Kavach:
    """The project's kavach instance, from ``settings.KAVACH`` (created on first call, then
    shared). Raises ``ImproperlyConfigured`` when the setting is missing, or
    :class:`~kavach_passkeys.ConfigError` with the core's message when it is wrong."""
    global _instance
    if _instance is not None:
        return _instance
    with _lock:
        if _instance is None:
            configured = getattr(settings, "KAVACH", None)
            if isinstance(configured, Kavach):
                _instance = configured
            elif isinstance(configured, Mapping):
                _instance = create_kavach(configured)
            else:
                raise ImproperlyConfigured(
                    "settings.KAVACH must be the options of kavach_passkeys.create_kavach (a dict: "
                    "secret, base_url, plugins, ...) or a kavach_passkeys.Kavach instance"
                )
        return _instance


def _forget_instance(*, setting: str, **kwargs: Any) -> None:
    """``override_settings(KAVACH=...)`` in tests: the next request uses the new options."""
    global _instance
    if setting == "KAVACH":
        with _lock:
            _instance = None


setting_changed.connect(_forget_instance)

_UNREAD = object()


def get_session(request: HttpRequest) -> Optional[CurrentSession]:
    """``request.kavach_session``: the request's session (``{"user", "session"}``) or ``None``;
    looked up once per request. Raises :class:`~kavach_passkeys.KavachError` only when kavach
    cannot answer (``INTERNAL``: the database is down)."""
    cached = request.__dict__.get("_kavach_session", _UNREAD)
    if cached is _UNREAD:
        cached = get_kavach().session_from_headers(environ_headers(request.META), _peer(request))
        # The refreshed cookie holds the token: kept for the response, never in what a view
        # reads (a view returning the session as JSON must not put the token in a body).
        renewal = cached.pop("setCookie", None) if isinstance(cached, dict) else None
        request.__dict__["_kavach_renewal"] = renewal
        request.__dict__["_kavach_session"] = cached
    session: Optional[CurrentSession] = cached
    return session


# The read-only, lazily computed attribute (see the module's docstring): a property, so that a
# signed-out request reads a real `None` (`request.kavach_session is None`), which a lazy proxy
# object such as `request.user`'s cannot be.
HttpRequest.kavach_session = property(get_session)  # type: ignore[attr-defined]


class KavachMiddleware:
    """Answers every request under basePath through the core router (before any view, so
    without Django's CSRF check: see the module's docstring) and passes the others on. Place it
    after ``SecurityMiddleware`` and before ``CsrfViewMiddleware``."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.kavach = get_kavach()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.kavach.handles_path(request.path):
            return _answer(self.kavach, request)
        response = self.get_response(request)
        forward_renewal(request, response)
        return response


def forward_renewal(request: HttpRequest, response: HttpResponse) -> None:
    """When reading ``request.kavach_session`` renewed the session (sliding expiry, DESIGN §10),
    adds the refreshed cookie (``setCookie``) to ``response``, unless the view set that cookie
    itself (a sign-out's clearing cookie wins). ``KavachMiddleware`` calls it for every response;
    a project using the URL include instead calls it in a middleware of its own."""
    refreshed = request.__dict__.get("_kavach_renewal")
    if not isinstance(refreshed, str) or not refreshed:
        return
    morsel = _raw_morsel(refreshed)
    if morsel.key not in response.cookies:
        response.cookies[morsel.key] = morsel


@csrf_exempt
def kavach_view(request: HttpRequest, path: str = "") -> HttpResponse:
    """The same as a view, for ``path("auth/", include("kavach_passkeys.django"))``: every
    method, answered by the core router from the full request path."""
    return _answer(get_kavach(), request)


urlpatterns = [re_path(r"^(?P<path>.*)$", kavach_view, name="kavach")]
"""Every path below where this module is included, to :func:`kavach_view`."""


def _answer(kavach: Kavach, request: HttpRequest) -> HttpResponse:
    """The core's answer to ``request``, as a Django ``HttpResponse``."""
    meta = request.META
    query = meta.get("QUERY_STRING")
    path = f"{request.path}?{query}" if query else request.path
    status, headers, body = kavach._native.handle(
        request.method or "GET", path, environ_headers(meta), _body(request), _peer(request)
    )
    response = HttpResponse(body, status=status)
    if not any(name.lower() == "content-type" for name, _ in headers):
        del response["Content-Type"]  # Django's default, text/html, would be wrong
    # The middlewares that would add it (CommonMiddleware) come after this one and never see the
    # response: without it, waitress ends every keep-alive connection after the response
    # (measured: about 340 us of server CPU a sign-in pair).
    response["Content-Length"] = str(len(body))
    for name, value in headers:
        if name.lower() == "set-cookie":
            morsel = _raw_morsel(value)
            response.cookies[morsel.key] = morsel
        else:
            response[name] = value
    return response


def _body(request: HttpRequest) -> bytes:
    """At most 64 KiB + 1 bytes of the body. Under WSGI, read from the server's stream by the WSGI
    adapter's rules (chunked input included, which Django itself reads as empty); under ASGI, or
    when something already read the body, through Django."""
    if "wsgi.input" in request.META and not getattr(request, "_read_started", False):
        request._read_started = True  # type: ignore[attr-defined]
        return read_body(request.META)
    cached = getattr(request, "_body", None)
    if isinstance(cached, bytes):
        return cached[:BODY_LIMIT]
    chunks: list[bytes] = []
    size = 0
    while size < BODY_LIMIT:
        chunk = request.read(BODY_LIMIT - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _peer(request: HttpRequest) -> Optional[str]:
    """``REMOTE_ADDR`` (the socket's peer; never a header): the core derives the client key."""
    peer = request.META.get("REMOTE_ADDR")
    return peer if isinstance(peer, str) and peer else None


class _RawMorsel(Morsel[str]):
    """A ``Set-Cookie`` value exactly as the core wrote it. Django sends a response's cookies from
    ``response.cookies`` (``Morsel.output``), which would re-serialize the attributes and quote an
    empty value (the clearing cookie); this morsel outputs the core's text unchanged, and still
    has its name, value and attributes for Django's test client."""

    raw: str

    def OutputString(self, attrs: Optional[Container[str]] = None) -> str:
        return self.raw


def _raw_morsel(header: str) -> _RawMorsel:
    pair = header.split(";", 1)[0]
    name, _, value = pair.partition("=")
    morsel = _RawMorsel()
    morsel.set(name.strip(), value.strip(), value.strip())
    parsed: SimpleCookie = SimpleCookie()
    try:
        parsed.load(header)
    except Exception:  # the attributes are only for inspection; the raw text is what is sent
        parsed = SimpleCookie()
    if name.strip() in parsed:
        for attribute, attribute_value in parsed[name.strip()].items():
            if attribute_value:
                morsel[attribute] = attribute_value
    morsel.raw = header
    return morsel
