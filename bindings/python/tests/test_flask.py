"""The Flask extension: ``Kavach(app)`` / ``init_app`` serve kavach's routes through the core,
``current_session()`` is the request's session or ``None``, ``session_required`` answers 401 in the
router's shape."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kavach_passkeys import create_kavach
from kavach_passkeys.flask import Kavach, current_kavach, current_session, session_required

from authenticator import SoftAuthenticator
from conftest import ORIGIN, config


def make_app(options: dict[str, Any], *, factory: bool = False) -> Flask:
    app = Flask(__name__)
    app.config["KAVACH"] = options
    if factory:
        extension = Kavach()
        extension.init_app(app)
    else:
        Kavach(app)

    @app.post("/signup")
    def signup() -> Any:
        kavach = current_kavach()
        user = kavach.users.create(str((json.loads(app_request_body()) or {})["email"]))
        session = kavach.sessions.create(user["id"])
        return {"user": user}, 200, {"set-cookie": session["setCookie"]}

    @app.get("/whoami")
    def whoami() -> Any:
        session = current_session()
        return {"email": None if session is None else session["user"]["email"]}

    @app.get("/session-keys")
    def session_keys() -> Any:
        session = current_session()
        return {"keys": None if session is None else sorted(session)}

    @app.get("/account")
    @session_required
    def account() -> Any:
        session = current_session()
        assert session is not None
        return {"id": session["user"]["id"]}

    return app


def app_request_body() -> bytes:
    from flask import request

    return request.get_data()


@pytest.fixture(params=["Kavach(app)", "init_app"])
def client(tmp_path: Path, request: pytest.FixtureRequest) -> FlaskClient:
    options = config(database={"provider": "sqlite", "url": f"file:{tmp_path / 'kavach.db'}"})
    return make_app(options, factory=request.param == "init_app").test_client()


def test_a_real_ceremony_through_flask(client: FlaskClient) -> None:
    assert client.get("/whoami").json == {"email": None}
    response = client.post("/signup", json={"email": "ada@example.com"})
    assert response.status_code == 200
    assert client.get("/whoami").json == {"email": "ada@example.com"}
    authenticator = SoftAuthenticator(ORIGIN)
    options = client.post("/auth/passkey/register/options", json={}).json
    response = client.post("/auth/passkey/register/verify", json=authenticator.register(options or {}))
    assert (response.status_code, (response.json or {})["verified"]) == (200, True)

    response = client.post("/auth/sign-out")
    assert response.json == {"signedOut": True}
    assert response.headers.getlist("set-cookie")[0].startswith("kavach_session=;")
    assert client.get("/whoami").json == {"email": None}

    options = client.post("/auth/passkey/authenticate/options", json={}).json
    response = client.post(
        "/auth/passkey/authenticate/verify", json=authenticator.authenticate(options or {})
    )
    assert response.status_code == 200
    assert response.headers["set-cookie"].startswith("kavach_session=")
    assert client.get("/whoami").json == {"email": "ada@example.com"}
    assert client.get("/account").status_code == 200


def test_session_required_answers_401_in_the_router_shape(client: FlaskClient) -> None:
    response = client.get("/account")
    assert response.status_code == 401
    assert response.json == {"error": (response.json or {})["error"], "code": "UNAUTHORIZED", "status": 401}
    assert response.headers["cache-control"] == "no-store"


def test_errors_and_body_limit_come_from_the_core(client: FlaskClient) -> None:
    response = client.get("/auth/session")
    assert (response.status_code, response.json) == (
        401,
        {"error": (response.json or {})["error"], "code": "UNAUTHORIZED", "status": 401},
    )
    response = client.post("/auth/passkey/authenticate/verify", data=b"x" * (64 * 1024 + 1))
    assert (response.status_code, (response.json or {})["code"]) == (413, "PAYLOAD_TOO_LARGE")
    response = client.post(
        "/auth/passkey/authenticate/options", json={}, headers={"origin": "https://evil.example"}
    )
    assert (response.status_code, (response.json or {})["code"]) == (403, "FORBIDDEN_ORIGIN")
    assert client.get("/not-kavach").status_code == 404  # Flask's own 404


def test_kavach_routes_skip_before_request_hooks(tmp_path: Path) -> None:
    """A CSRF extension's hook (Flask-WTF's CSRFProtect runs in before_request) never sees
    kavach's routes; every other route still goes through it."""
    app = make_app(config())
    refused: list[str] = []

    @app.before_request
    def csrf_like() -> Any:
        from flask import request

        if request.method == "POST":
            refused.append(request.path)
            return {"error": "csrf token missing"}, 400
        return None

    client = app.test_client()
    assert client.post("/signup", json={"email": "x@example.com"}).status_code == 400
    assert client.post("/auth/passkey/authenticate/options", json={}).status_code == 200
    assert refused == ["/signup"]


def test_a_given_instance_and_a_missing_config() -> None:
    instance = create_kavach(config())
    app = Flask(__name__)
    extension = Kavach(app, kavach=instance)
    assert extension.kavach is instance
    with app.app_context():
        assert current_kavach() is instance
    with pytest.raises(RuntimeError, match="KAVACH"):
        Kavach(Flask(__name__))


def test_current_session_reads_every_cookie_field_and_bearer(tmp_path: Path) -> None:
    app = make_app(config())
    client = app.test_client(use_cookies=False)  # its jar would replace HTTP_COOKIE
    with app.app_context():
        kavach = current_kavach()
        user = kavach.users.create("ada@example.com")
        token = kavach.sessions.create(user["id"])["token"]
    # Two Cookie fields as WSGI servers deliver them (joined with a comma; the test client cannot
    # send two fields).
    response = client.get("/whoami", environ_overrides={"HTTP_COOKIE": f"theme=dark, kavach_session={token}"})
    assert response.json == {"email": "ada@example.com"}
    assert client.get("/whoami", headers={"authorization": f"Bearer {token}"}).json == {
        "email": "ada@example.com"
    }


def test_client_key_comes_from_remote_addr_through_trusted_proxies() -> None:
    app = make_app(config(rate_limit={"max": 1, "window": 60}, trusted_proxies=["10.0.0.0/8"]))
    client = app.test_client()

    def send(peer: str, forwarded_for: str) -> int:
        return client.post(
            "/auth/passkey/authenticate/options",
            json={},
            headers={"x-forwarded-for": forwarded_for},
            environ_base={"REMOTE_ADDR": peer},
        ).status_code

    assert [send("10.0.0.2", "203.0.113.1"), send("10.0.0.2", "203.0.113.2")] == [200, 200]
    assert send("10.0.0.9", "203.0.113.1") == 429
    assert [send("192.0.2.7", "198.51.100.1"), send("192.0.2.7", "198.51.100.2")] == [200, 429]


def test_a_renewed_session_s_cookie_reaches_the_response(tmp_path: Path) -> None:
    options = config(
        database={"provider": "sqlite", "url": f"file:{tmp_path / 'kavach.db'}"},
        session={"max_age": 3600, "update_age": 1},
    )
    client = make_app(options).test_client()
    response = client.post("/signup", json={"email": "ada@example.com"})
    first = response.headers["set-cookie"]
    assert "set-cookie" not in client.get("/whoami").headers, "before updateAge nothing moves"
    time.sleep(1.1)
    response = client.get("/whoami")
    assert response.json == {"email": "ada@example.com"}
    refreshed = response.headers.getlist("set-cookie")
    assert (
        len(refreshed) == 1 and refreshed[0].startswith("kavach_session=") and "Max-Age=3600" in refreshed[0]
    )
    assert refreshed[0].split(";")[0] == first.split(";")[0], "the same token, a later expiry"
    # What a view reads never holds the refreshed cookie (its token), only the response does.
    time.sleep(1.1)
    response = client.get("/session-keys")
    assert response.json == {"keys": ["session", "user"]}
    assert len(response.headers.getlist("set-cookie")) == 1
