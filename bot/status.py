"""One status model, computed from the store alone, rendered the same way by the CLI, Discord and
Slack `/status` and the HTTP endpoint."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from . import __version__
from .clock import parse_iso
from .config import Config
from .lock import InstanceLock
from .store import Store

MARKS = {"ok": "✅", "failing": "❌", "rate_limited": "⏳", "never_polled": "⚪"}
ORDER = {"failing": 0, "rate_limited": 1, "never_polled": 2, "ok": 3}


@dataclass(frozen=True)
class LastEvent:
    kind: str
    title: str
    at: datetime


@dataclass(frozen=True)
class WatchHealth:
    id: str
    kind: str
    target: str
    state: str
    """ok | failing | rate_limited | never_polled"""
    records: int
    last_attempt_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures_in_a_row: int
    rate_limited_until: datetime | None
    last_event: LastEvent | None
    next_run_at: datetime | None
    note: str | None

    @property
    def ok(self) -> bool:
        return self.state in ("ok", "never_polled")


@dataclass(frozen=True)
class NotifierHealth:
    id: str
    kind: str
    delivered: int
    pending: int
    retrying: int
    next_attempt_at: datetime | None
    failed: int
    last_error: str | None


@dataclass(frozen=True)
class ProcessHealth:
    version: str
    running: bool
    pid: int | None
    started_at: datetime | None
    uptime_s: float | None
    database: str
    database_bytes: int


@dataclass(frozen=True)
class Health:
    watches: list[WatchHealth]
    notifiers: list[NotifierHealth]
    process: ProcessHealth

    @property
    def ok(self) -> bool:
        return all(w.ok for w in self.watches)

    def watch(self, watch_id: str) -> WatchHealth | None:
        return next((w for w in self.watches if w.id == watch_id), None)

    def to_json(self) -> dict[str, Any]:
        def conv(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat().replace("+00:00", "Z")
            if isinstance(value, dict):
                return {k: conv(v) for k, v in value.items()}
            return value
        return {
            "ok": self.ok,
            "watches": [conv(asdict(w)) | {"ok": w.ok} for w in self.watches],
            "notifiers": [conv(asdict(n)) for n in self.notifiers],
            "process": conv(asdict(self.process)),
        }


def collect(config: Config, store: Store, now: datetime, *, running: bool | None = None) -> Health:
    """The status of everything, from the store; `running` is known inside the instance."""
    watches = [_watch(config, store, wid, now) for wid in config.watches]
    watches.sort(key=lambda w: (ORDER[w.state], w.id))
    return Health(watches, [_notifier(store, nid, config.notifiers[nid].kind, now)
                            for nid in config.notifiers], _process(config, store, now, running))


def _watch(config: Config, store: Store, watch_id: str, now: datetime) -> WatchHealth:
    watch = config.watches[watch_id]
    last = _one(store, "SELECT * FROM polls WHERE watch_id=? ORDER BY id DESC LIMIT 1", watch_id)
    last_ok = _one(store, "SELECT * FROM polls WHERE watch_id=? AND ok=1 ORDER BY id DESC LIMIT 1",
                   watch_id)
    fails, _ = store.failures_in_a_row(watch_id)
    records = store.query("SELECT count(*) AS n FROM snapshots WHERE watch_id=? AND removed=0",
                          [watch_id])[0]["n"]
    event = _one(store, "SELECT kind, title, detected_at FROM events WHERE watch_id=?"
                 " ORDER BY id DESC LIMIT 1", watch_id)
    until = parse_iso(last["rate_limited_until"]) if last and last["rate_limited_until"] else None
    if last is None:
        state = "never_polled"
    elif last["ok"]:
        state = "ok"
    elif until and until > now:
        state = "rate_limited"
    else:
        state = "failing"
    attempted = parse_iso(last["started_at"]) if last else None
    return WatchHealth(
        id=watch_id, kind=watch.kind, target=watch.target, state=state, records=records,
        last_attempt_at=attempted,
        last_ok_at=parse_iso(last_ok["finished_at"]) if last_ok else None,
        last_error=last["error"] if last and not last["ok"] else None,
        last_error_at=parse_iso(last["finished_at"]) if last and not last["ok"] else None,
        failures_in_a_row=fails, rate_limited_until=until if state == "rate_limited" else None,
        last_event=LastEvent(event["kind"], event["title"], parse_iso(event["detected_at"]))
        if event else None,
        next_run_at=attempted + timedelta(seconds=watch.interval) if attempted else None,
        note=last["note"] if last else None)


def _notifier(store: Store, nid: str, kind: str, now: datetime) -> NotifierHealth:
    counts = {r["state"]: r["n"] for r in store.query(
        "SELECT state, count(*) AS n FROM outbox WHERE notifier_id=? GROUP BY state", [nid])}
    retry = _one(store, "SELECT count(*) AS n, min(next_at) AS next FROM outbox WHERE"
                 " notifier_id=? AND state='pending' AND attempts > 0", nid) or {}
    err = _one(store, "SELECT last_error FROM outbox WHERE notifier_id=? AND last_error IS NOT"
               " NULL AND state != 'delivered' ORDER BY id DESC LIMIT 1", nid)
    return NotifierHealth(nid, kind, counts.get("delivered", 0), counts.get("pending", 0),
                          retry.get("n") or 0,
                          parse_iso(retry["next"]) if retry.get("next") else None,
                          counts.get("failed", 0), err["last_error"] if err else None)


def _process(config: Config, store: Store, now: datetime, running: bool | None) -> ProcessHealth:
    database = config.settings.database
    if running is None:
        running = InstanceLock(database).held_elsewhere()
    started = store.meta("instance_started_at") if running else None
    pid = store.meta("instance_pid") if running else None
    started_at = parse_iso(started) if started else None
    size = sum(os.path.getsize(p) for p in (f"{database}", f"{database}-wal")
               if os.path.exists(p))
    return ProcessHealth(__version__, running, int(pid) if pid else None, started_at,
                         (now - started_at).total_seconds() if started_at else None,
                         str(database), size)


def _one(store: Store, sql: str, key: str) -> dict[str, Any] | None:
    rows = store.query(sql, [key])
    return rows[0] if rows else None


def when(moment: datetime | None, timezone: str = "UTC") -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z") if moment else "never"


def watch_line(w: WatchHealth, timezone: str = "UTC") -> str:
    """One line per watch: marker, id, and what matters about its state."""
    if w.state == "failing":
        return f"{MARKS[w.state]} {w.id}: failing ({w.failures_in_a_row} in a row): {w.last_error}"
    if w.state == "rate_limited":
        return f"{MARKS[w.state]} {w.id}: rate limited until {when(w.rate_limited_until, timezone)}"
    if w.state == "never_polled":
        return f"{MARKS[w.state]} {w.id}: not polled yet"
    seen = f"; last change {when(w.last_event.at, timezone)}" if w.last_event else ""
    return f"{MARKS[w.state]} {w.id}: ok, {w.records} records{seen}"


def watch_detail(w: WatchHealth, timezone: str = "UTC") -> list[str]:
    lines = [f"{w.id} [{w.kind}] {w.target}", watch_line(w, timezone),
             f"records {w.records}; last success {when(w.last_ok_at, timezone)}; "
             f"last attempt {when(w.last_attempt_at, timezone)}; next run {when(w.next_run_at, timezone)}"]
    if w.last_error:
        lines.append(f"last error {when(w.last_error_at, timezone)}: {w.last_error}")
    if w.last_event:
        lines.append(f"last event {when(w.last_event.at, timezone)}: {w.last_event.kind}: "
                     f"{w.last_event.title}")
    if w.note:
        lines.append(f"note: {w.note}")
    return lines


def notifier_line(n: NotifierHealth, timezone: str = "UTC") -> str:
    line = f"{n.id} [{n.kind}]: delivered {n.delivered}, pending {n.pending}, failed {n.failed}"
    if n.retrying:
        line += f"; retrying {n.retrying}, next at {when(n.next_attempt_at, timezone)}"
    if n.last_error:
        line += f"; last error: {n.last_error}"
    return line


def render_text(health: Health, timezone: str = "UTC") -> str:
    """The human status for a terminal: every watch in detail, then notifiers and the process."""
    lines = ["Watches:"]
    for w in health.watches:
        lines += [f"  {line}" for line in watch_detail(w, timezone)]
    lines.append("Notifiers:")
    lines += [f"  {notifier_line(n, timezone)}" for n in health.notifiers] or ["  none"]
    p = health.process
    running = f"running (pid {p.pid}, since {when(p.started_at, timezone)})" if p.running \
        else "not running"
    lines.append(f"Process: releasewatch {p.version}, {running}; database {p.database} "
                 f"({p.database_bytes / 1e6:.1f} MB)")
    return "\n".join(lines)
