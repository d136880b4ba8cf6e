"""kavach through Python (kavach_passkeys) vs py_webauthn 3 (+ sqlite3), in one process, on the same
inputs. Run pinned to one core (run.sh does `taskset -c 0`).

    .venv/bin/python py-bench.py [--seconds S] [--fixtures .data/fixtures.json] [--json out.json]

1. verify only (no storage): the same pre-signed ES256 assertions (bench/.data/fixtures.json,
   made by gen-fixtures.mjs), stateless verifiers: kavach_passkeys.verify_authentication_response vs
   webauthn.verify_authentication_response. Both are synchronous; one call at a time.
2. full sign-in with storage (authenticate options + verify, durable SQLite, a session row):
   kavach authenticate_options + authenticate_verify vs peers/pywebauthn_store.py. Each assertion
   is signed after its options call; the signing's CPU (measured alone) is subtracted.

ops/s are per CPU-second of the process (time.process_time), so other load on a shared machine
does not skew them; p50/p99 are wall-clock latencies of one pair.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peers"))

import kavach_passkeys  # noqa: E402
import webauthn  # noqa: E402
from kavach_passkeys.plugins import passkey  # noqa: E402
from pywebauthn_store import Peer, b64u, unb64u  # noqa: E402

SECRET = "bench-secret-bench-secret-bench-secret!!"


# ---- a minimal ES256 authenticator (cryptography) ---------------------------------------------
class Cred:
    def __init__(self, key: ec.EllipticCurvePrivateKey | None = None, cred_id: bytes | None = None) -> None:
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        self.id = cred_id or os.urandom(16)
        nums = self.key.public_key().public_numbers()
        self.cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: nums.x.to_bytes(32, "big"), -3: nums.y.to_bytes(32, "big")})
        self.counter = 0
        self.user_handle: bytes | None = None

    def attest(self, options: dict[str, Any], origin: str, rp_id: str) -> dict[str, Any]:
        self.user_handle = unb64u(options["user"]["id"])
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([0x45])
            + b"\0\0\0\0"
            + bytes(16)
            + len(self.id).to_bytes(2, "big")
            + self.id
            + self.cose
        )
        cdj = json.dumps(
            {"type": "webauthn.create", "challenge": options["challenge"], "origin": origin, "crossOrigin": False}
        ).encode()
        att = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64u(self.id),
            "rawId": b64u(self.id),
            "type": "public-key",
            "response": {"clientDataJSON": b64u(cdj), "attestationObject": b64u(att), "transports": ["internal"]},
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def assert_(self, challenge: str, origin: str, rp_id: str) -> dict[str, Any]:
        self.counter += 1
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([0x05]) + self.counter.to_bytes(4, "big")
        cdj = json.dumps(
            {"type": "webauthn.get", "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()
        sig = self.key.sign(auth_data + hashlib.sha256(cdj).digest(), ec.ECDSA(hashes.SHA256()))
        response = {"clientDataJSON": b64u(cdj), "authenticatorData": b64u(auth_data), "signature": b64u(sig)}
        if self.user_handle:
            response["userHandle"] = b64u(self.user_handle)
        return {
            "id": b64u(self.id),
            "rawId": b64u(self.id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }


def throughput(fn: Callable[[int], Any], seconds: float) -> float:
    i = 0
    warm = time.perf_counter() + min(0.5, seconds * 0.2)
    while time.perf_counter() < warm:
        fn(i)
        i += 1
    c0 = time.process_time()
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        fn(i)
        i += 1
        n += 1
    return n / (time.process_time() - c0)


def pairs(options: Callable[[str], Any], verify: Callable[[dict[str, Any]], Any], creds: list[Cred],
          emails: list[str], origin: str, rp_id: str, seconds: float) -> dict[str, float]:
    def one(k: int) -> float:
        u = k % len(creds)
        t = time.perf_counter()
        opts = options(emails[u])
        spent = time.perf_counter() - t
        challenge = opts["challenge"]
        body = creds[u].assert_(challenge, origin, rp_id)
        t = time.perf_counter()
        out = verify(body)
        spent += time.perf_counter() - t
        assert out["token"]
        return spent

    for k in range(max(50, len(creds))):
        one(k)
    lat: list[float] = []
    end = time.perf_counter() + seconds
    k = 0
    c0 = time.process_time()
    while time.perf_counter() < end:
        lat.append(one(k))
        k += 1
    cpu = time.process_time() - c0
    # The signing is the browser's work: its CPU, measured alone on as many assertions, is taken off.
    probe = Cred(creds[0].key, creds[0].id)
    s0 = time.process_time()
    for _ in range(len(lat)):
        probe.assert_("Y2hhbGxlbmdlLWNoYWxsZW5nZS1jaGFsbGVuZ2UtMzI", origin, rp_id)
    busy = cpu - (time.process_time() - s0)
    lat.sort()
    pick = lambda p: lat[min(len(lat) - 1, len(lat) * p // 100)]  # noqa: E731
    return {"ops": len(lat) / busy, "p50": pick(50) * 1e6, "p99": pick(99) * 1e6}


results: list[dict[str, Any]] = []


def report(group: str, name: str, k: float, p: float, extra: str = "") -> None:
    results.append({"group": group, "name": name, "kavach": k, "peer": p, "ratio": k / p})
    print(f"{group:<24} {name:<34} kavach {k:>7,.0f}/s   peer {p:>7,.0f}/s   {k / p:.2f}x{extra}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--fixtures", default=str(HERE / ".data" / "fixtures.json"))
    ap.add_argument("--json", default=None)
    ap.add_argument("--users", type=int, default=64)
    args = ap.parse_args()
    fx = json.loads(Path(args.fixtures).read_text())
    origin, rp_id = fx["origin"], fx["rpId"]
    cases = fx["cases"]

    # ---- 1. verify only
    k_in = [
        dict(
            response=c["response"],
            expected_challenge=c["challenge"],
            expected_origin=origin,
            expected_rp_id=rp_id,
            credential_public_key=c["credential"]["cosePublicKey"],
            credential_counter=c["credential"]["counter"],
        )
        for c in cases
    ]
    p_in = [
        dict(
            credential=c["response"],
            expected_challenge=unb64u(c["challenge"]),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=unb64u(c["credential"]["cosePublicKey"]),
            credential_current_sign_count=c["credential"]["counter"],
            require_user_verification=False,
        )
        for c in cases
    ]
    for a, b in zip(k_in, p_in):
        assert kavach_passkeys.verify_authentication_response(**a)["counter"] == 1
        assert webauthn.verify_authentication_response(**b).new_sign_count == 1
    n = len(cases)
    k = throughput(lambda i: kavach_passkeys.verify_authentication_response(**k_in[i % n]), args.seconds)
    p = throughput(lambda i: webauthn.verify_authentication_response(**p_in[i % n]), args.seconds)
    report("verify only (ES256)", "sequential", k, p)

    # ---- 2. full sign-in with storage
    for db_dir in [d for d in os.environ.get("BENCH_DB_DIRS", "/dev/shm").split(":") if d]:
        kind = "tmpfs" if db_dir.startswith("/dev/shm") else "disk"
        tmp = tempfile.mkdtemp(prefix="kavach-bench-", dir=db_dir)
        try:
            kavach = kavach_passkeys.create_kavach(
                database={"provider": "sqlite", "url": f"file:{tmp}/kavach.db"},
                secret=SECRET,
                base_url=origin,
                plugins=[passkey(rp_name="bench", rp_id=rp_id, origin=[origin])],
            )
            peer = Peer(f"{tmp}/peer.db", rp_id, origin)
            emails = [f"user{i}@bench.example" for i in range(args.users)]
            k_creds, p_creds = [], []
            for email in emails:
                user = kavach.users.create(email)
                token = kavach.sessions.create(user["id"])["token"]
                cred = Cred()
                opts = kavach.register_options(token, {})
                kavach.register_verify(token, cred.attest(dict(opts), origin, rp_id))
                k_creds.append(cred)
                s = peer.signup(email)
                pc = Cred(cred.key, cred.id)
                popts = json.loads(peer.register_options(s["user"]["id"]))
                peer.register_verify(s["user"]["id"], pc.attest(popts, origin, rp_id))
                p_creds.append(pc)
            kr = pairs(
                lambda e: kavach.authenticate_options(e),
                lambda b: kavach.authenticate_verify(b),
                k_creds, emails, origin, rp_id, args.seconds,
            )
            pr = pairs(
                lambda e: json.loads(peer.authenticate_options(e)),
                peer.authenticate_verify,
                p_creds, emails, origin, rp_id, args.seconds,
            )
            report(
                f"sign-in + SQLite ({kind})",
                f"options+verify, sync={os.environ.get('BENCH_SYNC', 'FULL')}",
                kr["ops"], pr["ops"],
                f"   (p50 {kr['p50']:.0f} vs {pr['p50']:.0f} us, p99 {kr['p99']:.0f} vs {pr['p99']:.0f} us)",
            )
            peer.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
