"""The demo's own routes: the page, its assets, and the demo-only ``POST /demo/signup``. kavach's
routes (/auth/...) never get here: ``KavachMiddleware`` answers them (settings.py)."""

import hmac
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from kavach_passkeys import KavachError
from kavach_passkeys.django import get_kavach
from kavach_passkeys.errors import kavach_error

WEB_DIR: Path = settings.WEB_DIR
VENDOR_DIR = WEB_DIR / "node_modules" / "@simplewebauthn" / "browser" / "esm"


def error_response(error: KavachError) -> JsonResponse:
    """Errors as the core shapes them: ``{error, code, status}`` with the right status."""
    return JsonResponse(error.to_json(), status=error.status)


# Exempt from Django's CSRF check because the demo page posts JSON without a token; like the
# other examples' signup route it checks Origin itself (a cross-site form cannot send JSON).
# kavach's own routes need no exemption here: the middleware answers them before the CSRF check.
@csrf_exempt
def signup(request: HttpRequest) -> HttpResponse:
    """Demo only: a real app creates users through its own sign-up, then starts a session like
    this."""
    try:
        if request.method != "POST":
            raise kavach_error("METHOD_NOT_ALLOWED", "use POST")
        origin = request.headers.get("origin")
        if origin is not None and origin != settings.ORIGIN:
            raise kavach_error("FORBIDDEN_ORIGIN", "requests from this origin are not allowed")
        try:
            fields: Any = json.loads(request.body)
        except RequestDataTooBig:
            raise kavach_error("PAYLOAD_TOO_LARGE", "request body is larger than 64 KiB") from None
        except ValueError:
            raise kavach_error("INVALID_REQUEST", "body must be JSON: {email, name?}") from None
        email = fields.get("email") if isinstance(fields, dict) else None
        if not isinstance(email, str):
            raise kavach_error("INVALID_REQUEST", "email is required")
        name = fields.get("name")
        kavach = get_kavach()
        user = kavach.users.create(email, name if isinstance(name, str) and name.strip() else None)
        session = kavach.sessions.create(user["id"])
    except KavachError as error:
        return error_response(error)
    response = JsonResponse({"user": user})
    response["Set-Cookie"] = session["setCookie"]  # as kavach wrote it (not through response.cookies)
    response["Cache-Control"] = "no-store"
    return response


CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json; charset=utf-8",
}
STATIC_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
}


def static_file(root: Path, relative: str) -> HttpResponseBase:
    """``relative`` below ``root``, refusing ``..``, absolute paths and hidden files."""
    parts = Path(relative).parts
    if not parts or any(part.startswith(".") or part in ("/", "..") for part in parts):
        return not_found()
    file = root.joinpath(*parts)
    if not file.is_file():
        return not_found()
    content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
    response = FileResponse(file.open("rb"), content_type=content_type)
    for name, value in STATIC_HEADERS.items():
        response[name] = value
    return response


def index(request: HttpRequest) -> HttpResponseBase:
    return static_file(WEB_DIR, "index.html")


def page_asset(request: HttpRequest, name: str) -> HttpResponseBase:
    return static_file(WEB_DIR, name)


def vendor(request: HttpRequest, name: str) -> HttpResponseBase:
    return static_file(VENDOR_DIR, name)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics. They tell how your sign-in is used: in production, serve them only to
    your scraper (here: a bearer token when KAVACH_METRICS_TOKEN is set; the demo listens on
    loopback only)."""
    token: str = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return error_response(kavach_error("UNAUTHORIZED", "metrics need the bearer token"))
    return HttpResponse(get_kavach().metrics(), content_type="text/plain; version=0.0.4; charset=utf-8")


def not_found(request: HttpRequest | None = None, exception: Exception | None = None) -> HttpResponseBase:
    return error_response(kavach_error("NOT_FOUND", "not found"))


urlpatterns = [
    path("", index),
    re_path(r"^(?P<name>index\.html|app\.js|style\.css)$", page_asset),
    path("vendor/simplewebauthn/<path:name>", vendor),
    path("demo/signup", signup),
    path("metrics", metrics),
]
handler404 = not_found
