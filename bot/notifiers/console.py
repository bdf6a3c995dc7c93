"""Prints each message to stdout: the notifier that works before any chat is configured."""

from __future__ import annotations

import sys
from typing import Any

from ..http import HttpClient
from ..models import Message
from ..options import Options as BaseOptions
from ..render import as_text

KIND = "console"


class Options(BaseOptions):
    pass


def build_payload(msg: Message, opts: Options) -> str:
    stamp = msg.detected_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"[{stamp}] [{msg.watch_id}] {as_text(msg)}\n"


async def send(http: HttpClient, opts: Options, payload: Any, *, key: str) -> None:
    sys.stdout.write(payload)
    sys.stdout.flush()
