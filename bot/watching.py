"""The watcher contract: what a watcher module provides and what the engine hands it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from .http import PollHttp
from .models import Change, EventDraft, Fetched, Fields
from .options import Options as BaseOptions


@dataclass(frozen=True)
class Endpoints:
    """Base URLs of the real services; config points them at mirrors or loopback fakes."""

    github: str = "https://api.github.com"
    huggingface: str = "https://huggingface.co"
    openrouter: str = "https://openrouter.ai"
    discord: str = "https://discord.com/api/v10"


@dataclass(frozen=True)
class WatchContext:
    """Everything a fetch may use besides its options."""

    watch_id: str
    http: PollHttp
    endpoints: Endpoints
    previous: Mapping[str, Fields]
    """The live records of the last accepted snapshot (empty before the baseline)."""
    polls_since_complete: int
    """Accepted partial polls since the last complete one, for watchers that list in full only
    now and then."""


class Watcher(Protocol):
    """A watcher module: `KIND`, `EVENTS`, `Options`, `fetch` and `describe`; optionally
    `summarize(records)` for the baseline message and `cost(opts)` for check-config --cost."""

    KIND: str
    EVENTS: tuple[str, ...]
    """Every event kind it may emit, each listed in bot/events.py."""
    Options: type[BaseOptions]

    async def fetch(self, ctx: WatchContext, opts: BaseOptions) -> Fetched: ...

    def describe(self, change: Change) -> list[EventDraft]: ...
