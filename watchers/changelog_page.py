"""A change log page, one record per dated entry: labs announce model upgrades and price cuts there
before (or instead of) a blog post, and a new entry is the news."""

from __future__ import annotations

import difflib
import hashlib
import re

from bs4 import BeautifulSoup, Tag
from pydantic import field_validator

from bot import Change, EventDraft, Fetched, Fields, ParseError, WatchContext, excerpt, field_line

from . import _html

KIND = "changelog_page"
EVENTS = (
    "changelog.entry_added",
    "changelog.entry_changed",
)
ADDED_EXCERPT = 500
DIFF_LINES = 10
_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")


class Options(_html.PageOptions):
    entry: str | None = None
    title: str | None = None
    date: str | None = None

    @field_validator("entry", "title", "date")
    @classmethod
    def _css(cls, value: str | None) -> str | None:
        return value if value is None else _html.valid_selector(value)


async def fetch(ctx: WatchContext, opts: Options) -> Fetched:
    page = await _html.get_markup(ctx, opts)
    if page.not_modified:  # the engine drops validators when the options change
        return Fetched.not_modified()
    soup = _html.parse(page.text)
    _html.drop_footnotes(soup)
    if opts.entry:
        starts = soup.select(opts.entry)
    else:
        starts = soup.find_all("h2") or soup.find_all("h3")
    heads = [s for s in starts if isinstance(s, Tag)]
    if not heads:
        raise ParseError(_html.matched_nothing(soup, opts.entry or "h2, h3", opts.url))
    base = _html.clean_url(opts.url).split("#")[0]
    records: dict[str, Fields] = {}
    for head in heads:
        blocks = _blocks(head)
        heading = _is_heading(head)
        own = " ".join(_html.lines_of(head)) if heading else next(iter(_html.lines_of(head)), "")
        title = _pick(blocks, opts.title) or own
        anchor = _anchor(head)
        text = "\n".join(line for block in (blocks[1:] if heading else blocks)
                         for line in _html.lines_of(block))
        key = first = f"#{anchor}" if anchor else f"title:{title}"
        n = 2
        while key in records:
            key, n = f"{first} ({n})", n + 1
        records[key] = {"title": title, "date": _date(blocks, opts.date, title, text),
                        "url": f"{base}#{anchor}" if anchor else base, "text": text}
    return Fetched(records)


def _is_heading(tag: Tag) -> bool:
    return tag.name in _html.HEADINGS


def _blocks(head: Tag) -> list[Tag]:
    """A heading and what follows it up to the next heading of the same or a higher level; any
    other element is an entry by itself."""
    if not _is_heading(head):
        return [head]
    level = int(head.name[1])
    stops = _html.HEADINGS[:level]
    out = [head]
    for sibling in head.next_siblings:
        if isinstance(sibling, Tag):
            if sibling.name in stops or sibling.find(stops) is not None:
                break
            out.append(sibling)
        elif str(sibling).strip():
            out.append(_wrap_text(str(sibling)))
    return out


def _wrap_text(text: str) -> Tag:
    holder = BeautifulSoup("", "html.parser").new_tag("p")
    holder.string = text
    return holder


def _pick(blocks: list[Tag], selector: str | None) -> str:
    """The first match of `selector` in the entry (its datetime attribute if it has one)."""
    for block in blocks if selector else []:
        found = block if block.css.match(selector or "") else block.select_one(selector or "")
        if found is not None:
            return _html.attr(found, "datetime") or _html.clean(found.get_text(" "))
    return ""


def _anchor(head: Tag) -> str:
    """Docusaurus and most generators put the id on the heading; others an <a id/name> in it."""
    if _html.attr(head, "id"):
        return _html.attr(head, "id")
    inner = head.find(["a", "span"], attrs={"id": True}) or head.find("a", attrs={"name": True})
    return (_html.attr(inner, "id") or _html.attr(inner, "name")) if isinstance(inner, Tag) else ""


def _date(blocks: list[Tag], selector: str | None, title: str, text: str) -> str | None:
    """The `date` selector's text or datetime, else an ISO-looking date in the title, else a
    <time datetime> in the entry, else the first date in its text."""
    found = _pick(blocks, selector)
    for source in (found, title):
        if m := _DATE.search(source):
            return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    for block in blocks:
        time = block if block.name == "time" else block.find("time")
        if isinstance(time, Tag) and (m := _DATE.search(_html.attr(time, "datetime"))):
            return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    m = _DATE.search(text)
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else (found or None)


def summarize(records: dict[str, Fields]) -> str:
    dated = sorted((r.get("date") or "" for r in records.values()), reverse=True)
    return f"{len(records)} entries" + (f", latest {dated[0]}" if dated and dated[0] else "")


def describe(change: Change) -> list[EventDraft]:
    entry = change.current
    title, url = entry["title"], entry.get("url")
    if change.type == "removed":
        return []
    if change.type == "added":
        lines = [f"date: {entry['date']}"] if entry.get("date") and entry["date"] not in title else []
        if entry["text"]:
            lines.append(excerpt(entry["text"], ADDED_EXCERPT))
        return [EventDraft("changelog.entry_added", title, f"New change-log entry: {title}", lines, url,
                           None, {"title": title, "date": entry.get("date")})]
    before = change.before or {}
    lines, old, new = [], {}, {}
    for field in ("title", "date"):
        if before.get(field) != entry.get(field):
            lines.append(field_line(field, before.get(field), entry.get(field)))
            old[field], new[field] = before.get(field), entry.get(field)
    if before.get("text") != entry["text"]:
        lines += text_diff(before.get("text") or "", entry["text"])
        old["text_sha256"], new["text_sha256"] = _digest(before.get("text") or ""), _digest(entry["text"])
    if not lines:
        return []
    return [EventDraft("changelog.entry_changed", title, f"Change log entry edited: {title}", lines, url,
                       old, new)]


def text_diff(before: str, after: str, limit: int = DIFF_LINES) -> list[str]:
    """'+ added line' / '− removed line', at most `limit` lines, each cut to a readable length."""
    out = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm=""):
        if line.startswith(("---", "+++", "@@")):
            continue
        out.append(("+ " if line[0] == "+" else "− ") + excerpt(line[1:], 200))
    return out if len(out) <= limit else [*out[:limit], f"… {len(out) - limit} more lines"]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
