"""The outbox dispatcher: delivers each (event, notifier) row in order, at least once, and marks
it delivered, retried or failed. A chat outage delays delivery; it never drops or doubles it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sqlite3
from datetime import datetime, timedelta

from . import health
from .clock import Clock, iso
from .config import Config, NotifierConfig
from .errors import PermanentDeliveryError, RetryLater
from .http import HttpClient
from .metrics import Metrics
from .models import dedup_key
from .notifying import SendContext
from .render import render
from .secrets import redact
from .store import OutboxRow, Store

log = logging.getLogger(__name__)

STORAGE_PAUSE = 30.0
BASE_BACKOFF = 10.0
MAX_BACKOFF = 3600.0


def backoff(attempts: int, jitter: float = 0.0) -> float:
    """10 s doubling per attempt, capped at an hour; `jitter` (0..1) spreads retries apart."""
    return min(MAX_BACKOFF, BASE_BACKOFF * 2 ** max(0, attempts)) * (1 + jitter)


class Dispatcher:
    """Woken when a poll commits; otherwise asleep until the next row is due."""

    def __init__(self, config: Config, store: Store, http: HttpClient, clock: Clock, *,
                 jitter: float = 0.0, metrics: Metrics | None = None) -> None:
        self.config, self.store, self.http, self.clock = config, store, http, clock
        self.jitter, self.metrics = jitter, metrics
        self.wake = asyncio.Event()
        self._hold: dict[str, datetime] = {}

    def notify(self) -> None:
        self.wake.set()

    async def deliver_due(self) -> datetime | None:
        """Deliver every row that is due now; return when the next pending row falls due."""
        due_times = await asyncio.gather(*(self._drain_both(n)
                                           for n in self.config.notifiers.values()))
        return min((d for d in due_times if d is not None), default=None)

    async def _drain_both(self, notifier: NotifierConfig) -> datetime | None:
        """Each notifier drains on its own, so one hanging chat cannot delay the others."""
        due = [await self._drain(notifier, digest=False), await self._drain(notifier, digest=True)]
        return min((d for d in due if d is not None), default=None)

    def _batch(self, notifier: NotifierConfig, batching: bool, digest: bool
               ) -> tuple[list[OutboxRow], datetime | None]:
        """The due rows to send next. Instant rows: one, or several when more than `batch_over`
        wait (the rest of a flood stays batched), head of line first. Digest rows: all that
        are due, as many per message as the chat allows."""
        now = self.clock.now()
        held = self._hold.get(notifier.id)
        if held and held > now:
            return [], held
        if digest:
            rows = self.store.pending(notifier.id, max(1, notifier.module.MAX_BATCH),
                                      digest_due=now)
            return [r for r, _ in rows], None if rows else self.store.next_digest_at(notifier.id)
        window = self.store.pending(notifier.id, notifier.batch_over + 1)
        if not window:
            return [], None
        if window[0][1] > now:
            return [], window[0][1]
        size = 1
        if batching or len(window) > notifier.batch_over:
            size = max(1, notifier.module.MAX_BATCH)
            window = self.store.pending(notifier.id, size)
        return [row for row, due in window[:size] if due <= now], None

    async def _drain(self, notifier: NotifierConfig, *, digest: bool) -> datetime | None:
        batching = False
        while True:
            rows, wait_until = self._batch(notifier, batching, digest)
            if not rows:
                return wait_until
            batching = batching or len(rows) > 1
            ids = [r.id for r in rows]
            key = rows[0].event.dedup_key if len(rows) == 1 else dedup_key(
                "outbox", notifier.id, "", ids, None, 0)
            try:
                payload = notifier.module.build_payload([render(r.event) for r in rows],
                                                        notifier.options)
                hold = await notifier.module.send(
                    SendContext(self.http, self.config.endpoints, key), notifier.options, payload)
            except RetryLater as exc:
                wait = exc.after_s if exc.after_s is not None else backoff(
                    rows[0].attempts, random.random() * self.jitter)
                retry_at = self.clock.now() + timedelta(seconds=wait)
                self.store.mark_retry(ids, retry_at, redact(exc.reason))
                self._count(notifier.id, "retry", len(ids))
                log.info("%s: delivery delayed %.0fs (%s)", notifier.id, wait, redact(exc.reason))
                return retry_at
            except PermanentDeliveryError as exc:
                self.store.mark_failed(ids, redact(exc.reason))
                self._count(notifier.id, "failed", len(ids))
                log.warning("%s: delivery failed for good: %s", notifier.id, redact(exc.reason))
                self._alert_failing(notifier.id, redact(exc.reason))
            except Exception as exc:  # a formatting bug: keep the rows, try again later
                log.exception("%s: unexpected error while delivering", notifier.id)
                retry_at = self.clock.now() + timedelta(seconds=backoff(rows[0].attempts))
                self.store.mark_retry(ids, retry_at, f"internal error: {type(exc).__name__}")
                return retry_at
            else:
                self.store.mark_delivered(ids, self.clock.now())
                self._count(notifier.id, "delivered", len(ids))
                if hold:
                    self._hold[notifier.id] = self.clock.now() + timedelta(seconds=hold)
                if self.store.meta(f"notifier_failing:{notifier.id}"):
                    self.store.set_meta({f"notifier_failing:{notifier.id}": None})

    def _alert_failing(self, notifier_id: str, reason: str) -> None:
        """One alert per failure episode, to the other notifiers (they may still work)."""
        mark = f"notifier_failing:{notifier_id}"
        if self.store.meta(mark):
            return
        now = self.clock.now()
        self.store.set_meta({mark: iso(now)})
        targets = self.config.alert_targets(exclude=notifier_id)
        self.store.insert_events([health.notifier_failing(notifier_id, reason, now)],
                                 lambda event: [(n, None) for n in targets], now)
        self.notify()

    def _count(self, notifier_id: str, outcome: str, n: int) -> None:
        if self.metrics:
            self.metrics.deliveries.labels(notifier_id, outcome).inc(n)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop`, sleeping on the wake event or the next due time, never polling."""
        while not stop.is_set():
            self.wake.clear()
            try:
                next_due = await self.deliver_due()
            except sqlite3.Error as exc:  # disk full or locked: pause, never lose the loop
                log.error("delivery paused for %.0f s: storage: %s", STORAGE_PAUSE, exc)
                next_due = self.clock.now() + timedelta(seconds=STORAGE_PAUSE)
            timeout = None
            if next_due is not None:
                timeout = max(0.0, (next_due - self.clock.now()).total_seconds())
            waiters = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await w

    async def drain(self, max_wait: float) -> int:
        """Deliver everything, waiting for retry-afters up to `max_wait` s in all (run --once).
        Returns the number of rows still pending."""
        deadline = self.clock.now() + timedelta(seconds=max_wait)
        while True:
            self.wake.clear()
            next_due = await self.deliver_due()
            if next_due is None:
                if self.wake.is_set():  # rows were added during the pass (a health alert)
                    continue
                break
            if next_due > deadline:
                break
            await self.clock.sleep((next_due - self.clock.now()).total_seconds())
        return self.pending_count()

    def pending_count(self) -> int:
        return self.store.pending_count(self.config.notifiers)
