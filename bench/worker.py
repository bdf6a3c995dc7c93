"""The bot under benchmark: the real App (SQLite store, shared HTTP client, engine, dispatcher) built
from a config by `App.build`, in a process of its own with no fake in it, so its CPU time and peak
RSS are the bot's alone. Commands arrive as JSON lines on stdin; each answer is one JSON line.

    {"op": "pass", "prefixes": ["rel-"], "concurrency": 4, "deliver": false}

A pass polls every watch whose id starts with one of `prefixes`, `concurrency` polls in flight
(the CLI's `run --once` polls one at a time; `run` lets APScheduler start them as they fall due),
and with `deliver` runs the dispatcher beside the polls until the outbox is empty, as `run` does.

Measured from outside the bot's code: CPU by getrusage(RUSAGE_SELF); SQLite write transactions by
the connection's trace callback (BEGIN/SAVEPOINT … COMMIT/RELEASE with a write inside, or a write
outside any transaction); commit times by wrapping `store.commit_poll` on the instance."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import resource
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import App
from bot.cli import setup_logging
from bot.clock import iso
from bot.config import load_config
from bot.engine import PollResult

WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"})
_TABLE = re.compile(r"^\s*(?:INSERT|REPLACE|UPDATE|DELETE)\s+(?:OR\s+\w+\s+)?(?:INTO\s+|FROM\s+)?"
                    r"[\[\"`]?(\w+)", re.I)


class TxCounter:
    """Counts write transactions and write statements per table from SQLite's statement trace."""

    def __init__(self) -> None:
        self.depth = 0
        self.dirty = False
        self.write_tx = 0
        self.statements = 0
        self.tables: Counter[str] = Counter()

    def __call__(self, sql: str) -> None:
        self.statements += 1
        words = sql.split(None, 2)
        head = words[0].upper() if words else ""
        if head == "BEGIN":
            self.depth, self.dirty = 1, False
        elif head == "SAVEPOINT":
            if self.depth == 0:
                self.dirty = False
            self.depth += 1
        elif head in ("COMMIT", "END"):
            self.write_tx += self.dirty
            self.depth, self.dirty = 0, False
        elif head == "RELEASE":
            self.depth = max(0, self.depth - 1)
            if self.depth == 0:
                self.write_tx += self.dirty
                self.dirty = False
        elif head == "ROLLBACK":
            if len(words) < 2 or words[1].upper() != "TO":
                self.depth, self.dirty = 0, False
        elif head in WRITES:
            m = _TABLE.match(sql)
            self.tables[m.group(1).lower() if m else head.lower()] += 1
            if self.depth == 0:
                self.write_tx += 1
            else:
                self.dirty = True

    def snapshot(self) -> tuple[int, int, Counter[str]]:
        return self.write_tx, self.statements, Counter(self.tables)


def cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def sys_cpu() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MiB."""
    with open("/proc/self/statm") as f:
        current = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class GcTimer:
    """Time spent in the cyclic garbage collector (gc.callbacks), by generation."""

    def __init__(self) -> None:
        self.seconds: dict[int, float] = {}
        self.runs: Counter[int] = Counter()
        self._start = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.thread_time()
        else:
            generation = info["generation"]
            self.seconds[generation] = self.seconds.get(generation, 0.0) + time.thread_time() - self._start
            self.runs[info["generation"]] += 1

    def snapshot(self) -> tuple[float, dict[str, int]]:
        return sum(self.seconds.values()), {f"gen{g}": n for g, n in sorted(self.runs.items())}


class Worker:
    def __init__(self, app: App) -> None:
        self.app = app
        self.gc = GcTimer()
        self.tx = TxCounter()
        app.store.db.conn.set_trace_callback(self.tx)
        self.commits: dict[str, float] = {}
        commit_poll = app.store.commit_poll

        def timed_commit(*args: Any, **kwargs: Any) -> Any:
            stored = commit_poll(*args, **kwargs)
            now = time.time()
            for event in stored:
                self.commits[event.title] = now
            return stored

        app.store.commit_poll = timed_commit  # type: ignore[method-assign]

    async def handle(self, cmd: dict[str, Any]) -> dict[str, Any]:
        if cmd["op"] == "pass":
            return await self.run_pass(cmd)
        if cmd["op"] == "rss":
            current, peak = rss_mib()
            return {"rss_mib": current, "peak_rss_mib": peak}
        if cmd["op"] == "breakdown":
            return await self.breakdown(cmd)
        if cmd["op"] == "query":
            return {"rows": self.app.store.query(cmd["sql"], cmd.get("params"))}
        raise ValueError(f"unknown op {cmd['op']!r}")

    async def breakdown(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Where a poll's CPU goes, one poll at a time (so a coroutine's thread CPU time between
        its start and end is its own): loading the watch, the HTTP request, the watcher's parse,
        the commit. Wrapped on the instances, nothing in bot/ is changed."""
        app = self.app
        spent: dict[str, float] = {}

        def timed(name: str, fn: Any) -> Any:
            def sync(*args: Any, **kwargs: Any) -> Any:
                t = time.thread_time()
                try:
                    return fn(*args, **kwargs)
                finally:
                    spent[name] = spent.get(name, 0.0) + time.thread_time() - t
            return sync

        def timed_async(name: str, fn: Any) -> Any:
            async def wrapped(*args: Any, **kwargs: Any) -> Any:
                t = time.thread_time()
                try:
                    return await fn(*args, **kwargs)
                finally:
                    spent[name] = spent.get(name, 0.0) + time.thread_time() - t
            return wrapped

        saved = (app.store.load_watch, app.store.commit_poll, app.store.record_failed_poll, app.http.send)
        app.store.load_watch = timed("store.load_watch", saved[0])  # type: ignore[method-assign]
        app.store.commit_poll = timed("store.commit_poll", saved[1])  # type: ignore[method-assign]
        app.store.record_failed_poll = timed("store.record_failed_poll", saved[2])  # type: ignore[method-assign]
        app.http.send = timed_async(  # type: ignore[method-assign]
            "http.send (httpx request)", saved[3])
        ids = [w for w in app.config.watches if w.startswith(tuple(cmd["prefixes"]))]
        total = 0.0
        by_kind: dict[str, list[float]] = {}
        try:
            for watch_id in ids:
                t = time.thread_time()
                await app.engine.poll(watch_id)
                spent_here = time.thread_time() - t
                total += spent_here
                by_kind.setdefault(app.config.watches[watch_id].kind, []).append(1000 * spent_here)
        finally:
            for obj, name, fn in ((app.store, "load_watch", saved[0]), (app.store, "commit_poll", saved[1]),
                                  (app.store, "record_failed_poll", saved[2]), (app.http, "send", saved[3])):
                setattr(obj, name, fn)
        n = max(1, len(ids))
        parts = {k: 1000 * v / n for k, v in spent.items()}
        parts["rest of engine.poll (watcher parse, diff, PollHttp, logging)"] = (
            1000 * total / n - sum(parts.values()))
        kinds = {k: {"polls": len(v), "mean_ms": sum(v) / len(v), "max_ms": max(v)}
                 for k, v in by_kind.items()}
        return {"polls": len(ids), "cpu_ms_per_poll": 1000 * total / n, "parts_ms": parts, "by_kind": kinds}

    async def run_pass(self, cmd: dict[str, Any]) -> dict[str, Any]:
        app = self.app
        ids = [w for w in app.config.watches if w.startswith(tuple(cmd["prefixes"]))]
        sem = asyncio.Semaphore(int(cmd["concurrency"]))
        per_poll_tx: list[int] = []
        self.commits.clear()

        async def one(watch_id: str) -> PollResult:
            async with sem:
                before = self.tx.write_tx
                result = await app.engine.poll(watch_id)
                per_poll_tx.append(self.tx.write_tx - before)
                return result

        stop = asyncio.Event()
        delivery = asyncio.create_task(app.dispatcher.run(stop)) if cmd.get("deliver") else None
        started = iso(datetime.now(UTC))
        tx0, st0, tables0 = self.tx.snapshot()
        changes0 = app.store.db.conn.total_changes
        gc0, runs0 = self.gc.snapshot()
        profiler = None
        if cmd.get("profile"):
            from pyinstrument import Profiler  # installed by `make bench`; only needed for profiles

            profiler = Profiler(interval=0.001, async_mode="disabled")
        cpu0, sys0, t0 = cpu(), sys_cpu(), time.perf_counter()
        if profiler is not None:
            profiler.start()
        results = await asyncio.gather(*(one(w) for w in ids))
        if profiler is not None:
            profiler.stop()
        cpu1, sys1, t1 = cpu(), sys_cpu(), time.perf_counter()
        if profiler is not None:
            Path(cmd["profile"]).write_text(profiler.output_text(unicode=True, color=False))
        tx1, st1, tables1 = self.tx.snapshot()
        gc1, runs1 = self.gc.snapshot()
        changes1 = app.store.db.conn.total_changes
        pending = 0
        if delivery is not None:
            deadline = t1 + float(cmd.get("deliver_timeout", 30))
            while (pending := app.dispatcher.pending_count()) and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            stop.set()
            await delivery
        cpu2, t2 = cpu(), time.perf_counter()
        snapshot_rows = app.store.query(
            "SELECT watch_id, count(*) AS n FROM snapshots WHERE updated_at >= ? GROUP BY watch_id",
            [started])
        current, peak = rss_mib()
        failed = [{"watch": r.watch_id, "error": r.error} for r in results if not r.ok]
        return {
            "polls": len(ids), "ok": sum(r.ok for r in results), "failed": len(failed),
            "failures": failed[:5], "events": sum(len(r.events) for r in results),
            "baseline": sum(r.baseline for r in results),
            "wall_s": t1 - t0, "cpu_s": cpu1 - cpu0, "sys_cpu_s": sys1 - sys0, "gc_s": gc1 - gc0,
            "gc_runs": {g: n - runs0.get(g, 0) for g, n in runs1.items() if n - runs0.get(g, 0)},
            "wall_with_delivery_s": t2 - t0, "cpu_with_delivery_s": cpu2 - cpu0,
            "pending_after": pending,
            "write_tx": tx1 - tx0, "max_write_tx_per_poll": max(per_poll_tx, default=0),
            "statements": st1 - st0, "rows_changed": changes1 - changes0,
            "writes_by_table": dict(tables1 - tables0),
            "snapshot_rows_written": {r["watch_id"]: r["n"] for r in snapshot_rows},
            "commits": dict(self.commits),
            "rss_mib": current, "peak_rss_mib": peak,
        }


def main() -> int:
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever the bot prints goes to the log, never into the answers
    setup_logging(verbose=False, quiet="--quiet" in sys.argv)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def build() -> App:
        return App.build(load_config(sys.argv[1]))

    app = loop.run_until_complete(build())
    worker = Worker(app)
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            answer = loop.run_until_complete(worker.handle(cmd))
        except Exception as exc:  # noqa: BLE001 - reported to the orchestrator
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(answer) + "\n")
    loop.run_until_complete(app.aclose())
    loop.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
