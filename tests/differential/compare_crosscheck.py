#!/usr/bin/env python3
"""Compare peer verdicts on the conformance vectors with each vector's recorded `crossCheck`.

Usage: python3 compare_crosscheck.py PY_VERDICTS.jsonl SWA_VERDICTS.jsonl [CONFORMANCE_DIR]
Prints a markdown table; exits 0 (differences are information, not errors).
"""
import json
import os
import sys


def load(path):
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                v = json.loads(line)
                out.setdefault(v["id"], v)
    return out


def recorded(cc, prefix):
    for k, v in (cc or {}).items():
        if k.startswith(prefix):
            return k, v
    return None, None


def short(s, n=90):
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 3] + "..."


def main():
    py, swa = load(sys.argv[1]), load(sys.argv[2])
    root = sys.argv[3] if len(sys.argv) > 3 else "/work/shared/conformance"
    ids = sorted(set(py) | set(swa))
    rows, diffs = [], {"py": 0, "swa": 0}
    for i in ids:
        vec = json.load(open(os.path.join(root, i), encoding="utf-8"))
        _, py_cc = recorded(vec.get("crossCheck"), "py_webauthn")
        _, swa_cc = recorded(vec.get("crossCheck"), "@simplewebauthn/server")
        cells = [i, vec.get("expect", "?")]
        for tag, ours, cc in (("py", py.get(i), py_cc), ("swa", swa.get(i), swa_cc)):
            ov = ours["verdict"] if ours else "MISSING"
            ccv = "pass" if str(cc).startswith("pass") else ("fail" if cc else "?")
            same = ov == ccv
            if not same:
                diffs[tag] += 1
            cell = ov if same else f"**{ov}** (was {ccv})"
            if ours and ours.get("error"):
                cell += f": {short(ours['error'])}"
            cells.append(cell)
        rows.append(cells)
    print("| vector | expect | py_webauthn (ours) vs crossCheck | @simplewebauthn/server (ours) vs crossCheck 13.3.3 |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    print()
    print(f"differences from crossCheck: py_webauthn {diffs['py']}, @simplewebauthn/server {diffs['swa']} (of {len(ids)})")


if __name__ == "__main__":
    main()
