"""The WSGI adapter (PEP 3333), for Django, Flask and any WSGI app: copies method, path and query,
every header, the peer address (``REMOTE_ADDR``) and at most 64 KiB + 1 body bytes into the core
router, and writes its status, headers (each ``Set-Cookie`` on its own line) and body back.
Nothing is decided here: the extra byte lets the core itself answer 413 ``PAYLOAD_TOO_LARGE``, and
the core derives the client key from the peer and ``X-Forwarded-For`` (``trusted_proxies``).

The native call releases the GIL while the core works, so the other threads of a threaded server
(waitress, gunicorn's ``gthread``) keep serving meanwhile. A WSGI worker thread may block: unlike
the ASGI adapter there is no event loop to keep free, so the call is made inline.

What WSGI changes on the way, and how it is undone:

- Header fields repeated in a request arrive joined in one ``HTTP_*`` variable; waitress and
  gunicorn join with a comma, also for ``Cookie`` (whose own separator is ``;``). The core reads
  every ``Cookie`` field and takes the first well-formed session cookie, so ``HTTP_COOKIE`` is
  split back into one field per comma-separated part: a cookie value never holds a comma
  (RFC 6265 section 4.1.1), so nothing is cut in two.
- ``CONTENT_LENGTH`` bounds the body (PEP 3333: reading past it may block). Missing or invalid
  means no body, unless the server dechunked the request and says the stream ends on its own
  (``wsgi.input_terminated``, as gunicorn and Werkzeug do for ``Transfer-Encoding: chunked``);
  waitress dechunks itself and sets ``CONTENT_LENGTH``. At most 64 KiB + 1 bytes are read either way.
- Header names with underscores are dropped by waitress and gunicorn (``X_Forwarded_For`` would
  otherwise pass for ``X-Forwarded-For``); a server that keeps them is the server's choice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Optional, Protocol

from . import _native

if TYPE_CHECKING:
    from ._kavach import Kavach

__all__ = [
    "BODY_LIMIT",
    "KavachWSGI",
    "StartResponse",
    "WSGIApp",
    "WSGIEnvironment",
    "environ_headers",
    "read_body",
    "status_line",
]

WSGIEnvironment = dict[str, Any]


class StartResponse(Protocol):
    """PEP 3333's ``start_response`` (the part kavach calls)."""

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = ..., /) -> Any: ...


WSGIApp = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]

BODY_LIMIT = _native.MAX_BODY_BYTES + 1
"""Bytes read at most: one past the core's limit, so the core sees the body is too large."""

_UNPREFIXED = {"CONTENT_TYPE": "content-type", "CONTENT_LENGTH": "content-length"}


def environ_headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every request header in a WSGI environ (or Django's ``request.META``), as ``(name, value)``
    with lowercase names; ``Cookie`` split back into one field per comma-joined part (see the
    module's docstring)."""
    headers: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
        elif key in _UNPREFIXED:
            name = _UNPREFIXED[key]
        else:
            continue
        if not isinstance(value, str):
            continue
        if name == "cookie" and "," in value:
            headers.extend(("cookie", part) for part in value.split(",") if part.strip())
        else:
            headers.append((name, value))
    return headers


def content_length(environ: Mapping[str, Any]) -> Optional[int]:
    """``CONTENT_LENGTH`` as a number, or ``None`` when missing or not a non-negative integer."""
    text = environ.get("CONTENT_LENGTH")
    if not isinstance(text, str) or not text.strip().isdigit():
        return None
    return int(text)


def read_body(environ: Mapping[str, Any], limit: int = BODY_LIMIT) -> bytes:
    """At most ``limit`` bytes of the request body (the rest is left to the server), bounded by
    ``CONTENT_LENGTH``; see the module's docstring for a missing one."""
    length = content_length(environ)
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length is None:
        if not environ.get("wsgi.input_terminated"):
            return b""
        wanted = limit
    else:
        wanted = min(length, limit)
    chunks: list[bytes] = []
    size = 0
    while size < wanted:  # a read may return less than asked
        chunk = stream.read(wanted - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def request_path(environ: Mapping[str, Any]) -> str:
    """``SCRIPT_NAME`` + ``PATH_INFO`` (the full path, as the ASGI adapter passes it), with the
    query string."""
    path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", "")) or "/"
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path


def status_line(status: int) -> str:
    """``"413 Payload Too Large"``: the status line PEP 3333 wants."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class KavachWSGI:
    """``kavach.wsgi(app=None)``: every request under basePath goes to the core; anything else to
    ``app`` (or 404 ``NOT_FOUND`` from the core when there is none). Wrap a Django or Flask
    app's WSGI callable with it (``application = kavach.wsgi(application)``,
    ``app.wsgi_app = kavach.wsgi(app.wsgi_app)``): kavach's routes then never reach the
    framework, its CSRF middleware included (kavach checks ``Origin`` and ``Sec-Fetch-Site``
    itself, DESIGN §3)."""

    def __init__(self, kavach: Kavach, app: Optional[WSGIApp] = None) -> None:
        self.kavach = kavach
        self.app = app
        self._native: _native.KavachNative = kavach._native
        self._handles_path = kavach._native.handles_path

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = request_path(environ)
        if self.app is not None and not self._handles_path(path):
            return self.app(environ, start_response)
        status, headers, body = self._native.handle(
            str(environ.get("REQUEST_METHOD", "GET")),
            path,
            environ_headers(environ),
            read_body(environ),
            _peer(environ),
        )
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers.append(("content-length", str(len(body))))
        start_response(status_line(status), headers)
        return [body]


def _peer(environ: Mapping[str, Any]) -> Optional[str]:
    """``REMOTE_ADDR``: the peer of the connection as the server saw it (never a header), from
    which the core derives the client key; ``None`` when the server does not know it."""
    peer = environ.get("REMOTE_ADDR")
    return peer if isinstance(peer, str) and peer else None
