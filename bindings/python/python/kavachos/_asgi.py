"""The raw ASGI adapter: copies method, path, headers and at most 64 KiB + 1 body bytes into the
core router, and its status, headers (``Set-Cookie`` included) and body back out. Nothing is
decided here: the extra byte lets the core itself answer 413 ``PAYLOAD_TOO_LARGE``."""

from __future__ import annotations

from collections.abc import Awaitable, MutableMapping
from typing import TYPE_CHECKING, Any, Callable, Optional

from . import _native

if TYPE_CHECKING:
    from ._kavach import Kavach

__all__ = ["ASGIApp", "KavachASGI", "Receive", "Scope", "Send", "read_limited", "request_path"]

# The ASGI 3 callable, spelled as Starlette spells it so either type checks against the other.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY_LIMIT = _native.MAX_BODY_BYTES + 1
"""Bytes read at most: one past the core's limit, so the core sees the body is too large."""


def request_path(scope: Scope) -> str:
    """The full request path. Servers disagree on whether ``path`` includes ``root_path``
    (Starlette's ``Mount`` keeps it; the ASGI text says it excludes it): accept both."""
    path: str = scope.get("path", "/")
    root_path: str = scope.get("root_path", "")
    return path if not root_path or path.startswith(root_path) else root_path + path


async def read_limited(receive: Receive, limit: int = BODY_LIMIT) -> Optional[bytes]:
    """The request body, at most ``limit`` bytes (the rest is left unread); ``None`` if the
    client disconnected."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk: bytes = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)[:limit]


class KavachASGI:
    """``kavach.asgi(app=None)``: every HTTP request under basePath goes to the core; anything
    else to ``app`` (or 404 ``NOT_FOUND`` from the core when there is none)."""

    def __init__(self, kavach: Kavach, app: Optional[ASGIApp] = None) -> None:
        self.kavach = kavach
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is not None and (
            scope["type"] != "http" or not self.kavach.handles_path(request_path(scope))
        ):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1000})
            return
        path = request_path(scope)
        body = await read_limited(receive)
        if body is None:
            return
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
        response = await self.kavach.handle_async(scope["method"], path, headers, body)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    """Alone (no app behind it), there is nothing to start or stop: acknowledge both."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
