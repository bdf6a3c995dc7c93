"""The SQLite store, and the only module that imports sqlite_utils. A poll's snapshot rows,
events, outbox rows and HTTP validators are written in one transaction: all or nothing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from .clock import iso, parse_iso
from .diff import StoredRecord
from .errors import DatabaseError
from .http import Validator, ValidatorChanges
from .models import Event

SCHEMA_VERSION = 1
KEEP_POLLS = 500


@dataclass(frozen=True)
class WatchState:
    records: dict[str, StoredRecord]
    baselined: bool
    held_fingerprint: str | None
    held_count: int
    since_complete: int
    validators: dict[str, Validator]


@dataclass(frozen=True)
class PollOutcome:
    """What a finished poll reports, stored in `polls` and read by status."""

    watch_id: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    error: str | None = None
    held: bool = False
    note: str | None = None
    complete: bool = True
    rate_limited_until: datetime | None = None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    notifier_id: str
    attempts: int
    event: Event


class Store:
    """Durable state: snapshots, polls, events, outbox, HTTP validators."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
            self.db = sqlite_utils.Database(conn)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"cannot use database {self.path}: {exc}") from None

    def close(self) -> None:
        self.db.close()

    # schema -------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        db = self.db
        db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        found = int(row[0]) if row else None
        if found is not None and found > SCHEMA_VERSION:
            raise DatabaseError(
                f"database {self.path} has schema v{found}, newer than this releasewatch "
                f"(v{SCHEMA_VERSION}); upgrade releasewatch or use another database")
        if found == SCHEMA_VERSION:
            return
        with db.atomic():
            db.table("snapshots").create(
                {"watch_id": str, "record_id": str, "fields": str, "revision": int,
                 "missing": int, "removed": int, "updated_at": str},
                pk=("watch_id", "record_id"), if_not_exists=True)
            db.table("watch_state").create(
                {"watch_id": str, "baselined_at": str, "held_fingerprint": str, "held_count": int,
                 "since_complete": int},
                pk="watch_id", if_not_exists=True)
            db.table("polls").create(
                {"id": int, "watch_id": str, "started_at": str, "finished_at": str, "ok": int,
                 "held": int, "error": str, "note": str, "n_records": int, "n_events": int,
                 "duration_ms": int, "rate_limited_until": str}, pk="id", if_not_exists=True)
            db.table("polls").create_index(["watch_id", "id"], if_not_exists=True)
            db.table("events").create(
                {"id": int, "dedup_key": str, "kind": str, "watch_id": str, "subject": str,
                 "title": str, "url": str, "before": str, "after": str, "diff": str,
                 "detected_at": str}, pk="id", if_not_exists=True)
            db.table("events").create_index(["dedup_key"], unique=True, if_not_exists=True)
            db.table("events").create_index(["watch_id", "id"], if_not_exists=True)
            db.table("outbox").create(
                {"id": int, "event_id": int, "notifier_id": str, "state": str, "attempts": int,
                 "next_at": str, "last_error": str, "delivered_at": str},
                pk="id", if_not_exists=True)
            db.table("outbox").create_index(["event_id", "notifier_id"], unique=True, if_not_exists=True)
            db.table("outbox").create_index(["notifier_id", "state", "id"], if_not_exists=True)
            db.table("http_cache").create(
                {"watch_id": str, "url": str, "etag": str, "last_modified": str, "link": str,
                 "content_type": str, "body": str}, pk=("watch_id", "url"), if_not_exists=True)
            db.table("meta").upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")

    # polls --------------------------------------------------------------------------------------

    def load_watch(self, watch_id: str) -> WatchState:
        records = {
            r["record_id"]: StoredRecord(json.loads(r["fields"]), r["revision"], r["missing"],
                                         bool(r["removed"]))
            for r in self.db.query("SELECT * FROM snapshots WHERE watch_id = ?", [watch_id])
        }
        state = next(iter(self.db.query(
            "SELECT * FROM watch_state WHERE watch_id = ?", [watch_id])), None) or {}
        validators = {
            r["url"]: Validator(r["etag"], r["last_modified"], r["body"], r["link"],
                                r["content_type"])
            for r in self.db.query("SELECT * FROM http_cache WHERE watch_id = ?", [watch_id])
        }
        return WatchState(records, bool(state.get("baselined_at")), state.get("held_fingerprint"),
                          state.get("held_count") or 0, state.get("since_complete") or 0,
                          validators)

    def commit_poll(self, outcome: PollOutcome, *, upserts: dict[str, StoredRecord],
                    events: list[Event], route: Callable[[Event], Iterable[str]],
                    validators: ValidatorChanges | None) -> list[Event]:
        """Write one accepted poll atomically; returns the events that were new (not replays)."""
        now = iso(outcome.finished_at)
        stored: list[Event] = []
        with self.db.atomic():
            if upserts:
                self.db.table("snapshots").upsert_all(
                    ({"watch_id": outcome.watch_id, "record_id": rid,
                      "fields": json.dumps(r.fields, sort_keys=True), "revision": r.revision,
                      "missing": r.missing, "removed": int(r.removed), "updated_at": now}
                     for rid, r in upserts.items()),
                    pk=("watch_id", "record_id"))
            for event in events:
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO events (dedup_key, kind, watch_id, subject, title, url,"
                    " before, after, diff, detected_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    [event.dedup_key, event.kind, event.watch_id, event.subject, event.title,
                     event.url, json.dumps(event.before), json.dumps(event.after),
                     json.dumps(event.diff), iso(event.detected_at)])
                if cursor.rowcount != 1:
                    continue
                event_id = cursor.lastrowid
                self.db.table("outbox").insert_all(
                    {"event_id": event_id, "notifier_id": n, "state": "pending", "attempts": 0,
                     "next_at": now} for n in route(event))
                stored.append(_with_id(event, event_id))
            self.db.execute(
                "INSERT INTO watch_state (watch_id, baselined_at, held_fingerprint, held_count,"
                " since_complete) VALUES (?, ?, NULL, 0, ?) ON CONFLICT(watch_id) DO UPDATE SET"
                " baselined_at = coalesce(baselined_at, excluded.baselined_at),"
                " held_fingerprint = NULL, held_count = 0, since_complete = CASE WHEN ? THEN 0"
                " ELSE coalesce(since_complete, 0) + 1 END",
                [outcome.watch_id, now, 0 if outcome.complete else 1, outcome.complete])
            if validators is not None:
                for url in validators.dropped:
                    self.db.execute("DELETE FROM http_cache WHERE watch_id = ? AND url = ?",
                                    [outcome.watch_id, url])
                self.db.table("http_cache").upsert_all(
                    ({"watch_id": outcome.watch_id, "url": url, "etag": v.etag,
                      "last_modified": v.last_modified, "link": v.link,
                      "content_type": v.content_type, "body": v.body}
                     for url, v in validators.fresh.items()), pk=("watch_id", "url"))
            self._insert_poll(outcome, len(stored))
        return stored

    def record_failed_poll(self, outcome: PollOutcome, *, held_fingerprint: str | None = None,
                           held_count: int = 0) -> None:
        """A failed or held poll: the snapshot stays exactly as it was."""
        with self.db.atomic():
            if outcome.held:
                self.db.execute(
                    "INSERT INTO watch_state (watch_id, held_fingerprint, held_count)"
                    " VALUES (?, ?, ?) ON CONFLICT(watch_id) DO UPDATE SET"
                    " held_fingerprint = excluded.held_fingerprint,"
                    " held_count = excluded.held_count",
                    [outcome.watch_id, held_fingerprint, held_count])
            self._insert_poll(outcome, 0)

    def _insert_poll(self, outcome: PollOutcome, n_events: int) -> None:
        n_records = self.db.execute(
            "SELECT count(*) FROM snapshots WHERE watch_id = ? AND removed = 0",
            [outcome.watch_id]).fetchone()[0]
        self.db.table("polls").insert({
            "watch_id": outcome.watch_id, "started_at": iso(outcome.started_at),
            "finished_at": iso(outcome.finished_at), "ok": int(outcome.ok),
            "held": int(outcome.held), "error": outcome.error, "note": outcome.note,
            "n_records": n_records, "n_events": n_events,
            "duration_ms": int((outcome.finished_at - outcome.started_at).total_seconds() * 1000),
            "rate_limited_until": iso(outcome.rate_limited_until) if outcome.rate_limited_until
            else None,
        })
        self.db.execute(
            "DELETE FROM polls WHERE watch_id = ? AND id <= "
            "(SELECT id FROM polls WHERE watch_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
            [outcome.watch_id, outcome.watch_id, KEEP_POLLS])

    # outbox -------------------------------------------------------------------------------------

    def pending(self, notifier_id: str, limit: int = 1) -> list[tuple[OutboxRow, datetime]]:
        """The oldest pending rows of a notifier with when each is due: rows go out in order."""
        rows = self.db.execute(
            "SELECT o.id, o.attempts, o.next_at, e.* FROM outbox o JOIN events e"
            " ON e.id = o.event_id WHERE o.notifier_id = ? AND o.state = 'pending'"
            " ORDER BY o.id LIMIT ?", [notifier_id, limit]).fetchall()
        cols = ["outbox_id", "attempts", "next_at", "id", "dedup_key", "kind", "watch_id",
                "subject", "title", "url", "before", "after", "diff", "detected_at"]
        found = []
        for row in rows:
            r = dict(zip(cols, row, strict=True))
            found.append((OutboxRow(r["outbox_id"], notifier_id, r["attempts"], _event(r)),
                          parse_iso(r["next_at"])))
        return found

    def pending_count(self, notifier_ids: Iterable[str]) -> int:
        names = list(notifier_ids)
        if not names:
            return 0
        marks = ",".join("?" * len(names))
        return int(self.db.execute(
            f"SELECT count(*) FROM outbox WHERE state='pending' AND notifier_id IN ({marks})",
            names).fetchone()[0])

    def mark_delivered(self, outbox_ids: list[int], at: datetime) -> None:
        self._update(outbox_ids, "state='delivered', delivered_at=?, attempts=attempts+1,"
                     " last_error=NULL", [iso(at)])

    def mark_retry(self, outbox_ids: list[int], next_at: datetime, error: str) -> None:
        self._update(outbox_ids, "attempts=attempts+1, next_at=?, last_error=?",
                     [iso(next_at), error])

    def mark_failed(self, outbox_ids: list[int], error: str) -> None:
        self._update(outbox_ids, "state='failed', attempts=attempts+1, last_error=?", [error])

    def _update(self, outbox_ids: list[int], assignments: str, params: list[Any]) -> None:
        marks = ",".join("?" * len(outbox_ids))
        with self.db.atomic():
            self.db.execute(f"UPDATE outbox SET {assignments} WHERE id IN ({marks})",
                            [*params, *outbox_ids])

    def requeue_failed(self, now: datetime, *, notifier_id: str | None = None,
                       since: datetime | None = None) -> int:
        """Put failed rows back in the queue (after a webhook was fixed); returns how many."""
        sql = ("UPDATE outbox SET state='pending', next_at=?, attempts=0 WHERE state='failed'"
               " AND event_id IN (SELECT id FROM events WHERE detected_at >= ?)")
        params: list[Any] = [iso(now), iso(since) if since else ""]
        if notifier_id:
            sql += " AND notifier_id = ?"
            params.append(notifier_id)
        with self.db.atomic():
            return int(self.db.execute(sql, params).rowcount)

    # the running instance ----------------------------------------------------------------------

    def set_meta(self, values: dict[str, str | None]) -> None:
        with self.db.atomic():
            for key, value in values.items():
                if value is None:
                    self.db.execute("DELETE FROM meta WHERE key = ?", [key])
                else:
                    self.db.table("meta").upsert({"key": key, "value": value}, pk="key")

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def writable(self) -> str | None:
        """None if a write would succeed now, else the reason (read-only, locked, disk full)."""
        try:
            with self.db.atomic():
                self.db.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")
        except sqlite3.Error as exc:
            return f"database not writable: {exc}"
        return None

    # reading ------------------------------------------------------------------------------------

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params or []))

    def events(self, *, watch_id: str | None = None, limit: int = 20) -> list[Event]:
        where, params = ("WHERE watch_id = ?", [watch_id]) if watch_id else ("", [])
        rows = self.db.query(
            f"SELECT * FROM events {where} ORDER BY id DESC LIMIT ?", [*params, limit])
        return [_event(r) for r in rows]


def _event(r: dict[str, Any]) -> Event:
    return Event(kind=r["kind"], watch_id=r["watch_id"], subject=r["subject"], title=r["title"],
                 url=r["url"], before=json.loads(r["before"]), after=json.loads(r["after"]),
                 diff=json.loads(r["diff"]), detected_at=parse_iso(r["detected_at"]),
                 dedup_key=r["dedup_key"], id=r["id"])


def _with_id(event: Event, event_id: int | None) -> Event:
    from dataclasses import replace
    return replace(event, id=event_id)
