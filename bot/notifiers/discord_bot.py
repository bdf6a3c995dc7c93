"""Discord as a bot: posts through the REST API with a nonce, so a retry after a lost response
within Discord's nonce window cannot create a second message."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import field_validator

from ..models import Message
from ..notifying import SendContext, post
from ..options import Options as BaseOptions, SecretStr
from . import _discord

KIND = "discord_bot"
MAX_BATCH = _discord.MAX_BATCH


class Options(BaseOptions):
    mention: str | None = None
    """Pinged on high-severity events only, e.g. "<@&123456789012345678>" for a role."""
    token: SecretStr
    channel_id: str
    guild_ids: list[int] = []
    """Sync the slash commands to these guilds at once (global commands can take a while)."""
    status_public: bool = False
    admins: list[str] = []
    """Discord user ids allowed to run /poll."""

    _mention = field_validator("mention")(_discord.valid_mention)


def build_payload(msgs: list[Message], opts: Options) -> dict[str, Any]:
    payload = {"embeds": _discord.embeds(msgs), "allowed_mentions": _discord.NO_MENTIONS}
    _discord.with_mention(payload, msgs, opts.mention)
    return payload


def nonce(key: str) -> str:
    """≤25 characters, the same for the same outbox rows."""
    return hashlib.sha256(key.encode()).hexdigest()[:25]


async def send(ctx: SendContext, opts: Options, payload: Any) -> float | None:
    url = f"{ctx.endpoints.discord}/channels/{opts.channel_id}/messages"
    body = {**payload, "nonce": nonce(ctx.key), "enforce_nonce": True}
    response = await post(ctx, url, "Discord", json_body=body,
                          headers={"Authorization": f"Bot {opts.token.reveal()}"})
    return _discord.check(response)
