"""How Hub changes read as events: pure normalise/describe on records built from the DeepSeek-V3
fixtures in the Hub's real response shapes."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from bot.models import Change
from watchers import _hf

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hf"
URL = "https://huggingface.co/deepseek-ai/DeepSeek-V3"


@cache
def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def v3(**changes: Any) -> dict[str, Any]:
    """DeepSeek-V3's record as a watcher stores it after reading its info and config.json."""
    info = load("deepseek_v3_info.json")
    fields = {**_hf.normalise(info, "model", URL),
              **_hf.config_fields(load("deepseek_v3_config.json"), info["id"]), "config_sha": info["sha"]}
    return {**fields, **changes}


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[Any]:
    return _hf.describe(Change("changed", "models/deepseek-ai/DeepSeek-V3", before, after, 3))


def test_v3_fixture_normalises_to_the_numbers_people_quote() -> None:
    record = v3()
    assert record["weights"] == {"safetensors": {"files": 163, "bytes": 688_586_727_753}}
    assert record["parameters"]["total"] == 684_531_386_000
    assert record["context_window"] == 163_840
    assert record["rope_scaling"] == {"type": "yarn", "factor": 40, "original": 4096}
    assert record["experts"] == {"routed": 256, "per_token": 8, "shared": 1}
    assert (record["architecture"], record["quantization"], record["license"]) == (
        "DeepseekV3ForCausalLM", "fp8", "mit")
    assert "downloads" not in record and "likes" not in record
    json.dumps(record)


def test_weights_published_reads_as_one_line_with_count_size_parameters_and_licence() -> None:
    [event] = changed(v3(weights={}, parameters=None), v3())
    assert event.kind == "hf.weights_published"
    assert event.diff == ["163 safetensors shards, 688.6 GB, 685B parameters (F8_E4M3, BF16, F32), "
                          "licence MIT"]
    assert set(event.before) == set(event.after) == {"weights", "parameters"}


def test_new_gated_repo_without_weights_says_so_in_the_title() -> None:
    repo = v3(repo="deepseek-ai/DeepSeek-V4", gated="manual", weights={}, parameters=None)
    [event] = _hf.describe(Change("added", "models/deepseek-ai/DeepSeek-V4", None, repo))
    assert (event.kind, event.title) == ("hf.model_created",
                                         "deepseek-ai/DeepSeek-V4 created (gated: manual, no weights yet)")
    assert "context window: 163,840 tokens" in event.diff


def test_weights_updated_names_count_size_and_parameters_before_and_after() -> None:
    after = v3(weights={"safetensors": {"files": 164, "bytes": 690_100_000_000}},
               parameters={"total": 1_000_000_000_000, "dtypes": {"F8_E4M3": 1_000_000_000_000}})
    [event] = changed(v3(), after)
    assert event.kind == "hf.weights_updated"
    assert event.diff == [
        "weights: 163 safetensors shards, 688.6 GB → 164 safetensors shards, 690.1 GB",
        "parameters: 685B → 1T",
        "dtypes: F8_E4M3, BF16, F32 → F8_E4M3",
    ]


def test_gating_and_visibility_read_as_people_say_them() -> None:
    gated, visible = changed(v3(gated="manual", private=True), v3())
    assert (gated.kind, gated.diff, gated.title) == (
        "hf.gating_changed", ["gated: manual → open"], "deepseek-ai/DeepSeek-V3 is now open")
    assert (visible.kind, visible.diff) == ("hf.visibility_changed", ["visibility: private → public"])
    assert (gated.before, gated.after) == ({"gated": "manual"}, {"gated": False})


def test_other_licence_is_named_by_its_license_name() -> None:
    info = {**load("deepseek_v3_info.json"), "cardData": {"license": "other", "license_name": "deepseek"}}
    after = {**v3(), "license": _hf.normalise(info, "model", URL)["license"]}
    [event] = changed(v3(), after)
    assert event.diff == ["licence: MIT → other (deepseek)"]


def test_context_window_change_is_its_own_kind_with_grouped_tokens() -> None:
    [event] = changed(v3(), v3(context_window=1_048_576, rope_scaling=None))
    assert event.kind == "hf.context_window_changed"
    assert event.diff == ["context window: 163,840 → 1,048,576 tokens",
                          "rope scaling: yarn ×40 over 4,096 → none"]


def test_gated_config_filling_in_is_one_event_from_unknown() -> None:
    unknown = v3(**dict.fromkeys(_hf.CONFIG, _hf.UNKNOWN), config_sha=None)
    [event] = changed(unknown, v3())
    assert event.kind == "hf.context_window_changed"
    assert event.diff[0] == "context window: unknown (gated) → 163,840 tokens"
    assert event.title == "deepseek-ai/DeepSeek-V3: context window unknown → 160K"


def test_a_new_commit_that_changes_nothing_people_read_posts_nothing() -> None:
    assert changed(v3(), v3(sha="f" * 40, last_modified="2026-03-01T00:00:00.000Z",
                            config_sha="f" * 40)) == []


def test_a_repo_filled_in_after_a_pending_baseline_posts_nothing() -> None:
    pending = {k: v3()[k] for k in ("repo", "type", "url", "sha", "last_modified", "private", "gated")}
    assert changed({**pending, "pending": True}, v3()) == []


def test_removal_reads_as_deleted_for_each_repo_type() -> None:
    space = {"repo": "deepseek-ai/demo", "type": "space", "url": "u", "sha": "s", "private": False,
             "gated": False, "license": None, "sdk": "gradio"}
    [event] = _hf.describe(Change("removed", "spaces/deepseek-ai/demo", space, None, 2))
    assert (event.kind, event.before, event.after) == ("hf.space_deleted", {"repo": "deepseek-ai/demo"},
                                                       None)


def test_weights_with_a_first_licence_and_config_in_one_commit_are_one_message() -> None:
    empty = v3(weights={}, parameters=None, license=None, **dict.fromkeys(_hf.CONFIG), config_sha="a")
    [event] = changed(empty, v3())
    assert event.kind == "hf.weights_published"
    assert event.diff[0].endswith("licence MIT")
    assert "context window: 163,840 tokens" in event.diff
