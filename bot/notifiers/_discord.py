"""What Discord's webhook and bot notifiers share: embeds within every limit, upstream text that
cannot ping or break the layout, and Discord's answers mapped to retry / fail."""

from __future__ import annotations

import re
from typing import Any

import httpx
from discord.utils import escape_markdown

from ..clock import iso
from ..errors import PermanentDeliveryError, RetryLater
from ..models import Message
from ..notifying import cut, fit_lines, source_of

NO_MENTIONS: dict[str, list[str]] = {"parse": []}
TOTAL_LIMIT, TITLE, DESCRIPTION, FOOTER, MAX_EMBEDS = 6000, 256, 4096, 2048, 10
MAX_BATCH = 30
COLOURS = {"github": 0x24292F, "hf": 0xFFD21E, "docs": 0x3B82F6, "changelog": 0x3B82F6,
           "page": 0x64748B, "feed": 0xF97316, "catalog": 0x8B5CF6, "health": 0xE11D48}


def safe(text: str) -> str:
    """Upstream text as plain text: markdown escaped, mentions and channel links disarmed."""
    text = escape_markdown(text)
    return text.replace("@", "@\u200b").replace("<#", "<\u200b#")


def embed(msg: Message, budget: int = TOTAL_LIMIT) -> dict[str, Any]:
    """One event as an embed of at most `budget` characters (title + description + footer)."""
    title = cut(safe(msg.title), min(TITLE, max(16, budget // 3)))
    footer = cut(f"{msg.watch_id} · {msg.kind}", min(FOOTER, 120))
    room = min(DESCRIPTION, budget - len(title) - len(footer))
    lines = [safe(line) for line in msg.lines]
    if msg.url and len(lines) > 1:
        lines.append(f"[link]({msg.url})")
    out: dict[str, Any] = {
        "title": title,
        "color": COLOURS.get(source_of(msg.kind), 0x94A3B8),
        "footer": {"text": footer},
        "timestamp": iso(msg.detected_at),
    }
    description = fit_lines(lines, room) if room > 0 else ""
    if description:
        out["description"] = description
    if msg.url:
        out["url"] = msg.url
    return out


def embeds(msgs: list[Message]) -> list[dict[str, Any]]:
    """Up to 10 events as one embed each; a bigger flood packs several events per embed, so a
    digest of up to MAX_BATCH events is still one message within the 6000-character total."""
    if len(msgs) <= MAX_EMBEDS:
        budget = TOTAL_LIMIT // len(msgs) - 10
        return [embed(m, budget) for m in msgs]
    per = -(-len(msgs) // MAX_EMBEDS)
    groups = [msgs[i:i + per] for i in range(0, len(msgs), per)]
    return [digest(g, TOTAL_LIMIT // len(groups) - 10) for g in groups]


def digest(msgs: list[Message], budget: int) -> dict[str, Any]:
    """Several events in one embed: a linked title and the first diff line each."""
    footer = cut(" · ".join(sorted({m.watch_id for m in msgs})), 100)
    title = f"{len(msgs)} updates"
    lines = []
    for m in msgs:
        head = f"**[{safe(m.title)}]({m.url})**" if m.url else f"**{safe(m.title)}**"
        lines.append(head + (f"\n{safe(m.lines[0])}" if m.lines else ""))
    room = min(DESCRIPTION, budget - len(title) - len(footer))
    return {"title": title, "description": fit_lines(lines, room),
            "color": COLOURS.get(source_of(msgs[0].kind), 0x94A3B8),
            "footer": {"text": footer}, "timestamp": iso(msgs[-1].detected_at)}


_MENTION = re.compile(r"^<@(&?)(\d{5,25})>$")


def valid_mention(value: str | None) -> str | None:
    """A role or user mention like '<@&123…>' (pydantic validator for the `mention` option)."""
    if value is not None and not _MENTION.match(value):
        raise ValueError("must be a role mention like \"<@&123456789012345678>\" "
                         "or a user mention like \"<@123456789012345678>\"")
    return value


def with_mention(payload: dict[str, Any], msgs: list[Message], mention: str | None) -> None:
    """High events ping exactly the configured role or user; nothing else can ping."""
    if not mention or not any(m.severity == "high" for m in msgs):
        return
    m = _MENTION.match(mention)
    assert m is not None
    payload["content"] = mention
    payload["allowed_mentions"] = {"parse": [], "roles" if m.group(1) else "users": [m.group(2)]}


def check(response: httpx.Response) -> float | None:
    """Map Discord's answer: ok (maybe with a wait for the bucket), retry later, or failed."""
    status = response.status_code
    if response.is_success:
        if response.headers.get("x-ratelimit-remaining") == "0":
            after = response.headers.get("x-ratelimit-reset-after")
            return float(after) if after else None
        return None
    body = _json(response)
    if status == 429:
        after = body.get("retry_after") or response.headers.get("retry-after")
        raise RetryLater("Discord rate limit (429)", float(after) if after else None)
    if status >= 500:
        raise RetryLater(f"Discord answered {status}")
    detail = str(body.get("message", "")) or response.text[:200]
    raise PermanentDeliveryError(
        f"Discord answered {status}: {detail} (code {body.get('code')})", status)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
