"""Operations (DESIGN §10) on the Python side: the event handler's dispatch (plain or ``async def``)
and the process-wide log hook. The core calls both on threads of its own, with the GIL taken
there; nothing here ever raises back into the core.

An ``async def`` handler (or a plain one that returns an awaitable) runs on an event loop:

* the loop that was running when :func:`~kavach_passkeys.create_kavach` was called, else
* the loop of the first request served by kavach's ASGI app (``kavach.asgi()``,
  ``kavach.fastapi_router()``, ``Depends(kavach.current_session)``),

scheduled with :func:`asyncio.run_coroutine_threadsafe`. Until there is one (or once it is
closed) each coroutine runs to completion on kavach's event thread with :func:`asyncio.run`, so
no event is lost, but the handler must not rely on objects bound to another loop.

A handler that raises (or whose coroutine raises) is reported as one JSON line
``{"at", "level": "error", "kind": "event_handler", "type", "message"}`` to the log hook (stderr
without one), and the next event is delivered as usual: a ceremony never sees it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Optional, Union

from . import _native
from .types import Event

__all__ = ["EventDispatch", "EventHandler", "LogHook", "clear_log_hook", "set_log_hook"]

EventHandler = Callable[[Event], Union[Awaitable[None], None]]
LogHook = Callable[[str], Any]

_log_hook: Optional[LogHook] = None


def set_log_hook(hook: LogHook) -> None:
    """Sends every kavach log line (one JSON object as text, no newline: internal errors, security
    refusals, operator warnings) to ``hook`` instead of stderr. Process-wide (log lines also come
    from places that belong to no instance); replaces an earlier hook. ``hook`` runs on a thread of
    kavach's own, through a bounded queue (a full queue drops lines and counts them in
    ``kavach_log_lines_dropped_total``); an exception it raises is printed to stderr with the line."""
    global _log_hook

    def deliver(line: str) -> None:
        try:
            hook(line)
        except Exception as exc:  # the hook's failure must not stop the next line
            print(
                f"kavach: the log hook raised {type(exc).__name__}: {exc}; the line: {line}", file=sys.stderr
            )

    _native.set_log_hook(deliver)
    _log_hook = hook


def clear_log_hook() -> None:
    """Removes the log hook, after delivering what it had pending: lines go to stderr again."""
    global _log_hook
    _native.clear_log_hook()
    _log_hook = None


def flush_log(timeout: float = 5.0) -> bool:
    """Waits at most ``timeout`` seconds until the log hook has received every line so far."""
    return _native.flush_log(timeout)


def report(kind: str, message: str, **fields: Any) -> None:
    """One JSON line, like the core's, to the log hook or stderr."""
    now = time.time()
    at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
    line = json.dumps({"at": at, "level": "error", "kind": kind, **fields, "message": message})
    hook = _log_hook
    try:
        if hook is not None:
            hook(line)
            return
    except Exception:  # a failing hook: stderr below
        pass
    print(line, file=sys.stderr)


class EventDispatch:
    """What the core calls with each event: calls the host's handler, never raises."""

    def __init__(self, handler: EventHandler) -> None:
        if not callable(handler):
            raise TypeError("on_event must be a function (or an async def function)")
        self._handler = handler
        try:
            self.loop: Optional[asyncio.AbstractEventLoop] = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None
        self._pending: set[concurrent.futures.Future[None]] = set()
        self._lock = threading.Lock()

    def bind_loop(self) -> None:
        """Called on an event loop (a request of kavach's ASGI app): the loop for ``async def``
        handlers, when none is known yet."""
        if self.loop is None or self.loop.is_closed():
            self.loop = asyncio.get_running_loop()

    def __call__(self, event: Event) -> None:
        try:
            result = self._handler(event)
            if inspect.isawaitable(result):
                self._run(result, event)
        except Exception as exc:
            _report_failure(exc, event)

    def _run(self, awaitable: Awaitable[None], event: Event) -> None:
        coroutine = _as_coroutine(awaitable)
        loop = self.loop
        if loop is None or loop.is_closed():
            try:
                asyncio.run(coroutine)
            except Exception as exc:
                _report_failure(exc, event)
            return
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        with self._lock:
            self._pending.add(future)

        def done(future: concurrent.futures.Future[None]) -> None:
            with self._lock:
                self._pending.discard(future)
            if not future.cancelled() and future.exception() is not None:
                exc = future.exception()
                assert exc is not None
                _report_failure(exc, event)

        future.add_done_callback(done)

    def pending(self) -> list[concurrent.futures.Future[None]]:
        """The ``async def`` handler calls scheduled on the loop and not finished."""
        with self._lock:
            return list(self._pending)

    def wait_sync(self, timeout: float) -> None:
        """Waits for the scheduled coroutines, unless called on their loop (it would never run them)."""
        pending = self.pending()
        if not pending:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and running is self.loop:
            return
        concurrent.futures.wait(pending, timeout=timeout)

    async def wait_async(self, timeout: float) -> None:
        pending = self.pending()
        if pending:
            await asyncio.wait([asyncio.wrap_future(future) for future in pending], timeout=timeout)


async def _await(awaitable: Awaitable[None]) -> None:
    await awaitable


def _as_coroutine(awaitable: Awaitable[None]) -> Coroutine[Any, Any, None]:
    return awaitable if inspect.iscoroutine(awaitable) else _await(awaitable)


def _report_failure(exc: BaseException, event: Event) -> None:
    report("event_handler", f"the event handler raised {type(exc).__name__}: {exc}", type=event.get("type"))
