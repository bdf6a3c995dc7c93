"""changelog_page scenarios end to end: DeepSeek's Change Log (Docusaurus, "Date: 2025-08-21"
headings with anchors) served by the fake pages host on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.app import App
from tests.fakes.pages import FakePages

MakeApp = Callable[..., App]
FIXTURES = Path(__file__).parent.parent / "fixtures" / "pages"
UPDATES = "/updates"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def config(pages: FakePages, extra: str = 'entry = ".theme-doc-markdown h2"') -> str:
    return f"""
[watches.log]
kind = "changelog_page"
url = "{pages.url}{UPDATES}"
{extra}
[notifiers.stdout]
kind = "console"
"""


async def baseline(make_app: MakeApp, pages: FakePages, extra: str | None = None) -> App:
    pages.set_page(UPDATES, fixture("changelog_before.html"))
    app = make_app(config(pages) if extra is None else config(pages, extra))
    result = await app.engine.poll("log")
    assert result.ok and result.baseline, result.error
    assert app.store.events(limit=10) == []
    return app


async def test_baseline_posts_nothing_and_keys_entries_by_anchor(pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    records = app.store.load_watch("log").records
    assert "#date-2025-08-21" in records and len(records) == 6
    entry = records["#date-2025-08-21"].fields
    assert entry["date"] == "2025-08-21" and entry["title"] == "Date: 2025-08-21"
    assert entry["text"].splitlines()[0] == "deepseek-chat & deepseek-reasoner"


async def test_new_entry_posts_one_entry_added_with_date_link_and_excerpt(
        pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    pages.set_page(UPDATES, fixture("changelog_after.html"))
    result = await app.engine.poll("log")
    [event] = result.events
    assert event.kind == "changelog.entry_added"
    assert event.title == "New change-log entry: Date: 2025-09-29"
    assert event.url == f"{pages.url}{UPDATES}#date-2025-09-29"
    assert event.after == {"title": "Date: 2025-09-29", "date": "2025-09-29"}
    assert event.diff[0].startswith("deepseek-chat & deepseek-reasoner Both models are upgraded to "
                                    "DeepSeek-V3.2-Exp")
    assert len(event.diff[0]) <= 500


async def test_default_entries_are_the_h2_headings(pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, extra="")
    assert len(app.store.load_watch("log").records) == 6


async def test_an_edited_entry_posts_a_short_text_diff(pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    edited = fixture("changelog_before.html").replace("The context window of both models is 128K.",
                                                      "The context window of both models is 1M.")
    pages.set_page(UPDATES, edited)
    result = await app.engine.poll("log")
    [event] = result.events
    assert event.kind == "changelog.entry_changed"
    assert event.diff == ["− The context window of both models is 128K.",
                          "+ The context window of both models is 1M."]
    assert set(event.before) == {"text_sha256"} and event.before != event.after


async def test_whitespace_and_last_updated_footer_changes_post_nothing(pages: FakePages,
                                                                      make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    noisy = (fixture("changelog_before.html").replace("<li>", "<li>\n  ").replace("</ul>", "\n</ul>\n\n")
             .replace("Sep 22, 2025", "Sep 30, 2025").replace("&amp;", "&#38;")
             .replace('class="anchor anchorWithStickyNavbar_LWe7" id=', 'id='))
    pages.set_page(UPDATES, noisy)
    result = await app.engine.poll("log")
    assert result.ok and result.events == []


async def test_a_page_without_entries_is_a_failed_poll_naming_the_selector(pages: FakePages,
                                                                          make_app: MakeApp) -> None:
    app = await baseline(make_app, pages)
    pages.set_page(UPDATES, fixture("changelog_before.html").replace("<h2", "<h4").replace("</h2>", "</h4>"))
    result = await app.engine.poll("log")
    assert not result.ok
    assert "selector '.theme-doc-markdown h2' matched nothing" in (result.error or "")
    assert len(app.store.load_watch("log").records) == 6


async def test_entries_without_anchors_are_keyed_by_title_and_dated_by_time(pages: FakePages,
                                                                           make_app: MakeApp) -> None:
    pages.set_page(UPDATES, """<html><body><main>
        <article class="post"><h3>V3.2 is out</h3><time datetime="2025-12-01">Dec 1</time>
          <p>Hello.</p></article>
        <article class="post"><h3>Price cut</h3><time datetime="2025-09-29T08:00:00Z">Sep 29</time></article>
        </main></body></html>""")
    app = make_app(config(pages, 'entry = "article.post"\ntitle = "h3"'))
    result = await app.engine.poll("log")
    assert result.ok, result.error
    records = {rid: r.fields for rid, r in app.store.load_watch("log").records.items()}
    assert records["title:V3.2 is out"]["date"] == "2025-12-01"
    assert records["title:Price cut"]["date"] == "2025-09-29"
