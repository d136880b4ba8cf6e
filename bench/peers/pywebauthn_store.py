"""The peer relying party for the Python benchmarks: py_webauthn 3 + the standard sqlite3 module,
doing the same work as kavach's sign-in, written the way py_webauthn's docs suggest and without
handicaps (one connection, WAL, one transaction per write, sqlite3's statement cache):

  options(email): user by email, their credentials, generate_authentication_options, store the
                  challenge (with a bounded sweep of expired ones, like kavach).
  verify(body):   consume the challenge (DELETE ... RETURNING), load the credential,
                  verify_authentication_response, then in one transaction compare-and-set the
                  counter and insert a session (SHA-256 of a random token).

Durability: BENCH_SYNC (FULL by default, kavach's default), journal_mode WAL.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import sqlite3
import time
import uuid
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

TIMEOUT_MS = 300_000
SESSION_MS = 7 * 86_400_000


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def now_ms() -> int:
    return int(time.time() * 1000)


class Peer:
    def __init__(self, file: str, rp_id: str, origin: str, rp_name: str = "bench") -> None:
        self.rp_id, self.origin, self.rp_name = rp_id, origin, rp_name
        # isolation_level=None: explicit BEGIN IMMEDIATE / COMMIT, like kavach's store.
        self.db = sqlite3.connect(file, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute(f"PRAGMA synchronous = {os.environ.get('BENCH_SYNC', 'FULL')}")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA busy_timeout = 5000")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS users (
              id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, webauthn_user_id BLOB NOT NULL UNIQUE,
              created_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS credentials (
              id BLOB PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
              public_key BLOB NOT NULL, counter INTEGER NOT NULL, transports TEXT NOT NULL,
              backed_up INTEGER NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER);
            CREATE INDEX IF NOT EXISTS credentials_user_id ON credentials(user_id);
            CREATE TABLE IF NOT EXISTS challenges (
              challenge TEXT PRIMARY KEY, kind TEXT NOT NULL, user_id TEXT, expires_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS challenges_expires_at ON challenges(expires_at);
            CREATE TABLE IF NOT EXISTS sessions (
              id TEXT PRIMARY KEY, token_hash BLOB NOT NULL UNIQUE,
              user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
              created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS sessions_user_id ON sessions(user_id);
            """
        )

    # ---- helpers
    def _issue(self, challenge: str, kind: str, user_id: str | None) -> None:
        now = now_ms()
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT INTO challenges (challenge, kind, user_id, expires_at) VALUES (?, ?, ?, ?)",
                (challenge, kind, user_id, now + TIMEOUT_MS),
            )
            db.execute(
                "DELETE FROM challenges WHERE rowid IN "
                "(SELECT rowid FROM challenges WHERE expires_at <= ? LIMIT 16)",
                (now,),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _take(self, body: dict[str, Any], kind: str) -> tuple[str, str | None]:
        try:
            challenge = json.loads(unb64u(body["response"]["clientDataJSON"]))["challenge"]
        except (KeyError, ValueError, TypeError):
            raise HttpError(400, "INVALID_REQUEST", "malformed clientDataJSON") from None
        row = self.db.execute(
            "DELETE FROM challenges WHERE challenge = ? RETURNING kind, user_id, expires_at", (challenge,)
        ).fetchone()
        if row is None or row[0] != kind or row[2] <= now_ms():
            raise HttpError(400, "CHALLENGE_INVALID", "the challenge is unknown, expired or already used")
        return challenge, row[1]

    def _new_session(self, user_id: str) -> tuple[str, str]:
        token = b64u(secrets.token_bytes(32))
        session_id = str(uuid.uuid4())
        now = now_ms()
        self.db.execute(
            "INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (session_id, hashlib.sha256(token.encode()).digest(), user_id, now, now + SESSION_MS),
        )
        return session_id, token

    @staticmethod
    def cookie(token: str) -> str:
        return f"session={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=604800"

    # ---- API
    def signup(self, email: str) -> dict[str, Any]:
        user_id = str(uuid.uuid4())
        self.db.execute(
            "INSERT INTO users (id, email, webauthn_user_id, created_at) VALUES (?, ?, ?, ?)",
            (user_id, email, secrets.token_bytes(32), now_ms()),
        )
        _, token = self._new_session(user_id)
        return {"user": {"id": user_id, "email": email}, "token": token, "setCookie": self.cookie(token)}

    def user_by_token(self, token: str) -> str | None:
        row = self.db.execute(
            "SELECT user_id FROM sessions WHERE token_hash = ? AND expires_at > ?",
            (hashlib.sha256(token.encode()).digest(), now_ms()),
        ).fetchone()
        return row[0] if row else None

    def register_options(self, user_id: str) -> str:
        email, handle = self.db.execute(
            "SELECT email, webauthn_user_id FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        options = generate_registration_options(
            rp_id=self.rp_id,
            rp_name=self.rp_name,
            user_name=email,
            user_id=handle,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
        )
        self._issue(b64u(options.challenge), "registration", user_id)
        return options_to_json(options)

    def register_verify(self, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        challenge, owner = self._take(body, "registration")
        if owner != user_id:
            raise HttpError(400, "CHALLENGE_INVALID", "not your challenge")
        v = verify_registration_response(
            credential=body,
            expected_challenge=unb64u(challenge),
            expected_rp_id=self.rp_id,
            expected_origin=self.origin,
        )
        transports = body.get("response", {}).get("transports", [])
        self.db.execute(
            "INSERT INTO credentials (id, user_id, public_key, counter, transports, backed_up, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                v.credential_id,
                user_id,
                v.credential_public_key,
                v.sign_count,
                json.dumps(transports),
                int(v.credential_backed_up),
                now_ms(),
            ),
        )
        return {"verified": True, "credential": {"id": b64u(v.credential_id)}}

    def authenticate_options(self, email: str | None) -> str:
        allow: list[PublicKeyCredentialDescriptor] = []
        user_id = None
        if email:
            row = self.db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
            if row:
                user_id = row[0]
                for cred_id, transports in self.db.execute(
                    "SELECT id, transports FROM credentials WHERE user_id = ?", (user_id,)
                ):
                    allow.append(
                        PublicKeyCredentialDescriptor(
                            id=cred_id, transports=[AuthenticatorTransport(t) for t in json.loads(transports)]
                        )
                    )
        options = generate_authentication_options(
            rp_id=self.rp_id,
            allow_credentials=allow,
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        self._issue(b64u(options.challenge), "authentication", user_id)
        return options_to_json(options)

    def authenticate_verify(self, body: dict[str, Any]) -> dict[str, Any]:
        challenge, owner = self._take(body, "authentication")
        row = self.db.execute(
            "SELECT id, user_id, public_key, counter FROM credentials WHERE id = ?", (unb64u(str(body["id"])),)
        ).fetchone()
        if row is None or (owner is not None and owner != row[1]):
            raise HttpError(400, "UNKNOWN_CREDENTIAL", "this passkey is not registered here")
        cred_id, user_id, public_key, counter = row
        v = verify_authentication_response(
            credential=body,
            expected_challenge=unb64u(challenge),
            expected_rp_id=self.rp_id,
            expected_origin=self.origin,
            credential_public_key=public_key,
            credential_current_sign_count=counter,
            require_user_verification=False,
        )
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            changed = db.execute(
                "UPDATE credentials SET counter = ?, backed_up = ?, last_used_at = ? WHERE id = ? AND counter = ?",
                (v.new_sign_count, int(v.credential_backed_up), now_ms(), cred_id, counter),
            ).rowcount
            if changed != 1:
                raise HttpError(400, "COUNTER_REGRESSION", "signature counter did not increase")
            session_id, token = self._new_session(user_id)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return {"userId": user_id, "sessionId": session_id, "token": token, "setCookie": self.cookie(token)}

    def close(self) -> None:
        self.db.close()
