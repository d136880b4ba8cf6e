"""The FastAPI peer of the HTTP benchmark: FastAPI + py_webauthn 3 + sqlite3, serving the same
routes as the kavach FastAPI example with the same work per request (pywebauthn_store.py):
POST /demo/signup, /auth/passkey/register/{options,verify},
/auth/passkey/authenticate/{options,verify}. Environment: PORT, DATABASE (file path).

Handlers are ``async def`` doing the (short, synchronous) library and SQLite work inline: the
fastest way to run them on one core (no thread-pool hop)."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from pywebauthn_store import HttpError, Peer

PORT = int(os.environ.get("PORT", "3000"))
ORIGIN = f"http://localhost:{PORT}"
peer = Peer(os.environ.get("DATABASE", "peer.db"), "localhost", ORIGIN)
app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
COOKIE = re.compile(r"(?:^|;\s*)session=([^;]+)")
NO_STORE = {"cache-control": "no-store"}


@app.exception_handler(HttpError)
async def http_error(request: Request, exc: Exception) -> JSONResponse:
    err: Any = exc
    return JSONResponse({"error": str(err), "code": err.code}, status_code=err.status)


@app.exception_handler(Exception)
async def verification_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": str(exc), "code": "VERIFICATION_FAILED"}, status_code=400)


async def body_of(request: Request) -> Any:
    origin = request.headers.get("origin")
    if origin is not None and origin != ORIGIN:
        raise HttpError(403, "FORBIDDEN_ORIGIN", "requests from this origin are not allowed")
    raw = await request.body()
    if len(raw) > 64 * 1024:
        raise HttpError(413, "PAYLOAD_TOO_LARGE", "request body is larger than 64 KiB")
    return json.loads(raw) if raw.strip() else {}


def signed_in(request: Request) -> str:
    m = COOKIE.search(request.headers.get("cookie", ""))
    user_id = peer.user_by_token(m.group(1)) if m else None
    if not user_id:
        raise HttpError(401, "UNAUTHORIZED", "sign in first")
    return user_id


@app.post("/demo/signup")
async def signup(request: Request) -> JSONResponse:
    body = await body_of(request)
    s = peer.signup(str(body.get("email", "")))
    return JSONResponse({"user": s["user"]}, headers={**NO_STORE, "set-cookie": s["setCookie"]})


@app.post("/auth/passkey/register/options")
async def register_options(request: Request) -> Response:
    await body_of(request)
    return Response(peer.register_options(signed_in(request)), media_type="application/json", headers=NO_STORE)


@app.post("/auth/passkey/register/verify")
async def register_verify(request: Request) -> JSONResponse:
    body = await body_of(request)
    return JSONResponse(peer.register_verify(signed_in(request), body), headers=NO_STORE)


@app.post("/auth/passkey/authenticate/options")
async def authenticate_options(request: Request) -> Response:
    body = await body_of(request)
    email = body.get("email")
    options = peer.authenticate_options(email if isinstance(email, str) else None)
    return Response(options, media_type="application/json", headers=NO_STORE)


@app.post("/auth/passkey/authenticate/verify")
async def authenticate_verify(request: Request) -> JSONResponse:
    out = peer.authenticate_verify(await body_of(request))
    return JSONResponse(
        {"userId": out["userId"], "sessionId": out["sessionId"]},
        headers={**NO_STORE, "set-cookie": out["setCookie"]},
    )
