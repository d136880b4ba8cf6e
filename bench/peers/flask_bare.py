"""The floor under the Flask row of the HTTP benchmark: Flask 3 on waitress (the same server and
threads as examples/flask), no WebAuthn and no database. It answers the routes load.mjs calls
(POST /demo/signup, /auth/passkey/register/{options,verify}, /auth/passkey/authenticate/{options,
verify}) the way express-bare.mjs does (JSON body, the same Origin check, Cache-Control + Set-Cookie
+ a JSON answer) with small fixed-shape JSON and a random challenge. Its CPU per pair is what a
JSON API on Flask + waitress costs before any passkey work. Environment: PORT, WAITRESS_THREADS."""

import os
import secrets
from typing import Any

import waitress
from flask import Flask, Response, jsonify, request

PORT = int(os.environ.get("PORT", "3000"))
ORIGIN = f"http://localhost:{PORT}"

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 64 * 1024


def challenge() -> str:
    return secrets.token_urlsafe(32)


def send(body: dict[str, Any], set_cookie: bool = False) -> Response:
    response = jsonify(body)
    response.headers["cache-control"] = "no-store"
    if set_cookie:
        response.headers["set-cookie"] = (
            f"session={secrets.token_urlsafe(32)}; HttpOnly; SameSite=Lax; Path=/; Max-Age=604800"
        )
    return response


@app.before_request
def origin_check() -> Any:
    origin = request.headers.get("origin")
    if request.method != "GET" and origin and origin != ORIGIN:
        return {"error": "requests from this origin are not allowed", "code": "FORBIDDEN_ORIGIN"}, 403
    return None


@app.post("/demo/signup")
def signup() -> Response:
    body = request.get_json(silent=True) or {}
    return send({"user": {"id": "u1", "email": str(body.get("email"))}}, set_cookie=True)


@app.post("/auth/passkey/register/options")
def register_options() -> Response:
    return send({"challenge": challenge(), "user": {"id": secrets.token_urlsafe(16)}})


@app.post("/auth/passkey/register/verify")
def register_verify() -> Response:
    request.get_json(silent=True)
    return send({"verified": True})


@app.post("/auth/passkey/authenticate/options")
def authenticate_options() -> Response:
    body = request.get_json(silent=True) or {}
    return send(
        {
            "challenge": challenge(),
            "timeout": 60000,
            "rpId": "localhost",
            "allowCredentials": [],
            "email": body.get("email"),
        }
    )


@app.post("/auth/passkey/authenticate/verify")
def authenticate_verify() -> Response:
    body = request.get_json(silent=True) or {}
    return send({"userId": "u1", "sessionId": str(body.get("id"))[:22]}, set_cookie=True)


if __name__ == "__main__":
    waitress.serve(
        app, host="127.0.0.1", port=PORT, threads=int(os.environ.get("WAITRESS_THREADS") or "8"), ident=None
    )
