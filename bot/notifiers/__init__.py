"""Notifier registry: one module per chat kind (see bot/notifying.py for the contract).
Modules whose name starts with `_` hold code shared by several notifiers."""

from __future__ import annotations

from types import ModuleType

from . import console, discord_bot, discord_webhook, slack_webhook, webhook

NOTIFIERS: dict[str, ModuleType] = {
    m.KIND: m for m in (console, discord_webhook, discord_bot, slack_webhook, webhook)}
