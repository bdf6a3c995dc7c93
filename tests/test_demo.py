"""`make demo` as a test: the launch story, headless; every expected message arrives exactly once
in Discord and in Slack."""

from __future__ import annotations

from demo.launch import replay


async def test_the_launch_story_delivers_every_message_exactly_once() -> None:
    shown: list[str] = []
    report = await replay(shown.append)
    assert report.discord == report.expected, report.discord
    assert report.slack == report.expected, report.slack
    assert report.expected["hf.weights_published"] == 1  # 211 shards, one message
    text = "\n".join(shown)
    assert "deepseek-chat: context length 128K → 1M" in text
    assert "1M context, $0.14 / $0.28 per 1M tokens, text+image → text" in text
    assert "211 safetensors shards" in text and "16 per token" in text and "licence MIT" in text
    assert "✅ deepseek-hf: ok" in report.status
