"""The adapters run every request off the event loop, on native worker threads whose answers
the loop collects itself (``kavach_passkeys._offload``): many requests in flight each get their own
answer, a cancelled one does not disturb the others, the loop keeps running meanwhile, and a
loop that cannot watch a file descriptor falls back to ``run_in_executor``."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Optional

import pytest

from kavach_passkeys import Kavach, _offload
from kavach_passkeys._offload import Runner

pytestmark = pytest.mark.anyio

SESSION = "/auth/session"


def sessions(kavach: Kavach, count: int) -> list[tuple[str, str]]:
    out = []
    for i in range(count):
        user = kavach.users.create(f"user{i}@example.com")
        out.append((user["id"], kavach.sessions.create(user["id"])["token"]))
    return out


async def whoami(runner: Runner, token: Optional[str]) -> tuple[int, Any]:
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    status, response_headers, body = await runner.handle_asgi("GET", SESSION, headers, b"", None)
    assert (b"content-length", str(len(body)).encode()) in response_headers
    return status, json.loads(body)


async def test_concurrent_requests_each_get_their_own_answer(kavach: Kavach) -> None:
    users = sessions(kavach, 8)
    runner = Runner(kavach)
    picks = [users[i % len(users)] for i in range(300)]
    answers = await asyncio.gather(*(whoami(runner, token) for _, token in picks))
    assert [(status, body["user"]["id"]) for status, body in answers] == [(200, uid) for uid, _ in picks]
    status, body = await whoami(runner, None)
    assert (status, body["code"]) == (401, "UNAUTHORIZED")


async def test_a_cancelled_request_does_not_disturb_the_next(kavach: Kavach) -> None:
    [(user_id, token)] = sessions(kavach, 1)
    runner = Runner(kavach)
    abandoned = asyncio.ensure_future(whoami(runner, token))
    await asyncio.sleep(0)
    abandoned.cancel()
    status, body = await whoami(runner, token)
    assert (status, body["user"]["id"]) == (200, user_id)
    assert abandoned.cancelled()


async def test_the_event_loop_keeps_running_while_requests_work(kavach: Kavach) -> None:
    [(_, token)] = sessions(kavach, 1)
    runner = Runner(kavach)
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0)

    tick = asyncio.ensure_future(ticker())
    started = time.perf_counter()
    for _ in range(200):
        await whoami(runner, token)
    done = True
    await tick
    # Each request yielded to the loop while a worker ran it: the ticker ran in between.
    assert ticks >= 200, (ticks, time.perf_counter() - started)


async def test_falls_back_to_run_in_executor_without_add_reader(
    kavach: Kavach, monkeypatch: pytest.MonkeyPatch
) -> None:
    class NoReaderLoop:
        def add_reader(self, fd: int, callback: Any) -> None:
            raise NotImplementedError

    assert _offload._waiter(NoReaderLoop()) is None  # type: ignore[arg-type]
    monkeypatch.setattr(_offload, "_waiter", lambda loop: None)
    [(user_id, token)] = sessions(kavach, 1)
    status, body = await whoami(Runner(kavach), token)
    assert (status, body["user"]["id"]) == (200, user_id)
