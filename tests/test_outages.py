"""Delivery through outages, floods and routing, against the chat sinks on 127.0.0.1 with a fake
clock: every event arrives once, in order, only where it belongs."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from bot.clock import FakeClock
from bot.events import EVENT_KINDS
from bot.models import Event, dedup_key
from bot.store import PollOutcome
from tests.fakes.chat_sink import ChatSink

MakeApp = Callable[..., App]
SLACK = "T0001/B0001/s3cr3tslackpath"


def config(*notifiers: str) -> str:
    text = ('[watches.deepseek-org]\nkind = "github_org"\norg = "deepseek-ai"\n'
            '[watches.qwen-hf]\nkind = "github_org"\norg = "qwen"\n')
    return text + "".join(notifiers)


DISCORD = '[notifiers.discord]\nkind = "discord_webhook"\nurl = "${RW_DISCORD}"\n'
SLACK_NOTIFIER = '[notifiers.slack]\nkind = "slack_webhook"\nurl = "${RW_SLACK}"\n'


def environ(sink: ChatSink) -> dict[str, str]:
    sink.register_webhook("77", "discord-s3cr3t-token")
    return {"RW_DISCORD": sink.webhook_url("77"), "RW_SLACK": sink.register_slack(SLACK)}


def titles(sink: ChatSink, hook: str) -> list[str]:
    return [e["title"] for p in sink.posts_for(hook) for e in p.body["embeds"]]


def emit(app: App, n: int, *, watch: str = "deepseek-org", kind: str = "github.repo_created",
         start: int = 0) -> None:
    """Commit n events as a poll would, so routing and the outbox are the real ones."""
    now = app.clock.now()
    events = [Event(kind=kind, watch_id=watch, subject=f"deepseek-ai/repo-{i}",
                    title=f"New repository deepseek-ai/repo-{i}", url=None, before=None,
                    after={"n": i}, diff=[f"repo {i}"], detected_at=now,
                    dedup_key=dedup_key(kind, watch, f"repo-{i}", None, {"n": i}, 0),
                    severity=EVENT_KINDS[kind].severity)
              for i in range(start, start + n)]
    app.store.commit_poll(PollOutcome(watch, now, now, ok=True), upserts={}, events=events,
                          route=app.engine.route, validators=None)


async def test_an_event_posts_one_embed_and_one_block_kit_message(sink: ChatSink,
                                                                  make_app: MakeApp) -> None:
    app = make_app(config(DISCORD, SLACK_NOTIFIER), environ=environ(sink))
    emit(app, 1)
    await app.dispatcher.deliver_due()
    [discord] = sink.posts_for("77")
    assert discord.body["embeds"][0]["title"] == "New repository deepseek-ai/repo-0"
    [slack] = [p for p in sink.posts if p.webhook_id != "77"]
    assert slack.body["text"] == "New repository deepseek-ai/repo-0"
    assert [b["type"] for b in slack.body["blocks"]] == ["header", "section", "context"]


async def test_thirty_minute_outage_then_recovery_delivers_every_event_once_in_order(
        sink: ChatSink, make_app: MakeApp, clock: FakeClock) -> None:
    app = make_app(config(DISCORD), environ=environ(sink))
    emit(app, 3)
    elapsed = 0.0
    sink.script("77", *["503"] * 50)
    while elapsed < 1800:
        next_due = await app.dispatcher.deliver_due()
        assert next_due is not None and sink.posts_for("77") == []
        wait = (next_due - clock.now()).total_seconds()
        clock.advance(wait)
        elapsed += wait
        if elapsed < 1800:
            emit(app, 1, start=100 + int(elapsed))  # news keeps coming during the outage
    sink.reset()
    environ(sink)
    assert await app.dispatcher.deliver_due() is None
    titles = [e["title"] for p in sink.posts_for("77") for e in p.body["embeds"]]
    stored = [e.title for e in reversed(app.store.events(limit=100))]
    assert titles == stored and len(titles) == len(set(titles))
    assert app.health().notifiers[0].pending == 0


async def test_twelve_events_at_once_go_out_batched(sink: ChatSink, make_app: MakeApp) -> None:
    app = make_app(config(DISCORD, SLACK_NOTIFIER), environ=environ(sink))
    emit(app, 12)
    await app.dispatcher.deliver_due()
    discord = sink.posts_for("77")
    slack = [p for p in sink.posts if p.webhook_id != "77"]
    [digest] = discord
    assert len(digest.body["embeds"]) == 6
    described = "".join(e["description"] for e in digest.body["embeds"])
    assert all(f"deepseek-ai/repo-{i}" in described for i in range(12))
    [one] = slack
    assert one.body["text"].count("New repository") == 12 and len(one.body["blocks"]) == 36
    health = {n.id: n for n in app.health().notifiers}
    assert health["discord"].delivered == 12 and health["slack"].delivered == 12


async def test_a_few_events_go_out_one_message_each(sink: ChatSink, make_app: MakeApp) -> None:
    app = make_app(config(DISCORD), environ=environ(sink))
    emit(app, 5)
    await app.dispatcher.deliver_due()
    assert [len(p.body["embeds"]) for p in sink.posts_for("77")] == [1] * 5


async def test_routing_globs_send_each_event_only_where_it_belongs(sink: ChatSink,
                                                                   make_app: MakeApp) -> None:
    routed = (DISCORD + 'watches = ["deepseek-*"]\n'
              + SLACK_NOTIFIER + 'events = ["hf.*", "catalog.*"]\n')
    app = make_app(config(routed), environ=environ(sink))
    emit(app, 1, watch="deepseek-org")
    emit(app, 1, watch="qwen-hf", kind="hf.weights_published", start=1)
    emit(app, 1, watch="deepseek-org", kind="catalog.model_listed", start=2)
    await app.dispatcher.deliver_due()
    discord = [p.body["embeds"][0]["footer"]["text"] for p in sink.posts_for("77")]
    slack = [p.body["blocks"][2]["elements"][0]["text"] for p in sink.posts if p.webhook_id != "77"]
    assert discord == ["deepseek-org · github.repo_created", "deepseek-org · catalog.model_listed"]
    assert [s.split(" · ")[1] for s in slack] == ["hf.weights_published", "catalog.model_listed"]


async def test_bucket_exhausted_holds_the_next_send(sink: ChatSink, make_app: MakeApp,
                                                    clock: FakeClock) -> None:
    app = make_app(config(DISCORD), environ=environ(sink))
    emit(app, 2)
    sink.ratelimit_remaining = 0
    sink.ratelimit_reset_after = 1.5
    next_due = await app.dispatcher.deliver_due()
    assert len(sink.posts_for("77")) == 1
    assert next_due is not None and (next_due - clock.now()).total_seconds() == 1.5
    sink.ratelimit_remaining = 4
    clock.advance(1.5)
    await app.dispatcher.deliver_due()
    assert len(sink.posts_for("77")) == 2


async def test_slack_channel_not_found_fails_only_slack(sink: ChatSink, make_app: MakeApp) -> None:
    app = make_app(config(DISCORD, SLACK_NOTIFIER), environ=environ(sink))
    sink.script(SLACK, "404")
    emit(app, 1)
    await app.dispatcher.drain(0)
    health = {n.id: n for n in app.health().notifiers}
    assert health["slack"].failed == 1 and "channel_not_found" in (health["slack"].last_error or "")
    assert titles(sink, "77") == ["New repository deepseek-ai/repo-0",
                                  "notifier slack cannot deliver"]  # the event, then the alert
