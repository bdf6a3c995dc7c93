"""releasewatch engine. Watchers and notifiers import only from here."""

from __future__ import annotations

__version__ = "0.1.0"

from .describe import changed_lines, excerpt, field_line, show  # noqa: E402
from .errors import (  # noqa: E402
    ConfigError,
    DeliveryError,
    ParseError,
    PermanentDeliveryError,
    ReleasewatchError,
    RetryLater,
    UpstreamHTTPError,
    UpstreamRateLimited,
    UpstreamUnreachable,
    WatcherError,
)
from .http import HttpClient, Page, PollHttp  # noqa: E402
from .models import Change, Event, EventDraft, Fetched, Fields, Message, Records  # noqa: E402
from .options import Options, SecretStr  # noqa: E402
from .secrets import Secret, redact_url  # noqa: E402
from .watching import Endpoints, WatchContext  # noqa: E402

__all__ = [
    "Change", "ConfigError", "DeliveryError", "Endpoints", "Event", "EventDraft", "Fetched",
    "Fields", "HttpClient", "Message", "Options", "Page", "ParseError", "PermanentDeliveryError",
    "PollHttp", "Records", "ReleasewatchError", "RetryLater", "Secret", "SecretStr",
    "UpstreamHTTPError", "UpstreamRateLimited", "UpstreamUnreachable", "WatchContext",
    "WatcherError", "changed_lines", "excerpt", "field_line", "redact_url", "show",
]
