"""GitHub: the repositories of one org or user. A new repo is often the first public sign of a
launch; a normal poll costs one request (newest first), a full listing runs every `full_every`."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, model_validator

from bot import (
    Change,
    EventDraft,
    Fetched,
    Fields,
    Options as BaseOptions,
    ParseError,
    WatchContext,
    changed_lines,
    excerpt,
)

KIND = "github_org"
EVENTS = (
    "github.repo_created",
    "github.repo_changed",
    "github.repo_deleted",
)
LABELS = {"full_name": "name", "description": "description", "homepage": "homepage",
          "topics": "topics", "license": "licence", "archived": "archived",
          "visibility": "visibility", "fork": "fork"}


class Options(BaseOptions):
    org: str | None = None
    user: str | None = None
    match: re.Pattern[str] | None = None
    exclude: re.Pattern[str] | None = None
    full_every: int = Field(12, ge=1)

    @model_validator(mode="after")
    def _one_owner(self) -> Options:
        if bool(self.org) == bool(self.user):
            raise ValueError("set exactly one of 'org' or 'user'")
        return self


async def fetch(ctx: WatchContext, opts: Options) -> Fetched:
    owner = f"orgs/{opts.org}" if opts.org else f"users/{opts.user}"
    params = {"type": "all" if opts.org else "owner", "sort": "created", "direction": "desc",
              "per_page": 100}
    complete = not ctx.previous or ctx.polls_since_complete + 1 >= opts.full_every
    page = await ctx.http.get(f"{ctx.endpoints.github}/{owner}/repos", params)
    if not complete and page.not_modified:
        return Fetched.not_modified()
    items = _repos(page.json())
    while complete and (next_url := page.link("next")):
        page = await ctx.http.get(next_url)
        items += _repos(page.json())
    records = {}
    for repo in items:
        name = repo["name"]
        if opts.match and not opts.match.search(name):
            continue
        if opts.exclude and opts.exclude.search(name):
            continue
        records[str(repo["id"])] = normalise(repo)
    return Fetched(records, complete=complete)


def _repos(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not all(
            isinstance(r, dict) and isinstance(r.get("id"), int) and isinstance(r.get("name"), str)
            and isinstance(r.get("full_name", ""), str) for r in body):
        raise ParseError("GitHub repo listing is not a list of repositories (id, name, full_name)")
    return body


def normalise(repo: dict[str, Any]) -> Fields:
    """The fields worth a message; counters and push times change too often to be news."""
    licence = repo.get("license") or {}
    return {
        "full_name": repo.get("full_name") or repo["name"],
        "description": repo.get("description") or "",
        "homepage": repo.get("homepage") or "",
        "topics": sorted(repo.get("topics") or []),
        "license": licence.get("spdx_id"),
        "archived": bool(repo.get("archived")),
        "visibility": repo.get("visibility", "public"),
        "fork": bool(repo.get("fork")),
        "created_at": repo.get("created_at"),
        "html_url": repo.get("html_url"),
    }


def describe(change: Change) -> list[EventDraft]:
    repo = change.current
    name, url = repo["full_name"], repo.get("html_url")
    if change.type == "added":
        lines = [f"description: {excerpt(repo['description'])}" if repo["description"]
                 else "no description yet",
                 f"licence: {repo['license'] or 'none'}"]
        if repo["fork"]:
            lines.append("a fork")
        if repo.get("created_at"):
            lines.append(f"created {repo['created_at']}")
        return [EventDraft("github.repo_created", name, f"New repository {name}", lines, url,
                           None, {k: repo[k] for k in ("full_name", "description", "license")})]
    if change.type == "removed":
        return [EventDraft("github.repo_deleted", name, f"Repository {name} is gone",
                           ["no longer listed: deleted, made private, or moved out"], url,
                           {"full_name": name}, None)]
    lines, before, after = changed_lines(change, LABELS)
    if not lines:
        return []
    old_name = (change.before or {}).get("full_name")
    title = f"{old_name} renamed to {name}" if old_name != name else f"{name} changed"
    return [EventDraft("github.repo_changed", name, title, lines, url, before, after)]


def cost(opts: Options) -> dict[str, float]:
    """One request per poll; a full listing (about one more page) every `full_every` polls."""
    return {"github": 1 + 1 / opts.full_every}
