"""Secrets that cannot leak by accident: str() and repr() are '***', and every value is redacted
from log records and stored text by `redact()`."""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_lock = threading.Lock()
_known: set[str] = set()
_SECRET_PARAMS = re.compile(
    r"(^|[_-])(token|key|apikey|secret|password|passwd|sig|signature|auth|authorization|"
    r"credentials?|code)$", re.I)  # whole names: `author` and `keyword` are not secrets


class Secret:
    """A value read from the environment that must never be shown."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register(value)

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return "***"

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def register(value: str) -> None:
    """Remember a value so `redact` removes it wherever it shows up."""
    if value and len(value) >= 4:
        with _lock:
            _known.add(value)


def known_secrets() -> frozenset[str]:
    with _lock:
        return frozenset(_known)


def redact(text: str) -> str:
    """Replace every registered secret in `text` by '***'."""
    for value in sorted(known_secrets(), key=len, reverse=True):
        if value in text:
            text = text.replace(value, "***")
    return text


def redact_url(url: str) -> str:
    """A URL safe to log or store: no userinfo, no secret-looking query values, no known secret."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    query = urlencode(
        [(k, "***" if _SECRET_PARAMS.search(k) else v) for k, v in parse_qsl(parts.query, True)],
        safe="*")
    return redact(urlunsplit((parts.scheme, netloc, parts.path, query, "")))


class RedactingFilter:
    """A logging filter that scrubs known secrets from every record it sees."""

    def filter(self, record: Any) -> bool:
        if known_secrets():
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True
