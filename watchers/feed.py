"""An RSS or Atom feed (GitHub's releases.atom, a lab's blog, an arXiv listing): a new entry is the
news. Parsed with the stdlib, entity declarations refused (see `_xml`)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC
from email.utils import parsedate_to_datetime

from bot import Change, EventDraft, Fetched, Fields, ParseError, WatchContext, excerpt, redact_url

from . import _html

KIND = "feed"
EVENTS = (
    "feed.entry_added",
)
SUMMARY = 500
_ENTITY = re.compile(r"<!ENTITY", re.I)


class Options(_html.PageOptions):
    pass


async def fetch(ctx: WatchContext, opts: Options) -> Fetched:
    page = await _html.get_markup(ctx, opts)
    if page.not_modified:  # the engine drops validators when the options change
        return Fetched.not_modified()
    root = _xml(page.text, opts.url, page.content_type)
    kind = _local(root.tag)
    if kind == "feed":
        entries, feed_title = _children(root, "entry"), _text(_child(root, "title"))
    elif kind in ("rss", "RDF"):
        channel = _child(root, "channel")
        entries = _children(channel if channel is not None and kind == "rss" else root, "item")
        feed_title = _text(_child(channel, "title")) if channel is not None else ""
    else:
        raise ParseError(f"{redact_url(opts.url)} is not an RSS or Atom feed (root element <{kind}>)")
    records: dict[str, Fields] = {}
    for entry in entries:
        link = _link(entry)
        key = (_text(_child(entry, "id")) or _text(_child(entry, "guid"))
               or entry.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about") or link)
        if not key:
            continue
        records[_html.clean_url(key) if key.startswith(("http://", "https://")) else key] = {
            "feed": feed_title or _html.where(opts.url), "title": _text(_child(entry, "title")),
            "link": link, "date": _date(entry), "summary": _summary(entry)}
    return Fetched(records, complete=False)  # a feed is a window: what scrolls off is not removed


def _xml(text: str, url: str, media: str) -> ET.Element:
    """Entity declarations have no place in a feed and are how XML bombs and external-entity
    tricks start, so they are refused before parsing (expat ≥ 2.4 also caps amplification)."""
    if _ENTITY.search(text[:65536]):
        raise ParseError(f"{redact_url(url)} declares XML entities; refused (feeds never need them)")
    try:
        return ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError as exc:
        served = f", served as {media}" if media else ""
        raise ParseError(f"{redact_url(url)} is not an RSS or Atom feed "
                         f"(not well-formed XML{served}: {exc})") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: ET.Element | None, name: str) -> ET.Element | None:
    if node is None:
        return None
    return next((c for c in node if _local(c.tag) == name), None)


def _children(node: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in node if _local(c.tag) == name]


def _text(node: ET.Element | None) -> str:
    """An element's text; escaped HTML (Atom type="html", RSS descriptions) read as HTML, so
    entities and tags never reach a message."""
    if node is None:
        return ""
    raw = "".join(node.itertext())
    if node.get("type") in ("html", "xhtml", "text/html") or "<" in raw:
        return " ".join(_html.lines_of(_html.parse(raw)))
    return _html.clean(raw)


def _link(entry: ET.Element) -> str:
    """Atom: the rel="alternate" link (or the first); RSS: <link>, else a permalink <guid>."""
    links = _children(entry, "link")
    for link in links:
        if link.get("href") and link.get("rel", "alternate") == "alternate":
            return _html.clean_url(link.get("href", ""))
    for link in links:
        if link.get("href") or (link.text or "").strip():
            return _html.clean_url(link.get("href") or link.text or "")
    guid = _child(entry, "guid")
    if guid is None or guid.get("isPermaLink", "true") != "true":
        return ""
    permalink = (guid.text or "").strip()
    return _html.clean_url(permalink) if permalink.startswith("http") else ""


def _date(entry: ET.Element) -> str | None:
    for name in ("published", "pubDate", "issued", "date", "updated"):
        raw = _text(_child(entry, name))
        if not raw:
            continue
        if name == "pubDate":
            try:
                return parsedate_to_datetime(raw).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            except (TypeError, ValueError):
                return raw
        return raw
    return None


def _summary(entry: ET.Element) -> str:
    for name in ("summary", "description", "content", "encoded"):
        text = _text(_child(entry, name))
        if text:
            return excerpt(text, SUMMARY)
    return ""


def summarize(records: dict[str, Fields]) -> str:
    return f"{len(records)} entries"


def describe(change: Change) -> list[EventDraft]:
    if change.type != "added":
        return []  # edits and scroll-offs are not news in a feed
    entry = change.current
    title = entry["title"] or entry["link"] or change.record_id
    lines = [f"date: {entry['date']}"] if entry.get("date") else []
    if entry.get("summary"):
        lines.append(entry["summary"])
    return [EventDraft("feed.entry_added", f"{entry['feed']}: {title}", f"{entry['feed']}: {title}", lines,
                       entry.get("link") or None, None, {"title": title, "link": entry.get("link")})]
