"""Slack slash commands: signature verification and the `status` / `poll` commands."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from .status import Health
from .status_views import slack_response

MAX_BODY = 64 * 1024
MAX_SKEW = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str | None, body: bytes, given: str | None,
           now: float) -> str | None:
    """None if the request is Slack's and fresh, else why not."""
    if not timestamp or not given:
        return "missing signature headers"
    if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_SKEW:
        return "stale or invalid timestamp"
    if not hmac.compare_digest(signature(secret, timestamp, body), given):
        return "bad signature"
    return None


async def answer(body: bytes, *, health: Callable[[], Health], timezone: str, public: bool,
                 admins: tuple[str, ...], poll: Callable[[str], Awaitable[str]],
                 watches: list[str]) -> dict[str, Any]:
    """The reply to one verified command: `status [watch]`, `poll <watch>`, or help."""
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    words = form.get("text", "").split()
    verb = words[0].lower() if words else "status"
    if verb not in ("status", "poll", "help") and form.get("command", "").lstrip("/") == "status":
        words, verb = ["status", *words], "status"  # `/status deepseek-org`
    if verb == "status":
        return slack_response(health(), words[1] if len(words) > 1 else None, timezone,
                              public=public)
    if verb == "poll":
        if form.get("user_id") not in admins:
            return {"response_type": "ephemeral", "text": "Not allowed: only admins can poll."}
        if len(words) < 2 or words[1] not in watches:
            return {"response_type": "ephemeral",
                    "text": f"Usage: poll <watch>; watches: {', '.join(watches)}"}
        return {"response_type": "ephemeral", "text": await poll(words[1])}
    return {"response_type": "ephemeral",
            "text": "Commands: `status [watch]`, `poll <watch>` (admins)."}
