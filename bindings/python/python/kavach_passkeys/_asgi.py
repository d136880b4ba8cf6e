"""The raw ASGI adapter: copies method, path, headers, the client address and at most 64 KiB + 1
body bytes into the core router, and its status, headers (``Set-Cookie`` included) and body back
out. Nothing is decided here: the extra byte lets the core itself answer 413
``PAYLOAD_TOO_LARGE``.

Per request, the Python work is kept to a few dictionary lookups: the ASGI header list goes to
the native side as it is (decoded there), the answer comes back with header bytes and
``content-length`` ready for ``http.response.start``, and the request runs on a native worker
thread that needs no GIL handoff to report back (see ``_offload.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Optional

from . import _native
from ._offload import Runner

if TYPE_CHECKING:
    from ._kavach import Kavach

__all__ = ["ASGIApp", "KavachASGI", "Receive", "Scope", "Send", "client_key", "read_limited", "request_path"]

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
    message = await receive()
    if message["type"] == "http.disconnect":
        return None
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):  # the usual case: the whole body in one message
        return bytes(body[:limit])
    chunks = [body]
    size = len(body)
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


def client_key(scope: Scope) -> Optional[str]:
    """The peer address the server saw (``scope["client"][0]``), from which the core derives the
    key of its optional per-client rate limit (believing X-Forwarded-For only from a peer in
    ``trusted_proxies``); ``None`` when the server does not know it (e.g. a Unix socket). No
    header is read here: the core decides, the same way for every adapter. (If uvicorn already
    rewrote the peer from the proxy's headers, ``--proxy-headers``, that rewritten address is
    the peer; prefer ``trusted_proxies`` and ``--no-proxy-headers`` to have one rule.)"""
    client = scope.get("client")
    return str(client[0]) if client else None


class KavachASGI:
    """``kavach.asgi(app=None)``: every HTTP request under basePath goes to the
    core; anything else to ``app`` (or 404 ``NOT_FOUND`` from the core when there is none)."""

    def __init__(self, kavach: Kavach, app: Optional[ASGIApp] = None) -> None:
        self.kavach = kavach
        self.app = app
        self._runner = Runner(kavach)
        self._handles_path = kavach._native.handles_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if self.app is not None:
                await self.app(scope, receive, send)
            elif scope["type"] == "lifespan":
                await _lifespan(receive, send)
            else:
                await send({"type": "websocket.close", "code": 1000})
            return
        path = request_path(scope)
        if self.app is not None and not self._handles_path(path):
            await self.app(scope, receive, send)
            return
        self.kavach._bind_loop()
        body = await read_limited(receive)
        if body is None:
            return
        # ASGI keeps the query apart from the path; the core reads both from one target
        # (`GET /passkey/activity?before=...&limit=...`).
        query: bytes = scope.get("query_string", b"")
        target = f"{path}?{query.decode('latin-1')}" if query else path
        status, headers, answer = await self._runner.handle_asgi(
            scope["method"], target, scope["headers"], body, client_key(scope)
        )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})


async def _lifespan(receive: Receive, send: Send) -> None:
    """Alone (no app behind it), there is nothing to start or stop: acknowledge both."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
