"""The Django integration: ``KavachMiddleware`` (and the URL include) answer kavach's routes through
the core, settings configure it, ``request.kavach_session`` is the signed-in session or ``None``,
and only kavach's own routes skip Django's CSRF check."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import django
import pytest
from django.conf import settings

from conftest import ORIGIN, config

settings.configure(
    DEBUG=False,
    SECRET_KEY="django-test-secret-key-not-for-production",
    ALLOWED_HOSTS=["localhost", "testserver"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "kavach_passkeys.django.KavachMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
    ],
    INSTALLED_APPS=[],
    KAVACH=config(),
)
django.setup()

from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from kavach_passkeys.django import KavachRequest, get_kavach, get_session  # noqa: E402

from authenticator import SoftAuthenticator  # noqa: E402


def whoami(request: KavachRequest) -> JsonResponse:
    session = request.kavach_session
    return JsonResponse({"email": None if session is None else session["user"]["email"]})


def session_keys(request: KavachRequest) -> JsonResponse:
    session = request.kavach_session
    return JsonResponse({"keys": None if session is None else sorted(session)})


def typed_whoami(request: HttpRequest) -> JsonResponse:
    session = get_session(request)
    return JsonResponse({"email": None if session is None else session["user"]["email"]})


def host_form(request: HttpRequest) -> HttpResponse:
    return HttpResponse("changed something")


urlpatterns = [
    path("whoami", whoami),
    path("session-keys", session_keys),
    path("typed-whoami", typed_whoami),
    path("host-form", host_form),
]


class IncludedUrls:
    """A URLconf with kavach included as views instead of the middleware."""

    urlpatterns: ClassVar[list[Any]] = [
        path("auth/", include("kavach_passkeys.django")),
        path("host-form", host_form),
    ]


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[None]:
    """A fresh database per test (``override_settings`` makes the next request create a new
    instance from the new options)."""
    options = config(database={"provider": "sqlite", "url": f"file:{tmp_path / 'kavach.db'}"})
    with override_settings(KAVACH=options):
        yield


def post_json(client: Client, url: str, value: Any, **extra: Any) -> Any:
    return client.post(url, data=json.dumps(value), content_type="application/json", **extra)


def sign_up(client: Client, email: str = "ada@example.com") -> str:
    kavach = get_kavach()
    user = kavach.users.create(email)
    token = kavach.sessions.create(user["id"])["token"]
    client.cookies["kavach_session"] = token
    return token


@pytest.mark.usefixtures("fresh")
def test_a_real_ceremony_through_django() -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.get("/whoami").json() == {"email": None}
    sign_up(client)
    assert client.get("/whoami").json() == {"email": "ada@example.com"}
    authenticator = SoftAuthenticator(ORIGIN)
    options = post_json(client, "/auth/passkey/register/options", {}).json()
    response = post_json(client, "/auth/passkey/register/verify", authenticator.register(options))
    assert (response.status_code, response.json()["verified"]) == (200, True)

    response = client.post("/auth/sign-out", HTTP_ORIGIN=ORIGIN)
    assert (response.status_code, response.json()) == (200, {"signedOut": True})
    assert client.get("/whoami").json() == {"email": None}
    assert client.get("/typed-whoami").json() == {"email": None}

    options = post_json(client, "/auth/passkey/authenticate/options", {"email": "ada@example.com"}).json()
    response = post_json(client, "/auth/passkey/authenticate/verify", authenticator.authenticate(options))
    assert response.status_code == 200
    assert response.cookies["kavach_session"].value  # the test client keeps it
    assert client.get("/whoami").json() == {"email": "ada@example.com"}
    assert client.get("/typed-whoami").json() == {"email": "ada@example.com"}
    credentials = client.get("/auth/passkey/credentials").json()["credentials"]
    assert [credential["id"] for credential in credentials] == [authenticator.id]


@pytest.mark.usefixtures("fresh")
def test_only_kavach_routes_are_exempt_from_csrf() -> None:
    client = Client(enforce_csrf_checks=True)
    # A host view keeps Django's protection: a POST without a CSRF token fails.
    assert client.post("/host-form", {"x": "1"}).status_code == 403
    # kavach's routes do not need a token: kavach checks Origin / Sec-Fetch-Site itself.
    assert post_json(client, "/auth/passkey/authenticate/options", {}).status_code == 200
    response = post_json(client, "/auth/passkey/authenticate/options", {}, HTTP_ORIGIN="https://evil.example")
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN_ORIGIN")
    response = post_json(client, "/auth/passkey/authenticate/options", {}, HTTP_SEC_FETCH_SITE="cross-site")
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN_ORIGIN")


@pytest.mark.usefixtures("fresh")
def test_the_url_include_works_too_and_is_csrf_exempt() -> None:
    with override_settings(
        ROOT_URLCONF=IncludedUrls, MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"]
    ):
        client = Client(enforce_csrf_checks=True)
        assert client.post("/host-form", {"x": "1"}).status_code == 403
        assert post_json(client, "/auth/passkey/authenticate/options", {}).status_code == 200
        response = client.get("/auth/session")
        assert (response.status_code, response.json()["code"]) == (401, "UNAUTHORIZED")
        sign_up(client)
        assert client.get("/auth/session").json()["user"]["email"] == "ada@example.com"


@pytest.mark.usefixtures("fresh")
def test_errors_have_the_core_shape() -> None:
    client = Client()
    response = client.get("/auth/session")
    assert response.status_code == 401
    assert response.json() == {"error": response.json()["error"], "code": "UNAUTHORIZED", "status": 401}
    response = client.get("/auth/nope")
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")
    response = client.post(
        "/auth/passkey/authenticate/verify", data=b"x" * (64 * 1024 + 1), content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")


@pytest.mark.usefixtures("fresh")
def test_set_cookie_leaves_django_exactly_as_the_core_wrote_it() -> None:
    """Through Django's real WSGI handler: the clearing cookie is not re-serialized (an empty
    value quoted, attributes reordered)."""
    from django.core.handlers.wsgi import WSGIHandler

    kavach = get_kavach()
    user = kavach.users.create("ada@example.com")
    token = kavach.sessions.create(user["id"])["token"]
    other = kavach.sessions.create(user["id"])["token"]
    expected = kavach.handle("POST", "/auth/sign-out", [("cookie", f"kavach_session={other}")]).header(
        "set-cookie"
    )
    captured: list[Any] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/auth/sign-out",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "HTTP_COOKIE": f"theme=dark, kavach_session={token}",  # two Cookie fields, as servers join them
        "REMOTE_ADDR": "127.0.0.1",
    }

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.extend([status, headers])

    body = b"".join(WSGIHandler()(environ, start_response))
    assert (captured[0], json.loads(body)) == ("200 OK", {"signedOut": True})
    cookies = [value.strip() for name, value in captured[1] if name.lower() == "set-cookie"]
    assert cookies == [expected]
    assert cookies[0].startswith("kavach_session=;")
    # No middleware after kavach's adds it: without it the server closes keep-alive connections.
    assert ("Content-Length", str(len(body))) in captured[1]


@pytest.mark.usefixtures("fresh")
def test_kavach_session_is_lazy_and_cached_per_request() -> None:
    from django.test import RequestFactory

    request = RequestFactory().get("/whoami")
    assert "_kavach_session" not in request.__dict__
    assert request.kavach_session is None  # type: ignore[attr-defined]
    assert request.__dict__["_kavach_session"] is None
    token = sign_up(Client())
    request = RequestFactory().get("/whoami", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert get_session(request)["user"]["email"] == "ada@example.com"  # type: ignore[index]


def test_missing_settings_is_a_clear_error() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(KAVACH=None), pytest.raises(ImproperlyConfigured, match=r"settings\.KAVACH"):
        get_kavach()


def test_a_kavach_instance_as_the_setting(tmp_path: Path) -> None:
    from kavach_passkeys import create_kavach

    instance = create_kavach(config())
    with override_settings(KAVACH=instance):
        assert get_kavach() is instance


def test_client_key_comes_from_remote_addr_through_trusted_proxies() -> None:
    options = config(rate_limit={"max": 1, "window": 60}, trusted_proxies=["10.0.0.0/8"])
    with override_settings(KAVACH=options):
        client = Client()

        def send(peer: str, forwarded_for: str) -> int:
            response = post_json(
                client,
                "/auth/passkey/authenticate/options",
                {},
                REMOTE_ADDR=peer,
                HTTP_X_FORWARDED_FOR=forwarded_for,
            )
            return int(response.status_code)

        assert [send("10.0.0.2", "203.0.113.1"), send("10.0.0.2", "203.0.113.2")] == [200, 200]
        assert send("10.0.0.2", "203.0.113.1") == 429
        assert [send("192.0.2.7", "198.51.100.1"), send("192.0.2.7", "198.51.100.2")] == [200, 429]


@pytest.mark.usefixtures("fresh")
def test_wrapping_the_wsgi_application_serves_the_same_routes() -> None:
    """The fastest mounting (docs/django.md): kavach's requests never enter Django, the host's
    views still see ``request.kavach_session`` and keep their CSRF check."""
    from django.core.handlers.wsgi import WSGIHandler

    application = get_kavach().wsgi(WSGIHandler())
    token = sign_up(Client())

    def call(method: str, path: str, cookie: str = "") -> tuple[str, bytes]:
        captured: list[str] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured.append(status)

        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "CONTENT_LENGTH": "2",
            "CONTENT_TYPE": "application/json",
            "wsgi.input": io.BytesIO(b"{}"),
            "wsgi.url_scheme": "http",
            "HTTP_COOKIE": cookie,
            "REMOTE_ADDR": "127.0.0.1",
        }
        body = b"".join(application(environ, start_response))
        return captured[0], body

    assert call("POST", "/auth/passkey/authenticate/options")[0] == "200 OK"
    assert json.loads(call("GET", "/whoami", f"kavach_session={token}")[1]) == {"email": "ada@example.com"}
    assert call("POST", "/host-form")[0].startswith("403")


def test_a_renewed_session_s_cookie_reaches_the_response(tmp_path: Path) -> None:
    options = config(
        database={"provider": "sqlite", "url": f"file:{tmp_path / 'kavach.db'}"},
        session={"max_age": 3600, "update_age": 1},
    )
    with override_settings(KAVACH=options):
        client = Client()
        sign_up(client)
        assert "kavach_session" not in client.get("/whoami").cookies, "before updateAge nothing moves"
        time.sleep(1.1)
        response = client.get("/whoami")
        assert response.json() == {"email": "ada@example.com"}
        refreshed = response.cookies["kavach_session"]
        assert refreshed.value and refreshed["max-age"] == "3600"
        assert "Max-Age=3600" in response.cookies.output()
        # What a view reads never holds the refreshed cookie (its token), only the response does.
        time.sleep(1.1)
        response = client.get("/session-keys")
        assert response.json() == {"keys": ["session", "user"]}
        assert response.cookies["kavach_session"].value
