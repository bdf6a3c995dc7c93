"""The `releasewatch` command. Exit status: 0 ok, 1 something failed at run time, 2 usage or
config error, 3 the database cannot be used."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence

from . import __version__
from .app import App
from .config import Config, load_config
from .errors import ConfigErrors, DatabaseError
from .lock import InstanceLock
from .render import as_text, render
from .secrets import RedactingFilter
from .status import collect, render_text
from .store import Store

OK, FAILED, USAGE, DATABASE = 0, 1, 2, 3
log = logging.getLogger("bot")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="releasewatch", description=__doc__)
    p.add_argument("--config", help="config file (default: $RW_CONFIG, else the shipped default)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    p.add_argument("--version", action="version", version=f"releasewatch {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="poll on schedule and deliver (until SIGINT/SIGTERM)")
    run.add_argument("--once", action="store_true", help="poll every watch once, deliver, exit")
    run.add_argument("--max-wait", type=float, default=30.0,
                     help="with --once: longest wait for a chat's retry-after (s, default 30)")
    sub.add_parser("check-config", help="validate the config and exit")
    poll = sub.add_parser("poll", help="poll one watch now and print its events")
    poll.add_argument("watch")
    poll.add_argument("--dry-run", action="store_true", help="store and post nothing")
    status = sub.add_parser("status", help="health of every watch and notifier")
    status.add_argument("--json", action="store_true")
    events = sub.add_parser("events", help="the latest events with their diffs")
    events.add_argument("--watch")
    events.add_argument("--limit", type=int, default=20)
    return p


def setup_logging(verbose: bool, quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet)
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
        return OK
    if args.command == "poll" and args.watch not in config.watches:
        print(f"{config.path}: no watch named {args.watch!r} (known: "
              f"{', '.join(config.watches) or 'none'})", file=sys.stderr)
        return USAGE
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
            results = [await app.engine.poll(w) for w in app.config.watches]
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


def show_status(args: argparse.Namespace, config: Config, store: Store) -> int:
    health = collect(config, store)
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
