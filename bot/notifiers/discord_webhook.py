"""Discord incoming webhook: embeds coloured by source, no mentions, retry-after honoured."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from ..models import Message
from ..notifying import SendContext, post
from ..options import Options as BaseOptions, SecretStr
from . import _discord

KIND = "discord_webhook"
MAX_BATCH = _discord.MAX_BATCH


class Options(BaseOptions):
    mention: str | None = None
    """Pinged on high-severity events only, e.g. "<@&123456789012345678>" for a role."""
    url: SecretStr
    username: str | None = None
    avatar_url: str | None = None
    thread_id: str | None = None

    _mention = field_validator("mention")(_discord.valid_mention)


def build_payload(msgs: list[Message], opts: Options) -> dict[str, Any]:
    payload: dict[str, Any] = {"embeds": _discord.embeds(msgs),
                               "allowed_mentions": _discord.NO_MENTIONS}
    if opts.username:
        payload["username"] = opts.username[:80]
    if opts.avatar_url:
        payload["avatar_url"] = opts.avatar_url
    _discord.with_mention(payload, msgs, opts.mention)
    return payload


async def send(ctx: SendContext, opts: Options, payload: Any) -> float | None:
    params = {"wait": "true"}
    if opts.thread_id:
        params["thread_id"] = opts.thread_id
    response = await post(ctx, opts.url.reveal(), "Discord", params=params, json_body=payload)
    return _discord.check(response)
