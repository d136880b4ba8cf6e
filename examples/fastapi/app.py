"""The kavach demo on FastAPI: the page from examples/web at /, every passkey endpoint under
/auth through kavach as ASGI middleware (``app.add_middleware(kavach.asgi)``), and the demo-only
``POST /demo/signup``.

Environment (the contract of tests/e2e/README.md; run.sh starts it): PORT (3000), DATABASE_URL
(default: SQLite kavach.db beside this file; a postgres:// URL selects PostgreSQL),
KAVACH_SECRET (a fixed demo secret otherwise), KAVACH_USER_VERIFICATION (preferred),
KAVACH_ATTESTATION (none),
KAVACH_WEB_DIR (default examples/web), KAVACH_PASSKEY_OPTIONS_JSON and KAVACH_OPTIONS_JSON (JSON
objects merged over the passkey options and the top-level options; camelCase keys become snake_case),
KAVACH_METRICS_TOKEN (when set, ``GET /metrics`` wants ``Authorization: Bearer <it>``).

Operations (bindings/python/README.md, "Operations"): security events and kavach's log lines go to
stdout as JSON lines, and ``GET /metrics`` serves the Prometheus metrics.
"""

import errno
import hmac
import json
import os
import re
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal, cast

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from kavach_passkeys import Event, create_kavach, set_log_hook
from kavach_passkeys.errors import kavach_error
from kavach_passkeys.plugins import passkey
from kavach_passkeys.types import DatabaseOptions

HERE = Path(__file__).resolve().parent
WEB_DIR = Path(os.environ.get("KAVACH_WEB_DIR", HERE.parent / "web")).resolve()
VENDOR_DIR = WEB_DIR / "node_modules" / "@simplewebauthn" / "browser" / "esm"
try:
    PORT = int(os.environ.get("PORT") or "3000")
    if not 0 < PORT < 65536:
        raise ValueError
except ValueError:
    sys.exit(f"kavach demo: PORT must be a port number (1-65535), not {os.environ.get('PORT')!r}")
ORIGIN = f"http://localhost:{PORT}"
MAX_BODY_BYTES = 64 * 1024

DEMO_SECRET = "kavach-demo-secret-not-for-production-use!!"
if not os.environ.get("KAVACH_SECRET"):
    print(
        "KAVACH_SECRET is not set: using a fixed demo secret (never do this in production)",
        file=sys.stderr,
    )

UserVerification = Literal["required", "preferred", "discouraged"]
Attestation = Literal["none", "indirect", "direct"]


def json_object_from_env(name: str) -> dict[str, Any]:
    """A JSON object from the environment, or {} when unset; anything else stops the demo."""
    text = os.environ.get(name)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        sys.exit(f"kavach demo: {name} is not valid JSON: {error}")
    if not isinstance(value, dict):
        sys.exit(f"kavach demo: {name} must be a JSON object, not {json.dumps(value)}")
    # camelCase keys (DESIGN's names) to this binding's snake_case, so they replace ours.
    return {re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower(): item for key, item in value.items()}


PASSKEY_OVERRIDES = json_object_from_env("KAVACH_PASSKEY_OPTIONS_JSON")
TOP_OVERRIDES = json_object_from_env("KAVACH_OPTIONS_JSON")


def database(url: str | None) -> DatabaseOptions:
    if not url:
        return {"provider": "sqlite", "url": f"file:{HERE / 'kavach.db'}"}
    if url.startswith(("postgres://", "postgresql://")):
        return {"provider": "postgres", "url": url}
    return {"provider": "sqlite", "url": url}


def print_event(event: Event) -> None:
    """Every security event (after its change commits, on kavach's event thread), as a JSON line.
    A real app sends them to its logs, a SIEM or a notification ("a new passkey was added")."""
    print(json.dumps({"event": event}), flush=True)


# kavach's own log lines (security refusals, internal errors) to stdout instead of stderr.
set_log_hook(lambda line: print(line, flush=True))

kavach = create_kavach(
    {
        "database": database(os.environ.get("DATABASE_URL")),
        "secret": os.environ.get("KAVACH_SECRET") or DEMO_SECRET,
        "base_url": ORIGIN,
        **TOP_OVERRIDES,
    },
    plugins=[
        {
            **passkey(
                rp_name="Kavach demo",
                rp_id="localhost",
                origin=[ORIGIN],
                # Checked by the core: an unknown value stops the server with INVALID_CONFIG.
                user_verification=cast(
                    UserVerification,
                    os.environ.get("KAVACH_USER_VERIFICATION", "preferred"),
                ),
                attestation=cast(Attestation, os.environ.get("KAVACH_ATTESTATION", "none")),
            ),
            **PASSKEY_OVERRIDES,
        }
    ],
    on_event=print_event,
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await kavach.aclose()  # delivers the pending events before the process ends


app = FastAPI(title="kavach demo", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)

# Every route under /auth: kavach answers, with its own status codes, errors and cookies. As
# middleware, /auth requests go straight to kavach without FastAPI's routing and dependency
# resolution (about 60 us a sign-in pair saved, see bench/README.md); everything else reaches the
# routes below. `app.include_router(kavach.fastapi_router())` works too, when /auth routes should
# carry the app's own router dependencies.
app.add_middleware(kavach.asgi)


# KavachError raised by the routes below (USER_EXISTS from users.create, ...) answered as the core
# shapes its errors: {error, code} with the right status.
kavach.add_exception_handlers(app)


@app.exception_handler(StarletteHTTPException)
async def http_error_response(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own 404 / 405 in the same shape as the core's."""
    status = cast(StarletteHTTPException, exc).status_code
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(status, "INVALID_REQUEST")
    return JSONResponse(
        {"error": str(cast(StarletteHTTPException, exc).detail).lower(), "code": code},
        status,
    )


@app.post("/demo/signup")
async def signup(request: Request) -> JSONResponse:
    """Demo only: a real app creates users through its own sign-up, then starts a session like
    this."""
    origin = request.headers.get("origin")
    if origin is not None and origin != ORIGIN:
        raise kavach_error("FORBIDDEN_ORIGIN", "requests from this origin are not allowed")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise kavach_error("PAYLOAD_TOO_LARGE", "request body is larger than 64 KiB")
    try:
        fields: Any = json.loads(body)
    except ValueError:
        raise kavach_error("INVALID_REQUEST", "body must be JSON: {email, name?}") from None
    email = fields.get("email") if isinstance(fields, dict) else None
    if not isinstance(email, str):
        raise kavach_error("INVALID_REQUEST", "email is required")
    name = fields.get("name")
    user = await kavach.users.create_async(email, name if isinstance(name, str) and name.strip() else None)
    session = await kavach.sessions.create_async(user["id"])
    headers = {"set-cookie": session["setCookie"], "cache-control": "no-store"}
    return JSONResponse({"user": user}, headers=headers)


METRICS_TOKEN = os.environ.get("KAVACH_METRICS_TOKEN", "")


@app.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics. They tell how your sign-in is used: in production, serve them only to
    your scraper (here: a bearer token when KAVACH_METRICS_TOKEN is set; the demo listens on
    loopback only)."""
    if METRICS_TOKEN:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {METRICS_TOKEN}".encode()):
            raise kavach_error("UNAUTHORIZED", "metrics need the bearer token")
    return Response(kavach.metrics(), media_type="text/plain; version=0.0.4; charset=utf-8")


# ---- the page and the vendored @simplewebauthn/browser ES module build

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
}
STATIC_HEADERS = {
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
}


def static_file(root: Path, relative: str) -> Response:
    """``relative`` below ``root``, refusing ``..``, absolute paths and hidden files."""
    parts = Path(relative).parts
    if not parts or any(part.startswith(".") or part in ("/", "..") for part in parts):
        raise StarletteHTTPException(404, "not found")
    file = root.joinpath(*parts)
    if not file.is_file():
        raise StarletteHTTPException(404, "not found")
    media_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
    return FileResponse(file, media_type=media_type, headers=STATIC_HEADERS)


@app.api_route("/", methods=["GET", "HEAD"])
async def index() -> Response:
    return static_file(WEB_DIR, "index.html")


@app.api_route("/index.html", methods=["GET", "HEAD"])
@app.api_route("/app.js", methods=["GET", "HEAD"])
@app.api_route("/style.css", methods=["GET", "HEAD"])
async def page_asset(request: Request) -> Response:
    return static_file(WEB_DIR, request.url.path.lstrip("/"))


@app.api_route("/vendor/simplewebauthn/{path:path}", methods=["GET", "HEAD"])
async def vendor(path: str) -> Response:
    return static_file(VENDOR_DIR, path)


if not (VENDOR_DIR / "index.js").is_file():
    print(f"warning: {VENDOR_DIR} is missing: run `npm ci` in {WEB_DIR}", file=sys.stderr)


# ---- serving (run.sh: `python app.py`)


def listen_loopback(port: int) -> list[socket.socket]:
    """Sockets on both loopback addresses: a browser opening http://localhost:PORT may try either,
    so a port that another server holds on just one of them must stop the demo rather than send
    some requests elsewhere. A machine without IPv6 gets 127.0.0.1 alone. Exits with status 1 and
    a clear message when the port is taken."""
    sockets: list[socket.socket] = []
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue  # no IPv6 on this machine
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, port))
        except OSError as err:
            sock.close()
            if family == socket.AF_INET6 and err.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                continue
            reason = "is already in use" if err.errno == errno.EADDRINUSE else f"cannot be opened ({err})"
            for open_socket in sockets:
                open_socket.close()
            sys.exit(
                f"kavach demo: port {port} on {host} {reason}: "
                f"stop the other server or choose another port, e.g. PORT={port + 1}"
            )
        sockets.append(sock)
    return sockets


def main() -> None:
    import uvicorn

    sockets = listen_loopback(PORT)
    print(f"kavach demo on {ORIGIN} (passkeys under {ORIGIN}{kavach.base_path})", file=sys.stderr)
    uvicorn.Server(uvicorn.Config(app, access_log=False, log_level="warning")).run(sockets=sockets)


if __name__ == "__main__":
    main()
