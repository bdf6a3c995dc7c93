"""Health alerts as events: one message when a watch starts failing, one when it recovers, one
when a host's rate limit or a notifier's failures need a person. Episodes, not polls."""

from __future__ import annotations

from datetime import datetime

from .clock import iso
from .models import Event, dedup_key

ALERT_KINDS = frozenset({"health.watch_failing", "health.watch_recovered", "health.rate_limited",
                         "health.notifier_failing"})
"""Routed to settings.alerts_to; health.watch_started is content and follows the watch's routes."""


def duration(seconds: float) -> str:
    """'2h 5m', '40m', '3d 4h': how long, as a person says it."""
    minutes = int(seconds // 60)
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    parts = [f"{days}d"] * bool(days) + [f"{hours}h"] * bool(hours) + [f"{mins}m"] * bool(mins)
    return " ".join(parts[:2]) or "under a minute"


def _event(kind: str, watch_id: str, subject: str, title: str, diff: list[str], now: datetime,
           key_parts: tuple[str, ...], severity: str) -> Event:
    return Event(kind=kind, watch_id=watch_id, subject=subject, title=title, url=None,
                 before=None, after={"episode": list(key_parts)}, diff=diff, detected_at=now,
                 dedup_key=dedup_key(kind, watch_id, subject, None, list(key_parts), 0),
                 severity=severity)


def watch_failing(watch_id: str, since: datetime, failures: int, reason: str,
                  now: datetime) -> Event:
    return _event("health.watch_failing", watch_id, watch_id,
                  f"{watch_id} failing since {since:%H:%M} UTC",
                  [f"{failures} polls in a row failed; last reason: {reason}",
                   "nothing is posted for this watch until it recovers"],
                  now, (iso(since),), "high")


def watch_recovered(watch_id: str, since: datetime, changes: int, now: datetime) -> Event:
    meanwhile = f"{changes} change(s) found on recovery" if changes else "nothing changed meanwhile"
    return _event("health.watch_recovered", watch_id, watch_id, f"{watch_id} recovered",
                  [f"down for {duration((now - since).total_seconds())} (since {since:%Y-%m-%d %H:%M} "
                   "UTC)", meanwhile], now, (iso(since), iso(now)), "normal")


def rate_limited(watch_id: str, host: str, until: datetime, now: datetime) -> Event:
    return _event("health.rate_limited", watch_id, host, f"{host} rate limit: polls wait until "
                  f"{until:%H:%M} UTC",
                  [f"the limit resets in {duration((until - now).total_seconds())}",
                   "a token (RW_GITHUB_TOKEN / RW_HF_TOKEN) raises the limit"],
                  now, (host, iso(until)), "high")


def notifier_failing(notifier_id: str, reason: str, now: datetime) -> Event:
    return _event("health.notifier_failing", f"notifier:{notifier_id}", notifier_id,
                  f"notifier {notifier_id} cannot deliver",
                  [f"reason: {reason}",
                   f"fix it, then `releasewatch redeliver --notifier {notifier_id}`"],
                  now, (iso(now),), "high")


def watch_started(watch_id: str, summary: str, now: datetime) -> Event:
    return _event("health.watch_started", watch_id, watch_id, f"Now watching: {watch_id}",
                  [summary], now, (), "normal")
