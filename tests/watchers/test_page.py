"""page scenarios end to end: the generic fallback watches a page's visible text; noise (markup,
whitespace, a "last updated" footer listed in `ignore`) never posts, a real edit posts its lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import App
from tests.fakes.pages import FakePages

MakeApp = Callable[..., App]
FIXTURES = Path(__file__).parent.parent / "fixtures" / "pages"
PRICING = "/quick_start/pricing"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def config(pages: FakePages, extra: str = 'selector = "article"\nignore = [".theme-last-updated"]') -> str:
    return f"""
[watches.docs]
kind = "page"
url = "{pages.url}{PRICING}?utm_source=chat"
{extra}
[notifiers.stdout]
kind = "console"
"""


async def baseline(make_app: MakeApp, pages: FakePages, extra: str | None = None) -> App:
    pages.set_page(PRICING, fixture("pricing_columns_before.html"))
    app = make_app(config(pages) if extra is None else config(pages, extra))
    result = await app.engine.poll("docs")
    assert result.ok and result.baseline, result.error
    assert app.store.events(limit=10) == []
    return app


async def test_an_edit_posts_the_changed_lines(pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    pages.set_page(PRICING, fixture("pricing_columns_before.html").replace(
        "with a preference for using the granted balance first", "using the topped-up balance first"))
    result = await app.engine.poll("docs")
    [event] = result.events
    assert event.kind == "page.changed"
    assert event.title == "Models & Pricing | DeepSeek API Docs changed"
    assert event.url == f"{pages.url}{PRICING}"
    assert [line[:2] for line in event.diff] == ["  ", "− ", "+ ", "  "]
    assert "using the topped-up balance first" in event.diff[2]


async def test_a_last_updated_footer_in_ignore_posts_nothing(pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    pages.set_page(PRICING, fixture("pricing_columns_before.html").replace("Sep 22, 2025", "Oct 9, 2025")
                   .replace("2025-09-22T", "2025-10-09T"))
    result = await app.engine.poll("docs")
    assert result.ok and result.events == []


async def test_markup_whitespace_entities_and_scripts_post_nothing(pages: FakePages,
                                                                   make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    noisy = (fixture("pricing_columns_before.html")
             .replace("<p>", '<p class="x"  data-v="2">\n   ').replace("</p>", "   \n</p>")
             .replace("Models &amp; Pricing", "Models &#38; Pricing").replace("<!-- -->", "<!-- v2 -->")
             .replace("</article>", "<script>window.__build = 43;</script><style>p{}</style></article>"))
    pages.set_page(PRICING, noisy)
    result = await app.engine.poll("docs")
    assert result.ok and result.events == []


async def test_a_long_change_is_trimmed_to_a_readable_size(pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    many = "".join(f"<p>New paragraph {i}</p>" for i in range(60))
    pages.set_page(PRICING, fixture("pricing_columns_before.html").replace("</article>", many + "</article>"))
    result = await app.engine.poll("docs")
    [event] = result.events
    assert len(event.diff) == 31 and event.diff[-1] == "… 31 more lines"


async def test_a_selector_that_matches_nothing_is_a_failed_poll(pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    pages.set_page(PRICING, fixture("pricing_columns_before.html").replace("<article>", "<section>")
                   .replace("</article>", "</section>"))
    result = await app.engine.poll("docs")
    assert not result.ok and result.events == []
    assert (result.error or "").startswith(f"selector 'article' matched nothing on {pages.url}{PRICING}")


async def test_rate_limited_host_is_a_failed_poll_until_retry_after(pages: FakePages,
                                                                    make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    pages.limit_rate(1, retry_after=120)
    result = await app.engine.poll("docs")
    assert not result.ok and "rate limited by 127.0.0.1" in (result.error or "")
    pages.clear_requests()
    again = await app.engine.poll("docs")
    assert not again.ok and pages.requests == []


async def test_a_missing_page_is_a_failed_poll_with_the_status(pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    pages.remove_page(PRICING)
    result = await app.engine.poll("docs")
    assert not result.ok and (result.error or "").startswith("HTTP 404 from")


async def test_an_invalid_ignore_selector_is_a_config_error(pages: FakePages, make_app: MakeApp) -> None:
    from bot.errors import ConfigErrors

    with pytest.raises(ConfigErrors, match="not a CSS selector"):
        make_app(config(pages, 'ignore = ["footer["]'))


async def test_a_server_error_after_retries_fails_the_poll_and_keeps_the_snapshot(
        pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    pages.fail_next(3, 502)
    result = await app.engine.poll("docs")
    assert not result.ok and (result.error or "").startswith("HTTP 502 from")
    assert [r.status for r in pages.requests[-3:]] == [502, 502, 502]
    assert len(app.store.load_watch("docs").records) == 1
