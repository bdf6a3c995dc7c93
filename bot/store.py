"""The SQLite store, and the only module that imports sqlite_utils. A poll's snapshot rows,
events, outbox rows and HTTP validators are written in one transaction: all or nothing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from .clock import iso, parse_iso
from .diff import StoredRecord
from .errors import DatabaseError
from .http import Validator, ValidatorChanges
from .models import Event

V = TypeVar("V")
SCHEMA_VERSION = 1
Route = Callable[[Event], Iterable[tuple[str, datetime | None]]]
"""Where an event goes: (notifier id, digest time or None for now)."""
KEEP_POLLS = 500
PRUNE_EVERY = 64
"""Poll rows per watch are capped at about KEEP_POLLS, checked on one insert in PRUNE_EVERY."""


class Lazy(Mapping[str, V]):
    """A mapping loaded from the database on first use."""

    def __init__(self, load: Callable[[], dict[str, V]]) -> None:
        self._load = load
        self._data: dict[str, V] | None = None

    @property
    def data(self) -> dict[str, V]:
        if self._data is None:
            self._data = self._load()
        return self._data

    def __getitem__(self, key: str) -> V:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class WatchState:
    records: Mapping[str, StoredRecord]
    baselined: bool
    held_fingerprint: str | None
    held_count: int
    since_complete: int
    validators: dict[str, Validator]
    options_fp: str | None = None


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
            for version in range((found or 0) + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version](self)
            db.table("meta").upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)},
                                    pk="key")

    def _create_v1(self) -> None:
        """Schema v1. A later version adds a `_to_vN` step to MIGRATIONS; databases upgrade in
        place, one step at a time, inside one transaction."""
        db = self.db
        db.table("snapshots").create(
            {"watch_id": str, "record_id": str, "fields": str, "revision": int,
             "missing": int, "removed": int, "updated_at": str},
            pk=("watch_id", "record_id"), if_not_exists=True)
        db.table("watch_state").create(
            {"watch_id": str, "baselined_at": str, "held_fingerprint": str, "held_count": int,
             "since_complete": int, "options_fp": str},
            pk="watch_id", if_not_exists=True)
        db.table("polls").create(
            {"id": int, "watch_id": str, "started_at": str, "finished_at": str, "ok": int,
             "held": int, "error": str, "note": str, "n_records": int, "n_events": int,
             "duration_ms": int, "rate_limited_until": str}, pk="id", if_not_exists=True)
        db.table("polls").create_index(["watch_id", "id"], if_not_exists=True)
        db.table("events").create(
            {"id": int, "dedup_key": str, "kind": str, "watch_id": str, "subject": str,
             "title": str, "url": str, "before": str, "after": str, "diff": str,
             "detected_at": str, "severity": str}, pk="id", if_not_exists=True)
        db.table("events").create_index(["dedup_key"], unique=True, if_not_exists=True)
        db.table("events").create_index(["watch_id", "id"], if_not_exists=True)
        db.table("outbox").create(
            {"id": int, "event_id": int, "notifier_id": str, "state": str, "attempts": int,
             "next_at": str, "last_error": str, "delivered_at": str, "digest": int},
            pk="id", if_not_exists=True)
        db.table("outbox").create_index(["event_id", "notifier_id"], unique=True, if_not_exists=True)
        db.table("outbox").create_index(["notifier_id", "state", "id"], if_not_exists=True)
        db.table("http_cache").create(
            {"watch_id": str, "url": str, "etag": str, "last_modified": str, "link": str,
             "content_type": str, "body": str}, pk=("watch_id", "url"), if_not_exists=True)

    # polls --------------------------------------------------------------------------------------

    def load_watch(self, watch_id: str) -> WatchState:
        """A watch's state; its records are read only if the poll needs them (a 304 does not)."""
        def records() -> dict[str, StoredRecord]:
            return {
                rid: StoredRecord(json.loads(fields), revision, missing, bool(removed))
                for rid, fields, revision, missing, removed in self.db.execute(
                    "SELECT record_id, fields, revision, missing, removed FROM snapshots"
                    " WHERE watch_id = ?", [watch_id])
            }
        row = self.db.execute(
            "SELECT baselined_at, held_fingerprint, held_count, since_complete, options_fp"
            " FROM watch_state WHERE watch_id = ?", [watch_id]).fetchone()
        state = dict(zip(("baselined_at", "held_fingerprint", "held_count", "since_complete",
                          "options_fp"), row or (None,) * 5, strict=True))
        validators = {
            url: Validator(etag, modified, body, link, content_type)
            for url, etag, modified, body, link, content_type in self.db.execute(
                "SELECT url, etag, last_modified, body, link, content_type FROM http_cache"
                " WHERE watch_id = ?", [watch_id])
        }
        return WatchState(Lazy(records), bool(state.get("baselined_at")),
                          state.get("held_fingerprint"),
                          state.get("held_count") or 0, state.get("since_complete") or 0,
                          validators, state.get("options_fp"))

    def commit_poll(self, outcome: PollOutcome, *, upserts: dict[str, StoredRecord],
                    events: list[Event], route: Route,
                    validators: ValidatorChanges | None,
                    options_fp: str | None = None) -> list[Event]:
        """Write one accepted poll atomically; returns the events that were new (not replays)."""
        now = iso(outcome.finished_at)
        with self.db.atomic():
            if upserts:  # plain SQL: sqlite-utils' upsert_all re-reads the schema on every call
                self.db.conn.executemany(
                    "INSERT INTO snapshots (watch_id, record_id, fields, revision, missing,"
                    " removed, updated_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT(watch_id, record_id)"
                    " DO UPDATE SET fields = excluded.fields, revision = excluded.revision,"
                    " missing = excluded.missing, removed = excluded.removed,"
                    " updated_at = excluded.updated_at",
                    [(outcome.watch_id, rid, json.dumps(r.fields, sort_keys=True), r.revision,
                      r.missing, int(r.removed), now) for rid, r in upserts.items()])
            stored = self._insert_events(events, route, outcome.finished_at)
            self.db.execute(
                "INSERT INTO watch_state (watch_id, baselined_at, held_fingerprint, held_count,"
                " since_complete, options_fp) VALUES (?, ?, NULL, 0, ?, ?) ON CONFLICT(watch_id)"
                " DO UPDATE SET baselined_at = coalesce(baselined_at, excluded.baselined_at),"
                " held_fingerprint = NULL, held_count = 0, since_complete = CASE WHEN ? THEN 0"
                " ELSE coalesce(since_complete, 0) + 1 END,"
                " options_fp = coalesce(excluded.options_fp, options_fp)",
                [outcome.watch_id, now, 0 if outcome.complete else 1, options_fp,
                 outcome.complete])
            if validators is not None:
                for url in validators.dropped:
                    self.db.execute("DELETE FROM http_cache WHERE watch_id = ? AND url = ?",
                                    [outcome.watch_id, url])
                self.db.conn.executemany(
                    "INSERT OR REPLACE INTO http_cache (watch_id, url, etag, last_modified, link,"
                    " content_type, body) VALUES (?,?,?,?,?,?,?)",
                    [(outcome.watch_id, url, v.etag, v.last_modified, v.link, v.content_type,
                      v.body) for url, v in validators.fresh.items()])
            self._insert_poll(outcome, len(stored))
        return stored

    def record_failed_poll(self, outcome: PollOutcome, *, held_fingerprint: str | None = None,
                           held_count: int = 0, events: list[Event] | None = None,
                           route: Route | None = None) -> list[Event]:
        """A failed or held poll (and its health alerts): the snapshot stays exactly as it was."""
        stored: list[Event] = []
        with self.db.atomic():
            if events and route:
                stored = self._insert_events(events, route, outcome.finished_at)
            if outcome.held:
                self.db.execute(
                    "INSERT INTO watch_state (watch_id, held_fingerprint, held_count)"
                    " VALUES (?, ?, ?) ON CONFLICT(watch_id) DO UPDATE SET"
                    " held_fingerprint = excluded.held_fingerprint,"
                    " held_count = excluded.held_count",
                    [outcome.watch_id, held_fingerprint, held_count])
            self._insert_poll(outcome, 0)
        return stored

    def insert_events(self, events: list[Event], route: Route, at: datetime) -> list[Event]:
        """Events that come from no poll (a notifier's health), with their outbox rows."""
        with self.db.atomic():
            return self._insert_events(events, route, at)

    def _insert_events(self, events: list[Event], route: Route, at: datetime) -> list[Event]:
        """Insert new events (a replayed dedup key is skipped) and one outbox row per route."""
        stored = []
        for event in events:
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO events (dedup_key, kind, watch_id, subject, title, url,"
                " before, after, diff, detected_at, severity) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [event.dedup_key, event.kind, event.watch_id, event.subject, event.title,
                 event.url, json.dumps(event.before), json.dumps(event.after),
                 json.dumps(event.diff), iso(event.detected_at), event.severity])
            if cursor.rowcount != 1:
                continue
            event_id = cursor.lastrowid
            self.db.conn.executemany(
                "INSERT INTO outbox (event_id, notifier_id, state, attempts, next_at, digest)"
                " VALUES (?, ?, 'pending', 0, ?, ?)",
                [(event_id, n, iso(when or at), int(when is not None)) for n, when in route(event)])
            stored.append(replace(event, id=event_id))
        return stored

    def _insert_poll(self, outcome: PollOutcome, n_events: int) -> None:
        n_records = self.db.execute(
            "SELECT count(*) FROM snapshots WHERE watch_id = ? AND removed = 0",
            [outcome.watch_id]).fetchone()[0]
        cursor = self.db.execute(  # plain SQL: every poll runs this, the warm pass's hot path
            "INSERT INTO polls (watch_id, started_at, finished_at, ok, held, error, note,"
            " n_records, n_events, duration_ms, rate_limited_until) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [outcome.watch_id, iso(outcome.started_at), iso(outcome.finished_at), int(outcome.ok),
             int(outcome.held), outcome.error, outcome.note, n_records, n_events,
             int((outcome.finished_at - outcome.started_at).total_seconds() * 1000),
             iso(outcome.rate_limited_until) if outcome.rate_limited_until else None])
        if (cursor.lastrowid or 0) % PRUNE_EVERY == 0:  # the cap walks KEEP_POLLS index entries
            self.db.execute(
                "DELETE FROM polls WHERE watch_id = ? AND id <= "
                "(SELECT id FROM polls WHERE watch_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                [outcome.watch_id, outcome.watch_id, KEEP_POLLS])

    # outbox -------------------------------------------------------------------------------------

    def pending(self, notifier_id: str, limit: int = 1, *,
                digest_due: datetime | None = None) -> list[tuple[OutboxRow, datetime]]:
        """The oldest pending rows of a notifier with when each is due. Instant rows go out in
        order; with `digest_due`, the digest rows due by then instead."""
        where = "o.digest = 0" if digest_due is None else "o.digest = 1 AND o.next_at <= ?"
        params: list[Any] = [notifier_id] + ([iso(digest_due)] if digest_due else []) + [limit]
        rows = self.db.execute(
            "SELECT o.id, o.attempts, o.next_at, e.* FROM outbox o JOIN events e"
            f" ON e.id = o.event_id WHERE o.notifier_id = ? AND o.state = 'pending' AND {where}"
            " ORDER BY o.id LIMIT ?", params).fetchall()
        cols = ["outbox_id", "attempts", "next_at", "id", "dedup_key", "kind", "watch_id",
                "subject", "title", "url", "before", "after", "diff", "detected_at", "severity"]
        found = []
        for row in rows:
            r = dict(zip(cols, row, strict=True))
            found.append((OutboxRow(r["outbox_id"], notifier_id, r["attempts"], _event(r)),
                          parse_iso(r["next_at"])))
        return found

    def next_digest_at(self, notifier_id: str) -> datetime | None:
        row = self.db.execute(
            "SELECT min(next_at) FROM outbox WHERE notifier_id = ? AND state = 'pending'"
            " AND digest = 1", [notifier_id]).fetchone()
        return parse_iso(row[0]) if row and row[0] else None

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

    def failures_in_a_row(self, watch_id: str) -> tuple[int, datetime | None]:
        """Failed polls since the last success, and when the first of them started."""
        row = self.db.execute(
            "SELECT count(*), min(started_at) FROM polls WHERE watch_id=? AND ok=0 AND id >"
            " coalesce((SELECT max(id) FROM polls WHERE watch_id=? AND ok=1), 0)",
            [watch_id, watch_id]).fetchone()
        return int(row[0]), parse_iso(row[1]) if row[1] else None

    def prune(self, now: datetime, *, keep_polls_s: int, keep_events_s: int) -> tuple[int, int]:
        """Retention: old poll rows, and old events whose deliveries are settled."""
        with self.db.atomic():
            polls = self.db.execute("DELETE FROM polls WHERE finished_at < ?",
                                    [iso(now - timedelta(seconds=keep_polls_s))]).rowcount
            cutoff = iso(now - timedelta(seconds=keep_events_s))
            old = ("SELECT id FROM events WHERE detected_at < ? AND id NOT IN"
                   " (SELECT event_id FROM outbox WHERE state = 'pending')")
            self.db.execute(f"DELETE FROM outbox WHERE event_id IN ({old})", [cutoff])
            events = self.db.execute(f"DELETE FROM events WHERE id IN ({old})", [cutoff]).rowcount
        return int(polls), int(events)

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
                 dedup_key=r["dedup_key"], id=r["id"], severity=r.get("severity") or "normal")


MIGRATIONS: dict[int, Callable[[Store], None]] = {1: Store._create_v1}
