"""Any web page, as its visible text: the fallback when nothing more structured exists (a model
card, a status page, a terms page); a change posts the changed lines, not the whole page."""

from __future__ import annotations

import difflib
import hashlib

from pydantic import field_validator

from bot import Change, EventDraft, Fetched, WatchContext, excerpt

from . import _html

KIND = "page"
EVENTS = (
    "page.changed",
)
DIFF_LINES = 30


class Options(_html.PageOptions):
    selector: str | None = None
    ignore: list[str] = []

    @field_validator("selector")
    @classmethod
    def _css(cls, value: str | None) -> str | None:
        return value if value is None else _html.valid_selector(value)

    @field_validator("ignore")
    @classmethod
    def _css_list(cls, value: list[str]) -> list[str]:
        return [_html.valid_selector(v) for v in value]


async def fetch(ctx: WatchContext, opts: Options) -> Fetched:
    page = await _html.get_markup(ctx, opts)
    if page.not_modified:  # the engine drops validators when the options change
        return Fetched.not_modified(complete=True)
    soup = _html.parse(page.text)
    title = _html.clean(soup.title.get_text()) if soup.title else ""
    for selector in opts.ignore:
        for noise in soup.select(selector):
            noise.decompose()
    root = _html.select_one(soup, opts.selector, opts.url) if opts.selector else (soup.body or soup)
    text = "\n".join(_html.lines_of(root))
    return Fetched({"page": {"url": _html.clean_url(opts.url), "title": title, "text": text}})


def describe(change: Change) -> list[EventDraft]:
    if change.type != "changed":
        return []
    before, after = change.before or {}, change.current
    if before.get("text") == after["text"]:
        return []
    name = after["title"] or _html.where(after["url"])
    lines = unified(before.get("text") or "", after["text"])
    return [EventDraft("page.changed", _html.where(after["url"]), f"{name} changed", lines, after["url"],
                       {"text_sha256": _digest(before.get("text") or "")},
                       {"text_sha256": _digest(after["text"])})]


def unified(before: str, after: str, limit: int = DIFF_LINES) -> list[str]:
    """The changed lines with one line of context, '…' between hunks, cut to `limit` lines."""
    out: list[str] = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=1, lineterm=""):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            if out:
                out.append("…")
            continue
        mark = {"+": "+ ", "-": "− "}.get(line[0], "  ")
        out.append(mark + excerpt(line[1:], 200))
    return out if len(out) <= limit else [*out[:limit], f"… {len(out) - limit} more lines"]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
