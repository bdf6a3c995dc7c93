"""Watcher registry: one module per source kind, registered here by its KIND. Modules whose name
starts with `_` hold code shared by several watchers of one source and are not kinds."""

from __future__ import annotations

from types import ModuleType

from . import github_org, github_releases

MODULES: list[ModuleType] = [
    github_org,
    github_releases,
]

WATCHERS: dict[str, ModuleType] = {m.KIND: m for m in MODULES}
