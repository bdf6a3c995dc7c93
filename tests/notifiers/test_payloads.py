"""Each notifier's payload, built from messages alone: limits met, upstream text disarmed."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import NotifierConfig
from bot.models import Message
from bot.notifiers import discord_bot, discord_webhook, slack_webhook, webhook
from bot.notifying import fit_lines
from bot.secrets import Secret

NOW = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)


def msg(title: str = "New repository deepseek-ai/DeepSeek-V4", lines: list[str] | None = None,
        kind: str = "github.repo_created", key: str = "k1") -> Message:
    return Message(title=title, lines=lines or ["licence: MIT"], url="https://github.com/x/y",
                   kind=kind, watch_id="deepseek-org", subject="deepseek-ai/DeepSeek-V4",
                   detected_at=NOW, key=key)


def embed_chars(embed: dict) -> int:
    return (len(embed.get("title", "")) + len(embed.get("description", ""))
            + len(embed.get("footer", {}).get("text", "")))


def test_discord_embed_has_title_link_colour_footer_and_time() -> None:
    payload = discord_webhook.build_payload([msg()], discord_webhook.Options(url=Secret("u" * 8)))
    [embed] = payload["embeds"]
    assert embed["title"] == "New repository deepseek-ai/DeepSeek-V4"
    assert embed["url"] == "https://github.com/x/y" and embed["color"] == 0x24292F
    assert embed["footer"]["text"] == "deepseek-org · github.repo_created"
    assert embed["timestamp"] == "2026-03-04T09:30:00.000Z"
    assert payload["allowed_mentions"] == {"parse": []}


def test_a_20000_character_entry_is_cut_at_a_line_with_a_count() -> None:
    lines = [f"line {i}: " + "x" * 90 for i in range(200)]
    [embed] = discord_webhook.build_payload([msg(lines=lines)],
                                            discord_webhook.Options(url=Secret("u" * 8)))["embeds"]
    assert len(embed["description"]) <= 4096 and embed_chars(embed) <= 6000
    assert embed["description"].rsplit("\n", 1)[1].endswith("more lines")
    blocks = slack_webhook.build_payload([msg(lines=lines)], slack_webhook.Options(url=Secret("u" * 8)))
    section = blocks["blocks"][1]["text"]["text"]
    assert len(section) <= 3000 and "more lines" in section


def test_discord_text_cannot_ping_or_break_layout() -> None:
    evil = msg(title="@everyone new **model**", lines=["<@123> <@&456> @here `code` [x](http://y)"])
    [embed] = discord_bot.build_payload([evil], discord_bot.Options(token=Secret("t" * 8),
                                                                    channel_id="1"))["embeds"]
    text = embed["title"] + embed["description"]
    for ping in ("@everyone", "@here", "<@123>", "<@&456>"):
        assert ping not in text
    assert "\\*\\*model\\*\\*" in embed["title"] and "\\`code\\`" in embed["description"]


def test_slack_escapes_control_characters_so_nobody_is_pinged() -> None:
    evil = msg(title="<!channel> new", lines=["<!here> & <@U123> <https://evil|click>"])
    payload = slack_webhook.build_payload([evil], slack_webhook.Options(url=Secret("u" * 8)))
    section = payload["blocks"][1]["text"]["text"]
    assert "<!here>" not in section and "<@U123>" not in section and "&amp;" in section
    assert "<!channel>" not in payload["text"]
    assert payload["blocks"][0] == {"type": "header", "text": {"type": "plain_text",
                                                               "text": "<!channel> new"}}


def test_a_flood_shares_discords_6000_characters() -> None:
    many = [msg(title="T" * 300, lines=["y" * 3000], key=str(i)) for i in range(12)]
    embeds = discord_webhook.build_payload(many, discord_webhook.Options(url=Secret("u" * 8)))["embeds"]
    assert len(embeds) == 6 and sum(embed_chars(e) for e in embeds) <= 6000
    few = discord_webhook.build_payload(many[:10], discord_webhook.Options(url=Secret("u" * 8)))
    assert len(few["embeds"]) == 10 and sum(embed_chars(e) for e in few["embeds"]) <= 6000


def test_slack_batch_stays_within_50_blocks() -> None:
    many = [msg(key=str(i)) for i in range(10)]
    payload = slack_webhook.build_payload(many, slack_webhook.Options(url=Secret("u" * 8)))
    assert len(payload["blocks"]) <= 50 and payload["blocks"][0]["type"] == "header"


def test_generic_webhook_body_is_the_event_with_a_schema_and_a_signature() -> None:
    body = webhook.build_payload([msg()], webhook.Options(url=Secret("u" * 8)))
    assert b'"schema": "releasewatch.event/1"' in body and b'"kind": "github.repo_created"' in body
    assert webhook.signature("s3cr3t", b"{}") == (
        "sha256=" + __import__("hmac").new(b"s3cr3t", b"{}", "sha256").hexdigest())


def test_fit_lines_never_exceeds_the_limit() -> None:
    for limit in (1, 5, 20, 37, 100):
        for lines in (["a" * 50], ["a"] * 30, ["abc", "d" * 200, "e"]):
            assert len(fit_lines(lines, limit)) <= limit


def test_routing_rules_all_must_allow() -> None:
    both = NotifierConfig("n", "console", None, None,  # type: ignore[arg-type]
                          watches=("deepseek-*",), events=("hf.*", "catalog.*"))
    assert both.allows("deepseek-hf", "hf.weights_published")
    assert not both.allows("qwen-hf", "hf.weights_published")
    assert not both.allows("deepseek-org", "github.repo_created")
    assert NotifierConfig("n", "console", None, None).allows("x", "y.z")  # type: ignore[arg-type]
