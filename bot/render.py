"""Event -> Message: the chat-neutral reading of an event that every notifier formats its own way."""

from __future__ import annotations

from .models import Event, Message


def render(event: Event) -> Message:
    return Message(title=event.title, lines=list(event.diff), url=event.url, kind=event.kind,
                   watch_id=event.watch_id, subject=event.subject,
                   detected_at=event.detected_at, key=event.dedup_key,
                   severity=event.severity, before=event.before,
                   after=event.after)


def as_text(msg: Message) -> str:
    """Plain text: title, one diff line per line, then the link."""
    parts = [msg.title, *(f"  {line}" for line in msg.lines)]
    if msg.url:
        parts.append(f"  {msg.url}")
    return "\n".join(parts)
