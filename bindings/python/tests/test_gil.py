"""The GIL is released around the Rust work: two threads verifying in parallel take about the
time of one, not twice as long."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable

import pytest

from kavach_passkeys import verify_authentication_response, verify_registration_response

from authenticator import SoftAuthenticator, random_challenge

ORIGIN = "https://app.example.com"
RP_ID = "example.com"
CALLS = 1500
ROUNDS = 10


def valid_assertion_check() -> Callable[[], object]:
    authenticator = SoftAuthenticator(ORIGIN)
    challenge = random_challenge()
    options = {"challenge": challenge, "rp": {"id": RP_ID}, "user": {"id": "dQ"}}
    registered = verify_registration_response(authenticator.register(options), challenge, ORIGIN, RP_ID)
    challenge = random_challenge()
    response = authenticator.authenticate({"challenge": challenge, "rpId": RP_ID})
    return lambda: verify_authentication_response(
        response, challenge, ORIGIN, RP_ID, registered["publicKey"], 0
    )


def parallel_baseline() -> Callable[[], object]:
    """CPU work that is known to release the GIL (hashlib does for inputs over 2 KiB): tells
    whether this machine can run two threads at once right now."""
    data = os.urandom(64 * 1024)
    return lambda: hashlib.sha256(data).digest()


def ratio(work: Callable[[], object], calls: int) -> float:
    """Wall time of 2 threads x `calls` over 1 thread x `calls`: about 1.0 when the work runs in
    parallel, about 2.0 when it holds the GIL."""

    def timed(threads: int) -> float:
        def loop() -> None:
            for _ in range(calls):
                work()

        workers = [threading.Thread(target=loop) for _ in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return time.perf_counter() - started

    return timed(2) / timed(1)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores")
def test_two_threads_verify_in_parallel() -> None:
    verify, baseline = valid_assertion_check(), parallel_baseline()
    verify()
    seen: list[tuple[float, float]] = []
    # Best of a few rounds: a loaded 2-core machine can take a core away for a while. A verify
    # that held the GIL would give about 2.0 in every round.
    for _ in range(ROUNDS):
        verify_ratio, baseline_ratio = ratio(verify, CALLS), ratio(baseline, 150)
        seen.append((round(verify_ratio, 2), round(baseline_ratio, 2)))
        print(
            f"2 threads / 1 thread: verify {verify_ratio:.2f}, GIL-free hashlib baseline {baseline_ratio:.2f}"
        )
        if verify_ratio < 1.6:
            return
    if min(b for _, b in seen) > 1.4:
        pytest.skip(f"the machine is too loaded to run two threads at once: {seen}")
    pytest.fail(f"verification does not run in parallel (verify, baseline ratios): {seen}")
