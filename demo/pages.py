"""The two DeepSeek docs pages of the demo, in the shape of the real Docusaurus site."""

from __future__ import annotations

from dataclasses import dataclass

WRAP = ('<!doctype html><html lang="en"><head><meta charset="UTF-8"><title>{title} | DeepSeek API '
        'Docs</title></head><body><nav class="navbar">DeepSeek API Docs</nav><main><article>'
        '<div class="theme-doc-markdown markdown"><header><h1>{title}</h1></header>{body}</div>'
        '<footer class="theme-doc-footer"><span class="theme-last-updated">Last updated on '
        '<time datetime="{updated}">{updated}</time></span></footer></article></main></body></html>')


@dataclass(frozen=True)
class Model:
    name: str
    version: str
    context: str
    hit: str
    miss: str
    output: str


def pricing(models: list[Model], updated: str) -> str:
    """Today's transposed 'Models & Pricing' table: a label column, one column per model."""
    def row(label: str, cells: list[str]) -> str:
        return f'<tr><td colspan="2">{label}</td>' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    def price_row(first: str, label: str, cells: list[str]) -> str:
        return f"<tr>{first}<td>{label}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    head = '<tr><th colspan="2">MODEL</th>' + "".join(f"<th>{m.name}</th>" for m in models) + "</tr>"
    body = [row("MODEL VERSION", [m.version for m in models]),
            row("CONTEXT LENGTH", [m.context for m in models]),
            price_row('<td rowspan="3">PRICING</td>', "1M INPUT TOKENS (CACHE HIT)",
                      [m.hit for m in models]),
            price_row("", "1M INPUT TOKENS (CACHE MISS)", [m.miss for m in models]),
            price_row("", "1M OUTPUT TOKENS", [m.output for m in models])]
    table = f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"
    intro = "<p>The prices listed below are in unites of per 1M tokens.</p>"
    return WRAP.format(title="Models &amp; Pricing", body=intro + table, updated=updated)


@dataclass(frozen=True)
class Entry:
    date: str
    model: str
    lines: list[str]


def changelog(entries: list[Entry]) -> str:
    """'## Date: YYYY-MM-DD' headings with anchors, newest first, as on /updates."""
    body = "".join(
        f'<h2 id="date-{e.date}">Date: {e.date}</h2><h3>{e.model}</h3><ul>'
        + "".join(f"<li>{line}</li>" for line in e.lines) + "</ul>" for e in entries)
    return WRAP.format(title="Change Log", body=body, updated=entries[0].date)
