"""The one HTTP client every watcher and notifier shares: conditional requests, per-host limits,
retries with backoff and rate-limit awareness live here, never in a watcher."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from . import __version__
from .clock import Clock
from .errors import ParseError, UpstreamHTTPError, UpstreamRateLimited, UpstreamUnreachable
from .secrets import RedactingFilter, Secret, redact, redact_url

log = logging.getLogger(__name__)
for _name in ("httpx", "httpcore"):  # they log full URLs, and a webhook URL is a secret
    logging.getLogger(_name).setLevel(logging.WARNING)
    logging.getLogger(_name).addFilter(RedactingFilter())

MAX_BODY_BYTES = 5_000_000
RETRY_STATUSES = frozenset({500, 502, 503, 504, 408})
_RATE_MESSAGES = ("api rate limit exceeded", "you have exceeded a secondary rate limit",
                  "you have triggered an abuse detection")
_HF_RATELIMIT = re.compile(r'(?:"([\w-]+)"\s*;\s*)?r=(\d+)\s*;\s*t=(\d+)')
_CHARSET = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


@dataclass(frozen=True)
class HostProfile:
    """Headers (and a token) sent to every URL under `base_url`: the engine owns auth, not watchers."""

    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    token: Secret | None = None


@dataclass(frozen=True)
class Validator:
    """What a 200 left behind for the next conditional request, body included so a 304 page
    of a multi-page listing can still be read when another page changed."""

    etag: str | None
    last_modified: str | None
    body: str
    link: str | None = None
    content_type: str | None = None


@dataclass
class Page:
    """One answered GET. `not_modified` pages carry the body stored with their validator."""

    url: str
    status: int
    text: str
    not_modified: bool
    link_header: str | None
    content_type: str = ""
    """The media type alone, lower case ('text/html'), without parameters."""

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError as exc:
            raise ParseError(f"invalid JSON from {redact_url(self.url)}: {exc}") from None

    def link(self, rel: str) -> str | None:
        """The URL of a `Link` relation (GitHub, Hub), to be followed verbatim."""
        for part in (self.link_header or "").split(","):
            m = re.match(r'\s*<([^>]+)>\s*;\s*rel="?([^";]+)"?', part)
            if m and m.group(2) == rel:
                return m.group(1)
        return None


class HttpClient:
    """Shared httpx.AsyncClient with the policies every upstream needs."""

    def __init__(self, clock: Clock, *, profiles: list[HostProfile] | None = None,
                 timeout: float = 20.0, per_host: int = 4, retries: int = 2,
                 backoff: float = 1.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.clock = clock
        self.profiles = sorted(profiles or [], key=lambda p: len(p.base_url), reverse=True)
        self.retries, self.backoff, self.per_host, self.timeout = retries, backoff, per_host, timeout
        self._client = httpx.AsyncClient(
            timeout=timeout, transport=transport, follow_redirects=True,
            headers={"User-Agent": f"releasewatch/{__version__}"},
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )
        self._host_limits: dict[str, asyncio.Semaphore] = {}
        self._blocked_until: dict[str, datetime] = {}

    async def aclose(self) -> None:
        await self._client.aclose()

    def blocked_until(self, url: str) -> datetime | None:
        """When the host (or the host's bucket this URL draws on) may be asked again."""
        host = _host(url)
        until = max((t for t in (self._blocked_until.get(host),
                                 self._blocked_until.get(f"{host}|{_bucket(url)}")) if t),
                    default=None)
        return until if until and until > self.clock.now() else None

    def for_poll(self, validators: dict[str, Validator] | None = None) -> PollHttp:
        return PollHttp(self, dict(validators or {}))

    async def send(self, method: str, url: str, *, params: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None, json_body: Any = None,
                   content: bytes | None = None, retries: int | None = None,
                   rate_limits: bool = True, max_bytes: int | None = None) -> httpx.Response:
        """One logical request: waits its turn per host, retries transient failures, honours
        rate limits. Returns any answered response; the caller judges the status. Notifiers
        pass `rate_limits=False`: a chat's 429 is a delivery matter, handled by the dispatcher."""
        host = _host(url)
        until = self.blocked_until(url) if rate_limits else None
        if until:
            raise UpstreamRateLimited(host, until)
        merged = self._headers_for(url)
        merged.update(headers or {})
        attempts = 1 + (self.retries if retries is None else retries)
        shown = redact_url(url)
        place = shown.split("?", 1)[0]  # where it failed, without the query's noise
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                async with self._limit(host):
                    request = self._client.build_request(
                        method, url, params=params, headers=merged, json=json_body, content=content)
                    response = await self._read(request, max_bytes, shown)
            except httpx.TimeoutException:
                if last:
                    raise UpstreamUnreachable(place, f"timed out after {self.timeout:g}s") from None
            except httpx.TransportError as exc:
                if last:
                    raise UpstreamUnreachable(place, redact(str(exc)) or type(exc).__name__) from None
            else:
                log.debug("%s %s -> %s", method, shown, response.status_code)
                if rate_limits:
                    self._note_rate_limit(host, response)
                if response.status_code not in RETRY_STATUSES or last:
                    return response
            await self.clock.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    async def _read(self, request: httpx.Request, max_bytes: int | None,
                    shown: str) -> httpx.Response:
        """Send and read the body, stopping as soon as it passes `max_bytes`, so a runaway
        response is refused without being held in memory."""
        response = await self._client.send(request, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if max_bytes and declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(shown, max_bytes)
            if declared.isdigit() and "content-encoding" not in response.headers:
                await response.aread()  # size known and within the limit: the fast path
                return response
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if max_bytes and size > max_bytes:
                    raise _too_large(shown, max_bytes)
                chunks.append(chunk)
        finally:
            await response.aclose()
        response._content = b"".join(chunks)  # what aread() sets: .content and .text work as usual
        return response

    def _headers_for(self, url: str) -> dict[str, str]:
        for profile in self.profiles:
            if url.startswith(profile.base_url):
                headers = dict(profile.headers)
                if profile.token:
                    headers["Authorization"] = f"Bearer {profile.token.reveal()}"
                return headers
        return {}

    def _limit(self, host: str) -> asyncio.Semaphore:
        if host not in self._host_limits:
            self._host_limits[host] = asyncio.Semaphore(self.per_host)
        return self._host_limits[host]

    def _note_rate_limit(self, host: str, response: httpx.Response) -> None:
        """Remember when a host said stop, so no request goes out before its reset. The Hub
        names its bucket (api, resolvers, pages): a spent file-download bucket does not stop
        listings."""
        until = _rate_limit_until(response, self.clock.now())
        if until is not None:
            named = _HF_RATELIMIT.search(response.headers.get("ratelimit", ""))
            bucket = named.group(1) if named and named.group(1) else None
            self._blocked_until[f"{host}|{bucket}" if bucket else host] = until
            log.info("%s rate limit reached; pausing requests until %s UTC", host,
                     f"{until:%H:%M:%S}")
            if response.status_code in (403, 429):
                raise UpstreamRateLimited(host, until)


class PollHttp:
    """The client as one poll sees it: it sends the validators stored for the watch and collects
    new ones, which the engine commits only if the poll is accepted (so a held or failed poll can
    never turn the next poll into a misleading 304)."""

    def __init__(self, client: HttpClient, validators: dict[str, Validator]) -> None:
        self.client = client
        self.validators = validators
        self.fresh: dict[str, Validator] = {}
        self.stale: set[str] = set()

    async def get(self, url: str, params: dict[str, Any] | None = None,
                  headers: dict[str, str] | None = None, *,
                  max_bytes: int = MAX_BODY_BYTES) -> Page:
        """GET with If-None-Match / If-Modified-Since; non-2xx raises UpstreamHTTPError, a body
        over `max_bytes` raises ParseError. The text is decoded by the declared charset, else a
        `<meta charset>` / XML declaration, else UTF-8, else Windows-1252."""
        full = _with_params(url, params)
        key = redact_url(full)
        known = self.validators.get(key)
        conditional = dict(headers or {})
        if known and known.etag:
            conditional["If-None-Match"] = known.etag
        if known and known.last_modified:
            conditional["If-Modified-Since"] = known.last_modified
        response = await self.client.send("GET", full, headers=conditional, max_bytes=max_bytes)
        if response.status_code == 304 and known:
            return Page(full, 304, known.body, True, known.link, known.content_type or "")
        if not response.is_success:
            raise _status_error(response, key)
        content_type = response.headers.get("content-type", "")
        text = decode(response.content, content_type)
        media = content_type.split(";")[0].strip().lower()
        link = response.headers.get("link")
        etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        if etag or modified:
            self.fresh[key] = Validator(etag, modified, text, link, media)
        else:
            self.stale.add(key)
        return Page(str(response.url), response.status_code, text, False, link, media)

    async def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return (await self.get(url, params)).json()

    def validator_changes(self) -> ValidatorChanges:
        """What the store must write if this poll is accepted: new validators, and those whose
        URL answered without one."""
        return ValidatorChanges(dict(self.fresh), {k for k in self.stale if k in self.validators})


@dataclass(frozen=True)
class ValidatorChanges:
    fresh: dict[str, Validator]
    dropped: set[str]


def decode(content: bytes, content_type: str = "") -> str:
    """Bytes to text the way a browser would pick the charset, without guessing libraries."""
    candidates = []
    declared = _CHARSET.search(content_type.encode("latin-1", "replace"))
    if declared:
        candidates.append(declared.group(1).decode())
    if content.startswith(b"\xef\xbb\xbf"):
        candidates.insert(0, "utf-8-sig")
    sniffed = _CHARSET.search(content[:4096]) if b"<" in content[:4096] else None
    if sniffed:
        candidates.append(sniffed.group(1).decode())
    for charset in [*candidates, "utf-8"]:
        try:
            return content.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return content.decode("cp1252", errors="replace")


def _too_large(shown_url: str, max_bytes: int) -> ParseError:
    return ParseError(f"body of {shown_url} is over the {max_bytes // 1_000_000} MB limit")


def _bucket(url: str) -> str:
    """The Hub's rate-limit bucket a URL draws on."""
    path = urlsplit(url).path
    if "/resolve/" in path:
        return "resolvers"
    return "api" if path.startswith("/api/") else "pages"


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _with_params(url: str, params: dict[str, Any] | None) -> str:
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params, doseq=True)}"


def _rate_limit_until(response: httpx.Response, now: datetime) -> datetime | None:
    status, headers = response.status_code, response.headers
    remaining, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
    hf = _HF_RATELIMIT.search(headers.get("ratelimit", ""))
    if hf:
        remaining, reset_in = hf.group(2), int(hf.group(3))
    limited = status == 429 or (status == 403 and (remaining == "0" or _says_rate_limited(response)))
    if not limited and remaining != "0":
        return None
    retry_after = headers.get("retry-after")
    if retry_after and retry_after.replace(".", "", 1).isdigit():
        return now + timedelta(seconds=float(retry_after))
    if hf:
        return now + timedelta(seconds=reset_in + 1)
    if remaining == "0" and reset and reset.isdigit():
        epoch = int(reset)
        epoch = epoch // 1000 if epoch > 10**11 else epoch  # some APIs send milliseconds
        try:
            return max(now, datetime.fromtimestamp(epoch, UTC))
        except (OverflowError, OSError, ValueError):
            return now + timedelta(seconds=60)
    return now + timedelta(seconds=60) if limited else None


def _says_rate_limited(response: httpx.Response) -> bool:
    try:
        message = str(response.json().get("message", "")).lower()
    except (ValueError, AttributeError):
        return False
    return message.startswith(_RATE_MESSAGES)


def _status_error(response: httpx.Response, shown_url: str) -> UpstreamHTTPError:
    """Turn an error answer into a typed error with the upstream's own words."""
    code = response.headers.get("x-error-code")
    detail = response.headers.get("x-error-message") or ""
    if not detail:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            err = body.get("error")
            if isinstance(err, dict):
                detail = str(err.get("message", ""))
            elif err:
                detail = str(err)
            else:
                detail = str(body.get("message", ""))
        elif response.text and len(response.text) < 200:
            detail = response.text.strip()
    return UpstreamHTTPError(response.status_code, shown_url, redact(detail[:300]), code)
