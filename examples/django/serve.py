"""Serves the Django demo (demo/) on waitress, listening on 127.0.0.1 and ::1 (run.sh: ``python
serve.py``). WAITRESS_THREADS (8) sets the worker threads."""

import atexit
import errno
import os
import socket
import sys


def listen_loopback(port: int) -> list[socket.socket]:
    """Sockets on both loopback addresses: a browser opening http://localhost:PORT may try either,
    so a port that another server holds on just one of them must stop the demo rather than send
    some requests elsewhere. A machine without IPv6 gets 127.0.0.1 alone. Exits with status 1 and
    a clear message when the port is taken."""
    sockets: list[socket.socket] = []
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue  # no IPv6 on this machine
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, port))
        except OSError as err:
            sock.close()
            if family == socket.AF_INET6 and err.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                continue
            reason = "is already in use" if err.errno == errno.EADDRINUSE else f"cannot be opened ({err})"
            for open_socket in sockets:
                open_socket.close()
            sys.exit(
                f"kavach demo: port {port} on {host} {reason}: "
                f"stop the other server or choose another port, e.g. PORT={port + 1}"
            )
        sockets.append(sock)
    return sockets


def main() -> None:
    import waitress

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    from demo.wsgi import application
    from django.conf import settings

    # Open kavach now (settings.KAVACH): a wrong option stops the demo before it listens.
    from kavach_passkeys.django import get_kavach

    base_path = get_kavach().base_path
    atexit.register(get_kavach().close)  # delivers the pending events before the process ends
    sockets = listen_loopback(settings.PORT)
    web = settings.WEB_DIR / "node_modules" / "@simplewebauthn" / "browser" / "esm" / "index.js"
    if not web.is_file():
        print(f"warning: {web.parent} is missing: run `npm ci` in {settings.WEB_DIR}", file=sys.stderr)
    print(f"kavach demo on {settings.ORIGIN} (passkeys under {settings.ORIGIN}{base_path})", file=sys.stderr)
    # waitress: a threaded, pure-Python production server (bench/README.md says why this one).
    # clear_untrusted_proxy_headers=False: waitress would otherwise drop X-Forwarded-For before
    # kavach sees it; kavach's own trusted_proxies rule decides what to believe (DESIGN §11).
    waitress.serve(
        application,
        sockets=sockets,
        threads=int(os.environ.get("WAITRESS_THREADS") or "8"),
        clear_untrusted_proxy_headers=False,
        ident=None,
    )


if __name__ == "__main__":
    main()
