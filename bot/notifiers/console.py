"""Prints each message to stdout: the notifier that works before any chat is configured."""

from __future__ import annotations

import sys
from typing import Any

from ..models import Message
from ..notifying import SendContext
from ..options import Options as BaseOptions
from ..render import as_text

KIND = "console"
MAX_BATCH = 50


class Options(BaseOptions):
    pass


def build_payload(msgs: list[Message], opts: Options) -> str:
    return "".join(f"[{m.detected_at:%Y-%m-%d %H:%M UTC}] [{m.watch_id}] {as_text(m)}\n"
                   for m in msgs)


async def send(ctx: SendContext, opts: Options, payload: Any) -> float | None:
    sys.stdout.write(payload)
    sys.stdout.flush()
    return None
