"""feed scenarios end to end: GitHub's releases.atom and a lab blog's RSS 2.0, served by the fake
pages host on 127.0.0.1 with their real content types."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.app import App
from tests.fakes.pages import FakePages

MakeApp = Callable[..., App]
FIXTURES = Path(__file__).parent.parent / "fixtures" / "pages"
ATOM, RSS = "/deepseek-ai/DeepEP/releases.atom", "/blog/rss.xml"
ATOM_TYPE, RSS_TYPE = "application/atom+xml; charset=utf-8", "application/rss+xml; charset=utf-8"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def config(pages: FakePages, path: str) -> str:
    return f"""
[watches.feed]
kind = "feed"
url = "{pages.url}{path}"
[notifiers.stdout]
kind = "console"
"""


async def baseline(make_app: MakeApp, pages: FakePages, path: str, name: str, content_type: str) -> App:
    pages.set_page(path, fixture(name), content_type)
    app = make_app(config(pages, path))
    result = await app.engine.poll("feed")
    assert result.ok and result.baseline, result.error
    assert app.store.events(limit=10) == []
    return app


async def test_new_github_release_in_atom_posts_one_entry_added(pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, ATOM, "releases_before.atom", ATOM_TYPE)
    pages.set_page(ATOM, fixture("releases_after.atom"), ATOM_TYPE)
    result = await app.engine.poll("feed")
    [event] = result.events
    assert event.kind == "feed.entry_added"
    assert event.title == "Release notes from DeepEP: v1.2.0: FP8 combine"
    assert event.url == "https://github.com/deepseek-ai/DeepEP/releases/tag/v1.2.0"
    assert event.diff == ["date: 2025-09-29T09:30:00Z",
                          "Highlights FP8 combine for the low-latency kernels & 20% less memory "
                          "Works with DeepSeek-V3.2-Exp"]


async def test_new_rss_item_posts_one_entry_added_with_a_clean_link(pages: FakePages,
                                                                    make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, RSS, "blog_before.rss", RSS_TYPE)
    pages.set_page(RSS, fixture("blog_after.rss"), RSS_TYPE)
    result = await app.engine.poll("feed")
    [event] = result.events
    assert event.title == "Example Lab Blog: A first look at V4 — 1M tokens of context"
    assert event.url == "https://lab.example.com/blog/v4-preview"
    assert event.diff == ["date: 2026-04-24T08:00:00Z",
                          "Our next model reads a million tokens at once & costs $0.28 per 1M output tokens."]


async def test_edited_release_and_changed_tracking_parameters_post_nothing(pages: FakePages,
                                                                          make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, RSS, "blog_before.rss", RSS_TYPE)
    pages.set_page(RSS, fixture("blog_before.rss").replace("utm_source=rss", "utm_source=newsletter")
                   .replace("Fewer mixed-language answers", "Fewer mixed-language replies"), RSS_TYPE)
    result = await app.engine.poll("feed")
    assert result.ok and result.events == []


async def test_entries_scrolling_off_the_feed_are_not_removals(pages: FakePages, make_app: MakeApp) -> None:
    app = await baseline(make_app, pages, ATOM, "releases_after.atom", ATOM_TYPE)
    text = fixture("releases_after.atom")
    pages.set_page(ATOM, text[:text.rindex("  <entry>")] + "</feed>\n", ATOM_TYPE)
    for _ in range(3):
        result = await app.engine.poll("feed")
        assert result.ok and result.events == []


async def test_a_feed_declaring_entities_is_refused(pages: FakePages, make_app: MakeApp) -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            '<rss version="2.0"><channel><title>&lol2;</title></channel></rss>')
    pages.set_page(RSS, bomb, RSS_TYPE)
    app = make_app(config(pages, RSS))
    result = await app.engine.poll("feed")
    assert not result.ok and "declares XML entities" in (result.error or "")


async def test_an_html_page_at_a_feed_url_is_a_failed_poll(pages: FakePages, make_app: MakeApp) -> None:
    pages.set_page(RSS, fixture("changelog_before.html"))
    app = make_app(config(pages, RSS))
    result = await app.engine.poll("feed")
    assert not result.ok
    assert "is not an RSS or Atom feed (not well-formed XML, served as text/html" in (result.error or "")


async def test_a_latin1_feed_decodes_by_its_xml_declaration(pages: FakePages, make_app: MakeApp) -> None:
    latin = fixture("blog_before.rss").replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace(
        "Research notes", "Notes de recherche: modèles, précision")
    body = latin.replace("Terminus: a steadier agent", "Terminus : un agent plus sûr").encode("latin-1")
    pages.set_page(RSS, body, "application/rss+xml")
    app = make_app(config(pages, RSS))
    result = await app.engine.poll("feed")
    assert result.ok, result.error
    titles = {r.fields["title"] for r in app.store.load_watch("feed").records.values()}
    assert "Terminus : un agent plus sûr" in titles
