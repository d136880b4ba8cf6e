"""``kavach.asgi()``: the same forwarding as a raw ASGI app, alone or in front of another app."""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from kavach_passkeys import Kavach

from authenticator import SoftAuthenticator
from conftest import ORIGIN

pytestmark = pytest.mark.anyio


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello from the host app")


def client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN)  # type: ignore[arg-type]


async def test_serves_the_routes_and_sets_cookies(kavach: Kavach) -> None:
    user = kavach.users.create("ada@example.com")
    token = kavach.sessions.create(user["id"])["token"]
    authenticator = SoftAuthenticator(ORIGIN)
    async with client(kavach.asgi()) as http:
        http.cookies.set("kavach_session", token)
        options = (await http.post("/auth/passkey/register/options", json={})).json()
        response = await http.post("/auth/passkey/register/verify", json=authenticator.register(options))
        assert response.status_code == 200
        http.cookies.clear()
        options = (await http.post("/auth/passkey/authenticate/options", json={})).json()
        response = await http.post(
            "/auth/passkey/authenticate/verify", json=authenticator.authenticate(options)
        )
        assert response.status_code == 200
        assert response.headers["set-cookie"].startswith("kavach_session=")
        assert (await http.get("/auth/session")).json()["user"]["id"] == user["id"]
        response = await http.get("/elsewhere")
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")


async def test_the_query_string_reaches_the_core(kavach: Kavach) -> None:
    user = kavach.users.create("ada@example.com")
    token = kavach.sessions.create(user["id"])["token"]
    async with client(kavach.asgi()) as http:
        http.headers["authorization"] = f"Bearer {token}"
        everything = (await http.get("/auth/passkey/activity")).json()["events"]
        assert [e["type"] for e in everything] == ["session.created", "user.created"]
        first = (await http.get("/auth/passkey/activity", params={"limit": 1})).json()
        assert len(first["events"]) == 1 and first["nextCursor"]
        rest = await http.get("/auth/passkey/activity", params={"limit": 1, "before": first["nextCursor"]})
        assert first["events"] + rest.json()["events"] == everything
        response = await http.get("/auth/passkey/activity", params={"limit": 0})
        assert (response.status_code, response.json()["code"]) == (400, "INVALID_REQUEST")


async def test_reads_at_most_64_kib_plus_one_so_the_core_answers_413(kavach: Kavach) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 4096

    async with client(kavach.asgi()) as http:
        response = await http.post("/auth/passkey/authenticate/verify", content=chunks())
        assert (response.status_code, response.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
        response = await http.post("/auth/passkey/authenticate/verify", content=b"{" * (64 * 1024))
        assert (response.status_code, response.json()["code"]) == (400, "INVALID_REQUEST")


async def test_passes_other_paths_to_the_app_behind_it(kavach: Kavach) -> None:
    inner = Starlette(routes=[Route("/hello", hello)])
    async with client(kavach.asgi(inner)) as http:
        assert (await http.get("/hello")).text == "hello from the host app"
        assert (await http.get("/auth/session")).status_code == 401
        assert (await http.get("/nope")).status_code == 404


async def test_works_mounted_in_starlette(kavach: Kavach) -> None:
    app = Starlette(routes=[Mount("/auth", app=kavach.asgi()), Route("/hello", hello)])
    async with client(app) as http:
        response = await http.get("/auth/session")
        assert (response.status_code, response.json()["code"]) == (401, "UNAUTHORIZED")
        assert (await http.get("/hello")).status_code == 200


async def test_request_path_accepts_both_root_path_conventions() -> None:
    from kavach_passkeys._asgi import request_path

    assert request_path({"path": "/auth/session", "root_path": ""}) == "/auth/session"
    assert request_path({"path": "/auth/session", "root_path": "/auth"}) == "/auth/session"
    assert request_path({"path": "/session", "root_path": "/auth"}) == "/auth/session"


async def test_answers_the_lifespan_protocol_alone(kavach: Kavach) -> None:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await kavach.asgi()({"type": "lifespan"}, receive, send)
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
