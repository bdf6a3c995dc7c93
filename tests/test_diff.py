"""The generic diff and its guards, fed plain records (no server)."""

from __future__ import annotations

from bot.diff import StoredRecord, diff, fingerprint, shrink_reason


def stored(**records: dict) -> dict[str, StoredRecord]:
    return {rid: StoredRecord(fields, revision=1) for rid, fields in records.items()}


def test_new_record_is_added_with_revision_zero() -> None:
    result = diff({}, {"a": {"x": 1}}, complete=True)
    [change] = result.changes
    assert (change.type, change.record_id, change.revision) == ("added", "a", 0)
    assert result.upserts["a"].revision == 1


def test_unchanged_records_are_not_rewritten() -> None:
    result = diff(stored(a={"x": 1}, b={"x": 2}), {"a": {"x": 1}, "b": {"x": 3}}, complete=True)
    assert list(result.upserts) == ["b"]
    assert result.changes[0].changed_fields == ["x"]


def test_removal_needs_two_complete_listings() -> None:
    old = stored(a={"x": 1}, b={"x": 2})
    first = diff(old, {"a": {"x": 1}}, complete=True)
    assert first.changes == []
    assert first.upserts["b"].missing == 1
    old["b"] = first.upserts["b"]
    second = diff(old, {"a": {"x": 1}}, complete=True)
    assert [c.type for c in second.changes] == ["removed"]
    assert second.upserts["b"].removed


def test_partial_fetch_removes_nothing() -> None:
    result = diff(stored(a={"x": 1}, b={"x": 2}), {"a": {"x": 1}}, complete=False)
    assert result.changes == [] and result.upserts == {}


def test_record_seen_again_resets_its_missing_count() -> None:
    old = {"a": StoredRecord({"x": 1}, 1, missing=1)}
    result = diff(old, {"a": {"x": 1}}, complete=True)
    assert result.changes == [] and result.upserts["a"].missing == 0


def test_readded_record_continues_its_revision() -> None:
    old = {"a": StoredRecord({"x": 1}, 4, removed=True)}
    [change] = diff(old, {"a": {"x": 1}}, complete=True).changes
    assert change.type == "added" and change.revision == 4


def test_shrink_to_nothing_is_suspicious_even_for_small_lists() -> None:
    assert shrink_reason(stored(a={}), {}, complete=False) == "shrink held (1 → 0 records)"


def test_losing_more_than_half_of_four_is_suspicious() -> None:
    old = stored(a={}, b={}, c={}, d={})
    assert shrink_reason(old, {"a": {}}, complete=True) == "shrink held (4 → 1 records)"
    assert shrink_reason(old, {"a": {}, "b": {}}, complete=True) is None


def test_small_lists_rely_on_the_two_poll_rule() -> None:
    assert shrink_reason(stored(a={}, b={}, c={}), {"a": {}}, complete=True) is None


def test_fingerprint_depends_on_ids_only() -> None:
    assert fingerprint({"a": {"x": 1}}) == fingerprint({"a": {"x": 2}})
    assert fingerprint({"a": {}}) != fingerprint({"b": {}})
