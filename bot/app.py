"""Builds the running pieces from a config: store, HTTP client, engine, dispatcher."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .clock import Clock, SystemClock
from .config import Config
from .dispatcher import Dispatcher
from .engine import Engine
from .http import HostProfile, HttpClient
from .metrics import Metrics
from .secrets import Secret
from .status import Health, collect
from .store import Store

GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def host_profiles(config: Config, environ: dict[str, str] | None = None) -> list[HostProfile]:
    """Per-service headers and tokens; tokens come from the environment only."""
    env = os.environ if environ is None else environ
    github_token = env.get("RW_GITHUB_TOKEN")
    hf_token = env.get("RW_HF_TOKEN")
    return [
        HostProfile(config.endpoints.github, GITHUB_HEADERS,
                    Secret(github_token) if github_token else None),
        HostProfile(config.endpoints.huggingface, {}, Secret(hf_token) if hf_token else None),
    ]


@dataclass
class App:
    config: Config
    store: Store
    http: HttpClient
    clock: Clock
    engine: Engine
    dispatcher: Dispatcher
    metrics: Metrics

    @classmethod
    def build(cls, config: Config, *, clock: Clock | None = None, store: Store | None = None,
              http: HttpClient | None = None, environ: dict[str, str] | None = None) -> App:
        dispatcher_jitter = 0.0 if clock is not None else 0.2  # tests drive exact times
        clock = clock or SystemClock()
        store = store or Store(config.settings.database)
        http = http or HttpClient(clock, profiles=host_profiles(config, environ))
        metrics = Metrics(store)
        dispatcher = Dispatcher(config, store, http, clock, jitter=dispatcher_jitter,
                                metrics=metrics)
        engine = Engine(config, store, http, clock, on_commit=dispatcher.notify, metrics=metrics)
        return cls(config, store, http, clock, engine, dispatcher, metrics)

    running: bool | None = None
    """Set by `run` while the scheduler runs; None elsewhere (status then probes the lock)."""

    def health(self) -> Health:
        return collect(self.config, self.store, self.clock.now(), running=self.running)

    async def aclose(self) -> None:
        await self.http.aclose()
        self.store.close()
