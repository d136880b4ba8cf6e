"""A passkey registration and sign-in through the installed ``kavach_passkeys`` wheel (from
dist/), with real ES256 signatures from the software authenticator the Python tests use (copied
next to this file by run.sh). Run by tests/install/run.sh with no Rust toolchain on PATH."""

import base64
import json
import sys

import kavach_passkeys
from authenticator import SoftAuthenticator
from kavach_passkeys import create_kavach
from kavach_passkeys.plugins import passkey

ORIGIN = "http://localhost:3000"
assert kavach_passkeys.__version__ == sys.argv[1], kavach_passkeys.__version__
assert "site-packages" in kavach_passkeys._native.__file__, kavach_passkeys._native.__file__

kavach = create_kavach(
    database={"provider": "sqlite", "url": "file:kavach.db"},
    secret="install-test-secret-0123456789abcdef0123",
    base_url=ORIGIN,
    plugins=[passkey(rp_name="Install test", rp_id="localhost")],
)
user = kavach.users.create("ada@example.com", "Ada")
token = kavach.sessions.create(user["id"])["token"]

authenticator = SoftAuthenticator(ORIGIN)
credential = kavach.register_verify(token, authenticator.register(kavach.register_options(token)))
assert credential["id"] == authenticator.id

headers = [("content-type", "application/json"), ("origin", ORIGIN)]
response = kavach.handle("POST", "/auth/passkey/authenticate/options", headers, b'{"email": "ada@example.com"}')
assert response.status == 200, response.body
assertion = authenticator.authenticate(response.json())
response = kavach.handle("POST", "/auth/passkey/authenticate/verify", headers, json.dumps(assertion).encode())
assert response.status == 200, response.body
assert response.json()["userId"] == user["id"]
session = kavach.sessions.get(response.header("set-cookie").split(";")[0])
assert session is not None and session["user"]["email"] == "ada@example.com"

# A tampered signature is refused: verification really happens.
options = kavach.handle("POST", "/auth/passkey/authenticate/options", headers, b"{}").json()
forged = authenticator.authenticate(options)
signature = bytearray(base64.urlsafe_b64decode(forged["response"]["signature"] + "=="))
signature[-1] ^= 1
forged["response"]["signature"] = base64.urlsafe_b64encode(bytes(signature)).rstrip(b"=").decode()
response = kavach.handle("POST", "/auth/passkey/authenticate/verify", headers, json.dumps(forged).encode())
assert response.json()["code"] == "VERIFICATION_FAILED", response.body

print(f"wheel: kavach_passkeys {kavach_passkeys.__version__} from {kavach_passkeys._native.__file__}: "
      "registered and signed in, forged signature refused")
