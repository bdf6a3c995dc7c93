"""The HTTP surface: GET /status, /healthz, /metrics and POST /slack/commands, on aiohttp (which
discord.py already brings). Off unless `settings.http_listen` is set; loopback by default."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable

from aiohttp import web

from .app import App
from .metrics import CONTENT_TYPE
from .slack_commands import MAX_BODY, answer, verify
from .status_views import poll_reply

log = logging.getLogger(__name__)
POLL_REPLY_WITHIN = 2.5


def _bound_port(runner: web.AppRunner) -> int:
    """The port the OS picked for ':0' (tests)."""
    for address in runner.addresses:
        return int(address[1])
    raise RuntimeError("status server is not listening")


class StatusServer:
    """Serves the status model; `scheduler_running` tells /healthz whether polls are scheduled."""

    def __init__(self, app: App, scheduler_running: Callable[[], bool],
                 now: Callable[[], float] = time.time) -> None:
        self.app, self.scheduler_running, self.now = app, scheduler_running, now
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._polls: set[asyncio.Task[object]] = set()

    def web_app(self) -> web.Application:
        wa = web.Application(client_max_size=MAX_BODY)
        wa.router.add_get("/status", self.status)
        wa.router.add_get("/healthz", self.healthz)
        wa.router.add_get("/metrics", self.metrics)
        wa.router.add_post("/slack/commands", self.slack)
        return wa

    async def start(self, listen: str) -> None:
        host, _, port = listen.rpartition(":")
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host or "127.0.0.1", int(port))
        await site.start()
        self.port = int(port) or _bound_port(self._runner)
        log.info("status endpoint on http://%s:%s (/status, /healthz, /metrics, /slack/commands)",
                 host or "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def status(self, request: web.Request) -> web.Response:
        return web.json_response(self.app.health().to_json())

    async def healthz(self, request: web.Request) -> web.Response:
        reason = None if self.scheduler_running() else "scheduler not running"
        reason = reason or self.app.store.writable()
        status = 200 if reason is None else 503
        return web.json_response({"ok": reason is None, "reason": reason}, status=status)

    async def metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.app.metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    async def slack(self, request: web.Request) -> web.Response:
        declared = request.content_length
        if declared is not None and declared > MAX_BODY:
            return web.Response(status=413, text="request body too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="request body too large")
        secret = os.environ.get("RW_SLACK_SIGNING_SECRET")
        if not secret:
            return web.Response(status=401, text="RW_SLACK_SIGNING_SECRET is not set")
        why = verify(secret, request.headers.get("X-Slack-Request-Timestamp"), body,
                     request.headers.get("X-Slack-Signature"), self.now())
        if why:
            log.info("slack command refused: %s", why)
            return web.Response(status=401, text=why)
        slack = self.app.config.settings.slack
        reply = await answer(body, health=self.app.health,
                             timezone=self.app.config.settings.timezone, public=slack.public,
                             admins=slack.admins, poll=self.poll,
                             watches=list(self.app.config.watches))
        return web.Response(text=json.dumps(reply), content_type="application/json")

    async def poll(self, watch_id: str) -> str:
        """Poll now; answer within Slack's and Discord's 3 s, letting a slow poll finish later."""
        task = asyncio.ensure_future(self.app.engine.poll(watch_id))
        self._polls.add(task)
        task.add_done_callback(self._polls.discard)
        try:
            result = await asyncio.wait_for(asyncio.shield(task), POLL_REPLY_WITHIN)
        except TimeoutError:
            return f"{watch_id}: polling; see status in a moment"
        return poll_reply(watch_id, result.ok, len(result.events), result.error, result.baseline)
