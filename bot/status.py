"""Health of every watch and notifier, computed from the store alone, so the CLI, chat commands
and an HTTP endpoint all show the same thing."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .clock import parse_iso
from .config import Config
from .store import Store


@dataclass(frozen=True)
class WatchHealth:
    id: str
    kind: str
    target: str
    records: int
    last_poll_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures_in_a_row: int
    next_run_at: datetime | None
    note: str | None

    @property
    def ok(self) -> bool:
        return self.failures_in_a_row == 0


@dataclass(frozen=True)
class NotifierHealth:
    id: str
    kind: str
    delivered: int
    pending: int
    failed: int
    last_error: str | None


@dataclass(frozen=True)
class Health:
    watches: list[WatchHealth]
    notifiers: list[NotifierHealth]

    @property
    def ok(self) -> bool:
        return all(w.ok for w in self.watches)

    def to_json(self) -> dict[str, Any]:
        def conv(value: Any) -> Any:
            return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value
        return {
            "ok": self.ok,
            "watches": [{k: conv(v) for k, v in asdict(w).items()} | {"ok": w.ok}
                        for w in self.watches],
            "notifiers": [asdict(n) for n in self.notifiers],
        }


def collect(config: Config, store: Store) -> Health:
    watches = []
    for watch in config.watches.values():
        last = _one(store, "SELECT * FROM polls WHERE watch_id=? ORDER BY id DESC LIMIT 1", watch.id)
        last_ok = _one(store, "SELECT * FROM polls WHERE watch_id=? AND ok=1 ORDER BY id DESC"
                       " LIMIT 1", watch.id)
        last_err = _one(store, "SELECT * FROM polls WHERE watch_id=? AND ok=0 ORDER BY id DESC"
                        " LIMIT 1", watch.id)
        fails = store.query(
            "SELECT count(*) AS n FROM polls WHERE watch_id=? AND ok=0 AND id >"
            " coalesce((SELECT max(id) FROM polls WHERE watch_id=? AND ok=1), 0)",
            [watch.id, watch.id])[0]["n"]
        records = store.query("SELECT count(*) AS n FROM snapshots WHERE watch_id=? AND removed=0",
                              [watch.id])[0]["n"]
        polled = parse_iso(last["started_at"]) if last else None
        watches.append(WatchHealth(
            id=watch.id, kind=watch.kind, target=watch.target, records=records,
            last_poll_at=polled, last_ok_at=parse_iso(last_ok["finished_at"]) if last_ok else None,
            last_error=last_err["error"] if last_err and fails else None,
            last_error_at=parse_iso(last_err["finished_at"]) if last_err and fails else None,
            failures_in_a_row=fails,
            next_run_at=polled + timedelta(seconds=watch.interval) if polled else None,
            note=last["note"] if last else None))
    notifiers = []
    for nid, notifier in config.notifiers.items():
        counts = {r["state"]: r["n"] for r in store.query(
            "SELECT state, count(*) AS n FROM outbox WHERE notifier_id=? GROUP BY state", [nid])}
        err = _one(store, "SELECT last_error FROM outbox WHERE notifier_id=? AND last_error IS NOT"
                   " NULL AND state != 'delivered' ORDER BY id DESC LIMIT 1", nid)
        notifiers.append(NotifierHealth(nid, notifier.kind, counts.get("delivered", 0),
                                        counts.get("pending", 0), counts.get("failed", 0),
                                        err["last_error"] if err else None))
    return Health(watches, notifiers)


def _one(store: Store, sql: str, watch_id: str) -> dict[str, Any] | None:
    rows = store.query(sql, [watch_id])
    return rows[0] if rows else None


def render_text(health: Health, timezone: str = "UTC") -> str:
    """The human status: one block per watch, one line per notifier."""
    zone = ZoneInfo(timezone)

    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else "never"

    lines = ["Watches:"]
    for w in health.watches:
        mark = "ok" if w.ok else f"FAILING ({w.failures_in_a_row} in a row)"
        lines.append(f"  {w.id} [{w.kind}] {w.target}: {mark}")
        lines.append(f"    records {w.records}; last success {when(w.last_ok_at)}; "
                     f"next run {when(w.next_run_at)}")
        if w.last_error:
            lines.append(f"    last error {when(w.last_error_at)}: {w.last_error}")
        if w.note:
            lines.append(f"    note: {w.note}")
    lines.append("Notifiers:")
    for n in health.notifiers:
        lines.append(f"  {n.id} [{n.kind}]: delivered {n.delivered}, pending {n.pending}, "
                     f"failed {n.failed}" + (f"; last error: {n.last_error}" if n.last_error else ""))
    if not health.notifiers:
        lines.append("  none")
    return "\n".join(lines)
