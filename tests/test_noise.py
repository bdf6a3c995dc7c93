"""Signal, not noise: health alerts per episode, severity routing, digests, mentions, catch-up,
and a baseline you can see. Fake clock, loopback only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.config import WatchConfig
from bot.scheduler import first_runs
from tests.fakes.chat_sink import ChatSink
from tests.fakes.upstream import FakeGitHub
from tests.test_outages import emit

MakeApp = Callable[..., App]


def hooks(sink: ChatSink, *names: str) -> dict[str, str]:
    env = {}
    for i, name in enumerate(names):
        sink.register_webhook(str(100 + i), f"tok-{name}-s3cr3t")
        env[f"RW_{name.upper()}"] = sink.webhook_url(str(100 + i))
    return env


def titles(sink: ChatSink, hook: str) -> list[str]:
    return [e["title"] for p in sink.posts_for(hook) for e in p.body["embeds"]]


def org(github: FakeGitHub, extra: str = "") -> str:
    return (f'[endpoints]\ngithub = "{github.url}"\n'
            f'[watches.deepseek-org]\nkind = "github_org"\norg = "deepseek-ai"\n{extra}')


CONTENT = '[notifiers.content]\nkind = "discord_webhook"\nurl = "${RW_CONTENT}"\n'
OPS = '[notifiers.ops]\nkind = "discord_webhook"\nurl = "${RW_OPS}"\n'


async def test_three_failures_alert_once_a_fourth_is_silent_and_recovery_says_how_long(
        github: FakeGitHub, sink: ChatSink, make_app: MakeApp, clock: FakeClock) -> None:
    github.add_org("deepseek-ai")
    app = make_app(org(github) + CONTENT, environ=hooks(sink, "content"))
    await app.engine.poll("deepseek-org")
    for _ in range(4):
        github.fail_next(3, status=502)
        await app.engine.poll("deepseek-org")
        clock.advance(600)
        await app.dispatcher.deliver_due()
    assert titles(sink, "100") == ["deepseek-org failing since 12:00 UTC"]
    [alert] = sink.posts_for("100")
    assert "3 polls in a row failed; last reason: HTTP 502" in alert.body["embeds"][0]["description"]
    await app.engine.poll("deepseek-org")
    await app.dispatcher.deliver_due()
    recovered = sink.posts_for("100")[-1].body["embeds"][0]
    assert recovered["title"] == "deepseek-org recovered"
    assert "down for 40m" in recovered["description"]
    assert "nothing changed meanwhile" in recovered["description"]


async def test_a_new_failure_episode_alerts_again(github: FakeGitHub, sink: ChatSink,
                                                  make_app: MakeApp, clock: FakeClock) -> None:
    github.add_org("deepseek-ai")
    app = make_app(org(github, "alert_after = 1\n") + CONTENT, environ=hooks(sink, "content"))
    for _ in range(2):
        github.fail_next(3, status=500)
        await app.engine.poll("deepseek-org")
        clock.advance(3600)
        await app.engine.poll("deepseek-org")
    kinds = [e.kind for e in reversed(app.store.events(limit=20))]
    assert kinds == ["health.watch_failing", "health.watch_recovered"] * 2


async def test_alerts_go_only_to_alerts_to(github: FakeGitHub, sink: ChatSink,
                                           make_app: MakeApp) -> None:
    text = '[settings]\nalerts_to = ["ops"]\n' + org(github, "alert_after = 1\n") + CONTENT + OPS
    app = make_app(text, environ=hooks(sink, "content", "ops"))
    await app.engine.poll("deepseek-org")  # no such org: fails, alerts at once
    await app.dispatcher.deliver_due()
    assert titles(sink, "100") == []
    assert titles(sink, "101") == ["deepseek-org failing since 12:00 UTC"]


async def test_low_event_waits_for_the_daily_digest_while_high_goes_at_once(
        sink: ChatSink, make_app: MakeApp, clock: FakeClock) -> None:
    text = ('[watches.deepseek-org]\nkind = "github_org"\norg = "deepseek-ai"\n'
            + CONTENT + 'digest = "daily@09:00"\n')
    app = make_app(text, environ=hooks(sink, "content"))
    emit(app, 2, kind="github.repo_deleted")  # low
    emit(app, 1, kind="github.repo_created", start=10)  # high
    await app.dispatcher.deliver_due()
    assert titles(sink, "100") == ["New repository deepseek-ai/repo-10"]
    next_due = await app.dispatcher.deliver_due()
    assert next_due == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the clock starts 1 March, 12:00
    clock.advance((next_due - clock.now()).total_seconds())
    await app.dispatcher.deliver_due()
    [_, digest] = sink.posts_for("100")
    assert [e["title"] for e in digest.body["embeds"]] == ["New repository deepseek-ai/repo-0",
                                                           "New repository deepseek-ai/repo-1"]


async def test_a_60_item_digest_is_split_within_limits_and_loses_nothing(
        sink: ChatSink, make_app: MakeApp, clock: FakeClock) -> None:
    text = ('[watches.deepseek-org]\nkind = "github_org"\norg = "deepseek-ai"\n'
            + CONTENT + 'digest = "daily@09:00"\n'
            + '[notifiers.slack]\nkind = "slack_webhook"\nurl = "${RW_SLACK}"\n'
            + 'digest = "daily@09:00"\n')
    env = hooks(sink, "content") | {"RW_SLACK": sink.register_slack("T1/B1/s3cr3tdigest")}
    app = make_app(text, environ=env)
    emit(app, 60, kind="github.repo_deleted")
    clock.advance(21 * 3600)
    await app.dispatcher.deliver_due()
    discord_text = "".join(e.get("description", "") + e["title"]
                           for p in sink.posts_for("100") for e in p.body["embeds"])
    slack_posts = [p for p in sink.posts if p.webhook_id != "100"]
    slack_text = "".join(b["text"]["text"] for p in slack_posts for b in p.body["blocks"]
                         if b["type"] == "header")
    for i in range(60):
        assert f"deepseek-ai/repo-{i}" in discord_text and f"deepseek-ai/repo-{i}" in slack_text
    assert len(sink.posts_for("100")) == 2 and len(slack_posts) == 4  # 30 + 30; 16 × 3 + 12
    health = {n.id: n for n in app.health().notifiers}
    assert health["content"].delivered == 60 and health["slack"].delivered == 60


async def test_min_severity_keeps_low_events_away(sink: ChatSink, make_app: MakeApp) -> None:
    text = ('[watches.deepseek-org]\nkind = "github_org"\norg = "deepseek-ai"\n'
            + CONTENT + 'min_severity = "high"\n')
    app = make_app(text, environ=hooks(sink, "content"))
    emit(app, 1, kind="github.repo_changed")
    emit(app, 1, kind="github.repo_created", start=1)
    await app.dispatcher.deliver_due()
    assert titles(sink, "100") == ["New repository deepseek-ai/repo-1"]


async def test_watch_severity_override_and_role_mention(github: FakeGitHub, sink: ChatSink,
                                                       make_app: MakeApp) -> None:
    github.add_org("deepseek-ai")
    github.add_repo("deepseek-ai", "DeepSeek-V3")
    extra = 'severity = { "github.repo_changed" = "high" }\n'
    notifier = CONTENT + 'mention = "<@&123456789012345678>"\n'
    app = make_app(org(github, extra) + notifier, environ=hooks(sink, "content"))
    await app.engine.poll("deepseek-org")
    github.update_repo("deepseek-ai", "DeepSeek-V3", description="@everyone <@&999> V4 soon")
    [event] = (await app.engine.poll("deepseek-org")).events
    assert event.severity == "high"
    await app.dispatcher.deliver_due()
    [post] = sink.posts_for("100")
    assert post.body["content"] == "<@&123456789012345678>"
    assert post.body["allowed_mentions"] == {"parse": [], "roles": ["123456789012345678"]}
    assert "<@&999>" not in post.body["embeds"][0]["description"]


async def test_announce_baseline_posts_one_message_per_watch(github: FakeGitHub, sink: ChatSink,
                                                            make_app: MakeApp) -> None:
    github.add_org("deepseek-ai")
    github.add_repo("deepseek-ai", "DeepSeek-V3")
    text = ('[settings]\nannounce_baseline = true\n' + org(github)
            + '[watches.qwen]\nkind = "github_org"\norg = "deepseek-ai"\n' + CONTENT)
    app = make_app(text, environ=hooks(sink, "content"))
    for _ in range(2):
        await app.engine.poll("deepseek-org")
        await app.engine.poll("qwen")
    await app.dispatcher.deliver_due()
    assert titles(sink, "100") == ["Now watching: deepseek-org", "Now watching: qwen"]


def watch(i: int, interval: int = 600) -> WatchConfig:
    return WatchConfig(f"w{i}", "github_org", None, None, interval, None, 3)  # type: ignore[arg-type]


def test_overdue_watches_are_spread_over_a_tenth_of_their_interval() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    watches = [watch(i) for i in range(1000)]
    runs = first_runs(watches, {}, now)
    offsets = sorted((t - now).total_seconds() for t in runs.values())
    assert offsets[0] >= 1 and offsets[-1] <= 61
    per_second = max(sum(1 for o in offsets if s <= o < s + 1) for s in range(62))
    assert per_second <= 20


def test_watches_not_overdue_keep_their_rhythm() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    last = {"w0": now - timedelta(seconds=100), "w1": now - timedelta(seconds=7200)}
    runs = first_runs([watch(0), watch(1), watch(2, interval=86400)], last, now)
    assert runs["w0"] == now + timedelta(seconds=500)
    assert now < runs["w1"] <= now + timedelta(seconds=61)
    assert runs["w2"] <= now + timedelta(seconds=301)  # never polled; window capped at 5 minutes
