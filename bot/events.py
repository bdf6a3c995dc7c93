"""The one documented list of event kinds; the README table is generated from it and a test
fails if a watcher emits a kind that is not here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["high", "normal", "low"]
SEVERITY_RANK: dict[str, int] = {"low": 0, "normal": 1, "high": 2}


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
    EventKind("hf.model_created", "high", "A new model repo appeared on the Hugging Face Hub."),
    EventKind("hf.dataset_created", "normal", "A new dataset repo appeared on the Hub."),
    EventKind("hf.space_created", "normal", "A new Space appeared on the Hub."),
    EventKind("hf.weights_published", "high",
              "Weight files appeared for the first time: shards, size, parameters, licence."),
    EventKind("hf.weights_updated", "normal", "Weight files changed after they were published."),
    EventKind("hf.license_changed", "normal", "A repo's licence changed."),
    EventKind("hf.gating_changed", "normal", "A repo became gated or open (auto / manual)."),
    EventKind("hf.visibility_changed", "normal", "A repo became public or private."),
    EventKind("hf.context_window_changed", "high", "config.json's context window changed."),
    EventKind("hf.config_changed", "low", "Architecture, experts or dtype in config.json changed."),
    EventKind("hf.model_deleted", "low", "A watched repo is gone (twice in a row)."),
    EventKind("hf.dataset_deleted", "low", "A watched dataset is gone (twice in a row)."),
    EventKind("hf.space_deleted", "low", "A watched Space is gone (twice in a row)."),
    EventKind("docs.row_added", "low", "A docs table gained a row (or model column)."),
    EventKind("docs.row_removed", "low", "A docs table lost a row (or model column)."),
    EventKind("docs.context_window_changed", "high", "A context length in a docs table changed."),
    EventKind("docs.price_changed", "high", "A price in a docs table changed."),
    EventKind("docs.cell_changed", "low", "Another cell in a docs table changed."),
    EventKind("changelog.entry_added", "normal", "A change log gained an entry."),
    EventKind("changelog.entry_changed", "low", "A change-log entry was edited."),
    EventKind("page.changed", "low", "The watched text of a page changed."),
    EventKind("feed.entry_added", "normal", "An RSS/Atom feed gained an entry."),
    EventKind("catalog.model_listed", "high", "A model appeared in a provider's catalog."),
    EventKind("catalog.model_delisted", "high", "A model is gone from a catalog (two polls)."),
    EventKind("catalog.context_window_changed", "high", "A catalog model's context changed."),
    EventKind("catalog.price_changed", "high", "A catalog model's price changed."),
    EventKind("catalog.modalities_changed", "low", "A catalog model's input/output changed."),
    EventKind("catalog.provider_added", "normal", "A provider started serving a model."),
    EventKind("catalog.provider_removed", "normal", "A provider stopped serving a model."),
    EventKind("health.watch_failing", "high",
              "A watch failed `alert_after` polls in a row (one alert per failure episode)."),
    EventKind("health.watch_recovered", "normal",
              "A failing watch succeeded again: how long it was down, what changed meanwhile."),
    EventKind("health.rate_limited", "high", "A host's rate limit keeps polls waiting over an hour."),
    EventKind("health.notifier_failing", "high",
              "A notifier's deliveries fail for good (sent to the other notifiers)."),
    EventKind("health.watch_started", "normal",
              "A watch's first poll, when `announce_baseline` is on: what it now watches."),
]

EVENT_KINDS: dict[str, EventKind] = {k.name: k for k in _KINDS}


def markdown_table() -> str:
    """The README's event table, generated so it cannot drift from the code."""
    rows = ["| kind | severity | when |", "|---|---|---|"]
    rows += [f"| `{k.name}` | {k.severity} | {k.summary} |" for k in _KINDS]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
