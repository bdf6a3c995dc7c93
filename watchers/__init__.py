"""Watcher registry: one module per source kind, registered here by its KIND. Modules whose name
starts with `_` hold code shared by several watchers of one source and are not kinds."""

from __future__ import annotations

from types import ModuleType

from . import (
    changelog_page,
    docs_table,
    feed,
    github_org,
    github_releases,
    hf_author,
    hf_model,
    openai_models,
    openrouter_models,
    page,
)

MODULES: list[ModuleType] = [
    github_org,
    github_releases,
    hf_author,
    hf_model,
    openai_models,
    openrouter_models,
    docs_table,
    changelog_page,
    page,
    feed,
]

WATCHERS: dict[str, ModuleType] = {m.KIND: m for m in MODULES}
