"""Discord incoming webhook: one embed per event, no mentions, retry-after honoured."""

from __future__ import annotations

from typing import Any

from ..clock import iso
from ..errors import PermanentDeliveryError, RetryLater, UpstreamUnreachable
from ..http import HttpClient
from ..models import Message
from ..options import Options as BaseOptions
from ..options import SecretStr

KIND = "discord_webhook"
NO_MENTIONS: dict[str, list[str]] = {"parse": []}


class Options(BaseOptions):
    url: SecretStr
    username: str | None = None
    avatar_url: str | None = None


def _clean(text: str, limit: int) -> str:
    """Disarm mass mentions even if a client ignores allowed_mentions, and meet the limit."""
    text = text.replace("@everyone", "@\u200beveryone").replace("@here", "@\u200bhere").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_payload(msg: Message, opts: Options) -> dict[str, Any]:
    embed: dict[str, Any] = {
        "title": _clean(msg.title, 256),
        "description": _clean("\n".join(msg.lines), 4096) or None,
        "footer": {"text": _clean(f"{msg.watch_id} · {msg.kind}", 2048)},
        "timestamp": iso(msg.detected_at),
    }
    if msg.url:
        embed["url"] = msg.url
    payload: dict[str, Any] = {"embeds": [{k: v for k, v in embed.items() if v is not None}],
                               "allowed_mentions": NO_MENTIONS}
    if opts.username:
        payload["username"] = opts.username[:80]
    if opts.avatar_url:
        payload["avatar_url"] = opts.avatar_url
    return payload


async def send(http: HttpClient, opts: Options, payload: Any, *, key: str) -> None:
    try:
        response = await http.send("POST", opts.url.reveal(), params={"wait": "true"},
                                   json_body=payload, retries=0, rate_limits=False)
    except UpstreamUnreachable as exc:
        raise RetryLater(f"Discord unreachable: {exc.detail}") from None
    status = response.status_code
    if response.is_success:
        return
    body = _json(response)
    if status == 429:
        after = body.get("retry_after") or response.headers.get("retry-after")
        raise RetryLater("Discord rate limit (429)", float(after) if after else None)
    if status >= 500:
        raise RetryLater(f"Discord answered {status}")
    raise PermanentDeliveryError(
        f"Discord answered {status}: {body.get('message', '')} (code {body.get('code')})", status)


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
