"""The status model as each chat shows it: a Discord embed and Slack blocks, same content as the
CLI, upstream text escaped like messages are."""

from __future__ import annotations

from typing import Any

from .notifiers._discord import safe
from .notifiers.slack_webhook import escape
from .notifying import cut, fit_lines
from .status import Health, notifier_line, watch_detail, watch_line


def summary(health: Health) -> str:
    failing = [w for w in health.watches if not w.ok]
    p = health.process
    head = "all watches ok" if not failing else \
        f"{len(failing)} of {len(health.watches)} watches need attention"
    return f"releasewatch {p.version}: {head}"


def _lines(health: Health, watch_id: str | None, timezone: str) -> list[str] | None:
    if watch_id:
        watch = health.watch(watch_id)
        return watch_detail(watch, timezone) if watch else None
    return [watch_line(w, timezone) for w in health.watches] or ["no watches configured"]


def discord_embed(health: Health, watch_id: str | None = None,
                  timezone: str = "UTC") -> dict[str, Any]:
    lines = _lines(health, watch_id, timezone)
    if lines is None:
        return {"title": "releasewatch status",
                "description": f"No watch named {safe(watch_id or '')}."}
    embed: dict[str, Any] = {
        "title": cut(summary(health), 256),
        "description": fit_lines([safe(line) for line in lines], 4096),
        "color": 0x16A34A if health.ok else 0xE11D48,
    }
    if not watch_id and health.notifiers:
        embed["fields"] = [{"name": "Notifiers", "value": fit_lines(
            [safe(notifier_line(n, timezone)) for n in health.notifiers], 1024)}]
    p = health.process
    embed["footer"] = {"text": cut(f"database {p.database} · "
                                   + ("running" if p.running else "not running"), 2048)}
    return embed


def slack_response(health: Health, watch_id: str | None = None, timezone: str = "UTC", *,
                   public: bool = False) -> dict[str, Any]:
    lines = _lines(health, watch_id, timezone)
    kind = "in_channel" if public else "ephemeral"
    if lines is None:
        return {"response_type": "ephemeral", "text": f"No watch named {escape(watch_id or '')}."}
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(summary(health), 150)}},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": fit_lines([escape(x) for x in lines], 3000)}}]
    if not watch_id and health.notifiers:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": cut(escape(notifier_line(n, timezone)), 300)}
            for n in health.notifiers[:10]]})
    return {"response_type": kind, "text": escape(summary(health)), "blocks": blocks}


def poll_reply(watch_id: str, ok: bool, events: int, error: str | None, baseline: bool) -> str:
    if not ok:
        return f"{watch_id}: poll failed: {error}"
    if baseline:
        return f"{watch_id}: baseline recorded; changes from now on are posted"
    return f"{watch_id}: polled, {events} new event(s)"
