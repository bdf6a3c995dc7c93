"""Store rules that no scenario reaches directly: retention and the schema version."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.errors import DatabaseError
from bot.models import Event, dedup_key
from bot.store import SCHEMA_VERSION, PollOutcome, Store


def event(n: int, clock: FakeClock) -> Event:
    return Event(kind="github.repo_created", watch_id="w", subject=f"r{n}", title=f"t{n}",
                 url=None, before=None, after={"n": n}, diff=[], detected_at=clock.now(),
                 dedup_key=dedup_key("github.repo_created", "w", f"r{n}", None, {"n": n}, 0))


def test_retention_removes_old_polls_and_settled_events_but_keeps_pending(
        tmp_path: Path, clock: FakeClock) -> None:
    store = Store(tmp_path / "rw.db")
    now = clock.now()
    store.commit_poll(PollOutcome("w", now, now, ok=True), upserts={},
                      events=[event(1, clock), event(2, clock)],
                      route=lambda e: [("n", None)], validators=None)
    [first, _] = store.pending("n", 2)
    store.mark_delivered([first[0].id], now)
    clock.advance(400 * 86400)
    polls, events = store.prune(clock.now(), keep_polls_s=30 * 86400, keep_events_s=365 * 86400)
    assert (polls, events) == (1, 1)
    assert [e.title for e in store.events()] == ["t2"]  # still waiting for delivery: kept
    store.close()


def test_fresh_database_gets_the_current_schema(tmp_path: Path) -> None:
    store = Store(tmp_path / "rw.db")
    assert store.meta("schema_version") == str(SCHEMA_VERSION)
    store.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "rw.db")
    store.set_meta({"schema_version": str(SCHEMA_VERSION + 1)})
    store.close()
    with pytest.raises(DatabaseError, match="newer than this releasewatch"):
        Store(tmp_path / "rw.db")
