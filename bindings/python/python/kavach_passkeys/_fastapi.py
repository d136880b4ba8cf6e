"""The FastAPI adapter: the routes under basePath, as plain ASGI routes served by
:class:`~kavach_passkeys._asgi.KavachASGI` (method, path, headers, client address and at most 64 KiB + 1
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
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._asgi import KavachASGI, client_key
from ._offload import Runner
from .errors import KavachError, from_native
from .types import CurrentSession

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from ._kavach import Kavach

__all__ = ["KavachHTTPException", "add_exception_handlers", "router", "session_dependency"]


class KavachHTTPException(HTTPException):
    """What ``Depends(kavach.current_session)`` raises when there is no live session: the
    core's answer (401 ``UNAUTHORIZED``, or 500 ``INTERNAL`` if the database is down) as an
    ``HTTPException``. ``error`` is the :class:`~kavach_passkeys.KavachError`; ``detail`` is its
    ``{"error", "code", "status"}`` body, so even an app without kavach's exception handlers answers the
    right status. With them (``kavach.add_exception_handlers(app)``) the body is exactly the
    router's ``{"error": ..., "code": ..., "status": ...}``."""

    def __init__(self, error: KavachError, headers: dict[str, str]) -> None:
        super().__init__(status_code=error.status, detail=error.to_json(), headers=headers)
        self.error = error


def add_exception_handlers(app: Starlette) -> None:
    """``kavach.add_exception_handlers(app)``: the app answers every ``KavachError`` raised in its
    routes (``USER_EXISTS`` from ``kavach.users.create``, ...) and the session dependency's
    refusals as the router does: the error's status, ``{"error": message, "code": CODE, "status": STATUS}``,
    ``Cache-Control: no-store`` and, for ``RATE_LIMITED`` / ``TOO_MANY_CHALLENGES``,
    ``Retry-After``."""
    app.add_exception_handler(KavachError, _kavach_error_response)
    app.add_exception_handler(KavachHTTPException, _kavach_error_response)


async def _kavach_error_response(request: Request, exc: Exception) -> Response:
    error = exc.error if isinstance(exc, KavachHTTPException) else cast(KavachError, exc)
    headers = {"cache-control": "no-store"}
    if error.retry_after is not None:
        headers["retry-after"] = str(error.retry_after)
    return JSONResponse(error.to_json(), status_code=error.status, headers=headers)


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


def session_dependency(kavach: Kavach) -> Callable[[Request, Response], Awaitable[CurrentSession]]:
    """``kavach.current_session``."""
    session_path = kavach.base_path + "/session"
    runner = Runner(kavach)

    async def current_session(request: Request, response: Response) -> CurrentSession:
        kavach._bind_loop()
        headers = [
            (name, value) for name, value in request.scope["headers"] if name in (b"authorization", b"cookie")
        ]
        status, out_headers, body = await runner.handle_asgi(
            "GET", session_path, headers, b"", client_key(request.scope)
        )
        if status != 200:
            answer = json.loads(body)
            retry_after = next(
                (int(value) for name, value in out_headers if name.lower() == b"retry-after"), None
            )
            error = from_native(answer["code"], status, answer["error"], retry_after)
            passed_on = {
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in out_headers
                if name.lower() not in (b"content-type", b"content-length")
            }
            raise KavachHTTPException(error, passed_on)
        # A renewed session (sliding expiry): FastAPI adds the dependency's response headers to
        # the route's answer (when the route returns data rather than a Response of its own).
        for name, value in out_headers:
            if name.lower() == b"set-cookie":
                response.headers.append("set-cookie", value.decode("latin-1"))
        return cast(CurrentSession, json.loads(body))

    return current_session
