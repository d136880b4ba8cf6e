"""Settings of the kavach demo on Django: kavach is configured here, as ``KAVACH`` (the options of
``kavach_passkeys.create_kavach``), and mounted by ``KavachMiddleware``.

Environment (the contract of tests/e2e/README.md; run.sh starts it): PORT (3000), DATABASE_URL
(default: SQLite kavach.db beside serve.py; a postgres:// URL selects PostgreSQL), KAVACH_SECRET (a
fixed demo secret otherwise), KAVACH_USER_VERIFICATION (preferred), KAVACH_ATTESTATION (none),
KAVACH_PASSKEY_OPTIONS_JSON (a JSON object merged over the passkey options, camelCase names),
KAVACH_WEB_DIR (default examples/web), KAVACH_METRICS_TOKEN (when set, ``GET /metrics`` wants
``Authorization: Bearer <it>``).

Operations (bindings/python/README.md, "Operations"): security events and kavach's log lines go to
stdout as JSON lines (``on_event`` in ``KAVACH``, the log hook below), and ``GET /metrics``
(urls.py) serves the Prometheus metrics.
"""

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Literal, cast

from kavach_passkeys import Event, set_log_hook
from kavach_passkeys.plugins import passkey
from kavach_passkeys.types import DatabaseOptions

HERE = Path(__file__).resolve().parent.parent
WEB_DIR = Path(os.environ.get("KAVACH_WEB_DIR", HERE.parent / "web")).resolve()
try:
    PORT = int(os.environ.get("PORT") or "3000")
    if not 0 < PORT < 65536:
        raise ValueError
except ValueError:
    sys.exit(f"kavach demo: PORT must be a port number (1-65535), not {os.environ.get('PORT')!r}")
ORIGIN = f"http://localhost:{PORT}"

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

KAVACH = {
    "on_event": print_event,
    "database": database(os.environ.get("DATABASE_URL")),
    "secret": os.environ.get("KAVACH_SECRET") or DEMO_SECRET,
    "base_url": ORIGIN,
    "plugins": [
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
}

# The demo keeps no Django database, sessions or users of its own: kavach holds its users.
SECRET_KEY = os.environ.get("KAVACH_SECRET") or DEMO_SECRET
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
INSTALLED_APPS: list[str] = []
DATABASES: dict[str, Any] = {}
ROOT_URLCONF = "demo.urls"
METRICS_TOKEN = os.environ.get("KAVACH_METRICS_TOKEN", "")
WSGI_APPLICATION = "demo.wsgi.application"
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every route under /auth: kavach answers, with its own status codes, errors and cookies,
    # before CsrfViewMiddleware sees them (kavach checks Origin and Sec-Fetch-Site itself).
    "kavach_passkeys.django.KavachMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["stderr"], "level": "ERROR"}},
}
