#!/usr/bin/env python3
"""Convert /work/shared/conformance/*/*.json vectors into the differential JSONL case format.

Usage: python3 conformance_to_cases.py [CONFORMANCE_DIR] [--repeat N] > cases.jsonl

id = path relative to CONFORMANCE_DIR (with "#k" appended for k>0 when --repeat N > 1).
Only the fields of the case format are emitted; policy fields of the vectors
(allowCrossOrigin, expectedTopOrigins, allowSubdomains, appid, rootCertificatesPEM,
verificationTime) are NOT passed on: the peers are run with their defaults.
"""
import argparse
import json
import os
import sys

FIELDS = ["kind", "response", "expectedChallenge", "expectedOrigin", "expectedRPID",
          "requireUserVerification"]
AUTH_FIELDS = ["credentialPublicKey", "counter", "credentialId"]


def load_vectors(root):
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".json"):
                full = os.path.join(dirpath, name)
                yield os.path.relpath(full, root), full
    

def to_case(rel, vec):
    case = {"id": rel}
    for k in FIELDS:
        if k in vec:
            case[k] = vec[k]
    case.setdefault("requireUserVerification", False)
    if vec.get("kind") == "authentication":
        for k in AUTH_FIELDS:
            if k in vec and vec[k] is not None:
                case[k] = vec[k]
    return case


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root", nargs="?", default="/work/shared/conformance")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    vecs = sorted(load_vectors(args.root))
    cases = [to_case(rel, json.load(open(full, encoding="utf-8"))) for rel, full in vecs]
    for k in range(args.repeat):
        for c in cases:
            if k:
                c = dict(c, id=f"{c['id']}#{k}")
            sys.stdout.write(json.dumps(c) + "\n")


if __name__ == "__main__":
    main()
