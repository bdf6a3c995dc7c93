"""Shared wording for watchers' diffs, so every source says "field: before → after" the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import Change

EXCERPT = 280


def show(value: Any) -> str:
    """A value as a person reads it in a diff line."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return repr(excerpt(value, 120))
    if isinstance(value, list):
        return ", ".join(show(v).strip("'") for v in value) or "none"
    return str(value)


def excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def field_line(label: str, before: Any, after: Any) -> str:
    """'topics: +llm −old' for lists, 'label: before → after' for everything else."""
    if isinstance(before, list) and isinstance(after, list):
        added = [f"+{v}" for v in after if v not in before]
        gone = [f"−{v}" for v in before if v not in after]
        return f"{label}: {' '.join(added + gone)}"
    return f"{label}: {show(before)} → {show(after)}"


def changed_lines(change: Change, labels: Mapping[str, str]) -> tuple[list[str], dict[str, Any],
                                                                      dict[str, Any]]:
    """Diff lines for the labelled fields that changed, with their before/after values."""
    before, after = change.before or {}, change.after or {}
    fields = [f for f in labels if before.get(f) != after.get(f)]
    lines = [field_line(labels[f], before.get(f), after.get(f)) for f in fields]
    return lines, {f: before.get(f) for f in fields}, {f: after.get(f) for f in fields}
