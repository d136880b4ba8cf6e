"""The FastAPI adapter: the routes under basePath, as plain ASGI routes served by
:class:`~kavachos._asgi.KavachASGI` (method, path, headers, client address and at most 64 KiB + 1
body bytes to the core router; its status, headers, cookies and body back); and the
``current_session`` dependency, which asks the core's ``GET /session`` route. No route, status
code or message is decided here.

Why plain ASGI routes rather than a FastAPI path operation: the core parses and answers
everything itself, so FastAPI's per-request machinery (dependency solving, ``Request`` and
``Response`` objects) would only add cost: about 35 us of CPU per request in the sign-in
benchmark, nearly the core's whole work for an options request (about 40 us). The app's
middleware still wraps these routes; dependencies passed to ``include_router`` do not run for
them (they would have nothing to inject into): use middleware for cross-cutting checks."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, cast

from fastapi import APIRouter, HTTPException
from starlette.requests import Request
from starlette.routing import Route

from ._asgi import KavachASGI, client_key
from ._offload import Runner
from .types import CurrentSession

if TYPE_CHECKING:
    from ._kavach import Kavach

__all__ = ["router", "session_dependency"]


def router(kavach: Kavach) -> APIRouter:
    """``kavach.fastapi_router()``. Every method reaches the core, which answers 405 with
    ``Allow`` for the wrong ones."""
    app = KavachASGI(kavach)
    api = APIRouter()
    base = kavach.base_path
    for path in (base, base + "/{path:path}"):
        # An endpoint that is not a function is an ASGI app to Starlette; no `methods`: all.
        api.routes.append(Route(path, endpoint=app, include_in_schema=False, name="kavach"))
    return api


def session_dependency(kavach: Kavach) -> Callable[[Request], Awaitable[CurrentSession]]:
    """``kavach.current_session``."""
    session_path = kavach.base_path + "/session"
    runner = Runner(kavach)

    async def current_session(request: Request) -> CurrentSession:
        headers = [
            (name, value) for name, value in request.scope["headers"] if name in (b"authorization", b"cookie")
        ]
        status, _, body = await runner.handle_asgi(
            "GET", session_path, headers, b"", client_key(request.scope)
        )
        if status != 200:
            raise HTTPException(status_code=status, detail=json.loads(body))
        return cast(CurrentSession, json.loads(body))

    return current_session
