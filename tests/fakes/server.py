"""A loopback aiohttp server in a background thread, so every fake can serve synchronous tests."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Self

from aiohttp import web

CONTROL_PREFIX = "/_control/"
BODY: web.RequestKey[Any] = web.RequestKey("body", object)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it, with the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int
    body: Any = None
    at: float = 0.0
    """When the request arrived (time.time()), so a bench can time commit -> post."""
    path_qs: str = ""
    """Path and raw query string, repeated keys included (`query` keeps the first of each)."""


class Held:
    """Requests parked on the server loop until the test calls `release()`."""

    def __init__(self, path_contains: str | None = None, method: str | None = None) -> None:
        self.path_contains = path_contains
        self.method = method
        self.arrived = threading.Event()
        self.released = threading.Event()
        self.count = 0
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._lock = threading.Lock()

    def matches(self, request: web.Request) -> bool:
        if self.method is not None and request.method != self.method.upper():
            return False
        return self.path_contains is None or self.path_contains in request.path_qs

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self.released.is_set():
                return
            self.count += 1
            self._waiters.append((loop, future))
        self.arrived.set()
        await future

    def release(self) -> None:
        with self._lock:
            self.released.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


class ThreadedServer:
    """Serves `add_routes()` on 127.0.0.1:<free port> from its own thread and event loop."""

    control_ops: ClassVar[tuple[str, ...]] = (
        "reset", "clear_requests", "requests", "release_all", "stats", "clear_stats", "set_latency",
    )
    backlog: ClassVar[int] = 1024
    """Listen backlog: a burst of new connections is queued, not refused (Linux caps it at somaxconn)."""

    def __init__(self) -> None:
        self.url = ""
        self.port = 0
        """The port to listen on; 0 picks a free one. Set before `start()`."""
        self.latency = 0.0
        """Seconds every request waits before it is answered (control requests excepted)."""
        self.connections_opened = 0
        self.bytes_sent = 0
        self.lock = threading.Lock()
        self._recorded = threading.Condition(self.lock)
        self._requests: list[RecordedRequest] = []
        self._holds: list[Held] = []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Subclasses register their routes here."""

    async def intercept(self, request: web.Request) -> web.StreamResponse | None:
        """Subclasses may answer before the route handler runs (injected failures)."""
        return None

    def start(self) -> Self:
        if self._thread is not None:
            return self
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"{type(self).__name__} did not start within 10 s")
        if self._error is not None:
            raise RuntimeError(f"{type(self).__name__} failed to start") from self._error
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self.release_all()
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        self._thread.join(10)
        self._thread = None
        self.url = ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.lock:
            return list(self._requests)

    def wait_for_requests(self, n: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Block until `n` requests were recorded (no polling); raises TimeoutError."""
        with self._recorded:
            if not self._recorded.wait_for(lambda: len(self._requests) >= n, timeout):
                raise TimeoutError(f"{len(self._requests)} of {n} requests after {timeout}s")
            return list(self._requests)

    def clear_requests(self) -> None:
        with self.lock:
            self._requests.clear()

    def set_latency(self, ms: float = 0.0) -> None:
        """Delay every answer by `ms` milliseconds (an upstream's round trip, on loopback)."""
        self.latency = max(0.0, float(ms)) / 1000

    def stats(self) -> dict[str, int]:
        """Counters since the start or `clear_stats()`: requests answered, TCP connections the
        clients opened, bytes written to them (status line, headers and bodies)."""
        with self.lock:
            return {"requests": len(self._requests), "connections_opened": self.connections_opened,
                    "bytes_sent": self.bytes_sent}

    def clear_stats(self) -> None:
        with self.lock:
            self._requests.clear()
            self.connections_opened = 0
            self.bytes_sent = 0

    def hold(self, path_contains: str | None = None, method: str | None = None) -> Held:
        held = Held(path_contains, method)
        with self.lock:
            self._holds.append(held)
        return held

    def release_all(self) -> None:
        with self.lock:
            holds, self._holds = self._holds, []
        for held in holds:
            held.release()

    def reset(self) -> None:
        self.release_all()
        self.clear_requests()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # noqa: BLE001 - surfaced to start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post(CONTROL_PREFIX + "{op}", self._control)
        self.add_routes(app.router)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        self._count_connections(runner)
        site = web.TCPSite(runner, "127.0.0.1", self.port, backlog=self.backlog)
        await site.start()
        host, port = runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def _count_connections(self, runner: web.AppRunner) -> None:
        """Counts the connections clients open and the bytes written to them, leaving out the
        control API's own traffic: a connection counts from its first non-control request.
        aiohttp already sets TCP_NODELAY on each connection and writes a small response in one
        `write`."""
        server = runner.server
        if server is None:
            return
        made = server.connection_made

        def connection_made(handler: Any, transport: Any) -> None:
            write, writelines = transport.write, transport.writelines

            def counted_write(data: Any) -> None:
                if getattr(transport, "_fake_counted", False):
                    with self.lock:
                        self.bytes_sent += len(data)
                write(data)

            def counted_writelines(chunks: Any) -> None:
                chunks = list(chunks)
                if getattr(transport, "_fake_counted", False):
                    with self.lock:
                        self.bytes_sent += sum(len(c) for c in chunks)
                writelines(chunks)

            transport.write, transport.writelines = counted_write, counted_writelines
            made(handler, transport)

        server.connection_made = connection_made  # type: ignore[method-assign]

    def _count_request_connection(self, request: web.Request) -> None:
        transport = request.transport
        if transport is not None and not getattr(transport, "_fake_counted", False):
            transport._fake_counted = True  # type: ignore[attr-defined]
            with self.lock:
                self.connections_opened += 1

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        arrived = time.time()
        self._count_request_connection(request)
        if not request.content_type.startswith("multipart/"):
            request[BODY] = _decode(await request.read())
        held = self._matching_hold(request)
        if held is not None:
            await held.wait()
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            response = await self.intercept(request)
            if response is None:
                response = await handler(request)
        except web.HTTPException as exc:
            self._record(request, exc.status, arrived)
            raise
        self._record(request, response.status, arrived)
        return response

    def _matching_hold(self, request: web.Request) -> Held | None:
        with self.lock:
            self._holds = [h for h in self._holds if not h.released.is_set()]
            return next((h for h in self._holds if h.matches(request)), None)

    def _record(self, request: web.Request, status: int, arrived: float = 0.0) -> None:
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            status=status,
            body=request.get(BODY),
            at=arrived,
            path_qs=request.path_qs,
        )
        with self.lock:
            self._requests.append(record)
            self._recorded.notify_all()

    async def _control(self, request: web.Request) -> web.Response:
        op = request.match_info["op"]
        if op not in self.control_ops:
            return web.json_response({"error": f"unknown control op {op!r}"}, status=404)
        data = await request.json() if request.can_read_body else {}
        if not isinstance(data, dict):
            return web.json_response({"error": "body must be a JSON object"}, status=400)
        args = data.pop("args", [])
        target = getattr(self, op)
        try:
            result = target(*args, **data) if callable(target) else target
        except (TypeError, ValueError, KeyError) as exc:
            return web.json_response({"error": f"{type(exc).__name__}: {exc}"}, status=400)
        return web.json_response({"result": jsonable(result)})


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
