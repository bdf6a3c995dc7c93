"""The `releasewatch` command. Exit status: 0 ok, 1 something failed at run time, 2 usage or
config error, 3 the database cannot be used."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import __version__, cost
from .app import App
from .clock import SystemClock, parse_iso
from .config import Config, load_config, parse_interval
from .errors import ConfigErrors, DatabaseError, DeliveryError
from .http import HttpClient
from .lock import InstanceLock
from .models import Message
from .notifying import SendContext
from .render import as_text, render
from .secrets import RedactingFilter, redact
from .status import collect, render_text
from .store import Store

OK, FAILED, USAGE, DATABASE = 0, 1, 2, 3
log = logging.getLogger("bot")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="releasewatch", description=__doc__)
    p.add_argument("--config", help="config file (default: $RW_CONFIG, else the shipped default)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    p.add_argument("--log-format", choices=("text", "json"), default="text",
                   help="json: one object per line, for log shippers")
    p.add_argument("--version", action="version", version=f"releasewatch {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="poll on schedule and deliver (until SIGINT/SIGTERM)")
    run.add_argument("--once", action="store_true", help="poll every watch once, deliver, exit")
    run.add_argument("--max-wait", type=float, default=30.0,
                     help="with --once: longest wait for a chat's retry-after (s, default 30)")
    check = sub.add_parser("check-config", help="validate the config and exit")
    check.add_argument("--cost", action="store_true",
                       help="requests an hour per host, against the rate limits")
    check.add_argument("--probe", action="store_true",
                       help="poll each watch once (dry run) and report which fail")
    poll = sub.add_parser("poll", help="poll one watch now and print its events")
    poll.add_argument("watch")
    poll.add_argument("--dry-run", action="store_true", help="store and post nothing")
    status = sub.add_parser("status", help="health of every watch and notifier")
    status.add_argument("--json", action="store_true")
    events = sub.add_parser("events", help="the latest events with their diffs")
    events.add_argument("--watch")
    events.add_argument("--limit", type=int, default=20)
    test = sub.add_parser("notify-test", help="send a sample message to each (or one) notifier")
    test.add_argument("notifier", nargs="?")
    again = sub.add_parser("redeliver", help="queue failed deliveries again (after a fix)")
    again.add_argument("--notifier")
    again.add_argument("--since", help="only events detected since: 2h, 1d or 2026-03-01T12:00")
    return p


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
                 .replace("+00:00", "Z"), "level": record.levelname.lower(),
                 "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(verbose: bool, quiet: bool, log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet, args.log_format)
    try:
        config = load_config(args.config)
    except ConfigErrors as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return USAGE
    try:
        return dispatch(args, config)
    except DatabaseError as exc:
        print(f"releasewatch: {exc}", file=sys.stderr)
        return DATABASE
    except KeyboardInterrupt:
        return FAILED


def dispatch(args: argparse.Namespace, config: Config) -> int:
    if args.command == "check-config":
        print(f"{config.path}: ok ({len(config.watches)} watches, {len(config.notifiers)} "
              f"notifiers{', skipped: ' + ', '.join(config.skipped) if config.skipped else ''})")
        if args.cost:
            table, warnings = cost.render(cost.estimate(config), {
                v: bool(os.environ.get(v)) for v in ("RW_GITHUB_TOKEN", "RW_HF_TOKEN")})
            print(table)
            for warning in warnings:
                print(f"warning: {warning}", file=sys.stderr)
        return asyncio.run(probe(config)) if args.probe else OK
    if args.command == "poll" and args.watch not in config.watches:
        print(f"{config.path}: no watch named {args.watch!r} (known: "
              f"{', '.join(config.watches) or 'none'})", file=sys.stderr)
        return USAGE
    notifier = getattr(args, "notifier", None)
    if notifier and notifier not in config.notifiers:
        print(f"{config.path}: no notifier named {notifier!r} (known: "
              f"{', '.join(config.notifiers) or 'none'})", file=sys.stderr)
        return USAGE
    if args.command == "notify-test":
        return asyncio.run(notify_test(config, notifier))
    if args.command == "redeliver":
        return redeliver(args, config)
    if args.command in ("status", "events"):
        store = Store(config.settings.database)
        try:
            return show_status(args, config, store) if args.command == "status" else \
                show_events(args, store)
        finally:
            store.close()
    with InstanceLock(config.settings.database):
        app = App.build(config)
        return asyncio.run(_with_app(app, args))


async def _with_app(app: App, args: argparse.Namespace) -> int:
    try:
        if args.command == "poll":
            result = await app.engine.poll(args.watch, dry_run=args.dry_run)
            if not result.ok:
                print(f"{args.watch}: poll failed: {result.error}", file=sys.stderr)
                return FAILED
            for event in result.events:
                print(as_text(render(event)))
            note = " (baseline: recorded, nothing posted)" if result.baseline else ""
            print(f"{args.watch}: {len(result.events)} event(s){note}", file=sys.stderr)
            if not args.dry_run:
                await app.dispatcher.drain(0)
            return OK
        if args.once:
            results = []
            for i, watch_id in enumerate(app.config.watches, start=1):
                progress(i, len(app.config.watches), watch_id)
                results.append(await app.engine.poll(watch_id))
            left = await app.dispatcher.drain(args.max_wait)
            if left:
                print(f"{left} deliveries still pending; they stay in the outbox for the next run",
                      file=sys.stderr)
            return OK if all(r.ok for r in results) and not left else FAILED
        from .scheduler import run_forever
        await run_forever(app)
        return OK
    finally:
        await app.aclose()


async def probe(config: Config) -> int:
    """Poll every watch once without storing or posting anything; say which fail and why."""
    clock = SystemClock()
    with tempfile.TemporaryDirectory() as scratch:
        app = App.build(replace(config, settings=replace(
            config.settings, database=Path(scratch) / "probe.db")), clock=clock)
        failed = 0
        try:
            for i, watch_id in enumerate(config.watches, start=1):
                progress(i, len(config.watches), watch_id)
                result = await app.engine.poll(watch_id, dry_run=True)
                state = "ok" if result.ok else f"FAILED: {result.error}"
                failed += not result.ok
                print(f"{watch_id}: {state}")
        finally:
            await app.aclose()
    return FAILED if failed else OK


def progress(i: int, n: int, watch_id: str) -> None:
    """'[3/40] deepseek-org' on a terminal; nothing when stderr is not one."""
    if sys.stderr.isatty():
        end = "\n" if i == n else ""
        print(f"\r\033[K[{i}/{n}] {watch_id}", end=end, file=sys.stderr, flush=True)


async def notify_test(config: Config, only: str | None) -> int:
    """Send one sample message straight to each notifier and say how it went."""
    clock = SystemClock()
    http = HttpClient(clock, retries=0)
    failed = 0
    try:
        for nid, notifier in config.notifiers.items():
            if only and nid != only:
                continue
            msg = sample_message(nid, clock.now())
            try:
                payload = notifier.module.build_payload([msg], notifier.options)
                await notifier.module.send(SendContext(http, config.endpoints, msg.key),
                                           notifier.options, payload)
            except DeliveryError as exc:
                failed += 1
                print(f"{nid}: failed: {redact(exc.reason)}", file=sys.stderr)
            else:
                print(f"{nid}: sent", file=sys.stderr)
    finally:
        await http.aclose()
    return FAILED if failed else OK


def sample_message(notifier_id: str, now: datetime) -> Message:
    return Message(
        title="releasewatch test message", kind="github.repo_created", watch_id="notify-test",
        subject="releasewatch/test", detected_at=now, key=f"notify-test-{now.timestamp():.0f}",
        url=None, lines=[f"If you can read this, notifier '{notifier_id}' works.",
                         "A real message shows the change, e.g.: context window 128K → 1M"])


def redeliver(args: argparse.Namespace, config: Config) -> int:
    """Queue failed rows again; deliver them now unless a running instance will."""
    since = None
    if args.since:
        try:
            since = datetime.now(UTC) - timedelta(seconds=parse_interval(args.since))
        except ValueError:
            try:
                since = parse_iso(args.since)
            except ValueError:
                print(f"--since: not a time or duration: {args.since!r}", file=sys.stderr)
                return USAGE
    store = Store(config.settings.database)
    try:
        count = store.requeue_failed(datetime.now(UTC), notifier_id=args.notifier, since=since)
    finally:
        store.close()
    print(f"{count} failed deliveries queued again", file=sys.stderr)
    lock = InstanceLock(config.settings.database)
    try:
        lock.acquire()
    except DatabaseError:
        print("a running instance will deliver them", file=sys.stderr)
        return OK
    try:
        app = App.build(config)
        return asyncio.run(_deliver_now(app))
    finally:
        lock.release()


async def _deliver_now(app: App) -> int:
    try:
        left = await app.dispatcher.drain(30.0)
    finally:
        await app.aclose()
    if left:
        print(f"{left} deliveries still pending", file=sys.stderr)
    return FAILED if left else OK


def show_status(args: argparse.Namespace, config: Config, store: Store) -> int:
    health = collect(config, store, datetime.now(UTC))
    if args.json:
        print(json.dumps(health.to_json(), indent=2))
    else:
        print(render_text(health, config.settings.timezone))
    return OK if health.ok else FAILED


def show_events(args: argparse.Namespace, store: Store) -> int:
    for event in reversed(store.events(watch_id=args.watch, limit=args.limit)):
        stamp = event.detected_at.strftime("%Y-%m-%d %H:%M UTC")
        print(f"[{stamp}] [{event.watch_id}] {event.kind}\n{as_text(render(event))}\n")
    return OK
