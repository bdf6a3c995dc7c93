"""The notifier contract, and the text fitting every chat needs (cut at a line, never rejected)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from .errors import RetryLater, UpstreamUnreachable
from .http import HttpClient
from .models import Message
from .options import Options as BaseOptions
from .watching import Endpoints


@dataclass(frozen=True)
class SendContext:
    """What a send may use besides its options and payload."""

    http: HttpClient
    endpoints: Endpoints
    key: str
    """Stable for the outbox rows in this payload: the event's id for one event, a digest of
    the rows for a batch; the same rows retried give the same key."""


class Notifier(Protocol):
    """A notifier module: KIND, MAX_BATCH, Options, build_payload and send.

    `send` returns nothing, or the seconds to hold the next send (a bucket said Remaining 0);
    it raises RetryLater (429, 5xx, timeout) or PermanentDeliveryError (4xx that cannot succeed).
    """

    KIND: str
    MAX_BATCH: int
    Options: type[BaseOptions]

    def build_payload(self, msgs: list[Message], opts: BaseOptions) -> Any: ...

    async def send(self, ctx: SendContext, opts: BaseOptions, payload: Any) -> float | None: ...


async def post(ctx: SendContext, url: str, chat: str, **request: Any) -> httpx.Response:
    """One delivery attempt. No client retries and no upstream rate-limit bookkeeping: the
    dispatcher owns both. No answer at all (timeout, refused) is "retry later"."""
    try:
        return await ctx.http.send("POST", url, retries=0, rate_limits=False, **request)
    except UpstreamUnreachable as exc:
        raise RetryLater(f"{chat} unreachable: {exc.detail}") from None


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending in '…' when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def more_lines(n: int) -> str:
    return f"… {n} more line{'s' if n != 1 else ''}"


def fit_lines(lines: list[str], limit: int) -> str:
    """Join lines within `limit`, cutting at a line boundary with '… 37 more lines'."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    n, used, best = len(lines), -1, 0
    for k, line in enumerate(lines, start=1):
        used += len(line) + 1
        if used + 1 + len(more_lines(n - k)) > limit:
            break
        best = k
    if best:
        return "\n".join(lines[:best]) + "\n" + more_lines(n - best)
    tail = more_lines(n - 1)
    if n == 1 or limit < len(tail) + 3:
        return cut(text, limit)
    return cut(lines[0], limit - len(tail) - 1) + "\n" + tail


def source_of(kind: str) -> str:
    """'hf.weights_published' -> 'hf'."""
    return kind.partition(".")[0]


def event_json(msg: Message) -> dict[str, Any]:
    """The public JSON form of an event (the generic webhook's body; schema in the README)."""
    return {
        "schema": "releasewatch.event/1",
        "id": msg.key,
        "kind": msg.kind,
        "severity": msg.severity,
        "watch": msg.watch_id,
        "subject": msg.subject,
        "title": msg.title,
        "url": msg.url,
        "diff": list(msg.lines),
        "before": msg.before,
        "after": msg.after,
        "detected_at": msg.detected_at.isoformat().replace("+00:00", "Z"),
    }
