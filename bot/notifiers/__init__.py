"""Notifier registry: one module per chat kind with KIND, Options, build_payload and send.

`send` raises RetryLater (429, 5xx, timeout) or PermanentDeliveryError (other 4xx); the
dispatcher owns ordering, backoff and bookkeeping."""

from __future__ import annotations

from types import ModuleType

from . import console, discord_webhook

NOTIFIERS: dict[str, ModuleType] = {m.KIND: m for m in (console, discord_webhook)}
