"""The one status model: states, reasons and counts as the store records them."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from bot.clock import FakeClock
from bot.status import render_text
from tests.fakes.upstream import FakeGitHub

MakeApp = Callable[..., App]


def config(github: FakeGitHub) -> str:
    return (f'[endpoints]\ngithub = "{github.url}"\n'
            '[watches.org]\nkind = "github_org"\norg = "deepseek-ai"\n'
            '[watches.later]\nkind = "github_org"\norg = "qwen"\n'
            '[notifiers.stdout]\nkind = "console"\n')


async def test_three_failures_show_failing_with_reason_and_count(github: FakeGitHub,
                                                                 make_app: MakeApp) -> None:
    app = make_app(config(github))  # no org on the fake: 404 every time
    for _ in range(3):
        await app.engine.poll("org")
    watch = app.health().watch("org")
    assert watch and watch.state == "failing" and watch.failures_in_a_row == 3
    assert "HTTP 404" in (watch.last_error or "")
    assert app.health().watch("later").state == "never_polled"  # type: ignore[union-attr]
    assert app.health().watches[0].id == "org"  # failing first


async def test_rate_limited_watch_shows_until_when(github: FakeGitHub, make_app: MakeApp,
                                                   clock: FakeClock) -> None:
    github.add_org("deepseek-ai")
    app = make_app(config(github))
    await app.engine.poll("org")
    github.exhaust_rate_limit(int(clock.now().timestamp()) + 900)
    await app.engine.poll("org")
    watch = app.health().watch("org")
    assert watch and watch.state == "rate_limited"
    assert watch.rate_limited_until and watch.rate_limited_until.timestamp() == \
        int(clock.now().timestamp()) + 900
    assert "rate limited until" in render_text(app.health())


async def test_last_event_is_shown(github: FakeGitHub, make_app: MakeApp) -> None:
    github.add_org("deepseek-ai")
    app = make_app(config(github))
    await app.engine.poll("org")
    github.add_repo("deepseek-ai", "DeepSeek-V4")
    await app.engine.poll("org")
    watch = app.health().watch("org")
    assert watch and watch.last_event and watch.last_event.kind == "github.repo_created"
    assert watch.last_event.title == "New repository deepseek-ai/DeepSeek-V4"
