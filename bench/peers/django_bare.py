"""The floor under the Django row of the HTTP benchmark: Django 5.2 on waitress (the same server,
threads and middleware as examples/django, less kavach), no WebAuthn and no database. It answers
the routes load.mjs calls the way express-bare.mjs does (JSON body, the same Origin check,
Cache-Control + Set-Cookie + a JSON answer; views csrf_exempt, as a JSON API's are) with small
fixed-shape JSON and a random challenge. Its CPU per pair is what a JSON API on Django + waitress
costs before any passkey work. Environment: PORT, WAITRESS_THREADS."""

import json
import os
import secrets
from typing import Any

import django
import waitress
from django.conf import settings

PORT = int(os.environ.get("PORT", "3000"))
ORIGIN = f"http://localhost:{PORT}"

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-secret-key",
    ALLOWED_HOSTS=["localhost", "127.0.0.1"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    DATABASES={},
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
    ],
)
django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


def challenge() -> str:
    return secrets.token_urlsafe(32)


def parsed(request: HttpRequest) -> dict[str, Any]:
    try:
        value = json.loads(request.body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def route(answer: Any) -> Any:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        origin = request.headers.get("origin")
        if origin and origin != ORIGIN:
            error = {"error": "requests from this origin are not allowed", "code": "FORBIDDEN_ORIGIN"}
            return JsonResponse(error, status=403)
        body, set_cookie = answer(parsed(request))
        response = JsonResponse(body)
        response["Cache-Control"] = "no-store"
        if set_cookie:
            response["Set-Cookie"] = (
                f"session={secrets.token_urlsafe(32)}; HttpOnly; SameSite=Lax; Path=/; Max-Age=604800"
            )
        return response

    return view


urlpatterns = [
    path("demo/signup", route(lambda body: ({"user": {"id": "u1", "email": str(body.get("email"))}}, True))),
    path(
        "auth/passkey/register/options",
        route(lambda body: ({"challenge": challenge(), "user": {"id": secrets.token_urlsafe(16)}}, False)),
    ),
    path("auth/passkey/register/verify", route(lambda body: ({"verified": True}, False))),
    path(
        "auth/passkey/authenticate/options",
        route(
            lambda body: (
                {
                    "challenge": challenge(),
                    "timeout": 60000,
                    "rpId": "localhost",
                    "allowCredentials": [],
                    "email": body.get("email"),
                },
                False,
            )
        ),
    ),
    path(
        "auth/passkey/authenticate/verify",
        route(lambda body: ({"userId": "u1", "sessionId": str(body.get("id"))[:22]}, True)),
    ),
]

if __name__ == "__main__":
    threads = int(os.environ.get("WAITRESS_THREADS") or "8")
    waitress.serve(WSGIHandler(), host="127.0.0.1", port=PORT, threads=threads, ident=None)
