"""docs_table scenarios end to end: DeepSeek's "Models & Pricing" page in both of its layouts,
served by the fake pages host on 127.0.0.1, through real httpx, the engine and a SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from tests.fakes.pages import FakePages

MakeApp = Callable[..., App]
FIXTURES = Path(__file__).parent.parent / "fixtures" / "pages"
PRICING = "/quick_start/pricing"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def config(pages: FakePages, extra: str = "", path: str = PRICING) -> str:
    return f"""
[watches.pricing]
kind = "docs_table"
url = "{pages.url}{path}"
table = ".theme-doc-markdown table"
{extra}
[notifiers.stdout]
kind = "console"
"""


async def baseline(make_app: MakeApp, pages: FakePages, page: str, extra: str = "") -> App:
    pages.set_page(PRICING, fixture(page))
    app = make_app(config(pages, extra))
    result = await app.engine.poll("pricing")
    assert result.ok and result.baseline, result.error
    return app


def stored(app: App) -> dict[str, dict[str, Any]]:
    return {rid: r.fields for rid, r in app.store.load_watch("pricing").records.items() if not r.removed}


async def test_baseline_posts_nothing_and_reads_one_record_per_model_column(
        pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, "pricing_columns_before.html")
    assert app.store.events(limit=10) == []
    records = stored(app)
    assert sorted(records) == ["deepseek-chat", "deepseek-reasoner"]
    chat = records["deepseek-chat"]["cells"]
    assert chat["CONTEXT LENGTH"] == {"text": "128K", "tokens": 131072}
    assert chat["MAX OUTPUT / MAXIMUM"] == {"text": "8K", "tokens": 8192}
    assert chat["PRICING / 1M OUTPUT TOKENS"] == {"text": "$1.68", "amount": "1.68", "currency": "USD",
                                                  "unit": "per 1M tokens"}
    assert records["deepseek-reasoner"]["cells"]["FEATURES / Function Calling"] == {"text": "✗"}


async def test_context_128k_to_1m_posts_exactly_one_context_window_event(
        pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, "pricing_columns_before.html")
    pages.set_page(PRICING, fixture("pricing_columns_after.html"))
    result = await app.engine.poll("pricing")
    assert [(e.kind, e.title) for e in result.events] == [
        ("docs.context_window_changed", "deepseek-chat: context length 128K → 1M")]
    event = result.events[0]
    assert event.before == {"CONTEXT LENGTH": {"text": "128K", "tokens": 131072}}
    assert event.after == {"CONTEXT LENGTH": {"text": "1M", "tokens": 1048576}}
    assert event.url == f"{pages.url}{PRICING}"


async def test_a_merged_cell_that_changes_is_news_for_every_model_it_spans(
        pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, "pricing_columns_before.html")
    merged = fixture("pricing_columns_before.html").replace('<td colspan="2">128K</td>',
                                                             '<td colspan="2">1M</td>')
    pages.set_page(PRICING, merged)
    result = await app.engine.poll("pricing")
    assert sorted(e.title for e in result.events) == [
        "deepseek-chat: context length 128K → 1M", "deepseek-reasoner: context length 128K → 1M"]


async def test_price_cut_posts_one_price_event_with_the_percentage(pages: FakePages,
                                                                   make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, "pricing_rows_before.html")
    pages.set_page(PRICING, fixture("pricing_rows_after.html"))
    result = await app.engine.poll("pricing")
    assert [(e.kind, e.subject, e.title) for e in result.events] == [
        ("docs.price_changed", "deepseek-chat",
         "deepseek-chat output: $1.10 → $0.28 per 1M tokens (−75%)")]
    assert result.events[0].after == {"1M TOKENS OUTPUT PRICE": {
        "text": "$0.28", "amount": "0.28", "currency": "USD", "unit": "per 1M tokens"}}


async def test_auto_orientation_reads_the_older_layout_one_row_per_model(pages: FakePages,
                                                                         make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, "pricing_rows_before.html")
    records = stored(app)
    assert sorted(records) == ["deepseek-chat", "deepseek-reasoner"]
    assert records["deepseek-reasoner"]["cells"]["MAX COT TOKENS"] == {"text": "32K", "tokens": 32768}


async def test_whitespace_attribute_order_and_footer_changes_post_nothing(pages: FakePages,
                                                                         make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, "pricing_columns_before.html")
    noisy = (fixture("pricing_columns_before.html")
             .replace("<td>", "<td>\n      ").replace("</td>", "  </td>\n")
             .replace('<td colspan="2">128K</td>', '<td  class="c"   colspan="2" > 128K </td>')
             .replace("Sep 22, 2025", "Oct 1, 2025").replace("<!-- -->", "<!-- build 42 -->"))
    pages.set_page(PRICING, noisy)
    result = await app.engine.poll("pricing")
    assert result.ok and result.events == []


async def test_reordered_rows_post_nothing(pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, "pricing_rows_before.html")
    text = fixture("pricing_rows_before.html")
    chat_row, reasoner_row = (
        start + text.split(start)[1].split("</tr>")[0] + "</tr>"
        for start in ("<tr><td>deepseek-chat</td>", "<tr><td>deepseek-reasoner</td>"))
    swapped = text.replace(chat_row, "@@").replace(reasoner_row, chat_row).replace("@@", reasoner_row, 1)
    assert swapped.index("deepseek-reasoner</td>") < swapped.index("deepseek-chat</td>")
    pages.set_page(PRICING, swapped)
    result = await app.engine.poll("pricing")
    assert result.ok and result.events == []


async def test_new_model_column_posts_row_added(pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, "pricing_columns_before.html")
    grown = (fixture("pricing_columns_before.html")
             .replace("<th>deepseek-reasoner</th>", "<th>deepseek-reasoner</th><th>deepseek-v4</th>")
             .replace("(Thinking Mode)</td>", "(Thinking Mode)</td><td>DeepSeek-V4</td>"))
    pages.set_page(PRICING, grown)
    result = await app.engine.poll("pricing")
    assert [(e.kind, e.subject) for e in result.events] == [("docs.row_added", "deepseek-v4")]
    assert "MODEL VERSION: DeepSeek-V4" in result.events[0].diff


async def test_vanished_table_is_a_failed_poll_naming_the_selector(pages: FakePages,
                                                                   make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, "pricing_columns_before.html")
    text = fixture("pricing_columns_before.html")
    pages.set_page(PRICING, text[:text.index("<table>")] + text[text.index("</table>") + 8:])
    result = await app.engine.poll("pricing")
    assert not result.ok and result.events == []
    assert "'.theme-doc-markdown table' matched nothing" in (result.error or "")
    assert "layout may have changed" in (result.error or "")
    assert len(stored(app)) == 2


async def test_a_javascript_shell_fails_with_a_hint(pages: FakePages, make_app: MakeApp) -> None:
    app = make_app(config(pages))
    pages.set_page(PRICING, '<!doctype html><html><head><title>Docs</title></head><body>'
                            '<div id="root"></div><script src="/static/js/main.js"></script></body></html>')
    result = await app.engine.poll("pricing")
    assert not result.ok
    assert "matched nothing" in (result.error or "") and "JavaScript" in (result.error or "")


async def test_a_10_mb_body_is_refused_with_a_clear_reason(pages: FakePages, make_app: MakeApp) -> None:
    pages.set_huge(PRICING, 10_000_000)
    app = make_app(config(pages))
    result = await app.engine.poll("pricing")
    assert not result.ok
    assert result.error == f"body of {pages.url}{PRICING} is over the 5 MB limit"


async def test_a_body_that_is_not_html_is_refused(pages: FakePages, make_app: MakeApp) -> None:
    pages.set_page(PRICING, '{"models": []}', "application/json")
    app = make_app(config(pages))
    result = await app.engine.poll("pricing")
    assert not result.ok
    assert result.error == f"{pages.url}{PRICING} is not HTML or XML (Content-Type: application/json)"


@pytest.mark.parametrize("content_type", ["text/html", "text/html; charset=GBK"])
async def test_a_gbk_page_decodes_right(pages: FakePages, make_app: MakeApp, content_type: str) -> None:
    pages.set_page(PRICING, (FIXTURES / "pricing_cny_gbk.html").read_bytes(), content_type)
    app = make_app(config(pages))
    result = await app.engine.poll("pricing")
    assert result.ok, result.error
    chat = stored(app)["deepseek-chat"]["cells"]
    assert chat["上下文长度"] == {"text": "64K", "tokens": 65536}
    assert chat["百万tokens输出价格"] == {"text": "8元", "amount": "8", "currency": "CNY",
                                           "unit": "per 1M tokens"}


async def test_unchanged_page_is_answered_304_and_posts_nothing(pages: FakePages,
                                                               make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, "pricing_columns_before.html")
    pages.clear_requests()
    result = await app.engine.poll("pricing")
    assert result.ok and result.events == []
    [request] = pages.requests
    assert request.headers.get("if-none-match") and request.status == 304


async def test_a_removed_model_is_reported_after_two_complete_polls(pages: FakePages,
                                                                   make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, "pricing_rows_before.html")
    text = fixture("pricing_rows_before.html")
    row = text[text.index("<tr><td>deepseek-reasoner</td>"):]
    pages.set_page(PRICING, text.replace(row[:row.index("</tr>") + 5], ""))
    first = await app.engine.poll("pricing")
    second = await app.engine.poll("pricing")
    assert first.ok and first.events == []
    assert [(e.kind, e.subject) for e in second.events] == [("docs.row_removed", "deepseek-reasoner")]


async def test_an_unknown_orientation_is_a_config_error_naming_the_key(pages: FakePages,
                                                                      make_app: MakeApp) -> None:
    from bot.errors import ConfigErrors

    with pytest.raises(ConfigErrors, match="orientation"):
        make_app(config(pages, 'orientation = "diagonal"'))
