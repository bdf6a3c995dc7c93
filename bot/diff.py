"""The generic snapshot diff: records in, changes out, with the rules that keep a flaky upstream
from posting a removal storm (two-poll removals, shrink guard)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from .models import Change, Fields, Records

REMOVAL_POLLS = 2
"""Complete listings in a row a record must be missing from before it counts as removed."""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    fields: Fields
    revision: int
    missing: int = 0
    removed: bool = False


@dataclass
class DiffResult:
    """Changes to describe, plus exactly the rows the store must write (unchanged rows are not)."""

    changes: list[Change] = field(default_factory=list)
    upserts: dict[str, StoredRecord] = field(default_factory=dict)


def diff(old: Mapping[str, StoredRecord], new: Records, *, complete: bool,
         remove_now: bool = False) -> DiffResult:
    """Compare a stored snapshot with a fetch. Only a complete fetch can remove records."""
    result = DiffResult()
    for rid, fields in new.items():
        stored = old.get(rid)
        if stored is None or stored.removed:
            revision = stored.revision if stored else 0
            result.changes.append(Change("added", rid, None, fields, revision))
            result.upserts[rid] = StoredRecord(fields, revision + 1)
        elif stored.fields != fields:
            result.changes.append(Change("changed", rid, stored.fields, fields, stored.revision))
            result.upserts[rid] = StoredRecord(fields, stored.revision + 1)
        elif stored.missing:
            result.upserts[rid] = StoredRecord(fields, stored.revision)
    if not complete:
        return result
    for rid, stored in old.items():
        if stored.removed or rid in new:
            continue
        missing = stored.missing + 1
        if remove_now or missing >= REMOVAL_POLLS:
            result.changes.append(Change("removed", rid, stored.fields, None, stored.revision))
            result.upserts[rid] = StoredRecord(stored.fields, stored.revision + 1, 0, removed=True)
        else:
            result.upserts[rid] = StoredRecord(stored.fields, stored.revision, missing)
    return result


def live_count(old: Mapping[str, StoredRecord]) -> int:
    return sum(1 for r in old.values() if not r.removed)


def shrink_reason(old: Mapping[str, StoredRecord], new: Records, *, complete: bool) -> str | None:
    """Why this fetch looks like a broken upstream rather than real removals, or None.

    An empty result where there were records, or more than half of at least 4 records gone at once.
    """
    before = live_count(old)
    if before and not new:
        return f"shrink held ({before} → 0 records)"
    if not complete or before < 4:
        return None
    gone = sum(1 for rid, r in old.items() if not r.removed and rid not in new)
    if gone * 2 > before:
        return f"shrink held ({before} → {len(new)} records)"
    return None


def fingerprint(records: Records) -> str:
    """Identifies 'the same result' across polls while a shrink waits to be confirmed."""
    blob = json.dumps(sorted(records), separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
