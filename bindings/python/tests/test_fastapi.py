"""The FastAPI router forwards every request under basePath to the core router and writes its
answer back (status, headers, cookies, body); ``current_session`` asks the core. Every test
runs twice: kavach mounted with ``include_router(kavach.fastapi_router())`` and as ASGI
middleware with ``add_middleware(kavach.asgi)``."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from kavach_passkeys import CurrentSession, Kavach, create_kavach

from authenticator import SoftAuthenticator
from conftest import ORIGIN, config


@pytest.fixture(params=["router", "middleware"])
def app(kavach: Kavach, request: pytest.FixtureRequest) -> FastAPI:
    app = FastAPI()
    if request.param == "router":
        app.include_router(kavach.fastapi_router())
    else:
        app.add_middleware(kavach.asgi)
    kavach.add_exception_handlers(app)

    @app.post("/signup")
    def signup(email: str) -> dict[str, str]:
        user = kavach.users.create(email)
        return {"token": kavach.sessions.create(user["id"])["token"]}

    @app.get("/me")
    def me(session: Annotated[CurrentSession, Depends(kavach.current_session)]) -> CurrentSession:
        return session

    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def sign_up(client: TestClient, email: str = "ada@example.com") -> str:
    token: str = client.post("/signup", params={"email": email}).json()["token"]
    client.cookies.set("kavach_session", token)
    return token


def test_full_ceremony_over_http_with_cookies(client: TestClient) -> None:
    sign_up(client)
    authenticator = SoftAuthenticator(ORIGIN)
    options = client.post("/auth/passkey/register/options", json={}).json()
    response = client.post("/auth/passkey/register/verify", json=authenticator.register(options))
    assert response.status_code == 200
    assert response.json()["verified"] is True

    response = client.post("/auth/sign-out")
    assert response.status_code == 200
    assert response.json() == {"signedOut": True}
    assert "Max-Age=0" in response.headers["set-cookie"]
    client.cookies.clear()
    assert client.get("/auth/session").status_code == 401

    options = client.post("/auth/passkey/authenticate/options", json={"email": "ada@example.com"}).json()
    response = client.post("/auth/passkey/authenticate/verify", json=authenticator.authenticate(options))
    assert response.status_code == 200
    assert set(response.json()) == {"userId", "sessionId"}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("kavach_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["cache-control"] == "no-store"

    session = client.get("/auth/session").json()
    assert session["user"]["email"] == "ada@example.com"
    credentials = client.get("/auth/passkey/credentials").json()["credentials"]
    assert [c["id"] for c in credentials] == [authenticator.id]
    response = client.patch(f"/auth/passkey/credentials/{authenticator.id}", json={"name": "Phone"})
    assert response.json()["credential"]["name"] == "Phone"
    response = client.delete(f"/auth/passkey/credentials/{authenticator.id}")
    assert (response.status_code, response.json()["code"]) == (409, "LAST_CREDENTIAL")


def test_current_session_dependency(client: TestClient) -> None:
    response = client.get("/me")
    assert response.status_code == 401
    # The same body as the routes' own 401 (GET /auth/session), not FastAPI's {"detail": ...}.
    unauthorized = {"error": "sign in first: no valid session", "code": "UNAUTHORIZED", "status": 401}
    assert response.json() == unauthorized
    assert response.json() == client.get("/auth/session").json()
    assert response.headers["cache-control"] == "no-store"
    token = sign_up(client)
    assert client.get("/me").json()["user"]["email"] == "ada@example.com"
    client.cookies.clear()
    response = client.get("/me", headers={"authorization": f"Bearer {token}"})
    assert response.json()["user"]["email"] == "ada@example.com"


def test_errors_status_codes_and_limits_come_from_the_core(client: TestClient) -> None:
    response = client.get("/auth/passkey/register/options")
    assert (response.status_code, response.json()["code"]) == (405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"
    response = client.get("/auth/no-such-route")
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")
    response = client.get("/auth")
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")
    response = client.post(
        "/auth/passkey/authenticate/options", json={}, headers={"origin": "https://evil.example"}
    )
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN_ORIGIN")
    response = client.post("/auth/passkey/authenticate/options", json={}, headers={"origin": ORIGIN})
    assert response.status_code == 200
    response = client.post("/auth/passkey/authenticate/verify", content=b"x" * (65 * 1024))
    assert (response.status_code, response.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
    response = client.post("/auth/passkey/authenticate/verify", content=b"{not json")
    assert response.json() == {"error": "body is not valid JSON", "code": "INVALID_REQUEST", "status": 400}
    assert client.get("/me").status_code == 401


def test_router_honours_a_custom_base_path() -> None:
    from kavach_passkeys import create_kavach

    from conftest import config

    kavach = create_kavach(config(base_path="/api/kavach"))
    app = FastAPI()
    app.include_router(kavach.fastapi_router())
    with TestClient(app) as client:
        assert client.get("/api/kavach/session").status_code == 401
        assert client.get("/auth/session").status_code == 404


def test_host_routes_raise_kavach_errors_answered_as_the_routes_answer(client: TestClient) -> None:
    sign_up(client, "taken@example.com")
    response = client.post("/signup", params={"email": "TAKEN@example.com"})
    assert response.status_code == 409
    assert response.json() == {"error": response.json()["error"], "code": "USER_EXISTS", "status": 409}


def test_without_the_handlers_the_dependency_still_answers_401(kavach: Kavach) -> None:
    app = FastAPI()

    @app.get("/me")
    def me(session: Annotated[CurrentSession, Depends(kavach.current_session)]) -> CurrentSession:
        return session

    with TestClient(app) as client:
        response = client.get("/me")
    assert response.status_code == 401
    unauthorized = {"error": "sign in first: no valid session", "code": "UNAUTHORIZED", "status": 401}
    assert response.json() == {"detail": unauthorized}


def test_a_renewed_session_s_cookie_reaches_the_response(tmp_path: Path) -> None:
    kavach = create_kavach(
        config(
            database={"provider": "sqlite", "url": f"file:{tmp_path / 'kavach.db'}"},
            session={"max_age": 3600, "update_age": 1},
        )
    )
    app = FastAPI()
    kavach.add_exception_handlers(app)

    @app.get("/me")
    def me(session: Annotated[CurrentSession, Depends(kavach.current_session)]) -> dict[str, str]:
        return {"email": session["user"]["email"]}

    with TestClient(app) as client:
        user = kavach.users.create("ada@example.com")
        token = kavach.sessions.create(user["id"])["token"]
        client.cookies.set("kavach_session", token)
        assert "set-cookie" not in client.get("/me").headers, "before updateAge nothing moves"
        time.sleep(1.1)
        response = client.get("/me")
        assert response.json() == {"email": "ada@example.com"}
        refreshed = response.headers["set-cookie"]
        assert refreshed.startswith(f"kavach_session={token};") and "Max-Age=3600" in refreshed
