"""Prometheus metrics: counters the engine and dispatcher bump, gauges read from the store at
scrape time (so they are right after a restart too)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .clock import parse_iso

if TYPE_CHECKING:
    from .store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self, store: Store) -> None:
        self.registry = CollectorRegistry()
        self.polls = Counter("releasewatch_polls", "Polls by watch and outcome (ok, failed, held).",
                             ["watch", "outcome"], registry=self.registry)
        self.events = Counter("releasewatch_events", "Events stored, by kind.", ["kind"],
                              registry=self.registry)
        self.deliveries = Counter("releasewatch_deliveries",
                                  "Outbox rows by notifier and outcome (delivered, retry, failed).",
                                  ["notifier", "outcome"], registry=self.registry)
        self.registry.register(_StoreGauges(store))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _StoreGauges(Collector):
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("releasewatch_outbox_depth", "Rows waiting, by notifier.",
                                  labels=["notifier"])
        for row in self.store.query("SELECT notifier_id, count(*) AS n FROM outbox"
                                    " WHERE state='pending' GROUP BY notifier_id"):
            depth.add_metric([row["notifier_id"]], row["n"])
        yield depth
        last = GaugeMetricFamily("releasewatch_last_success_timestamp_seconds",
                                 "Unix time of each watch's last successful poll.",
                                 labels=["watch"])
        for row in self.store.query("SELECT watch_id, max(finished_at) AS at FROM polls"
                                    " WHERE ok=1 GROUP BY watch_id"):
            last.add_metric([row["watch_id"]], parse_iso(row["at"]).timestamp())
        yield last
