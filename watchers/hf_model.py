"""Hugging Face Hub: one model repo, which may not exist yet. Its creation, the first weights
(shards, size, parameters), licence, gating and config.json (context window, experts) are the
launch news; a poll costs one request, plus config.json when the commit moved."""

from __future__ import annotations

import re

from pydantic import field_validator

from bot import Change, EventDraft, Fetched, Options as BaseOptions, WatchContext

from . import _hf

KIND = "hf_model"
EVENTS = (
    "hf.model_created",
    "hf.weights_published",
    "hf.weights_updated",
    "hf.license_changed",
    "hf.gating_changed",
    "hf.visibility_changed",
    "hf.context_window_changed",
    "hf.config_changed",
    "hf.model_deleted",
)
_REPO = r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$"


class Options(BaseOptions):
    repo: str

    @field_validator("repo")
    @classmethod
    def _owner_slash_name(cls, value: str) -> str:
        if not re.match(_REPO, value):
            raise ValueError(f"must look like 'owner/name', got {value!r}")
        return value


async def fetch(ctx: WatchContext, opts: Options) -> Fetched:
    rid = _hf.record_id("model", opts.repo)
    record = await _hf.read_repo(ctx, "model", opts.repo, ctx.previous.get(rid))
    if record is None:
        state = "no longer found on the Hub" if ctx.previous else "not on the Hub yet"
        return Fetched({}, complete=True, note=f"{opts.repo} {state} (or private)", trusted=True)
    return Fetched({rid: record}, complete=True)


def describe(change: Change) -> list[EventDraft]:
    return _hf.describe(change)


def cost(opts: Options) -> dict[str, float]:
    return {"huggingface": 1.0}
