"""The outbox dispatcher: delivers each (event, notifier) row in order, at least once, and marks
it delivered, retried or failed. A chat outage delays delivery; it never drops or doubles it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from .clock import Clock
from .config import Config
from .errors import PermanentDeliveryError, RetryLater
from .http import HttpClient
from .render import render
from .secrets import redact
from .store import Store

log = logging.getLogger(__name__)

BASE_BACKOFF = 10.0
MAX_BACKOFF = 3600.0


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF, BASE_BACKOFF * 2 ** max(0, attempts))


class Dispatcher:
    """Woken when a poll commits; otherwise asleep until the next row is due."""

    def __init__(self, config: Config, store: Store, http: HttpClient, clock: Clock) -> None:
        self.config, self.store, self.http, self.clock = config, store, http, clock
        self.wake = asyncio.Event()

    def notify(self) -> None:
        self.wake.set()

    async def deliver_due(self) -> datetime | None:
        """Deliver every row that is due now; return when the next pending row falls due."""
        next_due: datetime | None = None
        for notifier_id in self.config.notifiers:
            due = await self._drain(notifier_id)
            if due and (next_due is None or due < next_due):
                next_due = due
        return next_due

    async def _drain(self, notifier_id: str) -> datetime | None:
        notifier = self.config.notifiers[notifier_id]
        while (item := self.store.next_pending(notifier_id)) is not None:
            row, due = item
            if due > self.clock.now():
                return due
            try:
                payload = notifier.module.build_payload(render(row.event), notifier.options)
                await notifier.module.send(self.http, notifier.options, payload,
                                           key=row.event.dedup_key)
            except RetryLater as exc:
                wait = exc.after_s if exc.after_s is not None else backoff(row.attempts)
                retry_at = self.clock.now() + timedelta(seconds=wait)
                self.store.mark_retry(row.id, retry_at, redact(exc.reason))
                log.info("%s: delivery delayed %.0fs (%s)", notifier_id, wait, redact(exc.reason))
                return retry_at
            except PermanentDeliveryError as exc:
                self.store.mark_failed(row.id, redact(exc.reason))
                log.warning("%s: delivery failed for good: %s", notifier_id, redact(exc.reason))
            except Exception as exc:  # a formatting bug: keep the row, try again later
                log.exception("%s: unexpected error while delivering", notifier_id)
                retry_at = self.clock.now() + timedelta(seconds=backoff(row.attempts))
                self.store.mark_retry(row.id, retry_at,
                                      redact(f"internal error: {type(exc).__name__}"))
                return retry_at
            else:
                self.store.mark_delivered(row.id, self.clock.now())
        return None

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop`, sleeping on the wake event or the next due time, never polling."""
        while not stop.is_set():
            self.wake.clear()
            next_due = await self.deliver_due()
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
        while (next_due := await self.deliver_due()) is not None and next_due <= deadline:
            await self.clock.sleep((next_due - self.clock.now()).total_seconds())
        return self.pending_count()

    def pending_count(self) -> int:
        names = list(self.config.notifiers)
        if not names:
            return 0
        marks = ",".join("?" * len(names))
        rows = self.store.query(
            f"SELECT count(*) AS n FROM outbox WHERE state='pending' AND notifier_id IN ({marks})",
            names)
        return int(rows[0]["n"])
