"""`python -m bench.rwshim <releasewatch arguments>`: the real `releasewatch` command (bot.cli.main)
with two test-harness settings applied from outside the bot's code:

- discord.py's API base (hard-coded to discord.com, used by the `discord_bot` notifier's /status
  bot under `run`) is pointed at RW_SHIM_DISCORD_BASE, so a chaos run never leaves loopback;
- when RW_SHIM_MAX_PAGES_FILE is set, every SQLite connection the bot opens gets
  `PRAGMA max_page_count` from that file (a full disk without a mount), and SIGUSR1 re-reads it
  ("space returns") for the connections already open.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import weakref
from pathlib import Path
from typing import Any


def _limit_pages() -> None:
    path = os.environ.get("RW_SHIM_MAX_PAGES_FILE")
    if not path:
        return
    connections: weakref.WeakSet[Any] = weakref.WeakSet()
    connect = sqlite3.connect

    def apply(conn: Any) -> None:
        try:
            pages = int(Path(path).read_text().strip() or 0)
        except (OSError, ValueError):
            return
        if pages > 0:
            conn.execute(f"PRAGMA max_page_count = {pages}")

    class Tracked(sqlite3.Connection):
        pass

    def limited(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("factory", Tracked)
        conn = connect(*args, **kwargs)
        apply(conn)
        connections.add(conn)
        return conn

    def on_usr1(signum: int, frame: Any) -> None:
        for conn in list(connections):
            try:
                apply(conn)
            except sqlite3.Error:
                pass

    sqlite3.connect = limited
    signal.signal(signal.SIGUSR1, on_usr1)


def _discord_base() -> None:
    base = os.environ.get("RW_SHIM_DISCORD_BASE")
    if not base:
        return
    import discord.http

    discord.http.Route.BASE = base


def main() -> int:
    _limit_pages()
    _discord_base()
    from bot.cli import main as releasewatch

    return releasewatch(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
