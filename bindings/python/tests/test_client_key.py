"""The client key (the peer address the server saw) reaches the core's per-client rate limit:
from ``Kavach.handle(client=...)``, from ``scope["client"][0]`` in the ASGI adapter and in the
FastAPI router. Without a key a request is never rate-limited."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any, Optional, Union

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kavach_passkeys import Kavach, create_kavach

from conftest import ORIGIN, config

OPTIONS = "/auth/passkey/authenticate/options"


@pytest.fixture
def limited() -> Iterator[Kavach]:
    yield create_kavach(config(rate_limit={"max": 2, "window": 60}))


def test_handle_passes_the_client_key(limited: Kavach) -> None:
    def options(client: Optional[str]) -> int:
        return limited.handle("POST", OPTIONS, [("content-type", "application/json")], b"{}", client).status

    assert [options("198.51.100.7") for _ in range(2)] == [200, 200]
    response = limited.handle("POST", OPTIONS, body=b"{}", client="198.51.100.7")
    assert (response.status, response.json()["code"]) == (429, "RATE_LIMITED")
    assert response.header("retry-after") is not None
    assert options("198.51.100.8") == 200  # another client has its own budget
    assert [options(None) for _ in range(5)] == [200] * 5  # no key: never limited


@pytest.mark.anyio
async def test_asgi_adapter_passes_scope_client(limited: Kavach) -> None:
    async def statuses(client: tuple[str, int], count: int) -> list[int]:
        transport = httpx.ASGITransport(app=limited.asgi(), client=client)
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as http:
            return [(await http.post(OPTIONS, json={})).status_code for _ in range(count)]

    assert await statuses(("203.0.113.1", 5000), 3) == [200, 200, 429]
    # The key is the address, not the connection: another port of the same host shares it.
    assert await statuses(("203.0.113.1", 5001), 1) == [429]
    assert await statuses(("203.0.113.2", 5000), 2) == [200, 200]


@pytest.mark.anyio
async def test_asgi_adapter_without_scope_client_is_not_limited(limited: Kavach) -> None:
    app = limited.asgi()
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    for _ in range(4):
        scope: dict[str, Any] = {
            "type": "http",
            "method": "POST",
            "path": OPTIONS,
            "headers": [],
            "client": None,
        }
        await app(scope, receive, send)
    statuses = [message["status"] for message in sent if message["type"] == "http.response.start"]
    assert statuses == [200] * 4


def test_fastapi_router_passes_the_client(limited: Kavach) -> None:
    app = FastAPI()
    app.include_router(limited.fastapi_router())
    with TestClient(app) as client:  # scope["client"] is ("testclient", 50000)
        assert [client.post(OPTIONS, json={}).status_code for _ in range(3)] == [200, 200, 429]


def test_register_routes_are_limited_per_session_whatever_the_address(limited: Kavach) -> None:
    user = limited.users.create(email="mallory@example.com")
    cookie = limited.sessions.create(user["id"])["setCookie"].split(";")[0]

    def register_options(client: str) -> int:
        headers = [("content-type", "application/json"), ("cookie", cookie)]
        return limited.handle("POST", "/auth/passkey/register/options", headers, b"{}", client).status

    # A signed-in client cannot multiply its budget by changing address.
    assert [register_options(f"198.51.100.{i}") for i in range(3)] == [200, 200, 429]


def test_x_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    kavach = create_kavach(config(rate_limit={"max": 1, "window": 60}, trusted_proxies=["10.0.0.0/8"]))

    def send(peer: str, forwarded_for: str) -> int:
        headers = [("content-type", "application/json"), ("x-forwarded-for", forwarded_for)]
        return kavach.handle("POST", OPTIONS, headers, b"{}", peer).status

    # Behind the balancer each client keeps its own bucket; what a client prepends is ignored.
    assert [
        send("10.0.0.2", "203.0.113.1"),
        send("10.0.0.2", "203.0.113.2"),
        send("10.0.0.2", "203.0.113.1"),
        send("10.0.0.2", "198.51.100.9, 203.0.113.1"),
    ] == [200, 200, 429, 429]
    # A peer that is not a trusted proxy is the key, whatever it forwards.
    assert [send("192.0.2.7", "198.51.100.1"), send("192.0.2.7", "198.51.100.2")] == [200, 429]


def test_load_metadata_refuses_what_does_not_verify() -> None:
    from kavach_passkeys import KavachError

    kavach = create_kavach(config())
    blobs: list[Union[str, bytes]] = ["not a BLOB", b"eyJhbGciOiJFUzI1NiJ9.e30.AAAA"]
    for blob in blobs:
        with pytest.raises(KavachError) as caught:
            kavach.attestation.load_metadata(blob)
        assert caught.value.code == "INVALID_REQUEST"
