"""Hugging Face Hub: every repo of one author (models; datasets and Spaces on request). New repos,
first weights, licence, gating and config changes; an unchanged poll costs one request per listing
page of 100 repos, and only repos whose commit moved are read in detail."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from bot import Change, EventDraft, Fetched, Fields, Options as BaseOptions, ParseError, Records, WatchContext

from . import _hf

KIND = "hf_author"
EVENTS = (
    "hf.model_created",
    "hf.dataset_created",
    "hf.space_created",
    "hf.weights_published",
    "hf.weights_updated",
    "hf.license_changed",
    "hf.gating_changed",
    "hf.visibility_changed",
    "hf.context_window_changed",
    "hf.config_changed",
    "hf.model_deleted",
    "hf.dataset_deleted",
    "hf.space_deleted",
)
DETAIL_BUDGET = 25
"""Repos read in detail per poll at most: a large author's baseline spreads over a few polls
instead of spending the Hub's anonymous quota (500 API requests per 5 minutes) in one."""
MAX_PAGES = 100
_COMMON = ["sha", "lastModified", "private", "createdAt"]
EXPAND = {"model": [*_COMMON, "gated", "tags"], "dataset": [*_COMMON, "gated", "tags"],
          "space": _COMMON}
DERIVED = frozenset({"quantized", "finetune", "adapter", "merge"})
QUANT_NAME = re.compile(r"-(gguf|awq|gptq|bnb-4bit|mlx)(-|$)", re.I)
RepoType = Literal["model", "dataset", "space"]


def _models() -> list[RepoType]:
    return ["model"]


class Options(BaseOptions):
    author: str
    repo_types: list[RepoType] = Field(default_factory=_models, min_length=1)
    match: re.Pattern[str] | None = None
    exclude: re.Pattern[str] | None = None
    exclude_derivatives: bool = True
    """Skip quantisations, fine-tunes, adapters and merges of ANOTHER author's model (and repos
    named like quantisations when the card says nothing); the author's own variants stay."""

    @field_validator("author")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", value):
            raise ValueError(f"must be a Hub user or organisation name, got {value!r}")
        return value


async def fetch(ctx: WatchContext, opts: Options) -> Fetched:
    records: Records = {}
    budget = DETAIL_BUDGET
    for repo_type in dict.fromkeys(opts.repo_types):
        for item in await _listing(ctx, opts.author, repo_type):
            repo_id = item["id"]
            name = repo_id.split("/", 1)[-1]
            if opts.match and not opts.match.search(name):
                continue
            if (opts.exclude and opts.exclude.search(name)) or (
                    opts.exclude_derivatives and derivative(item, opts.author)):
                continue
            rid = _hf.record_id(repo_type, repo_id)
            prev = ctx.previous.get(rid)
            moved = (item.get("sha"), item.get("lastModified")) != (
                (prev or {}).get("sha"), (prev or {}).get("last_modified"))
            if prev and not prev.get("pending") and not moved:
                listed = {"private": bool(item.get("private")), "gated": item.get("gated") or False}
                records[rid] = await _hf.with_config(ctx, {**prev, **listed}, prev)
            elif budget > 0:
                budget -= 1
                record = await _hf.read_repo(ctx, repo_type, repo_id, prev) or prev
                if record is not None:
                    records[rid] = record
            else:
                records[rid] = prev or _pending(ctx, repo_type, item)
    note = None if records else f"no {', '.join(opts.repo_types)} repos by {opts.author} on the Hub"
    return Fetched(records, complete=True, note=note)


async def _listing(ctx: WatchContext, author: str, repo_type: str) -> list[dict[str, Any]]:
    """Newest change first, following the `Link` cursor verbatim."""
    params = {"author": author, "sort": "lastModified", "direction": -1, "limit": 100,
              "expand": EXPAND[repo_type]}
    page = await ctx.http.get(f"{ctx.endpoints.huggingface}/api/{_hf.PLURAL[repo_type]}", params)
    items = _items(page.json())
    for _ in range(MAX_PAGES):
        next_url = page.link("next")
        if not next_url:
            return items
        page = await ctx.http.get(next_url)
        items += _items(page.json())
    raise ParseError(f"Hub listing of {author} did not end after {MAX_PAGES} pages")


def derivative(item: dict[str, Any], author: str) -> bool:
    """Someone else's model, re-packaged: by the card's base_model tags, else by the name."""
    bases = []
    for tag in item.get("tags") or []:
        parts = str(tag).split(":", 2)
        if len(parts) == 3 and parts[0] == "base_model":
            bases.append((parts[1], parts[2].split("/", 1)[0].lower()))
    if bases:
        return any(rel in DERIVED and owner != author.lower() for rel, owner in bases)
    return bool(QUANT_NAME.search(str(item["id"]).split("/", 1)[-1]))


def _items(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), str)
                                             for i in body):
        raise ParseError("Hub listing is not a list of repos with an 'id'")
    return body


def _pending(ctx: WatchContext, repo_type: str, item: dict[str, Any]) -> Fields:
    """A repo seen in the listing but not yet read in detail (over the budget); filled in silently
    on a later poll."""
    return {"repo": item["id"], "type": repo_type, "url": _hf.web_url(ctx, repo_type, item["id"]),
            "sha": item.get("sha"), "last_modified": item.get("lastModified"),
            "private": bool(item.get("private")), "gated": item.get("gated") or False,
            "pending": True}


def describe(change: Change) -> list[EventDraft]:
    return _hf.describe(change)


def cost(opts: Options) -> dict[str, float]:
    """One listing page per repo type when nothing moved (details only for changed repos)."""
    return {"huggingface": float(len(opts.repo_types))}
