"""Typed errors, so callers decide by class (retry, hold, fail) and never by parsing strings.

    ReleasewatchError
    ├── ConfigError(path, entry, key, reason)      refused before anything starts (exit 2)
    ├── DatabaseError(reason)                       store unusable: newer schema, locked (exit 3)
    ├── WatcherError(reason)                        a failed poll: snapshot kept, reason on status
    │   ├── UpstreamHTTPError(status, url, detail)  non-2xx answer, URL already redacted
    │   ├── UpstreamUnreachable(url, detail)        timeout, DNS, refused connection
    │   ├── UpstreamRateLimited(host, until)        no request is sent to host before `until`
    │   └── ParseError(reason)                      body did not have the expected shape
    └── DeliveryError(notifier, reason)
        ├── RetryLater(after_s)                     429 / 5xx / timeout: the row waits, never drops
        └── PermanentDeliveryError(status)          other 4xx: the row is marked failed

Messages never contain secrets: URLs are redacted before they reach an error.
"""

from __future__ import annotations

from datetime import datetime


class ReleasewatchError(Exception):
    """Base of every error releasewatch raises on purpose."""


class ConfigError(ReleasewatchError):
    """A config problem, located as `file: entry: key`."""

    def __init__(self, path: str, entry: str | None, key: str | None, reason: str) -> None:
        self.path, self.entry, self.key, self.reason = path, entry, key, reason
        super().__init__(": ".join(p for p in (path, entry, reason) if p))


class ConfigErrors(ReleasewatchError):
    """Every problem found in one config file, reported together."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class DatabaseError(ReleasewatchError):
    """The database cannot be used by this process."""


class WatcherError(ReleasewatchError):
    """A poll failed; the reason is shown on status as it is."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class UpstreamHTTPError(WatcherError):
    """The upstream answered with an error status."""

    def __init__(self, status: int, url: str, detail: str = "", error_code: str | None = None):
        self.status, self.url, self.detail, self.error_code = status, url, detail, error_code
        text = f"HTTP {status} from {url}"
        super().__init__(f"{text}: {detail}" if detail else text)


class UpstreamUnreachable(WatcherError):
    """No answer at all: timeout, DNS failure, refused connection."""

    def __init__(self, url: str, detail: str) -> None:
        self.url, self.detail = url, detail
        super().__init__(f"cannot reach {url}: {detail}")


class UpstreamRateLimited(WatcherError):
    """The host said stop; nothing is sent to it before `until`."""

    def __init__(self, host: str, until: datetime) -> None:
        self.host, self.until = host, until
        super().__init__(f"rate limited by {host} until {until:%Y-%m-%d %H:%M:%S} UTC")


class ParseError(WatcherError):
    """The body did not have the shape the watcher expects."""


class DeliveryError(ReleasewatchError):
    """A notifier could not deliver a message."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class RetryLater(DeliveryError):
    """Try again later; `after_s` is the chat's own wait when it gave one."""

    def __init__(self, reason: str, after_s: float | None = None) -> None:
        self.after_s = after_s
        super().__init__(reason)


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (unknown webhook, bad token, rejected payload)."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(reason)
