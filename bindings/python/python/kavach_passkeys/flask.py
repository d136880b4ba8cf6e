"""Flask extension: kavach's routes in a Flask app, and the signed-in user's session in views.

.. code-block:: python

    from flask import Flask
    from kavach_passkeys.flask import Kavach, current_session, session_required

    app = Flask(__name__)
    app.config["KAVACH"] = {"secret": ..., "base_url": ..., "plugins": [passkey(...)]}
    kavach = Kavach(app)                      # or Kavach() ... kavach.init_app(app)

    @app.get("/account")
    @session_required                         # 401 {error, code, status} when signed out
    def account() -> dict[str, Any]:
        return {"email": current_session()["user"]["email"]}

``Kavach(app)`` wraps ``app.wsgi_app`` with the WSGI adapter (``kavach_passkeys._wsgi``): every
request under basePath (``/auth`` by default) is answered by the core router before Flask routes
it (so no ``before_request`` hook runs for it, a CSRF extension's included: kavach checks
``Origin`` and ``Sec-Fetch-Site`` itself, DESIGN §3); everything else reaches the app. The GIL is
released while the core works.

Configuration: ``Kavach(app, kavach=instance)`` with an instance from
:func:`kavach_passkeys.create_kavach`, or ``app.config["KAVACH"]``, the options of ``create_kavach``
as a dict (snake_case or camelCase names).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any, Optional, TypeVar, cast

from flask import Flask, Response, current_app, g, request

from ._kavach import Kavach as CoreKavach
from ._kavach import create_kavach
from ._wsgi import KavachWSGI, environ_headers
from .errors import kavach_error
from .types import CurrentSession

__all__ = ["Kavach", "current_kavach", "current_session", "session_required"]

EXTENSION = "kavach"
_UNREAD = object()

View = TypeVar("View", bound=Callable[..., Any])


class Kavach:
    """The Flask extension. ``Kavach(app)``, or ``Kavach()`` then ``init_app(app)`` (an app
    factory). ``kavach``: the core instance to use; without it each app's ``config["KAVACH"]``
    options create one."""

    def __init__(self, app: Optional[Flask] = None, *, kavach: Optional[CoreKavach] = None) -> None:
        self._kavach = kavach
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Serves kavach's routes in ``app`` (wrapping ``app.wsgi_app``) and makes
        :func:`current_session` work in its views."""
        instance = self._kavach
        if instance is None:
            options = app.config.get("KAVACH")
            if not isinstance(options, Mapping):
                raise RuntimeError(
                    "kavach_passkeys.flask.Kavach needs app.config['KAVACH'] (the options of "
                    "kavach_passkeys.create_kavach, a dict) or Kavach(app, kavach=create_kavach(...))"
                )
            instance = create_kavach(options)
        app.extensions[EXTENSION] = instance
        app.wsgi_app = KavachWSGI(instance, app.wsgi_app)  # type: ignore[method-assign]
        app.after_request(_forward_renewal)

    @property
    def kavach(self) -> CoreKavach:
        """The core instance: the one given, else the current app's."""
        return self._kavach if self._kavach is not None else current_kavach()


def current_kavach() -> CoreKavach:
    """The current app's core instance (``users``, ``sessions``, the host API)."""
    instance = current_app.extensions.get(EXTENSION)
    if not isinstance(instance, CoreKavach):
        raise RuntimeError("kavach_passkeys.flask.Kavach(app) has not been set up for this app")
    return instance


def current_session() -> Optional[CurrentSession]:
    """The session of the request being handled (``{"user", "session"}``, as ``GET /auth/session``
    answers it; from its ``Authorization: Bearer`` or ``Cookie`` header), or ``None`` when it
    carries no live one. Looked up once per request (one indexed read), then cached in
    ``flask.g``. Raises :class:`~kavach_passkeys.KavachError` only when kavach cannot answer
    (``INTERNAL``: the database is down). When the lookup renews the session (sliding expiry), the
    extension adds the refreshed ``Set-Cookie`` to the response."""
    cached = g.get("_kavach_session", _UNREAD)
    if cached is _UNREAD:
        environ = request.environ
        peer = environ.get("REMOTE_ADDR")
        cached = current_kavach().session_from_headers(
            environ_headers(environ), peer if isinstance(peer, str) and peer else None
        )
        # The refreshed cookie holds the token: kept for the response, never in what a view
        # reads (a view returning the session as JSON must not put the token in a body).
        g._kavach_renewal = cached.pop("setCookie", None) if isinstance(cached, dict) else None
        g._kavach_session = cached
    return cast(Optional[CurrentSession], cached)


def _forward_renewal(response: Response) -> Response:
    """When :func:`current_session` renewed the session (sliding expiry, DESIGN §10), the response
    carries the refreshed cookie (``setCookie``), unless the view set that cookie itself."""
    refreshed = g.get("_kavach_renewal")
    if isinstance(refreshed, str) and refreshed:
        name = refreshed.split("=", 1)[0].strip()
        already = any(
            value.split("=", 1)[0].strip() == name for value in response.headers.getlist("set-cookie")
        )
        if not already:
            response.headers.add("Set-Cookie", refreshed)
    return response


def session_required(view: View) -> View:
    """Like Flask-Login's ``login_required``: the view runs only for a signed-in request; any
    other is answered 401 ``UNAUTHORIZED`` with the router's body, ``{"error", "code",
    "status"}``."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_session() is None:
            error = kavach_error("UNAUTHORIZED", "sign in first: no valid session")
            return Response(
                json.dumps(error.to_json(), separators=(",", ":")),
                status=error.status,
                content_type="application/json",
                headers={"cache-control": "no-store"},
            )
        return view(*args, **kwargs)

    return cast(View, wrapper)
