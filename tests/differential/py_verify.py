#!/usr/bin/env python3
"""Differential peer: py_webauthn (PyPI `webauthn`, pinned in requirements.txt).

Usage: .venv/bin/python py_verify.py CASES.jsonl > verdicts.jsonl

Reads one case per line (see README.md), writes one verdict per non-blank line, same order:
  {"id": ..., "verdict": "pass"|"fail", "error": "<ExceptionClass: message>"|null}
A case never crashes the run: any exception becomes a "fail".
"""
import json
import sys

from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.cose import COSEAlgorithmIdentifier

# Ask for EdDSA, ES256, ES384, ES512, PS256, RS256; keep only the ones this py_webauthn knows.
# (py_webauthn 3.0.1 has no ES384 / -35 member, so -35 is dropped.)
WANTED_ALGS = [-8, -7, -35, -36, -37, -257]
_KNOWN = {m.value: m for m in COSEAlgorithmIdentifier}
SUPPORTED_ALGS = [_KNOWN[a] for a in WANTED_ALGS if a in _KNOWN]
UNAVAILABLE_ALGS = [a for a in WANTED_ALGS if a not in _KNOWN]

MAX_ERR = 300


def _fmt(exc: BaseException) -> str:
    msg = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def short_error(exc: BaseException) -> str:
    out = _fmt(exc)
    # py_webauthn often says "See __cause__ for more info" and the format verifiers re-raise
    # without `from`: append the innermost exception of the __cause__/__context__ chain.
    inner, seen = exc, {id(exc)}
    while True:
        nxt = inner.__cause__
        if nxt is None and not inner.__suppress_context__:
            nxt = inner.__context__
        if nxt is None or id(nxt) in seen:
            break
        seen.add(id(nxt))
        inner = nxt
    if inner is not exc:
        out += f" [cause: {_fmt(inner)}]"
    return out if len(out) <= MAX_ERR else out[: MAX_ERR - 3] + "..."


def verify_case(case: dict) -> None:
    """Raise on any failure; return None on a verified response."""
    if not isinstance(case, dict):
        raise TypeError("case is not a JSON object")
    kind = case.get("kind")
    common = dict(
        credential=case["response"],
        expected_challenge=base64url_to_bytes(case["expectedChallenge"]),
        expected_origin=case["expectedOrigin"],
        expected_rp_id=case["expectedRPID"],
        require_user_verification=bool(case.get("requireUserVerification", False)),
    )
    if kind == "registration":
        verify_registration_response(supported_pub_key_algs=SUPPORTED_ALGS, **common)
    elif kind == "authentication":
        verify_authentication_response(
            credential_public_key=base64url_to_bytes(case["credentialPublicKey"]),
            credential_current_sign_count=int(case.get("counter", 0)),
            **common,
        )
    else:
        raise ValueError(f"unknown kind {kind!r}")


def main(argv):
    if len(argv) != 2:
        print("usage: py_verify.py CASES.jsonl", file=sys.stderr)
        return 2
    out = sys.stdout
    with open(argv[1], "r", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            case_id = None
            try:
                case = json.loads(line)
                if isinstance(case, dict):
                    case_id = case.get("id")
                verify_case(case)
                verdict = {"id": case_id, "verdict": "pass", "error": None}
            except Exception as exc:  # noqa: BLE001 - every failure is a verdict
                verdict = {"id": case_id, "verdict": "fail", "error": short_error(exc)}
            out.write(json.dumps(verdict) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
