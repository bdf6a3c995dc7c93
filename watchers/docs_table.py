"""A table in API docs (models, context windows, prices), one record per model: labs change these
pages quietly, and "deepseek-chat: context length 128K → 1M" is the news, not "page changed"."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import field_validator

from bot import Change, EventDraft, Fetched, Fields, ParseError, WatchContext, excerpt, field_line, numbers

from . import _html

KIND = "docs_table"
EVENTS = (
    "docs.row_added",
    "docs.row_removed",
    "docs.context_window_changed",
    "docs.price_changed",
    "docs.cell_changed",
)
_MODEL_NAME = re.compile(r"^(?=.*[a-z])[A-Za-z0-9][\w.:/@+-]*$")
_CONTEXT = re.compile(r"context|上下文", re.I)
_PRICE_NOISE = re.compile(r"\b(pricing|prices?|per|1\s*[mk]|million|tokens?)\b", re.I)


class Options(_html.PageOptions):
    table: str = "table"
    orientation: Literal["rows", "columns", "auto"] = "auto"
    key: str | None = None

    @field_validator("table")
    @classmethod
    def _css(cls, value: str) -> str:
        return _html.valid_selector(value)


async def fetch(ctx: WatchContext, opts: Options) -> Fetched:
    page = await _html.get_markup(ctx, opts)
    if page.not_modified:  # the engine drops validators when the options change
        return Fetched.not_modified(complete=True)
    soup = _html.parse(page.text)
    table = _html.select_one(soup, opts.table, opts.url)
    if table.name != "table":
        inner = table.find("table")
        if inner is None:
            raise ParseError(f"selector {opts.table!r} matched a <{table.name}> with no table in it")
        table = inner
    cells, head = _html.grid(table)
    records = parse_table(cells, head, opts.orientation, opts.key)
    if not records:
        raise ParseError(f"the table at {opts.table!r} has no rows with a key (layout changed?)")
    url = _html.clean_url(opts.url)
    return Fetched({name: {"name": name, "url": url, "cells": fields} for name, fields in records.items()})


def parse_table(cells: _html.Grid, head: int, orientation: str = "auto",
                key: str | None = None) -> dict[str, dict[str, Any]]:
    """{record name: {field label: value}}; `auto` takes the orientation whose names look like
    model ids (lower case letters with digits or dashes, no spaces)."""
    if orientation == "auto":
        rows, columns = by_rows(cells, head, key), by_columns(cells, key)
        return columns if _model_like(columns) > _model_like(rows) else rows
    return by_rows(cells, head, key) if orientation == "rows" else by_columns(cells, key)


def _model_like(records: dict[str, Any]) -> float:
    return sum(bool(_MODEL_NAME.match(n)) for n in records) / len(records) if records else 0.0


def _matches(text: str, key: str | None) -> bool:
    wanted = (key or "").casefold()
    return bool(wanted) and (text.casefold() == wanted or text.casefold().endswith(" / " + wanted))


def by_rows(cells: _html.Grid, head: int, key: str | None) -> dict[str, dict[str, Any]]:
    """One record per body row, keyed by its key column; header rows stack into field labels."""
    header = cells[:head] or cells[:1]
    labels = [_html.label([row[c] for row in header]) for c in range(len(cells[0]))] if cells else []
    k = next((c for c, text in enumerate(labels) if _matches(text, key)), 0)
    records: dict[str, dict[str, Any]] = {}
    for row in cells[len(header):]:
        if not row[k].text or all(cell is row[k] for cell in row):
            continue  # a section or footnote row spanning the table
        fields: dict[str, Any] = {}
        for c, cell in enumerate(row):
            if cell is not row[k]:
                _put(fields, labels[c] or f"column {c + 1}", cell.text)
        _add(records, row[k].text, fields)
    return records


def by_columns(cells: _html.Grid, key: str | None) -> dict[str, dict[str, Any]]:
    """One record per column after the label column(s) (DeepSeek's "Models & Pricing" today);
    a label merged over several rows prefixes each of them ('PRICING / 1M OUTPUT TOKENS')."""
    if not cells:
        return {}
    names = next((row for row in cells if _matches(row[0].text, key)), cells[0])
    width = 1
    while width < len(names) and (names[width] is names[0] or not names[width].text):
        width += 1
    records: dict[str, dict[str, Any]] = {}
    for c in range(width, len(names)):
        if not names[c].text or (c > width and names[c] is names[c - 1]):
            continue
        fields: dict[str, Any] = {}
        for row in cells:
            if row is names or any(row[c] is lab for lab in row[:width]):
                continue
            text = _html.label(row[:width])
            if text:
                _put(fields, text, row[c].text)
        _add(records, names[c].text, fields)
    return records


def _put(fields: dict[str, Any], label: str, text: str) -> None:
    """A cell with several labelled values ('DEFAULT: 4K MAXIMUM: 8K') is several fields."""
    for part, value in _html.split_values(text):
        _add(fields, f"{label} / {part}" if part else label, _html.read_value(value, label))


def _add(into: dict[str, Any], name: str, value: Any) -> None:
    """Two rows (or columns) that read alike stay two: 'deepseek-chat', 'deepseek-chat (2)'."""
    base, n = name, 2
    while name in into:
        name, n = f"{base} ({n})", n + 1
    into[name] = value


def summarize(records: dict[str, Fields]) -> str:
    names = sorted(records)
    return f"{len(names)} rows: {', '.join(names[:6])}{' …' if len(names) > 6 else ''}"


def describe(change: Change) -> list[EventDraft]:
    rec = change.current
    name, url, where = rec["name"], rec.get("url"), _html.where(rec.get("url") or "")
    if change.type == "added":
        lines = [f"{label}: {value['text']}" for label, value in rec["cells"].items() if value["text"]]
        return [EventDraft("docs.row_added", name, f"{name} added to {where}", lines[:20], url,
                           None, {"name": name})]
    if change.type == "removed":
        return [EventDraft("docs.row_removed", name, f"{name} removed from {where}",
                           ["no longer in the table"], url, {"name": name}, None)]
    old, new = (change.before or {}).get("cells", {}), rec["cells"]
    drafts, other = [], []
    for label in [*new, *(k for k in old if k not in new)]:
        a, b = old.get(label), new.get(label)
        if _html.same_value(a, b):
            continue
        if a and b and "amount" in a and "amount" in b:
            drafts.append(EventDraft("docs.price_changed", name, f"{name} {_short(label)}: {_price(a, b)}",
                                     [f"{label}: {a['text']} → {b['text']}"], url, {label: a}, {label: b}))
        elif _CONTEXT.search(label) and (a or b) and ("tokens" in (a or {}) or "tokens" in (b or {})):
            title = f"{name}: {label.lower()} {_text(a)} → {_text(b)}"
            drafts.append(EventDraft("docs.context_window_changed", name, title,
                                     [f"{label}: {_text(a)} → {_text(b)}"], url, {label: a}, {label: b}))
        else:
            other.append(label)
    if other:
        lines = [field_line(label, _raw(old.get(label)), _raw(new.get(label))) for label in other]
        title = (f"{name}: {other[0].lower()} {_text(old.get(other[0]))} → {_text(new.get(other[0]))}"
                 if len(other) == 1 else f"{name}: {len(other)} cells changed")
        drafts.append(EventDraft("docs.cell_changed", name, excerpt(title, 200), lines, url,
                                 {k: old.get(k) for k in other}, {k: new.get(k) for k in other}))
    return drafts


def _text(value: dict[str, Any] | None) -> str:
    return excerpt(str(value["text"]), 60) if value and value["text"] else "none"


def _raw(value: dict[str, Any] | None) -> str | None:
    return str(value["text"]) if value else None


def _short(label: str) -> str:
    """'PRICING / 1M OUTPUT TOKENS' -> 'output';
    '1M TOKENS INPUT PRICE (CACHE HIT)' -> 'input (cache hit)'."""
    words = " ".join(_PRICE_NOISE.sub(" ", label.replace("/", " ")).split()).lower()
    return words or "price"


def _price(a: dict[str, Any], b: dict[str, Any]) -> str:
    """'$1.10 → $0.28 per 1M tokens (−75%)' when currency and unit agree, else the page's text."""
    if a["currency"] != b["currency"] or a["unit"] != b["unit"]:
        return f"{a['text']} → {b['text']}"
    before, after = Decimal(a["amount"]), Decimal(b["amount"])
    if a["unit"]:
        return numbers.price_change(before, after, currency=a["currency"], unit=a["unit"])
    pct = numbers.percent_change(before, after)
    moved = f"{numbers.money(before, a['currency'])} → {numbers.money(after, a['currency'])}"
    return f"{moved} ({pct})" if pct else moved
