"""A static web host on 127.0.0.1 for the page watchers: named pages served from memory the way a
docs site or CDN serves them (Content-Type with or without a charset, a strong ETag and
Last-Modified, 304 on a match, 404 as an HTML page, 429 with Retry-After when rate limited)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, ClassVar

from aiohttp import web

from .upstream import FakeUpstream

NOT_FOUND = ("<!DOCTYPE html><html><head><title>Page Not Found</title></head><body><main>"
             "<h1>Page Not Found</h1><p>We could not find what you were looking for.</p>"
             "</main></body></html>")
SERVER_ERROR = ("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
                "</center></body></html>")
TOO_MANY = ("<html><head><title>429 Too Many Requests</title></head><body><h1>429 Too Many Requests</h1>"
            "</body></html>")


@dataclass
class Served:
    body: bytes
    content_type: str
    modified: datetime
    etag: str
    validators: bool


class FakePages(FakeUpstream):
    """Pages by path (the query string is ignored, as a static host does): `set_page` stores a
    body, `remove_page` makes it 404, `set_huge` serves an oversized body, `limit_rate` answers
    429 with Retry-After, `fail_next` (inherited) injects errors."""

    control_ops: ClassVar[tuple[str, ...]] = (
        *FakeUpstream.control_ops, "set_page", "remove_page", "set_huge", "limit_rate")
    failure_body: ClassVar[Any] = SERVER_ERROR
    epoch: ClassVar[datetime] = datetime(2025, 9, 29, 8, 0, tzinfo=UTC)

    def __init__(self) -> None:
        super().__init__()
        self._wipe()

    def _wipe(self) -> None:
        self._pages: dict[str, Served] = {}
        self._clock = self.epoch
        self._limited = 0
        self._retry_after = 60

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self._wipe()

    # -- control API -------------------------------------------------------------------------

    def set_page(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8",
                 *, validators: bool = True) -> str:
        """Serve `body` at `path`; a str is encoded with the charset named in `content_type`
        (UTF-8 if none). Returns the page's URL. Setting the same bytes again changes nothing
        (same ETag and Last-Modified), as a static host does."""
        raw = body if isinstance(body, bytes) else body.encode(_charset(content_type))
        with self.lock:
            old = self._pages.get(path)
            if old is None or old.body != raw or old.content_type != content_type:
                self._clock += timedelta(minutes=1)
                etag = '"' + hashlib.sha256(raw).hexdigest()[:24] + '"'
                self._pages[path] = Served(raw, content_type, self._clock, etag, validators)
        return self.url + path

    def remove_page(self, path: str) -> None:
        with self.lock:
            self._pages.pop(path, None)

    def set_huge(self, path: str, n_bytes: int, content_type: str = "text/html; charset=utf-8") -> str:
        """A real-looking page padded to `n_bytes` (a runaway export, a data dump behind a docs URL)."""
        row = b"<tr><td>deepseek-chat</td><td>128K</td><td>$0.28</td></tr>\n"
        head = b"<!DOCTYPE html><html><body><table>\n"
        body = head + row * ((n_bytes - len(head)) // len(row) + 1)
        return self.set_page(path, body[:n_bytes], content_type)

    def limit_rate(self, n: int = 1, retry_after: int = 60) -> None:
        """The next `n` requests answer 429 with `Retry-After: retry_after`."""
        with self.lock:
            self._limited, self._retry_after = n, retry_after

    # -- serving -----------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_route("GET", "/{tail:.*}", self._answer_page)
        router.add_route("HEAD", "/{tail:.*}", self._answer_page)

    async def _answer_page(self, request: web.Request) -> web.Response:
        with self.lock:
            if self._limited > 0:
                self._limited -= 1
                return web.Response(status=429, text=TOO_MANY, content_type="text/html",
                                    headers={"Retry-After": str(self._retry_after)})
            page = self._pages.get(request.path)
        if page is None:
            return web.Response(status=404, text=NOT_FOUND, content_type="text/html")
        headers = {"Content-Type": page.content_type, "Cache-Control": "public, max-age=0, must-revalidate"}
        if page.validators:
            headers["ETag"] = page.etag
            headers["Last-Modified"] = format_datetime(page.modified, usegmt=True)
            if _not_modified(request, page):
                return web.Response(status=304, headers=headers)
        return web.Response(status=200, body=page.body, headers=headers)


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


def _not_modified(request: web.Request, page: Served) -> bool:
    """RFC 9110: If-None-Match wins when present; If-Modified-Since is second-resolution."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or page.etag in tags
    since = request.headers.get("If-Modified-Since")
    if not since:
        return False
    try:
        return page.modified <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
