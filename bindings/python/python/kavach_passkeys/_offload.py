"""How the ASGI and FastAPI adapters run a request: always off the event loop, on the native
worker threads of ``_native.Completions``, resolved on the loop without a GIL handoff.

The native call releases the GIL, but the thread that makes it waits for it: on the event loop
that wait would stall every other request of the process, for an fsync of several ms on a real
disk (a sign-in's durable commit), or for SQLite's writer lock behind one, or for PostgreSQL. So
no request runs inline.

The hop is made cheap instead. Measured on the sign-in benchmark (16 clients, FastAPI, one
core, server CPU per options + verify pair, in process, against running both inline):

- ``run_in_executor`` / ``asyncio.to_thread`` for both requests: 50 to 60 us more per pair. A
  Python worker takes the GIL to start the call and again to resolve its future, and wakes the
  loop through its self-pipe; on a busy loop every handoff waits for the loop to drop the GIL.
- options inline, verify through ``run_in_executor``: still 30 to 35 us more (and an inline
  options request can wait for SQLite's writer lock behind a sign-in's fsync).
- ``Completions`` for both: the same as inline, within noise. A worker never takes the GIL: it
  queues its answer and, if the loop has not been told yet, writes one byte to a pipe the loop
  watches (``loop.add_reader``); the loop drains every ready answer in one call.

A loop that cannot watch a file descriptor (Windows' proactor loop) falls back to
``run_in_executor``.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any, Optional

from . import _native

if TYPE_CHECKING:
    from ._kavach import Kavach

__all__ = ["Runner"]

NativeResponse = tuple[int, list[tuple[bytes, bytes]], bytes]


class Runner:
    """Calls the native router off the event loop."""

    __slots__ = ("_native",)

    def __init__(self, kavach: Kavach) -> None:
        self._native: _native.KavachNative = kavach._native

    async def handle_asgi(
        self, method: str, path: str, headers: Any, body: bytes, client: Optional[str]
    ) -> NativeResponse:
        """``KavachNative.handle_asgi`` on a worker thread."""
        loop = asyncio.get_running_loop()
        waiter = _waiter(loop)
        if waiter is None:
            return await loop.run_in_executor(
                None, self._native.handle_asgi, method, path, headers, body, client
            )
        future: asyncio.Future[NativeResponse] = loop.create_future()
        waiter.pending[waiter.completions.submit(self._native, method, path, headers, body, client)] = future
        return await future


class _Waiter:
    """One event loop's side of ``_native.Completions``: the futures waiting for a worker, and
    the ``add_reader`` callback that resolves them."""

    __slots__ = ("__weakref__", "completions", "pending")

    def __init__(self) -> None:
        self.completions = _native.Completions()
        self.pending: dict[int, asyncio.Future[NativeResponse]] = {}

    def resolve(self) -> None:
        for ticket, response in self.completions.drain():
            future = self.pending.pop(ticket, None)
            if future is not None and not future.done():  # done: cancelled (client went away)
                future.set_result(response)


_WAITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Optional[_Waiter]] = (
    weakref.WeakKeyDictionary()
)


def _waiter(loop: asyncio.AbstractEventLoop) -> Optional[_Waiter]:
    """The loop's waiter, created on its first request; ``None`` if the loop cannot watch a file
    descriptor or be weakly referenced (then ``run_in_executor`` is used)."""
    try:
        return _WAITERS[loop]
    except KeyError:
        pass
    except TypeError:
        return None
    waiter: Optional[_Waiter] = _Waiter()
    try:
        loop.add_reader(waiter.completions.fileno(), waiter.resolve)  # type: ignore[union-attr]
    except NotImplementedError:
        waiter = None
    _WAITERS[loop] = waiter
    return waiter
