"""``kavach.wsgi()``: the WSGI adapter's translation (PEP 3333 environ in, status line and headers
out), alone, in front of another app, and behind a real server (waitress), whose header joining
and dechunking the adapter has to undo."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
from waitress import wasyncore
from waitress.server import create_server

from kavach_passkeys import Kavach, create_kavach
from kavach_passkeys._wsgi import StartResponse, WSGIEnvironment

from authenticator import SoftAuthenticator
from conftest import ORIGIN, SignedUp, config

OPTIONS = "/auth/passkey/authenticate/options"
VERIFY = "/auth/passkey/authenticate/verify"
LIMIT = 64 * 1024


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status_line = status
        self.status = int(status.split(" ", 1)[0])
        self.headers = headers
        self.body = body

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name]

    def json(self) -> Any:
        return json.loads(self.body)


def environ(
    method: str = "GET",
    path: str = "/auth/session",
    body: Optional[bytes] = None,
    *,
    headers: Optional[dict[str, str]] = None,
    remote_addr: Optional[str] = "127.0.0.1",
    **extra: Any,
) -> WSGIEnvironment:
    env: WSGIEnvironment = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "3000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body or b""),
        "wsgi.url_scheme": "http",
    }
    if remote_addr is not None:
        env["REMOTE_ADDR"] = remote_addr
    if body is not None:
        env["CONTENT_LENGTH"] = str(len(body))
        env["CONTENT_TYPE"] = "application/json"
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    env.update(extra)
    return env


def call(app: Any, env: WSGIEnvironment) -> Answer:
    captured: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured.extend([status, headers])

    body = b"".join(app(env, start_response))
    return Answer(captured[0], captured[1], body)


def post(app: Any, path: str, value: Any, **kwargs: Any) -> Answer:
    return call(app, environ("POST", path, json.dumps(value).encode(), **kwargs))


def cookie_of(answer: Answer) -> str:
    return answer.all("set-cookie")[0].split(";", 1)[0]


def test_serves_a_whole_ceremony_with_cookies(kavach: Kavach) -> None:
    app = kavach.wsgi()
    user = kavach.users.create("ada@example.com")
    cookie = kavach.sessions.create(user["id"])["setCookie"].split(";", 1)[0]
    authenticator = SoftAuthenticator(ORIGIN)
    options = post(app, "/auth/passkey/register/options", {}, headers={"cookie": cookie}).json()
    answer = post(
        app, "/auth/passkey/register/verify", authenticator.register(options), headers={"cookie": cookie}
    )
    assert (answer.status_line, answer.json()["verified"]) == ("200 OK", True)

    options = post(app, OPTIONS, {}).json()
    answer = post(app, VERIFY, authenticator.authenticate(options))
    assert answer.status == 200
    assert answer.json()["userId"] == user["id"]
    signed_in = cookie_of(answer)
    assert signed_in.startswith("kavach_session=")
    assert answer.all("content-length") == [str(len(answer.body))]

    answer = call(app, environ(headers={"cookie": signed_in}))
    assert answer.json()["user"]["id"] == user["id"]
    answer = call(app, environ("POST", "/auth/sign-out", b"", headers={"cookie": signed_in}))
    assert answer.json() == {"signedOut": True}
    assert answer.all("set-cookie")[0].startswith("kavach_session=;")
    assert "Max-Age=0" in answer.all("set-cookie")[0]


def test_errors_have_the_core_shape_and_status_line(kavach: Kavach) -> None:
    app = kavach.wsgi()
    answer = call(app, environ())
    assert answer.status_line == "401 Unauthorized"
    assert set(answer.json()) == {"error", "code", "status"}
    assert (answer.json()["code"], answer.json()["status"]) == ("UNAUTHORIZED", 401)
    answer = call(app, environ(path="/elsewhere"))
    assert (answer.status_line, answer.json()["code"]) == ("404 Not Found", "NOT_FOUND")
    answer = call(app, environ("PUT", OPTIONS, b"{}"))
    assert (answer.status, answer.json()["code"]) == (405, "METHOD_NOT_ALLOWED")
    answer = post(app, OPTIONS, {}, headers={"origin": "https://evil.example"})
    assert (answer.status, answer.json()["code"]) == (403, "FORBIDDEN_ORIGIN")


def test_passes_other_paths_to_the_app_behind_it_untouched(kavach: Kavach) -> None:
    seen: list[WSGIEnvironment] = []

    def host(env: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        seen.append(env)
        start_response("200 OK", [("set-cookie", "a=1; Path=/"), ("set-cookie", "b=2; Path=/")])
        return [b"host"]

    app = kavach.wsgi(host)
    answer = call(app, environ(path="/hello"))
    assert (answer.body, answer.all("set-cookie")) == (b"host", ["a=1; Path=/", "b=2; Path=/"])
    assert call(app, environ(path="/authx")).body == b"host"  # not under basePath
    assert call(app, environ(path="/auth/session")).status == 401
    assert len(seen) == 2


def test_a_body_over_64_kib_is_413_from_the_core(kavach: Kavach) -> None:
    app = kavach.wsgi()
    answer = call(app, environ("POST", VERIFY, b"x" * (LIMIT + 1)))
    assert (answer.status, answer.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert answer.json()["status"] == 413
    # Exactly the limit is read whole and parsed (bad JSON, not too large).
    answer = call(app, environ("POST", VERIFY, b"{" * LIMIT))
    assert (answer.status, answer.json()["code"]) == (400, "INVALID_REQUEST")


def test_a_huge_content_length_reads_only_one_byte_past_the_limit(kavach: Kavach) -> None:
    stream = io.BytesIO(b"x" * (10 * LIMIT))
    env = environ("POST", VERIFY, b"", CONTENT_LENGTH=str(10 * LIMIT))
    env["wsgi.input"] = stream
    answer = call(kavach.wsgi(), env)
    assert (answer.status, answer.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert stream.tell() == LIMIT + 1


class NeverEnds(io.RawIOBase):
    """A request stream that would block: reading it is a bug."""

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("read a stream without CONTENT_LENGTH or wsgi.input_terminated")


@pytest.mark.parametrize("length", [None, "", "abc", "-5", "1e3"])
def test_missing_or_invalid_content_length_means_no_body(kavach: Kavach, length: Optional[str]) -> None:
    env = environ("POST", VERIFY)
    env["wsgi.input"] = NeverEnds()
    if length is not None:
        env["CONTENT_LENGTH"] = length
    answer = call(kavach.wsgi(), env)
    assert (answer.status, answer.json()["code"]) == (400, "INVALID_REQUEST")
    # Options take an empty body as {}.
    env = environ("POST", OPTIONS)
    env["wsgi.input"] = NeverEnds()
    assert call(kavach.wsgi(), env).status == 200


def test_chunked_input_is_read_when_the_server_terminates_it(kavach: Kavach) -> None:
    env = environ("POST", VERIFY, HTTP_TRANSFER_ENCODING="chunked")
    env["wsgi.input"] = io.BytesIO(b"y" * (2 * LIMIT))
    env["wsgi.input_terminated"] = True
    answer = call(kavach.wsgi(), env)
    assert (answer.status, answer.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
    env = environ("POST", OPTIONS, HTTP_TRANSFER_ENCODING="chunked")
    env["wsgi.input"] = io.BytesIO(b'{"email": "ada@example.com"}')
    env["wsgi.input_terminated"] = True
    answer = call(kavach.wsgi(), env)
    assert answer.status == 200
    assert answer.json()["allowCredentials"]  # the email was read: its (fake) credentials are offered


@pytest.mark.parametrize(
    "joined",
    [
        "theme=dark, {session}",  # two Cookie fields, joined by the server with a comma
        "theme=dark,{session}",  # gunicorn's join
        "kavach_session=stale-or-planted, {session}",  # a malformed one first does not hide it
        "kavach_session=stale-or-planted; {session}",  # one field, several cookies
        "{session}; theme=dark",
    ],
)
def test_every_cookie_field_is_read(signed_up: SignedUp, kavach: Kavach, joined: str) -> None:
    session = f"kavach_session={signed_up.token}"
    answer = call(kavach.wsgi(), environ(headers={"cookie": joined.format(session=session)}))
    assert answer.status == 200
    assert answer.json()["user"]["id"] == signed_up.user["id"]


def test_bearer_token_is_read(signed_up: SignedUp, kavach: Kavach) -> None:
    answer = call(kavach.wsgi(), environ(headers={"authorization": f"Bearer {signed_up.token}"}))
    assert answer.json()["user"]["id"] == signed_up.user["id"]


def test_client_key_is_the_core_s_trusted_proxies_rule_on_remote_addr() -> None:
    kavach = create_kavach(config(rate_limit={"max": 1, "window": 60}, trusted_proxies=["10.0.0.0/8"]))
    app = kavach.wsgi()

    def send(peer: Optional[str], forwarded_for: str) -> int:
        return post(app, OPTIONS, {}, headers={"x-forwarded-for": forwarded_for}, remote_addr=peer).status

    # From a trusted proxy, each forwarded client has its own budget; what a client prepends
    # to the header is ignored.
    assert send("10.0.0.2", "203.0.113.1") == 200
    assert send("10.0.0.2", "203.0.113.2") == 200
    assert send("10.0.0.3", "203.0.113.1") == 429  # another proxy, same client
    assert send("10.0.0.2", "198.51.100.9, 203.0.113.2") == 429
    # From an untrusted peer the header is ignored: the peer is the key.
    assert send("192.0.2.7", "198.51.100.1") == 200
    assert send("192.0.2.7", "198.51.100.2") == 429
    # No REMOTE_ADDR (a Unix socket): not rate-limited.
    assert [send(None, "198.51.100.3") for _ in range(3)] == [200, 200, 200]


def test_query_string_reaches_the_core(kavach: Kavach) -> None:
    user = kavach.users.create("ada@example.com")
    token = kavach.sessions.create(user["id"])["token"]

    def activity(query: str) -> Answer:
        signed_in = {"authorization": f"Bearer {token}"}
        return call(
            kavach.wsgi(), environ(path="/auth/passkey/activity", headers=signed_in, QUERY_STRING=query)
        )

    everything = activity("").json()["events"]
    assert [e["type"] for e in everything] == ["session.created", "user.created"]
    first = activity("limit=1").json()
    assert len(first["events"]) == 1 and first["nextCursor"]
    assert first["events"] + activity(f"limit=1&before={first['nextCursor']}").json()["events"] == everything
    assert activity("limit=0").json()["code"] == "INVALID_REQUEST"


def test_script_name_is_part_of_the_path(kavach: Kavach) -> None:
    answer = call(kavach.wsgi(), environ(path="/session", SCRIPT_NAME="/auth"))
    assert answer.json()["code"] == "UNAUTHORIZED"


# ---- behind a real server: waitress joins repeated header fields and dechunks bodies itself


@contextlib.contextmanager
def waitress_serving(kavach: Kavach, **adjustments: Any) -> Iterator[int]:
    server = create_server(kavach.wsgi(), host="127.0.0.1", port=0, threads=2, **adjustments)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)  # type: ignore[union-attr]
    finally:
        # Closed from the server's own loop (closing its sockets from this thread while it
        # waits in select() is EBADF there); the loop ends once its map is empty.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))  # type: ignore[union-attr]
        thread.join(5)
        server.task_dispatcher.shutdown()


@pytest.fixture
def served(kavach: Kavach) -> Iterator[int]:
    with waitress_serving(kavach) as port:
        yield port


def raw_request(port: int, lines: list[str], body: bytes = b"") -> tuple[int, list[tuple[str, str]], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(lines[0].split(" ")[0], lines[0].split(" ")[1], skip_accept_encoding=True)
        for line in lines[1:]:
            name, value = line.split(": ", 1)
            connection.putheader(name, value)
        connection.endheaders(body if body else None)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def test_waitress_two_cookie_fields_and_set_cookie(served: int, kavach: Kavach, signed_up: SignedUp) -> None:
    status, _, body = raw_request(
        served, ["GET /auth/session", "Cookie: theme=dark", f"Cookie: kavach_session={signed_up.token}"]
    )
    assert (status, json.loads(body)["user"]["id"]) == (200, signed_up.user["id"])
    options = kavach.authenticate_options()
    payload = json.dumps(signed_up.authenticator.authenticate(dict(options))).encode()
    status, headers, _ = raw_request(
        served,
        [
            "POST /auth/passkey/authenticate/verify",
            "Content-Type: application/json",
            f"Content-Length: {len(payload)}",
        ],
        payload,
    )
    assert status == 200
    assert [value.split("=")[0] for name, value in headers if name.lower() == "set-cookie"] == [
        "kavach_session"
    ]


def test_waitress_chunked_body_over_the_limit_is_413(served: int) -> None:
    chunk = b"z" * 8192
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(10)) + b"0\r\n\r\n"
    status, _, body = raw_request(
        served,
        [
            "POST /auth/passkey/authenticate/verify",
            "Transfer-Encoding: chunked",
            "Content-Type: application/json",
        ],
        chunked,
    )
    assert (status, json.loads(body)["code"]) == (413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("clear", [True, False])
def test_waitress_must_keep_x_forwarded_for_for_trusted_proxies(clear: bool) -> None:
    """waitress drops X-Forwarded-For by default (``clear_untrusted_proxy_headers``): behind a
    proxy every client would then share the proxy's budget. The examples and docs turn it off
    so that the core's ``trusted_proxies`` rule decides."""
    kavach = create_kavach(config(rate_limit={"max": 1, "window": 60}, trusted_proxies=["127.0.0.1"]))
    with waitress_serving(kavach, clear_untrusted_proxy_headers=clear) as port:
        statuses = [
            raw_request(
                port, [f"POST {OPTIONS}", f"X-Forwarded-For: 203.0.113.{i}", "Content-Length: 2"], b"{}"
            )[0]
            for i in (1, 2)
        ]
    assert statuses == ([200, 429] if clear else [200, 200])


def test_the_gil_is_released_while_the_core_works(tmp_path: Path) -> None:
    """A sign-in that waits for SQLite's write lock (held by another process: POSIX locks do not
    separate two SQLite libraries within one process) must not hold the GIL meanwhile: this
    thread has to run to tell that process to let go. Were the GIL held, the sign-in would wait
    out the core's 5 s busy timeout and fail."""
    file = tmp_path / "kavach.db"
    kavach = create_kavach(config(database={"provider": "sqlite", "url": f"file:{file}"}))
    signed_up = SignedUp(kavach)
    options = kavach.authenticate_options()
    body = json.dumps(signed_up.authenticator.authenticate(dict(options))).encode()
    app = kavach.wsgi()
    holder = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)\n"
        "db.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.readline()\n"
        "db.execute('COMMIT')\n"
    )
    blocker = subprocess.Popen(
        [sys.executable, "-c", holder, str(file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert blocker.stdout is not None and blocker.stdout.readline().strip() == "locked"
        answers: list[Answer] = []
        worker = threading.Thread(target=lambda: answers.append(call(app, environ("POST", VERIFY, body))))
        started = time.monotonic()
        worker.start()
        time.sleep(0.5)  # returns only if this thread gets the GIL while the worker is in the core
        waiting = worker.is_alive()
        assert blocker.stdin is not None
        blocker.stdin.write("go\n")
        blocker.stdin.flush()
        worker.join(10)
    finally:
        if blocker.poll() is None:
            blocker.kill()
        blocker.wait(5)
    assert waiting, "the sign-in did not wait for the write lock"
    assert answers and answers[0].status == 200, answers[0].body if answers else None
    assert time.monotonic() - started < 4
