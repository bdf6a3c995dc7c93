"""The fake Hub for the Hugging Face scenarios, and helpers that seed it from the DeepSeek-V3
fixtures (MIT, 163 safetensors shards, 685B parameters, a 163,840-token context)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from bot.app import App
from bot.engine import PollResult
from bot.status import WatchHealth, collect
from tests.fakes.huggingface import FakeHub

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hf"
HF_TOKEN = "hf_testtoken_s3cr3t_0123456789abcdef"
V4 = "deepseek-ai/DeepSeek-V4"


@cache
def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def v3_config(**changes: Any) -> dict[str, Any]:
    return {**fixture("deepseek_v3_config.json"), **changes}


def v3_shards() -> dict[str, int]:
    """The 163 shard names and sizes of the real upload (688.6 GB together)."""
    return {s["rfilename"]: s["size"] for s in fixture("deepseek_v3_info.json")["siblings"]
            if s["rfilename"].endswith(".safetensors")}


def v3_parameters() -> dict[str, int]:
    return dict(fixture("deepseek_v3_info.json")["safetensors"]["parameters"])


def add_v3(hub: FakeHub, repo_id: str = V4, *, weights: bool = True, config: bool = True,
           **settings: Any) -> None:
    """A repo shaped like DeepSeek-V3: code and config first, then (optionally) the weights
    in one upload, as the lab does it."""
    files: dict[str, Any] = {"modeling_deepseek.py": "# model code\n", "LICENSE-MODEL": "MIT\n"}
    if config:
        files["config.json"] = v3_config()
    settings.setdefault("license", "mit")
    hub.add_repo(repo_id, files=files, pipeline_tag="text-generation", library_name="transformers",
                 **settings)
    if weights:
        hub.put_files(repo_id, v3_shards(), parameters=v3_parameters())


def watch_config(hub: FakeHub, kind: str, options: str, extra: str = "") -> str:
    return f"""
[endpoints]
huggingface = "{hub.url}"
[watches.hf]
kind = "{kind}"
{options}
{extra}
[notifiers.stdout]
kind = "console"
"""


def kinds(result: PollResult) -> list[str]:
    return [e.kind for e in result.events]


def status(app: App) -> WatchHealth:
    return collect(app.config, app.store, app.clock.now()).watches[0]


def record(app: App, record_id: str) -> dict[str, Any]:
    return app.store.load_watch("hf").records[record_id].fields


def per_repo_paths(hub: FakeHub) -> list[str]:
    """Requests that name one repo (info or files), as opposed to listing pages."""
    return [r.path for r in hub.requests if r.path not in ("/api/models", "/api/datasets", "/api/spaces")]


