"""Slack incoming webhook: Block Kit (header, diff in mrkdwn, context) with a text fallback."""

from __future__ import annotations

from typing import Any

from ..errors import PermanentDeliveryError, RetryLater
from ..models import Message
from ..notifying import SendContext, cut, fit_lines, post
from ..options import Options as BaseOptions, SecretStr

KIND = "slack_webhook"
MAX_BATCH = 16  # three blocks per event: 48 of Slack's 50
HEADER, SECTION, TEXT, BLOCKS = 150, 3000, 3000, 50


class Options(BaseOptions):
    url: SecretStr


def escape(text: str) -> str:
    """Slack's three control characters; this alone disarms <!channel> and <@U123>."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def blocks_for(msg: Message, section_limit: int = SECTION) -> list[dict[str, Any]]:
    lines = [escape(line) for line in msg.lines]
    if msg.url:
        lines.append(f"<{escape(msg.url)}|Open>")
    stamp = msg.detected_at.strftime("%Y-%m-%d %H:%M UTC")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(msg.title, HEADER)}}]
    if lines:
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": fit_lines(lines, section_limit)}})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": escape(cut(f"{msg.watch_id} · {msg.kind} · {stamp}", 300))}]})
    return blocks


def build_payload(msgs: list[Message], opts: Options) -> dict[str, Any]:
    batch = msgs[:MAX_BATCH]
    limit = SECTION if len(batch) == 1 else 500  # keep a batch under ~13k characters in all
    blocks = [b for m in batch for b in blocks_for(m, limit)][:BLOCKS]
    text = "; ".join(escape(m.title) for m in batch)
    return {"text": cut(text, TEXT), "blocks": blocks}


async def send(ctx: SendContext, opts: Options, payload: Any) -> float | None:
    response = await post(ctx, opts.url.reveal(), "Slack", json_body=payload)
    status, body = response.status_code, response.text.strip()[:200]
    if response.is_success:
        return None
    if status == 429:
        after = response.headers.get("retry-after")
        raise RetryLater("Slack rate limit (429)", float(after) if after else None)
    if status >= 500:
        raise RetryLater(f"Slack answered {status}: {body}")
    raise PermanentDeliveryError(f"Slack answered {status}: {body}", status)
