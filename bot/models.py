"""The plain data that flows along the path: records, changes, event drafts, events, messages."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

JSON = Any
Fields = dict[str, JSON]
Records = dict[str, Fields]
"""A watcher's view of its upstream: stable record id -> plain JSON-able fields."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a fetch saw. `complete=False` updates the records it holds and removes nothing;
    `records=None` means every request was answered 304: nothing changed, nothing to parse."""

    records: Records | None
    complete: bool = True
    note: str | None = None
    trusted: bool = False
    """The upstream said so in as many words (e.g. "repository not found"): an empty result is
    real, not a glitch, so the shrink guard does not hold it; removals still need two polls."""

    @classmethod
    def not_modified(cls, *, complete: bool = False) -> Fetched:
        """Nothing changed upstream. `complete=True`: the whole listing is as at the last
        accepted complete poll, so records missing then are still missing (they count toward
        removal); `False`: only part of it was checked."""
        return cls(records=None, complete=complete)


ChangeType = Literal["added", "changed", "removed"]


@dataclass(frozen=True, slots=True)
class Change:
    """One record's transition between two snapshots."""

    type: ChangeType
    record_id: str
    before: Fields | None
    after: Fields | None
    revision: int = 0
    """The stored revision of the record the change was computed from (0 for a new record)."""

    @property
    def changed_fields(self) -> list[str]:
        before, after = self.before or {}, self.after or {}
        return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))

    @property
    def current(self) -> Fields:
        return self.after if self.after is not None else (self.before or {})


@dataclass(frozen=True, slots=True)
class EventDraft:
    """What a watcher says about a change; the engine adds watch, time and dedup key."""

    kind: str
    subject: str
    title: str
    diff: list[str] = field(default_factory=list)
    url: str | None = None
    before: JSON = None
    after: JSON = None


@dataclass(frozen=True, slots=True)
class Event:
    """A stored event: one transition of one subject, posted once to each notifier."""

    kind: str
    watch_id: str
    subject: str
    title: str
    url: str | None
    before: JSON
    after: JSON
    diff: list[str]
    detected_at: datetime
    dedup_key: str
    id: int | None = None
    severity: str = "normal"


def dedup_key(kind: str, watch_id: str, subject: str, before: JSON, after: JSON, revision: int) -> str:
    """Names the transition, so a replayed poll maps to the same key and a flip back does not."""
    blob = json.dumps([kind, watch_id, subject, before, after, revision], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Message:
    """A chat-neutral rendering of an event; each notifier turns it into its own payload."""

    title: str
    lines: list[str]
    url: str | None
    kind: str
    watch_id: str
    subject: str
    detected_at: datetime
    key: str
    severity: str = "normal"
    before: JSON = None
    after: JSON = None
