"""One poll of one watch, the whole path: fetch -> diff -> describe -> one committed transaction."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from . import health
from .clock import Clock
from .config import Config, WatchConfig
from .diff import StoredRecord, diff, fingerprint, shrink_reason
from .errors import ParseError, UpstreamRateLimited, WatcherError
from .events import EVENT_KINDS, SEVERITY_RANK
from .http import HttpClient, ValidatorChanges
from .metrics import Metrics
from .models import Event, dedup_key
from .store import Lazy, PollOutcome, Store
from .watching import WatchContext

log = logging.getLogger(__name__)


@dataclass
class PollResult:
    """What a poll did, for the CLI and tests."""

    watch_id: str
    ok: bool
    error: str | None = None
    held: bool = False
    baseline: bool = False
    events: list[Event] = field(default_factory=list)
    alerts: list[Event] = field(default_factory=list)


class Engine:
    """Polls watches and commits what they found; delivery is the dispatcher's job."""

    def __init__(self, config: Config, store: Store, http: HttpClient, clock: Clock,
                 on_commit: Callable[[], None] | None = None,
                 metrics: Metrics | None = None) -> None:
        self.config, self.store, self.http, self.clock = config, store, http, clock
        self.on_commit, self.metrics = on_commit, metrics
        self._failing: set[str] = set()
        self._streaks: dict[str, tuple[int, datetime | None]] = {}

    def route(self, event: Event) -> list[tuple[str, datetime | None]]:
        """Where an event goes and when: health alerts to `alerts_to`; content by the watch's
        `notify`, each notifier's rules and `min_severity`, low ones held for a digest."""
        if event.kind in health.ALERT_KINDS:
            return [(n, None) for n in self.config.alert_targets()]
        watch = self.config.watches[event.watch_id]
        names = watch.notify if watch.notify is not None else self.config.notifiers
        rank = SEVERITY_RANK[event.severity]
        routes = []
        for name in names:
            notifier = self.config.notifiers.get(name)
            if (notifier is None or not notifier.allows(event.watch_id, event.kind)
                    or rank < SEVERITY_RANK[notifier.min_severity]):
                continue
            digest = notifier.digest and rank < SEVERITY_RANK[notifier.digest_below]
            routes.append((name, self.next_digest(notifier.digest) if digest else None))
        return routes

    def next_digest(self, at: tuple[int, int] | None) -> datetime | None:
        """The next daily digest time (settings.timezone), as UTC."""
        if at is None:
            return None
        zone = ZoneInfo(self.config.settings.timezone)
        local = self.clock.now().astimezone(zone)
        slot = local.replace(hour=at[0], minute=at[1], second=0, microsecond=0)
        if slot <= local:
            slot += timedelta(days=1)
        return slot.astimezone(UTC)

    async def poll(self, watch_id: str, *, dry_run: bool = False) -> PollResult:
        """Poll once. Never raises: upstream trouble, a watcher bug or a full disk is a failed
        poll with its reason, and nothing of it is half-written."""
        watch = self.config.watches[watch_id]
        started = self.clock.now()
        try:
            return await self._poll(watch, started, dry_run)
        except UpstreamRateLimited as exc:
            return self._failed(watch, started, exc.reason, dry_run, until=exc.until,
                                host=exc.host)
        except WatcherError as exc:
            return self._failed(watch, started, exc.reason, dry_run)
        except sqlite3.Error as exc:
            return self._storage_failed(watch, started, exc)
        except Exception as exc:  # a watcher bug must not stop the other watches
            log.exception("watch %s: unexpected error in %s watcher", watch_id, watch.kind)
            return self._failed(watch, started, f"internal error: {type(exc).__name__}: {exc}",
                                dry_run)

    def _streak(self, watch_id: str) -> tuple[int, datetime | None]:
        """Failed polls in a row and when they began: read once, then kept here (this process
        is the database's only writer)."""
        if watch_id not in self._streaks:
            self._streaks[watch_id] = self.store.failures_in_a_row(watch_id)
        return self._streaks[watch_id]

    def _storage_failed(self, watch: WatchConfig, started: datetime,
                        exc: sqlite3.Error) -> PollResult:
        """The store refused the write (disk full, locked): the transaction rolled back whole;
        record the failure if the store takes even that."""
        self._streaks.pop(watch.id, None)
        reason = f"storage: {exc}"
        log.error("watch %s: %s", watch.id, reason)
        try:
            self.store.record_failed_poll(
                PollOutcome(watch.id, started, self.clock.now(), ok=False, error=reason))
        except sqlite3.Error:
            pass
        return PollResult(watch.id, ok=False, error=reason)

    async def _poll(self, watch: WatchConfig, started: datetime, dry_run: bool) -> PollResult:
        watch_id = watch.id
        state = self.store.load_watch(watch_id)
        live = Lazy(lambda: {rid: r.fields for rid, r in state.records.items() if not r.removed})
        options_fp = watch.options_fingerprint
        # validators saved under other options (a new match, selector) could answer 304 for a
        # result these options never saw: ask afresh once
        http = self.http.for_poll(state.validators if state.options_fp == options_fp else {})
        ctx = WatchContext(watch_id, http, self.config.endpoints, live, state.since_complete)
        try:
            fetched = await watch.module.fetch(ctx, watch.options)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            # nearly always an upstream that changed its answer's shape; the traceback is for -v
            log.debug("watch %s: %s reading the answer", watch_id, type(exc).__name__,
                      exc_info=True)
            raise ParseError(f"unexpected answer from upstream ({type(exc).__name__}: "
                             f"{str(exc)[:200]})") from None

        if fetched.records is None:  # all 304: nothing to parse, nothing changed
            if not (fetched.complete and state.since_complete == 0):
                return self._commit(watch, started, {}, [], http.validator_changes(), dry_run,
                                    complete=False, note=fetched.note, baseline=False)
            # the same complete listing again: what was missing from it is missing twice now
            fetched = replace(fetched, records={
                rid: r.fields for rid, r in state.records.items() if not r.removed and not r.missing})

        reason = None if fetched.trusted else shrink_reason(state.records, fetched.records,
                                                             complete=fetched.complete)
        remove_now = False
        if reason:
            mark = fingerprint(fetched.records)
            seen = state.held_count + 1 if mark == state.held_fingerprint else 1
            if seen < watch.confirm_polls:
                log.info("watch %s: %s, poll %d of %d before it is accepted", watch_id, reason,
                         seen, watch.confirm_polls)
                return self._failed(watch, started, reason, dry_run, held=(mark, seen))
            log.info("watch %s: the same shrink seen %d polls in a row, accepting it", watch_id,
                     seen)
            remove_now = True

        result = diff(state.records, fetched.records, complete=fetched.complete,
                      remove_now=remove_now)
        baseline = not state.baselined
        detected = self.clock.now()
        events: list[Event] = []
        if not baseline:
            for change in result.changes:
                for draft in watch.module.describe(change):
                    if draft.kind not in getattr(watch.module, "EVENTS", EVENT_KINDS):
                        raise ValueError(f"{watch.kind} emitted undeclared event kind {draft.kind}")
                    events.append(Event(
                        kind=draft.kind, watch_id=watch_id, subject=str(draft.subject),
                        title=str(draft.title), url=draft.url, before=draft.before,
                        after=draft.after, diff=[str(line) for line in draft.diff],
                        detected_at=detected,
                        dedup_key=dedup_key(draft.kind, watch_id, draft.subject, draft.before,
                                            draft.after, change.revision),
                        severity=watch.severity_of(draft.kind)))
        elif watch.announce_baseline:
            summarize = getattr(watch.module, "summarize", None)
            live_after = {rid: r.fields for rid, r in result.upserts.items() if not r.removed}
            summary = summarize(live_after) if summarize else f"{len(live_after)} records"
            events.append(health.watch_started(watch_id, f"{watch.kind} {watch.target}: {summary}",
                                               detected))
        return self._commit(watch, started, result.upserts, events, http.validator_changes(),
                            dry_run, complete=fetched.complete, note=fetched.note,
                            baseline=baseline)

    def _commit(self, watch: WatchConfig, started: datetime, upserts: dict[str, StoredRecord],
                events: list[Event], validators: ValidatorChanges, dry_run: bool, *,
                complete: bool, note: str | None, baseline: bool) -> PollResult:
        if dry_run:
            return PollResult(watch.id, ok=True, baseline=baseline, events=events)
        fails, since = self._streak(watch.id)
        if since and fails >= watch.alert_after:
            events = [*events, health.watch_recovered(watch.id, since, len(events),
                                                      self.clock.now())]
        outcome = PollOutcome(watch.id, started, self.clock.now(), ok=True, note=note,
                              complete=complete)
        stored = self.store.commit_poll(outcome, upserts=upserts, events=events,
                                        route=self.route, validators=validators,
                                        options_fp=watch.options_fingerprint)
        self._streaks[watch.id] = (0, None)
        if self.metrics:
            self.metrics.polls.labels(watch.id, "ok").inc()
            for event in stored:
                self.metrics.events.labels(event.kind).inc()
        if watch.id in self._failing:
            self._failing.discard(watch.id)
            log.info("watch %s recovered", watch.id)
        if baseline:
            log.info("watch %s: baseline recorded (%d records); changes from now on are posted",
                     watch.id, len(upserts))
        elif stored:
            log.info("watch %s: %d new event(s)", watch.id, len(stored))
        if stored and self.on_commit:
            self.on_commit()
        return PollResult(watch.id, ok=True, baseline=baseline, events=stored)

    def _failed(self, watch: WatchConfig, started: datetime, reason: str, dry_run: bool, *,
                until: datetime | None = None, host: str | None = None,
                held: tuple[str, int] | None = None) -> PollResult:
        """Record a failed or held poll, with an alert when this poll starts an episode."""
        watch_id, now = watch.id, self.clock.now()
        if dry_run:
            return PollResult(watch_id, ok=False, error=reason, held=held is not None)
        fails, since = self._streak(watch_id)
        alerts = []
        if fails + 1 == watch.alert_after:
            alerts.append(health.watch_failing(watch_id, since or started, fails + 1, reason, now))
        if until and host and (until - now).total_seconds() > 3600:
            alerts.append(health.rate_limited(watch_id, host, until, now))
        stored = self.store.record_failed_poll(
            PollOutcome(watch_id, started, now, ok=False, error=reason, held=held is not None,
                        rate_limited_until=until),
            held_fingerprint=held[0] if held else None, held_count=held[1] if held else 0,
            events=alerts, route=self.route)
        self._streaks[watch_id] = (fails + 1, since or started)
        if self.metrics:
            self.metrics.polls.labels(watch_id, "held" if held else "failed").inc()
        if watch_id not in self._failing:  # log on the change of state, not on every poll
            self._failing.add(watch_id)
            log.warning("watch %s failed: %s", watch_id, reason)
        else:
            log.debug("watch %s still failing: %s", watch_id, reason)
        if stored and self.on_commit:
            self.on_commit()
        return PollResult(watch_id, ok=False, error=reason, held=held is not None, alerts=stored)
