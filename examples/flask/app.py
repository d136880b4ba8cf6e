"""The kavach demo on Flask, served by waitress: the page from examples/web at /, every passkey
endpoint under /auth through the Flask extension (``Kavach(app)``: the core router answers them
before Flask routes anything), and the demo-only ``POST /demo/signup``.

Environment (the contract of tests/e2e/README.md; run.sh starts it): PORT (3000), DATABASE_URL
(default: SQLite kavach.db beside this file; a postgres:// URL selects PostgreSQL), KAVACH_SECRET
(a fixed demo secret otherwise), KAVACH_USER_VERIFICATION (preferred), KAVACH_ATTESTATION (none),
KAVACH_PASSKEY_OPTIONS_JSON (a JSON object merged over the passkey options, camelCase names),
KAVACH_WEB_DIR (default examples/web), WAITRESS_THREADS (8), KAVACH_METRICS_TOKEN (when set,
``GET /metrics`` wants ``Authorization: Bearer <it>``).

Operations (bindings/python/README.md, "Operations"): security events and kavach's log lines go to
stdout as JSON lines, and ``GET /metrics`` serves the Prometheus metrics.
"""

import atexit
import errno
import hmac
import json
import os
import re
import socket
import sys
from pathlib import Path
from typing import Any, Literal, cast

from flask import Flask, Response, request, send_from_directory
from werkzeug.exceptions import HTTPException

from kavach_passkeys import Event, KavachError, create_kavach, set_log_hook
from kavach_passkeys.errors import kavach_error
from kavach_passkeys.flask import Kavach
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
        "KAVACH_SECRET is not set: using a fixed demo secret (never do this in production)", file=sys.stderr
    )

UserVerification = Literal["required", "preferred", "discouraged"]
Attestation = Literal["none", "indirect", "direct"]


def database(url: str | None) -> DatabaseOptions:
    if not url:
        return {"provider": "sqlite", "url": f"file:{HERE / 'kavach.db'}"}
    if url.startswith(("postgres://", "postgresql://")):
        return {"provider": "postgres", "url": url}
    return {"provider": "sqlite", "url": url}


def snake_case(value: Any) -> Any:
    """camelCase keys (DESIGN §8: the names of the JSON contract) as Python's snake_case, at
    every depth: ``relatedOrigins`` -> ``related_origins``, ``apps.ios[].teamId`` -> ``team_id``."""
    if isinstance(value, dict):
        return {
            re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower(): snake_case(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [snake_case(item) for item in value]
    return value


def passkey_overrides() -> dict[str, Any]:
    """``KAVACH_PASSKEY_OPTIONS_JSON``: a JSON object merged over the passkey options (its keys
    win). Invalid JSON or anything but an object stops the demo with a clear message."""
    text = os.environ.get("KAVACH_PASSKEY_OPTIONS_JSON", "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as err:
        sys.exit(f"kavach demo: KAVACH_PASSKEY_OPTIONS_JSON is not valid JSON ({err})")
    if not isinstance(value, dict):
        sys.exit(
            f"kavach demo: KAVACH_PASSKEY_OPTIONS_JSON must be a JSON object, not {type(value).__name__}"
        )
    overrides: dict[str, Any] = snake_case(value)
    return overrides


def print_event(event: Event) -> None:
    """Every security event (after its change commits, on kavach's event thread), as a JSON line.
    A real app sends them to its logs, a SIEM or a notification ("a new passkey was added")."""
    print(json.dumps({"event": event}), flush=True)


# kavach's own log lines (security refusals, internal errors) to stdout instead of stderr.
set_log_hook(lambda line: print(line, flush=True))

kavach = create_kavach(
    on_event=print_event,
    database=database(os.environ.get("DATABASE_URL")),
    secret=os.environ.get("KAVACH_SECRET") or DEMO_SECRET,
    base_url=ORIGIN,
    plugins=[
        {
            **passkey(
                rp_name="Kavach demo",
                rp_id="localhost",
                origin=[ORIGIN],
                # Checked by the core: an unknown value stops the server with INVALID_CONFIG.
                user_verification=cast(
                    UserVerification, os.environ.get("KAVACH_USER_VERIFICATION", "preferred")
                ),
                attestation=cast(Attestation, os.environ.get("KAVACH_ATTESTATION", "none")),
            ),
            **passkey_overrides(),
        }
    ],
)

atexit.register(kavach.close)  # delivers the pending events before the process ends

app = Flask(__name__, static_folder=None)
app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
# Every route under /auth: kavach answers, with its own status codes, errors and cookies, before
# Flask routes the request (no before_request hook runs for them: kavach checks Origin itself).
Kavach(app, kavach=kavach)


def error_response(error: KavachError) -> Response:
    """Errors as the core shapes them: ``{error, code, status}`` with the right status."""
    return Response(json.dumps(error.to_json()), error.status, content_type="application/json")


@app.errorhandler(KavachError)
def kavach_error_response(error: KavachError) -> Response:
    return error_response(error)


@app.errorhandler(HTTPException)
def http_error_response(error: HTTPException) -> Response:
    """Flask's own 404 / 405 / 413 in the same shape as the core's."""
    status = error.code or 500
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}.get(
        status, "INVALID_REQUEST"
    )
    return error_response(KavachError(code, status, (error.description or error.name).lower()))


@app.post("/demo/signup")
def signup() -> Response:
    """Demo only: a real app creates users through its own sign-up, then starts a session like
    this."""
    origin = request.headers.get("origin")
    if origin is not None and origin != ORIGIN:
        raise kavach_error("FORBIDDEN_ORIGIN", "requests from this origin are not allowed")
    fields = request.get_json(force=True, silent=True)
    email = fields.get("email") if isinstance(fields, dict) else None
    if not isinstance(email, str):
        raise kavach_error("INVALID_REQUEST", "email is required")
    name = fields.get("name") if isinstance(fields, dict) else None
    user = kavach.users.create(email, name if isinstance(name, str) and name.strip() else None)
    session = kavach.sessions.create(user["id"])
    response = Response(json.dumps({"user": user}), content_type="application/json")
    response.headers["set-cookie"] = session["setCookie"]
    response.headers["cache-control"] = "no-store"
    return response


METRICS_TOKEN = os.environ.get("KAVACH_METRICS_TOKEN", "")


@app.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics. They tell how your sign-in is used: in production, serve them only to
    your scraper (here: a bearer token when KAVACH_METRICS_TOKEN is set; the demo listens on
    loopback only)."""
    if METRICS_TOKEN:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {METRICS_TOKEN}".encode()):
            raise kavach_error("UNAUTHORIZED", "metrics need the bearer token")
    return Response(kavach.metrics(), content_type="text/plain; version=0.0.4; charset=utf-8")


# ---- the page and the vendored @simplewebauthn/browser ES module build

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json; charset=utf-8",
}
STATIC_HEADERS = {
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
}


def static_file(root: Path, relative: str) -> Response:
    """``relative`` below ``root`` (``send_from_directory`` refuses ``..`` and absolute paths);
    hidden files are refused too."""
    if any(part.startswith(".") for part in Path(relative).parts):
        raise kavach_error("NOT_FOUND", "not found")
    mimetype = CONTENT_TYPES.get(Path(relative).suffix, "application/octet-stream")
    response = send_from_directory(root, relative, mimetype=mimetype, max_age=None, etag=False)
    response.headers.update(STATIC_HEADERS)
    return response


@app.route("/", methods=["GET", "HEAD"])
def index() -> Response:
    return static_file(WEB_DIR, "index.html")


@app.route("/<any('index.html', 'app.js', 'style.css'):name>", methods=["GET", "HEAD"])
def page_asset(name: str) -> Response:
    return static_file(WEB_DIR, name)


@app.route("/vendor/simplewebauthn/<path:name>", methods=["GET", "HEAD"])
def vendor(name: str) -> Response:
    return static_file(VENDOR_DIR, name)


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
    import waitress

    sockets = listen_loopback(PORT)
    print(f"kavach demo on {ORIGIN} (passkeys under {ORIGIN}{kavach.base_path})", file=sys.stderr)
    # waitress: a threaded, pure-Python production server (bench/README.md says why this one).
    # clear_untrusted_proxy_headers=False: waitress would otherwise drop X-Forwarded-For before
    # kavach sees it; kavach's own trusted_proxies rule decides what to believe (DESIGN §11).
    waitress.serve(
        app,
        sockets=sockets,
        threads=int(os.environ.get("WAITRESS_THREADS") or "8"),
        clear_untrusted_proxy_headers=False,
        ident=None,
    )


if __name__ == "__main__":
    main()
