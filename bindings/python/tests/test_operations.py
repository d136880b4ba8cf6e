"""Operations (DESIGN §10) through the Python binding: events to a plain or ``async def``
handler, metrics parsed with the Prometheus project's own parser, the log hook, host user
management and the activity list. Real signatures from the software authenticator."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from kavach_passkeys import (
    Event,
    Kavach,
    NotFoundError,
    UnauthorizedError,
    clear_log_hook,
    create_kavach,
    create_kavach_async,
    flush_log,
    set_log_hook,
)
from kavach_passkeys.errors import ConfigError, InvalidRequestError

from authenticator import SoftAuthenticator
from conftest import ORIGIN, SignedUp, config


def database(tmp_path: Path) -> dict[str, str]:
    return {"provider": "sqlite", "url": f"file:{tmp_path / 'kavach.db'}"}


def sign_in(kavach: Kavach, user: SignedUp) -> str:
    options = kavach.authenticate_options(user.user["email"])
    token: str = kavach.authenticate_verify(user.authenticator.authenticate(options))["token"]
    return token


def test_events_arrive_in_order_without_a_token(tmp_path: Path) -> None:
    seen: list[Event] = []
    threads: set[str] = set()

    def on_event(event: Event) -> None:
        threads.add(threading.current_thread().name)
        seen.append(event)

    kavach = create_kavach(config(database=database(tmp_path)), on_event=on_event)
    user = SignedUp(kavach)
    token = sign_in(kavach, user)
    credential_id = user.credential["id"]
    kavach.rename_credential(token, credential_id, "Laptop")
    kavach.users.set_has_other_sign_in(user.user["id"], True)
    kavach.delete_credential(token, credential_id)
    assert kavach.flush_events(5)

    assert [event["type"] for event in seen] == [
        "user.created",
        "session.created",
        "passkey.registered",
        "signin.succeeded",
        "session.created",
        "passkey.renamed",
        "passkey.deleted",
    ]
    assert all(event["userId"] == user.user["id"] for event in seen)
    assert seen[2]["credentialId"] == credential_id and seen[-1]["credentialId"] == credential_id
    assert all(event["at"].endswith("Z") for event in seen)
    text = json.dumps(seen)
    assert user.token not in text and token not in text, "never a token"
    assert threading.main_thread().name not in threads, "on kavach's thread, not the request's"
    assert kavach.close()


def test_a_raising_handler_never_breaks_a_sign_in_and_is_reported(tmp_path: Path) -> None:
    lines: list[str] = []
    calls: list[str] = []

    def on_event(event: Event) -> None:
        calls.append(event["type"])
        raise RuntimeError("the handler is broken")

    set_log_hook(lines.append)
    try:
        kavach = create_kavach(config(database=database(tmp_path)), on_event=on_event)
        user = SignedUp(kavach)
        token = sign_in(kavach, user)
        current = kavach.sessions.get(token)
        assert current is not None and current["user"]["id"] == user.user["id"]
        assert kavach.close()
        assert flush_log(5)
    finally:
        clear_log_hook()
    assert calls == [
        "user.created",
        "session.created",
        "passkey.registered",
        "signin.succeeded",
        "session.created",
    ]
    reports = [json.loads(line) for line in lines if '"event_handler"' in line]
    assert len(reports) == len(calls), "one line per failure, and the next event still delivered"
    assert reports[0]["level"] == "error" and reports[0]["type"] == "user.created"
    assert "RuntimeError: the handler is broken" in reports[0]["message"]


@pytest.mark.anyio
async def test_an_async_handler_runs_on_the_loop_it_was_created_on(tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    seen: list[tuple[str, bool]] = []

    async def on_event(event: Event) -> None:
        await asyncio.sleep(0)
        seen.append((event["type"], asyncio.get_running_loop() is loop))

    kavach = await create_kavach_async(config(database=database(tmp_path)), on_event=on_event)
    user = await kavach.users.create_async("async@example.com")
    await kavach.sessions.create_async(user["id"])
    assert await kavach.aclose(), "close delivers what is pending and awaits the coroutines"
    assert seen == [("user.created", True), ("session.created", True)]


def test_an_async_handler_runs_on_the_loop_of_the_asgi_app(tmp_path: Path) -> None:
    seen: list[tuple[str, bool]] = []
    loops: list[asyncio.AbstractEventLoop] = []

    async def on_event(event: Event) -> None:
        seen.append((event["type"], asyncio.get_running_loop() is loops[0]))

    kavach = create_kavach(config(database=database(tmp_path)), on_event=on_event)  # no loop yet

    async def serve() -> None:
        loops.append(asyncio.get_running_loop())
        app = kavach.asgi()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as http:
            assert (await http.get("/auth/session")).status_code == 401  # binds this loop
            await kavach.users.create_async("asgi@example.com")
            assert await kavach.aclose()

    asyncio.run(serve())
    assert seen == [("user.created", True)]


def test_an_async_handler_without_a_loop_still_runs(tmp_path: Path) -> None:
    seen: list[str] = []

    async def on_event(event: Event) -> None:
        await asyncio.sleep(0)
        seen.append(event["type"])

    kavach = create_kavach(config(database=database(tmp_path)), on_event=on_event)
    kavach.users.create("noloop@example.com")
    assert kavach.close()
    assert seen == ["user.created"]


def test_close_delivers_the_pending_events_to_a_stuck_handler(tmp_path: Path) -> None:
    seen: list[str] = []
    gate = threading.Event()

    def on_event(event: Event) -> None:
        gate.wait(10)  # stuck until every operation below has returned
        seen.append(event["type"])

    kavach = create_kavach(config(database=database(tmp_path)), on_event=on_event)
    for n in range(10):
        kavach.users.create(f"slow{n}@example.com")  # never waits for the handler
    assert seen == []
    gate.set()
    assert kavach.close()
    assert seen == ["user.created"] * 10


def test_on_event_may_sit_in_the_options_mapping(tmp_path: Path) -> None:
    seen: list[str] = []
    kavach = create_kavach(
        {**config(database=database(tmp_path)), "on_event": lambda e: seen.append(e["type"])}
    )
    kavach.users.create("mapping@example.com")
    assert kavach.close() and seen == ["user.created"]


def test_one_event_handler_per_instance(tmp_path: Path) -> None:
    kavach = create_kavach(config(database=database(tmp_path)), on_event=print)
    with pytest.raises(ConfigError):
        kavach._native.set_event_handler(print)
    with pytest.raises(TypeError):
        create_kavach(config(), on_event="not a function")  # type: ignore[arg-type]


def families(kavach: Kavach) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(kavach.metrics())}


def sample(kavach: Kavach, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(kavach.metrics()):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return 0.0


def test_metrics_parse_and_count_the_requests_made(signed_up: SignedUp, kavach: Kavach) -> None:
    for _ in range(3):
        options = kavach.handle("POST", "/auth/passkey/authenticate/options", [], b"{}").json()
        answer = signed_up.authenticator.authenticate(options)
        assert (
            kavach.handle("POST", "/auth/passkey/authenticate/verify", [], json.dumps(answer).encode()).status
            == 200
        )
    bearer = [("authorization", f"Bearer {signed_up.token}")]
    missing = kavach.handle("DELETE", "/auth/passkey/credentials/AAAA", bearer)
    assert missing.status == 404
    assert kavach.handle("GET", "/auth/nope/12345").status == 404

    parsed = families(kavach)
    assert parsed["kavach_http_requests"].type == "counter"
    assert parsed["kavach_http_request_duration_seconds"].type == "histogram"

    def requests(route: str, method: str, status: str) -> float:
        return sample(kavach, "kavach_http_requests_total", route=route, method=method, status=status)

    assert requests("/passkey/authenticate/options", "POST", "200") == 3
    assert requests("/passkey/authenticate/verify", "POST", "200") == 3
    assert requests("/passkey/credentials/:id", "DELETE", "404") == 1, "a route template, never the id"
    assert requests("unmatched", "GET", "404") == 1
    routes = {s.labels.get("route") for family in parsed.values() for s in family.samples}
    assert not any(route and ("AAAA" in route or "nope" in route) for route in routes)
    verify = {"route": "/passkey/authenticate/verify", "method": "POST"}
    assert sample(kavach, "kavach_http_request_duration_seconds_count", **verify) == 3
    assert sample(kavach, "kavach_events_total", type="signin.succeeded", code="") == 3
    assert sample(kavach, "kavach_events_total", type="passkey.registered", code="") == 1
    assert sample(kavach, "kavach_events_total", type="user.created", code="") == 1


def test_a_refusal_reaches_the_log_hook_as_a_json_line(kavach: Kavach, signed_up: SignedUp) -> None:
    lines: list[str] = []
    set_log_hook(lines.append)
    try:
        foreign = [("origin", "https://evil.example"), ("authorization", f"Bearer {signed_up.token}")]
        assert (
            kavach.handle("POST", "/auth/passkey/register/options", foreign, b"{}", "203.0.113.7").status
            == 403
        )
        assert flush_log(5)
    finally:
        clear_log_hook()
    refusals = [json.loads(line) for line in lines if json.loads(line)["kind"] == "refusal"]
    assert len(refusals) == 1, lines
    refusal = refusals[0]
    assert (refusal["level"], refusal["code"], refusal["status"], refusal["route"], refusal["client"]) == (
        "warn",
        "FORBIDDEN_ORIGIN",
        403,
        "/passkey/register/options",
        "203.0.113.7",
    )
    assert signed_up.token not in "".join(lines)


def test_the_host_manages_users_and_delete_erases_them(kavach: Kavach, signed_up: SignedUp) -> None:
    users = kavach.users
    user_id = signed_up.user["id"]
    other = users.create("grace@example.com", "Grace")
    token = sign_in(kavach, signed_up)

    updated = users.update(user_id, email="Ada@Example.org", name="Ada L.")
    assert (updated["email"], updated["name"]) == ("Ada@Example.org", "Ada L.")
    assert users.update(user_id, email="ada@example.net")["name"] == "Ada L.", "name not given: kept"
    assert users.update(user_id, name=None)["name"] is None, "name=None: cleared"
    with pytest.raises(InvalidRequestError):
        users.update(user_id, email="not an email")
    with pytest.raises(NotFoundError) as unknown:
        users.update("nobody", name="x")
    assert unknown.value.code == "USER_NOT_FOUND"

    assert len(users.list_sessions(user_id)) == 2
    credentials = users.list_credentials(user_id)
    assert [c["id"] for c in credentials] == [signed_up.credential["id"]]
    assert users.revoke_sessions(user_id) == 2
    assert kavach.sessions.get(token) is None
    users.revoke_credential(user_id, credentials[0]["id"])
    assert users.list_credentials(user_id) == [], "an admin may remove the last one"
    with pytest.raises(NotFoundError) as gone:
        users.revoke_credential(user_id, credentials[0]["id"])
    assert gone.value.code == "CREDENTIAL_NOT_FOUND"
    history = users.activity(user_id)
    assert [e["type"] for e in history["events"][:2]] == ["passkey.deleted", "session.revoked"]
    assert history["events"][1].get("count") == 2

    session = kavach.sessions.create(user_id)
    users.delete(user_id)
    assert users.get(user_id) is None
    assert kavach.sessions.get(session["token"]) is None
    assert users.activity(user_id)["events"] == [], "their audit rows went with them"
    with pytest.raises(NotFoundError):
        users.delete(user_id)
    assert users.get(other["id"]) is not None, "nobody else's"


def test_activity_pages_by_cursor(kavach: Kavach, signed_up: SignedUp) -> None:
    for _ in range(3):
        sign_in(kavach, signed_up)
    everything = kavach.activity(signed_up.token, limit=200)
    types = [e["type"] for e in everything["events"]]
    assert everything["nextCursor"] is None
    assert types[0] == "signin.succeeded" and types[-1] == "user.created"

    paged: list[str] = []
    before = None
    while True:
        page = kavach.activity(signed_up.token, before=before, limit=2)
        assert len(page["events"]) <= 2
        paged += [e["type"] for e in page["events"]]
        before = page["nextCursor"]
        if before is None:
            break
    assert paged == types
    assert kavach.users.activity(signed_up.user["id"], limit=200) == everything
    for bad in (0, 201, -1, 2**40):
        with pytest.raises(InvalidRequestError):
            kavach.activity(signed_up.token, limit=bad)
    with pytest.raises(InvalidRequestError):
        kavach.activity(signed_up.token, before="not-a-cursor")
    with pytest.raises(UnauthorizedError):
        kavach.activity("nope")


@pytest.mark.anyio
async def test_the_async_twins(kavach: Kavach, signed_up: SignedUp) -> None:
    user_id = signed_up.user["id"]
    assert (await kavach.users.update_async(user_id, name="A"))["name"] == "A"
    assert len(await kavach.users.list_credentials_async(user_id)) == 1
    assert len(await kavach.users.list_sessions_async(user_id)) == 1
    assert (await kavach.activity_async(signed_up.token, limit=1))["nextCursor"] is not None
    assert (await kavach.users.activity_async(user_id))["events"]
    assert await kavach.users.revoke_sessions_async(user_id) == 1
    await kavach.users.revoke_credential_async(user_id, signed_up.credential["id"])
    await kavach.users.delete_async(user_id)
    assert await kavach.users.get_async(user_id) is None
    assert await kavach.flush_events_async(1)
    assert SoftAuthenticator(ORIGIN).id
