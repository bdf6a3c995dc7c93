"""Delivery through the outbox to the Discord sink on 127.0.0.1: once, in order, through outages."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from bot.clock import FakeClock
from tests.fakes.chat_sink import ChatSink
from tests.fakes.upstream import FakeGitHub

MakeApp = Callable[..., App]


def config(github: FakeGitHub, hooks: int) -> str:
    text = f'[endpoints]\ngithub = "{github.url}"\n'
    text += '[watches.org]\nkind = "github_org"\norg = "deepseek-ai"\nfull_every = 1\n'
    for i in range(hooks):
        text += f'[notifiers.discord-{i}]\nkind = "discord_webhook"\nurl = "${{RW_HOOK_{i}}}"\n'
    return text


async def app_with_one_event(github: FakeGitHub, sink: ChatSink, make_app: MakeApp,
                             *hooks: str) -> App:
    for hook in hooks:
        sink.register_webhook(hook, f"tok-{hook}-s3cr3t")
    environ = {f"RW_HOOK_{i}": sink.webhook_url(h) for i, h in enumerate(hooks)}
    github.add_org("deepseek-ai")
    github.add_repo("deepseek-ai", "DeepSeek-V3")
    app = make_app(config(github, len(hooks)), environ=environ)
    await app.engine.poll("org")
    github.add_repo("deepseek-ai", "DeepSeek-V4", description="<@123> @everyone look")
    assert len((await app.engine.poll("org")).events) == 1
    return app


async def test_discord_post_is_an_embed_without_mentions(github: FakeGitHub, sink: ChatSink,
                                                        make_app: MakeApp) -> None:
    app = await app_with_one_event(github, sink, make_app, "111")
    await app.dispatcher.deliver_due()
    [post] = sink.posts_for("111")
    assert post.query.get("wait") == "true"
    assert post.body["allowed_mentions"] == {"parse": []}
    [embed] = post.body["embeds"]
    assert embed["title"] == "New repository deepseek-ai/DeepSeek-V4"
    assert embed["url"].endswith("/deepseek-ai/DeepSeek-V4")
    assert "@everyone" not in embed["description"]
    assert embed["footer"]["text"] == "org · github.repo_created"


async def test_discord_429_then_200_posts_once(github: FakeGitHub, sink: ChatSink,
                                               make_app: MakeApp, clock: FakeClock) -> None:
    app = await app_with_one_event(github, sink, make_app, "111")
    sink.script("111", ("429", 2.5))
    next_due = await app.dispatcher.deliver_due()
    assert sink.posts_for("111") == []
    assert next_due is not None and (next_due - clock.now()).total_seconds() == 2.5
    assert await app.dispatcher.deliver_due() == next_due  # not due yet: nothing is sent
    assert len(sink.attempts) == 1
    clock.advance(2.5)
    assert await app.dispatcher.deliver_due() is None
    assert len(sink.posts_for("111")) == 1
    await app.dispatcher.deliver_due()
    assert len(sink.posts_for("111")) == 1


async def test_discord_5xx_backs_off_and_delivers_later(github: FakeGitHub, sink: ChatSink,
                                                        make_app: MakeApp,
                                                        clock: FakeClock) -> None:
    app = await app_with_one_event(github, sink, make_app, "111")
    sink.script("111", "503", "502")
    first = await app.dispatcher.deliver_due()
    assert first and (first - clock.now()).total_seconds() == 10
    clock.advance(10)
    second = await app.dispatcher.deliver_due()
    assert second and (second - clock.now()).total_seconds() == 20
    health = app.health().notifiers[0]
    assert health.pending == 1 and "502" in (health.last_error or "")
    clock.advance(20)
    await app.dispatcher.deliver_due()
    assert len(sink.posts_for("111")) == 1
    assert app.health().notifiers[0].delivered == 1


async def test_discord_404_marks_row_failed_and_other_notifier_still_gets_it(
        github: FakeGitHub, sink: ChatSink, make_app: MakeApp) -> None:
    app = await app_with_one_event(github, sink, make_app, "111", "222")
    sink.script("111", "404")
    assert await app.dispatcher.drain(0) == 0  # the alert is queued during the pass, then sent
    assert sink.posts_for("111") == []
    titles = [p.body["embeds"][0]["title"] for p in sink.posts_for("222")]
    assert titles == ["New repository deepseek-ai/DeepSeek-V4",
                      "notifier discord-0 cannot deliver"]  # the alert goes to the others
    failed, ok = app.health().notifiers
    assert (failed.failed, failed.pending) == (1, 0)
    assert "404" in (failed.last_error or "") and "Unknown Webhook" in (failed.last_error or "")
    assert ok.delivered == 2


async def test_rows_go_out_in_order_after_an_outage(github: FakeGitHub, sink: ChatSink,
                                                    make_app: MakeApp, clock: FakeClock) -> None:
    app = await app_with_one_event(github, sink, make_app, "111")
    github.add_repo("deepseek-ai", "DeepSeek-V4-Lite")
    await app.engine.poll("org")
    sink.script("111", "500")
    await app.dispatcher.deliver_due()
    clock.advance(10)
    await app.dispatcher.deliver_due()
    titles = [p.body["embeds"][0]["title"] for p in sink.posts_for("111")]
    assert titles == ["New repository deepseek-ai/DeepSeek-V4",
                      "New repository deepseek-ai/DeepSeek-V4-Lite"]


async def test_webhook_url_never_reaches_status_or_stored_errors(
        github: FakeGitHub, sink: ChatSink, make_app: MakeApp) -> None:
    app = await app_with_one_event(github, sink, make_app, "111")
    sink.script("111", "404")
    await app.dispatcher.deliver_due()
    dump = "\n".join(app.store.db.iterdump())
    text = str(app.health().to_json())
    for secret in ("tok-111-s3cr3t", sink.webhook_url("111")):
        assert secret not in dump and secret not in text
