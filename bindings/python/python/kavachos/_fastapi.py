"""The FastAPI adapter: one catch-all route under basePath that forwards method, path, headers
and at most 64 KiB + 1 body bytes to the core router and writes its status, headers (cookies
included) and body into FastAPI's response; and the ``current_session`` dependency, which asks
the core's ``GET /session`` route. No route, status code or message is decided here."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Callable, cast

from fastapi import APIRouter, HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ._asgi import read_limited, request_path
from .types import CurrentSession

if TYPE_CHECKING:
    from ._kavach import Kavach

__all__ = ["router", "session_dependency"]

# Every method reaches the core, which answers 405 with `Allow` for the wrong ones.
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def router(kavach: Kavach) -> APIRouter:
    """``kavach.fastapi_router()``."""

    async def kavach_routes(request: Request) -> Response:
        body = await read_limited(request.receive)
        if body is None:  # the client went away
            return Response(status_code=499)
        path = request_path(request.scope)
        answer = await kavach.handle_async(request.method, path, request.headers.items(), body)
        response = Response(content=answer.body, status_code=answer.status)
        for name, value in answer.headers:
            response.headers.append(name, value)  # append: Set-Cookie may repeat
        return response

    api = APIRouter()
    base = kavach.base_path
    for path in (base, base + "/{path:path}"):
        api.add_api_route(path, kavach_routes, methods=METHODS, include_in_schema=False)
    return api


def session_dependency(kavach: Kavach) -> Callable[[Request], Awaitable[CurrentSession]]:
    """``kavach.current_session``."""
    session_path = kavach.base_path + "/session"

    async def current_session(request: Request) -> CurrentSession:
        headers = [
            (name, value) for name, value in request.headers.items() if name in ("authorization", "cookie")
        ]
        answer = await kavach.handle_async("GET", session_path, headers)
        if answer.status != 200:
            raise HTTPException(status_code=answer.status, detail=answer.json())
        return cast(CurrentSession, answer.json())

    return current_session
