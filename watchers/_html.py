"""Shared by the page watchers (docs_table, changelog_page, page, feed): one fetch with a size limit
and a content-type check, markup parsed by bs4 on the stdlib parser, the text a reader sees (so
whitespace, attribute order and comments are never news), and the reasons a selector failed."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bs4 import BeautifulSoup, CData, NavigableString, PageElement, Tag
from pydantic import Field, field_validator

from bot import Options as BaseOptions, Page, ParseError, WatchContext, redact_url

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
XML_TYPES = frozenset({"application/xml", "text/xml", "application/atom+xml", "application/rss+xml",
                       "application/rdf+xml", "application/feed+xml"})
BLOCK = frozenset("""address article aside blockquote caption dd details dialog div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary
    table tbody tfoot thead tr ul""".split())
CELLS = frozenset({"td", "th"})
SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "object"})
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|msclkid|yclid|mc_[ce]id|_hs\w+|igshid|ref|ref_src)$")
_FOOTNOTE_SUP = re.compile(r"^[\[(]?\s*(\d{1,2}|[*†‡§]{1,3})\s*[\])]?$")
_PROBE = BeautifulSoup("", "html.parser")


def valid_selector(selector: str) -> str:
    try:
        _PROBE.select_one(selector)
    except Exception as exc:  # soupsieve's SelectorSyntaxError, not exported by bs4
        raise ValueError(f"not a CSS selector: {str(exc).splitlines()[0]}") from None
    return selector


class PageOptions(BaseOptions):
    """`url` and the size limit every page watcher takes."""

    url: str
    max_mb: int = Field(5, ge=1, le=100)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value


async def get_markup(ctx: WatchContext, opts: PageOptions) -> Page:
    """The page, refused with a reason when it is too big or is not HTML/XML. A 304 means the
    page and the options are as at the last accepted poll (the engine forgets validators when
    a watch's options change), so the watchers skip parsing it."""
    page = await ctx.http.get(opts.url, max_bytes=opts.max_mb * 1_000_000)
    media = page.content_type
    if media in HTML_TYPES or media in XML_TYPES or media.endswith("+xml"):
        return page
    if not media and page.text.lstrip("\ufeff \t\r\n").startswith("<"):
        return page
    raise ParseError(f"{redact_url(opts.url)} is not HTML or XML (Content-Type: {media or 'none'})")


def parse(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def clean(text: str) -> str:
    """One line of text as a reader sees it: invisible characters gone, whitespace collapsed."""
    return " ".join(text.translate(_INVISIBLE).split())


def lines_of(node: Tag) -> list[str]:
    """The visible text of `node`, one line per block (paragraph, list item, table row with its
    cells separated by ' | ', heading), whitespace-normalised. Iterative, so a deeply nested
    page cannot hit the recursion limit."""
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        line = clean("".join(buf))
        buf.clear()
        if line:
            out.append(line)

    stack: list[PageElement | str] = list(reversed(list(node.children)))
    while stack:
        item = stack.pop()
        if isinstance(item, str) and not isinstance(item, NavigableString):
            flush()  # a block boundary marker pushed below
            continue
        if isinstance(item, NavigableString):
            if type(item) in (NavigableString, CData):
                buf.append(str(item))
            continue
        if not isinstance(item, Tag):
            continue
        if item.name in SKIP:
            continue
        if item.name == "br":
            if item.find_parent(CELLS) is None:
                flush()
            else:
                buf.append(" ")  # a table row stays one line
            continue
        if item.name in CELLS and clean("".join(buf)) and item.find_previous_sibling(CELLS):
            buf.append(" | ")
        if item.name in BLOCK:
            flush()
            stack.append("end")
        stack.extend(reversed(list(item.children)))
    flush()
    return out


def drop_footnotes(node: Tag) -> None:
    """Footnote markers (<sup>1</sup>, <sup>(2)</sup>, <sup>*</sup>) and Docusaurus heading
    hash links are decoration, not content."""
    for sup in node.find_all("sup"):
        if _FOOTNOTE_SUP.match(clean(sup.get_text())):
            sup.decompose()
    for link in node.select("a.hash-link"):
        link.decompose()


def select_one(soup: BeautifulSoup, selector: str, url: str) -> Tag:
    found = soup.select_one(selector)
    if found is None:
        raise ParseError(matched_nothing(soup, selector, url))
    return found


def matched_nothing(soup: BeautifulSoup, selector: str, url: str) -> str:
    """Names the selector, and says when the page is a JavaScript shell rather than a layout
    change, since no selector can fix that."""
    reason = f"selector {selector!r} matched nothing on {redact_url(url)}"
    body = soup.body or soup
    text = sum(len(line) for line in lines_of(body))
    shell = soup.select_one("#root, #__next, #app, #__nuxt, [data-reactroot]")
    if text < 200 and (soup.find("script") is not None or shell is not None):
        return (f"{reason} (the page has almost no text without JavaScript; it is probably rendered "
                "in the browser, so watch the data it loads, or a server-rendered page, instead)")
    return f"{reason} (the page layout may have changed)"


def attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    if isinstance(value, list):
        return " ".join(value)
    return value or ""


def clean_url(url: str) -> str:
    """Tracking parameters (utm_*, fbclid, ref, …) removed, so a re-tagged link is the same link."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def where(url: str) -> str:
    """'api-docs.deepseek.com/quick_start/pricing': a page as a person names it in a title."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/")


# -- tables ---------------------------------------------------------------------------------------

class Cell:
    """One source cell; every grid slot it spans (rowspan/colspan) holds the same object, so
    `a is b` tells a merged cell from two cells that happen to read alike."""

    __slots__ = ("text", "header")

    def __init__(self, text: str, header: bool) -> None:
        self.text, self.header = text, header

    def __repr__(self) -> str:
        return f"Cell({self.text!r})"


Grid = list[list[Cell]]


def _span(tag: Tag, name: str, limit: int) -> int:
    raw = attr(tag, name).strip()
    if not raw.isdigit():
        return 1
    return min(int(raw), limit) if int(raw) > 0 else limit  # rowspan="0": to the end of the table


def grid(table: Tag) -> tuple[Grid, int]:
    """The table as a rectangle of cells with rowspan and colspan expanded, and how many leading
    rows are headers (the <thead> rows, else the leading all-<th> rows). Rows of nested tables
    are not this table's rows."""
    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    drop_footnotes(table)
    out: Grid = []
    pending: dict[int, tuple[Cell, int]] = {}
    for r, tr in enumerate(rows):
        slots: dict[int, Cell] = {}
        col = _carry(pending, slots, 0)
        for td in tr.find_all(CELLS, recursive=False):
            cell = Cell(" ".join(lines_of(td)), td.name == "th")
            down = _span(td, "rowspan", len(rows) - r)
            for _ in range(_span(td, "colspan", 1000)):
                slots[col] = cell
                if down > 1:
                    pending[col] = (cell, down - 1)
                col += 1
            col = _carry(pending, slots, col)
        for rest in sorted(c for c in pending if c not in slots):
            _carry(pending, slots, rest)
        width = max(slots, default=-1) + 1
        out.append([slots.get(c) or Cell("", False) for c in range(width)])
    width = max((len(row) for row in out), default=0)
    for row in out:
        row.extend(Cell("", False) for _ in range(width - len(row)))
    head = sum(1 for tr in rows if tr.parent is not None and tr.parent.name == "thead")
    if not head:
        while head < len(out) - 1 and all(c.header for c in out[head] if c.text):
            head += 1
    return out, head


def _carry(pending: dict[int, tuple[Cell, int]], slots: dict[int, Cell], col: int) -> int:
    """Fill the slots that cells from rows above still span; returns the next free column."""
    while col in pending and col not in slots:
        cell, left = pending.pop(col)
        slots[col] = cell
        if left > 1:
            pending[col] = (cell, left - 1)
        col += 1
    return col


def label(cells: list[Cell]) -> str:
    """Stacked header cells read as one label: 'PRICING / 1M OUTPUT TOKENS'; a cell merged over
    several of them counts once."""
    parts: list[Cell] = []
    for cell in cells:
        if cell.text and all(cell is not p for p in parts):
            parts.append(cell)
    return " / ".join(p.text for p in parts)


# -- values ---------------------------------------------------------------------------------------

_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_UNIT = re.compile(r"^(?:per|/)\s*(?:1\s*)?(m|million|k|thousand)\s*(?:input\s+|output\s+)?tokens?$", re.I)
_SYMBOL_PRICE = re.compile(rf"^(US\$|[$¥￥€£])\s*({_NUMBER})\s*(.*)$")
_CODE_PRICE = re.compile(rf"^({_NUMBER})\s*(USD|CNY|RMB|EUR|GBP|元|美元)\b\s*(.*)$", re.I)
_SUFFIXED = re.compile(r"^(\d+(?:\.\d+)?)\s*([KkMm])(?:\s*tokens?)?$")
_PLAIN = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(?:\s*tokens?)?$")
_PAIR = re.compile(r"(?:^|(?<=\s))([A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*){0,2})\s*[:：]\s+")
_CURRENCY = {"$": "USD", "US$": "USD", "¥": "CNY", "￥": "CNY", "€": "EUR", "£": "GBP", "RMB": "CNY",
             "元": "CNY", "美元": "USD"}
_SCALE = {"k": 1024, "m": 1024 * 1024}


def _unit(rest: str, context: str) -> str | None:
    """'per 1M tokens' from the cell itself, else from its label ('1M INPUT TOKENS'); None if
    neither says."""
    m = _UNIT.match(rest.strip())
    scale = m.group(1).lower()[0] if m else None
    if scale is None and re.search(r"\b1\s*M\b|per million|百万", context, re.I):
        scale = "m"
    if scale is None and re.search(r"\b1\s*K\b|per thousand|千", context, re.I):
        scale = "k"
    return {"m": "per 1M tokens", "k": "per 1K tokens"}.get(scale or "")


def _price(text: str) -> tuple[str, str, str] | None:
    if m := _SYMBOL_PRICE.match(text):
        return m.group(2), m.group(1), m.group(3).strip()
    if m := _CODE_PRICE.match(text):
        return m.group(1), m.group(2), m.group(3).strip()
    return None


def read_value(text: str, context: str = "") -> dict[str, object]:
    """A cell's own text, plus its exact meaning when recognised: a token count as an int (K and M
    are 1024 and 1024², the context-window convention) or a price as a decimal string with its
    currency and unit. `context` is the cell's label, which often carries the unit."""
    text = clean(text)
    value: dict[str, object] = {"text": text}
    if price := _price(text):
        number, symbol, rest = price
        if rest and not _UNIT.match(rest):
            return value
        currency = _CURRENCY.get(symbol.upper() if symbol.isascii() else symbol, symbol.upper())
        amount = format(Decimal(number.replace(",", "")).normalize(), "f")
        return {**value, "amount": amount, "currency": currency, "unit": _unit(rest, context)}
    if m := _SUFFIXED.match(text):
        count = float(m.group(1)) * _SCALE[m.group(2).lower()]
        return {**value, "tokens": int(count)} if count.is_integer() else value
    if m := _PLAIN.match(text):
        return {**value, "tokens": int(m.group(1).replace(",", ""))}
    return value


def split_values(text: str) -> list[tuple[str, str]]:
    """'DEFAULT: 4K MAXIMUM: 8K' -> [('DEFAULT', '4K'), ('MAXIMUM', '8K')]; a cell holding one
    value -> [('', text)]. Labels are capitalised words, so 'Note: see below' stays whole."""
    pairs = list(_PAIR.finditer(text))
    if len(pairs) < 2 or pairs[0].start() != 0:
        return [("", text)]
    out = []
    for i, m in enumerate(pairs):
        end = pairs[i + 1].start() if i + 1 < len(pairs) else len(text)
        out.append((m.group(1), text[m.end():end].strip()))
    return out if all(v for _, v in out) else [("", text)]


def same_value(a: dict[str, object] | None, b: dict[str, object] | None) -> bool:
    """Equal in meaning: '128K' and '131,072' are the same count, '$1.1' and '$1.10' the same
    price; otherwise the text decides."""
    if a is None or b is None:
        return a is b
    if "tokens" in a and "tokens" in b:
        return a["tokens"] == b["tokens"]
    if "amount" in a and "amount" in b:
        return all(a[k] == b[k] for k in ("amount", "currency", "unit"))
    return a["text"] == b["text"]
