"""The one documented list of event kinds; the README table is generated from it and a test
fails if a watcher emits a kind that is not here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["high", "normal", "low"]


@dataclass(frozen=True, slots=True)
class EventKind:
    name: str
    severity: Severity
    summary: str


_KINDS = [
    EventKind("github.repo_created", "high", "A new repository appeared in a watched org or user."),
    EventKind("github.repo_changed", "low",
              "Description, homepage, topics, licence, archived, visibility or name changed."),
    EventKind("github.repo_deleted", "low", "A repository is missing from two complete listings."),
    EventKind("github.release_published", "normal",
              "A release was published (or a prerelease promoted)."),
    EventKind("github.prerelease_published", "normal", "A prerelease was published."),
    EventKind("github.release_changed", "normal", "A release's name, notes or assets changed."),
    EventKind("github.tag_created", "normal", "A tag without a release was pushed."),
]

EVENT_KINDS: dict[str, EventKind] = {k.name: k for k in _KINDS}


def markdown_table() -> str:
    """The README's event table, generated so it cannot drift from the code."""
    rows = ["| kind | severity | when |", "|---|---|---|"]
    rows += [f"| `{k.name}` | {k.severity} | {k.summary} |" for k in _KINDS]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
