"""`releasewatch run`: APScheduler triggers one poll job per watch; the dispatcher runs beside it.
No other logic lives here, so tests drive the engine directly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .app import App
from .clock import iso, parse_iso
from .config import WatchConfig, load_config
from .discord_app import StatusBot, serve
from .errors import ConfigErrors
from .notifiers.discord_bot import Options as BotOptions
from .web import StatusServer

log = logging.getLogger(__name__)


async def _poll_job(app: App, watch_id: str) -> None:
    """A scheduled poll; on shutdown it is abandoned quietly, before it commits anything."""
    try:
        await app.engine.poll(watch_id)
    except asyncio.CancelledError:
        log.debug("poll of %s abandoned at shutdown", watch_id)


CATCH_UP_MAX = 300.0


def first_runs(watches: list[WatchConfig], last_attempts: dict[str, datetime],
               now: datetime) -> dict[str, datetime]:
    """When each watch polls first after a start. Overdue ones (never polled, or late) are
    spread over a tenth of their interval, at most 5 minutes, so a restart of a bot with 1000
    watches does not fire 1000 requests at once; the others keep their rhythm."""
    overdue = [w for w in watches
               if w.id not in last_attempts
               or last_attempts[w.id] + timedelta(seconds=w.interval) <= now]
    late = {w.id for w in overdue}
    runs = {w.id: last_attempts[w.id] + timedelta(seconds=w.interval)
            for w in watches if w.id not in late}
    for i, watch in enumerate(overdue):
        window = min(watch.interval / 10, CATCH_UP_MAX)
        runs[watch.id] = now + timedelta(seconds=1 + window * i / len(overdue))
    return runs


def schedule_watch(app: App, scheduler: AsyncIOScheduler, watch: WatchConfig,
                   first: datetime) -> None:
    scheduler.add_job(
        _poll_job, IntervalTrigger(seconds=watch.interval,
                                   jitter=min(30, max(1, watch.interval // 20))),
        args=[app, watch.id], id=watch.id, name=watch.id, coalesce=True, max_instances=1,
        misfire_grace_time=watch.interval, next_run_time=first, replace_existing=True)


def reload(app: App, scheduler: AsyncIOScheduler) -> None:
    """SIGHUP: read the config again; a config that does not validate is refused and the
    running one stays. Watches are added, removed and rescheduled; the database stays."""
    try:
        new = load_config(None if app.config.is_default else app.config.source)
    except ConfigErrors as exc:
        for error in exc.errors:
            log.error("config reload refused: %s", error)
        return
    if new.settings.database != app.config.settings.database:
        log.warning("settings.database changed; that needs a restart (still using %s)",
                    app.config.settings.database)
        new = replace(new, settings=replace(new.settings, database=app.config.settings.database))
    old = app.config
    app.config = app.engine.config = app.dispatcher.config = new
    now = datetime.now(UTC)
    for watch_id in old.watches.keys() - new.watches.keys():
        scheduler.remove_job(watch_id)
    for watch in new.watches.values():
        before = old.watches.get(watch.id)
        if before is None or before.interval != watch.interval:
            schedule_watch(app, scheduler, watch, now + timedelta(seconds=1))
    added = len(new.watches.keys() - old.watches.keys())
    removed = len(old.watches.keys() - new.watches.keys())
    log.info("config reloaded: %d watch(es) (+%d, -%d), %d notifier(s)", len(new.watches), added,
             removed, len(new.notifiers))
    app.dispatcher.notify()


def prune(app: App) -> None:
    polls, events = app.store.prune(datetime.now(UTC),
                                    keep_polls_s=app.config.settings.keep_polls,
                                    keep_events_s=app.config.settings.keep_events)
    if polls or events:
        log.info("retention: removed %d poll rows and %d old events", polls, events)


async def run_forever(app: App, stop: asyncio.Event | None = None) -> None:
    """Poll on schedule and deliver until SIGINT/SIGTERM (or `stop`)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    scheduler = AsyncIOScheduler(timezone=UTC, event_loop=loop)
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGHUP, reload, app, scheduler)
    start = datetime.now(UTC)
    last = {r["watch_id"]: parse_iso(r["at"]) for r in app.store.query(
        "SELECT watch_id, max(started_at) AS at FROM polls GROUP BY watch_id")}
    runs = first_runs(list(app.config.watches.values()), last, start)
    for watch in app.config.watches.values():
        scheduler.add_job(
            _poll_job, IntervalTrigger(seconds=watch.interval,
                                             jitter=min(30, max(1, watch.interval // 20))),
            args=[app, watch.id], id=watch.id, name=watch.id, coalesce=True, max_instances=1,
            misfire_grace_time=watch.interval, next_run_time=runs[watch.id])
    scheduler.start()
    app.running = True
    app.store.set_meta({"instance_pid": str(os.getpid()), "instance_started_at": iso(start)})
    log.info("releasewatch running: %d watch(es), %d notifier(s); database %s",
             len(app.config.watches), len(app.config.notifiers), app.config.settings.database)
    delivery = asyncio.create_task(app.dispatcher.run(stop))
    server = StatusServer(app, lambda: bool(scheduler.running))
    if app.config.settings.http_listen:
        try:
            await server.start(app.config.settings.http_listen)
        except OSError as exc:  # port taken: polling and delivery go on without it
            log.error("cannot serve status on %s: %s", app.config.settings.http_listen, exc)
    for notifier in app.config.notifiers.values():
        if isinstance(notifier.options, BotOptions):  # the bot that posts also answers /status
            asyncio.create_task(serve(partial(StatusBot, notifier.options, health=app.health,
                                              watches=lambda: list(app.config.watches),
                                              poll=server.poll,
                                              timezone=app.config.settings.timezone), stop))
            break
    try:
        await stop.wait()
    finally:
        log.info("stopping: in-flight polls are abandoned before they commit")
        app.running = False
        await server.stop()
        scheduler.shutdown(wait=False)
        # a job task cancelled before it started reaches APScheduler's own logger as an error;
        # nothing ran, nothing was written: it is not news at shutdown
        logging.getLogger("apscheduler.executors").setLevel(logging.CRITICAL)
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        with contextlib.suppress(asyncio.CancelledError):
            await delivery
        app.store.set_meta({"instance_pid": None, "instance_started_at": None})
