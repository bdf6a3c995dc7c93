"""Watcher registry: one module per source kind, registered here by its KIND."""

from __future__ import annotations

from types import ModuleType

from . import github_org, github_releases

WATCHERS: dict[str, ModuleType] = {m.KIND: m for m in (github_org, github_releases)}
