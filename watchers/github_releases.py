"""GitHub: the releases (and optionally bare tags) of one repository."""

from __future__ import annotations

import re
from typing import Any

from pydantic import field_validator

from bot import (
    Change,
    EventDraft,
    Fetched,
    Fields,
    Options as BaseOptions,
    ParseError,
    UpstreamHTTPError,
    WatchContext,
    changed_lines,
    excerpt,
)

KIND = "github_releases"
EVENTS = (
    "github.release_published",
    "github.prerelease_published",
    "github.release_changed",
    "github.tag_created",
)
LABELS = {"name": "name", "body": "notes", "assets": "assets"}
_REPO = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"


class Options(BaseOptions):
    repo: str
    include_tags: bool = False
    match: re.Pattern[str] | None = None

    @field_validator("repo")
    @classmethod
    def _owner_slash_name(cls, value: str) -> str:
        if not re.match(_REPO, value):
            raise ValueError(f"must look like 'owner/name', got {value!r}")
        return value


async def fetch(ctx: WatchContext, opts: Options) -> Fetched:
    base = f"{ctx.endpoints.github}/repos/{opts.repo}"
    try:
        releases = await ctx.http.get(f"{base}/releases", {"per_page": 100})
        tags = await ctx.http.get(f"{base}/tags", {"per_page": 100}) if opts.include_tags else None
    except UpstreamHTTPError as exc:
        if exc.status != 404:
            raise
        return Fetched({}, complete=True, note=f"{opts.repo} not found (not created yet, or private)",
                       trusted=True)
    if releases.not_modified and (tags is None or tags.not_modified):
        return Fetched.not_modified()
    records: dict[str, Fields] = {}
    for rel in _list(releases.json(), "tag_name"):
        if rel.get("draft") or (opts.match and not opts.match.search(rel["tag_name"])):
            continue
        records[f"release:{rel['id']}"] = {
            "repo": opts.repo, "tag": rel["tag_name"], "name": rel.get("name") or "",
            "prerelease": bool(rel.get("prerelease")), "published_at": rel.get("published_at"),
            "html_url": rel.get("html_url"), "body": rel.get("body") or "",
            "assets": sorted(f"{a['name']} ({a.get('size', 0)} B)" for a in rel.get("assets") or []),
        }
    released = {r["tag"] for r in records.values()}
    for tag in _list(tags.json(), "name") if tags else []:
        if tag["name"] in released or (opts.match and not opts.match.search(tag["name"])):
            continue
        records[f"tag:{tag['name']}"] = {
            "repo": opts.repo, "tag": tag["name"],
            "sha": (tag.get("commit") or {}).get("sha"),
            "html_url": f"https://github.com/{opts.repo}/releases/tag/{tag['name']}",
        }
    return Fetched(records, complete=False)  # first pages only: older entries are not removals


def _list(body: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not all(isinstance(x, dict) and key in x for x in body):
        raise ParseError(f"GitHub answer is not a list of objects with {key!r}")
    return body


def describe(change: Change) -> list[EventDraft]:
    rel = change.current
    subject, url = f"{rel['repo']} {rel['tag']}", rel.get("html_url")
    if change.type == "removed":
        return []
    if change.record_id.startswith("tag:"):
        if change.type != "added":
            return []
        return [EventDraft("github.tag_created", subject, f"New tag {rel['tag']} in {rel['repo']}",
                           [f"commit {str(rel.get('sha'))[:12]}"], url, None, {"tag": rel["tag"]})]
    before = change.before or {}
    promoted = change.type == "changed" and before.get("prerelease") and not rel["prerelease"]
    if change.type == "added" or promoted:
        kind = "github.prerelease_published" if rel["prerelease"] else "github.release_published"
        label = "Prerelease" if rel["prerelease"] else "Release"
        lines = [f"name: {rel['name']}"] if rel["name"] and rel["name"] != rel["tag"] else []
        if promoted:
            lines.append("promoted from prerelease")
        if rel["assets"]:
            lines.append(f"{len(rel['assets'])} asset(s): {', '.join(rel['assets'][:5])}")
        if rel["body"]:
            lines.append(excerpt(rel["body"]))
        return [EventDraft(kind, subject, f"{label} {rel['tag']} of {rel['repo']}", lines, url,
                           {"prerelease": True} if promoted else None,
                           {"tag": rel["tag"], "prerelease": rel["prerelease"]})]
    lines, old, new = changed_lines(change, LABELS)
    if not lines:
        return []
    return [EventDraft("github.release_changed", subject, f"{rel['repo']} {rel['tag']} edited",
                       lines, url, old, new)]


def cost(opts: Options) -> dict[str, float]:
    return {"github": 2.0 if opts.include_tags else 1.0}
