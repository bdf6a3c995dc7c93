"""The Discord bot's nonce and the generic webhook's signature, against the sink on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path

from bot.app import App
from bot.clock import FakeClock
from bot.config import load_config
from bot.http import HttpClient
from tests.fakes.chat_sink import ChatSink
from tests.test_outages import emit

MakeApp = Callable[..., App]
TOKEN = "bot-token-s3cr3t-0123"


def bot_config(sink: ChatSink) -> str:
    return (f'[endpoints]\ndiscord = "{sink.bot_base_url}"\n'
            '[watches.deepseek-org]\nkind = "github_org"\norg = "deepseek-ai"\n'
            '[notifiers.bot]\nkind = "discord_bot"\ntoken = "${RW_DISCORD_BOT_TOKEN}"\n'
            'channel_id = "555"\n')


async def test_bot_posts_with_nonce_and_no_mentions(sink: ChatSink, make_app: MakeApp) -> None:
    sink.register_channel("555", TOKEN)
    app = make_app(bot_config(sink), environ={"RW_DISCORD_BOT_TOKEN": TOKEN})
    emit(app, 1)
    await app.dispatcher.deliver_due()
    [post] = sink.posts_for_channel("555")
    assert post.body["enforce_nonce"] is True and 1 <= len(post.body["nonce"]) <= 25
    assert post.body["allowed_mentions"] == {"parse": []}
    assert sink.attempts[-1].headers["authorization"] == f"Bot {TOKEN}"


async def test_bot_retry_after_a_lost_response_does_not_duplicate(
        sink: ChatSink, write_config: Callable[[str], Path], clock: FakeClock,
        tmp_path: Path) -> None:
    sink.register_channel("555", TOKEN)
    env = {"RW_DISCORD_BOT_TOKEN": TOKEN, "RW_DATABASE": str(tmp_path / "rw.db")}
    config = load_config(write_config(bot_config(sink)), environ=env)
    app = App.build(config, clock=clock, environ=env,
                    http=HttpClient(clock, timeout=0.5))  # the response is "lost" after 0.5 s
    [held] = sink.script("channel:555", "hang")
    emit(app, 1)
    next_due = await app.dispatcher.deliver_due()
    assert next_due is not None and sink.posts_for_channel("555") == []
    held.release()
    sink.wait_for_posts(1, timeout=10)  # Discord did create the message
    clock.advance((next_due - clock.now()).total_seconds())
    assert await app.dispatcher.deliver_due() is None
    assert len(sink.posts_for_channel("555")) == 1
    assert app.health().notifiers[0].delivered == 1
    app.store.close()
    await app.http.aclose()


async def test_generic_webhook_body_is_signed(sink: ChatSink, make_app: MakeApp) -> None:
    url = sink.register_hook("n8n")
    text = ('[watches.deepseek-org]\nkind = "github_org"\norg = "deepseek-ai"\n'
            '[notifiers.hook]\nkind = "webhook"\nurl = "${RW_HOOK}"\nsecret = "${RW_HOOK_SECRET}"\n'
            'headers = { "X-Team" = "ml-infra" }\n')
    app = make_app(text, environ={"RW_HOOK": url, "RW_HOOK_SECRET": "hook-s3cr3t"})
    emit(app, 1)
    await app.dispatcher.deliver_due()
    [raw] = sink.hook_posts("n8n")
    expected = "sha256=" + hmac.new(b"hook-s3cr3t", raw.body, hashlib.sha256).hexdigest()
    assert raw.headers["x-releasewatch-signature"] == expected
    assert raw.headers["x-team"] == "ml-infra"
    event = json.loads(raw.body)
    assert event["schema"] == "releasewatch.event/1" and event["kind"] == "github.repo_created"
    assert raw.headers["idempotency-key"] == event["id"]
