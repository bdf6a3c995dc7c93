"""Fake Discord (webhooks and bot Create Message), Slack incoming webhooks and a generic webhook
receiver that validate like the real ones and record deliveries."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import parse_qs

from aiohttp import web

from .server import BODY, Held, RecordedRequest, ThreadedServer

DISCORD_EPOCH_MS = 1420070400000
UNKNOWN_WEBHOOK = {"code": 10015, "message": "Unknown Webhook"}
INVALID_TOKEN = {"code": 50027, "message": "Invalid Webhook Token"}
EMPTY_MESSAGE = {"code": 50006, "message": "Cannot send an empty message"}
INVALID_JSON = {"code": 50109, "message": "The request body contains invalid JSON."}
UNKNOWN_CHANNEL = {"code": 10003, "message": "Unknown Channel"}
UNAUTHORIZED = {"code": 0, "message": "401: Unauthorized"}
MISSING_ACCESS = {"code": 50001, "message": "Missing Access"}
WEBHOOK_ERRORS = {404: UNKNOWN_WEBHOOK, 401: INVALID_TOKEN}
CHANNEL_ERRORS = {404: UNKNOWN_CHANNEL, 401: UNAUTHORIZED, 403: MISSING_ACCESS}
NONCE_MAX = 25
SLACK_BODIES = {
    400: "invalid_payload",
    403: "action_prohibited",
    404: "channel_not_found",
    410: "channel_is_archived",
    500: "rollup_error",
}
EMBED_LIMITS = {"title": 256, "description": 4096}
SLACK_MAX_BLOCKS = 50
Errors = dict[str, Any]


@dataclass(frozen=True)
class Post:
    """A delivered message: the webhook it went to, the JSON body, the query, Discord's answer."""

    webhook_id: str
    body: dict[str, Any]
    query: dict[str, str]
    message: dict[str, Any] | None = None


@dataclass(frozen=True)
class RawPost:
    """A generic-webhook delivery byte for byte, so tests can verify signatures over the exact body."""

    name: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Scripted:
    status: int | None
    retry_after: float
    held: Held | None


class ChatSink(ThreadedServer):
    """Discord execute-webhook, Discord bot Create Message, Slack incoming-webhook and generic
    webhook endpoints with scripted failures."""

    control_ops: ClassVar[tuple[str, ...]] = (
        *ThreadedServer.control_ops,
        *("register_webhook", "register_slack", "script", "posts", "posts_for", "attempts"),
        *("register_channel", "bot_base_url", "posts_for_channel", "register_hook", "hook_posts"),
    )
    default_retry_after: ClassVar[float] = 1.0

    def __init__(self, *, nonce_window: float | None = None) -> None:
        """`nonce_window`: seconds a nonce stays enforced (None: until `reset()`, i.e. one test)."""
        super().__init__()
        self._posted = threading.Condition(self.lock)
        self._hangs: list[Held] = []
        self._tasks: set[asyncio.Task[web.Response]] = set()
        self._generation = 0
        self.ratelimit_limit = 5
        self.ratelimit_remaining = 4
        self.ratelimit_reset_after = 1.0
        self._default_nonce_window = nonce_window
        self._wipe()

    def _wipe(self) -> None:
        self._webhooks: dict[str, dict[str, str]] = {}
        self._slack: set[str] = set()
        self._channels: dict[str, dict[str, str]] = {}
        self._hooks: set[str] = set()
        self._scripts: dict[str, deque[Scripted]] = {}
        self._posts: list[Post] = []
        self._raw_posts: list[RawPost] = []
        self._nonces: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._serial = itertools.count(1)
        self.nonce_window = self._default_nonce_window

    # -- control API -------------------------------------------------------------------------

    def register_webhook(
        self,
        webhook_id: int | str,
        token: str,
        *,
        channel_id: int | str | None = None,
        name: str = "Releasewatch",
    ) -> str:
        with self.lock:
            channel = str(channel_id or self._snowflake())
            self._webhooks[str(webhook_id)] = {"token": token, "channel_id": channel, "name": name}
        return self.webhook_url(webhook_id)

    def webhook_url(self, webhook_id: int | str) -> str:
        with self.lock:
            token = self._webhooks[str(webhook_id)]["token"]
        return f"{self.url}/api/webhooks/{webhook_id}/{token}"

    def register_slack(self, path: str = "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX") -> str:
        with self.lock:
            self._slack.add(path)
        return f"{self.url}/services/{path}"

    def register_channel(self, channel_id: int | str, bot_token: str, *, name: str = "Releasewatch") -> str:
        """A channel the bot token may post to; returns its Create Message URL."""
        with self.lock:
            author = self._channels.get(str(channel_id), {}).get("author_id") or self._snowflake()
            self._channels[str(channel_id)] = {"token": bot_token, "name": name, "author_id": author}
        return f"{self.bot_base_url}/channels/{channel_id}/messages"

    @property
    def bot_base_url(self) -> str:
        """What the client configures as its Discord API base (`endpoints.discord`)."""
        return f"{self.url}/api/v10"

    def posts_for_channel(self, channel_id: int | str) -> list[Post]:
        with self.lock:
            return self._select(f"channel:{channel_id}")

    def register_hook(self, name: str) -> str:
        """A generic webhook receiver at `/hooks/{name}`; returns its URL."""
        with self.lock:
            self._hooks.add(name)
        return f"{self.url}/hooks/{name}"

    def hook_posts(self, name: str) -> list[RawPost]:
        with self.lock:
            return [p for p in self._raw_posts if p.name == name]

    def wait_for_hook_posts(self, name: str, n: int, timeout: float = 5.0) -> list[RawPost]:
        def got() -> list[RawPost]:
            return [p for p in self._raw_posts if p.name == name]

        with self._posted:
            if not self._posted.wait_for(lambda: len(got()) >= n, timeout):
                raise TimeoutError(
                    f"expected {n} posts to hook {name!r} within {timeout} s, got {len(got())}"
                )
            return got()

    def script(self, webhook_id: int | str, *answers: str | tuple[Any, ...] | list[Any]) -> list[Held]:
        """Queue answers ("429", ("429", 2.5), "500", "404", "hang"...); returns the hang holds.

        Keys: a webhook id, a Slack path, `channel:{id}` for bot messages, `hook:{name}`."""
        parsed = [self._parse(a) for a in answers]
        with self.lock:
            self._scripts.setdefault(str(webhook_id), deque()).extend(parsed)
            hangs = [s.held for s in parsed if s.held is not None]
            self._hangs.extend(hangs)
        return hangs

    @property
    def posts(self) -> list[Post]:
        with self.lock:
            return list(self._posts)

    @property
    def attempts(self) -> list[RecordedRequest]:
        return self.requests

    def posts_for(self, webhook_id: int | str) -> list[Post]:
        with self.lock:
            return self._select(str(webhook_id))

    def wait_for_posts(self, n: int, timeout: float = 5.0, webhook_id: int | str | None = None) -> list[Post]:
        key = None if webhook_id is None else str(webhook_id)
        with self._posted:
            if not self._posted.wait_for(lambda: len(self._select(key)) >= n, timeout):
                got = len(self._select(key))
                raise TimeoutError(f"expected {n} posts within {timeout} s, got {got}")
            return self._select(key)

    def release_all(self) -> None:
        super().release_all()
        with self.lock:
            hangs, self._hangs = self._hangs, []
        for held in hangs:
            held.release()

    def reset(self) -> None:
        with self.lock:
            self._generation += 1  # before the hangs are released, so none of them posts
        super().reset()
        with self.lock:
            self._wipe()

    # -- helpers -----------------------------------------------------------------------------

    def _parse(self, answer: str | tuple[Any, ...] | list[Any]) -> Scripted:
        kind, *rest = (answer,) if isinstance(answer, str) else answer
        retry_after = float(rest[0]) if rest else self.default_retry_after
        if kind == "hang":
            return Scripted(None, retry_after, Held())
        if not (str(kind).isdigit() and 400 <= int(kind) <= 599):
            raise ValueError(f"unknown scripted answer {answer!r}")
        return Scripted(int(kind), retry_after, None)

    def _select(self, webhook_id: str | None) -> list[Post]:
        return [p for p in self._posts if webhook_id is None or p.webhook_id == webhook_id]

    def _snowflake(self) -> str:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((millis << 22) | (next(self._serial) & 0x3FFFFF))

    def _next_answer(self, key: str) -> Scripted | None:
        with self.lock:
            queue = self._scripts.get(key)
            return queue.popleft() if queue else None

    def _deliver(self, post: Post) -> None:
        with self._posted:
            self._posts.append(post)
            self._posted.notify_all()

    async def _after_hang(self, held: Held, finish: Callable[[], web.Response]) -> web.Response:
        """Finish the request after release even if the client gave up meanwhile, as a real server
        that already accepted it would; shielded in case aiohttp cancels the handler. A hang freed
        by `reset()` is dropped instead, so it cannot post into the next test's state."""
        generation = self._generation

        async def run() -> web.Response:
            await held.wait()
            with self.lock:
                stale = generation != self._generation
            return web.Response(status=503) if stale else finish()

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(task)

    # -- Discord -----------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/api/webhooks/{id}/{token}", self._discord)
        router.add_post(r"/api/v{version:\d+}/webhooks/{id}/{token}", self._discord)
        router.add_post("/services/{team}/{bot}/{secret}", self._slack_hook)
        router.add_post("/api/channels/{channel_id}/messages", self._bot_message)
        router.add_post(r"/api/v{version:\d+}/channels/{channel_id}/messages", self._bot_message)
        router.add_post("/hooks/{name:.+}", self._generic_hook)

    def _discord_headers(self, hook_id: str, remaining: int, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.ratelimit_limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": hashlib.sha1(hook_id.encode()).hexdigest()[:32],
        }

    def _discord_reply(self, hook_id: str, status: int, body: Any = None) -> web.Response:
        headers = self._discord_headers(hook_id, self.ratelimit_remaining, self.ratelimit_reset_after)
        if body is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(body, status=status, headers=headers)

    def _discord_scripted(
        self,
        hook_id: str,
        answer: Scripted,
        fixed: dict[int, dict[str, Any]] = WEBHOOK_ERRORS,
    ) -> web.Response:
        status = answer.status or 500
        if status == 429:
            headers = self._discord_headers(hook_id, 0, answer.retry_after)
            headers |= {
                "Retry-After": str(math.ceil(answer.retry_after)),
                "X-RateLimit-Scope": "user",
                "Via": "1.1 google",
            }
            body = {
                "message": "You are being rate limited.",
                "retry_after": answer.retry_after,
                "global": False,
            }
            return web.json_response(body, status=429, headers=headers)
        body = fixed.get(status, {"message": f"{status}: {HTTPStatus(status).phrase}", "code": 0})
        return self._discord_reply(hook_id, status, body)

    async def _discord(self, request: web.Request) -> web.Response:
        hook_id, token = request.match_info["id"], request.match_info["token"]
        answer = self._next_answer(hook_id)
        if answer is not None and answer.held is not None:
            await answer.held.wait()
        elif answer is not None:
            return self._discord_scripted(hook_id, answer)
        with self.lock:
            hook = self._webhooks.get(hook_id)
        if hook is None:
            return self._discord_reply(hook_id, 404, UNKNOWN_WEBHOOK)
        if token != hook["token"]:
            return self._discord_reply(hook_id, 401, INVALID_TOKEN)
        query_errors: Errors = {}
        wait = _flag(request.query.get("wait", "false"))
        if wait is None:
            value = request.query["wait"]
            _put(
                query_errors,
                ("wait",),
                "BOOLEAN_TYPE_CONVERT",
                f'Value "{value}" is not a boolean.',
            )
        thread_id = request.query.get("thread_id")
        if thread_id is not None and not thread_id.isdigit():
            _put(
                query_errors,
                ("thread_id",),
                "NUMBER_TYPE_COERCE",
                f'Value "{thread_id}" is not snowflake.',
            )
        if query_errors:
            return self._discord_reply(hook_id, 400, _form_error(query_errors))
        payload, files = await _discord_payload(request)
        if payload is None:
            return self._discord_reply(hook_id, 400, INVALID_JSON)
        if not _has_message(payload, files):
            return self._discord_reply(hook_id, 400, EMPTY_MESSAGE)
        errors = form_errors(payload)
        if errors:
            return self._discord_reply(hook_id, 400, _form_error(errors))
        with self.lock:
            message = self._message(hook_id, hook, payload, files, thread_id)
        self._deliver(Post(hook_id, payload, dict(request.query), message))
        return self._discord_reply(hook_id, 200, message) if wait else self._discord_reply(hook_id, 204)

    def _message(
        self,
        hook_id: str,
        hook: dict[str, str],
        payload: dict[str, Any],
        files: list[str],
        thread_id: str | None,
    ) -> dict[str, Any]:
        author = _author(hook_id, payload.get("username") or hook["name"])
        message = self._message_object(thread_id or hook["channel_id"], author, payload, files)
        return message | {"webhook_id": hook_id}

    def _message_object(
        self,
        channel_id: str,
        author: dict[str, Any],
        payload: dict[str, Any],
        files: list[str],
    ) -> dict[str, Any]:
        return {
            "id": self._snowflake(),
            "type": 0,
            "content": payload.get("content") or "",
            "channel_id": channel_id,
            "author": author,
            "attachments": [{"id": self._snowflake(), "filename": name} for name in files],
            "embeds": [{"type": "rich", **e} for e in payload.get("embeds") or []],
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": bool(payload.get("tts", False)),
            "timestamp": datetime.now(UTC).isoformat(timespec="microseconds"),
            "edited_timestamp": None,
            "flags": payload.get("flags", 0),
            "components": payload.get("components") or [],
        }

    # -- Discord bot: Create Message ---------------------------------------------------------

    async def _bot_message(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["channel_id"]
        key = f"channel:{channel_id}"
        answer = self._next_answer(key)
        if answer is not None and answer.held is None:
            return self._discord_scripted(key, answer, CHANNEL_ERRORS)
        # Read everything before a hang: the client may be gone when the message is created.
        payload, files = await _discord_payload(request)
        auth, query = request.headers.get("Authorization"), dict(request.query)

        def create() -> web.Response:
            return self._create_message(channel_id, auth, query, payload, files)

        if answer is not None and answer.held is not None:
            return await self._after_hang(answer.held, create)
        return create()

    def _create_message(
        self,
        channel_id: str,
        auth: str | None,
        query: dict[str, str],
        payload: dict[str, Any] | None,
        files: list[str],
    ) -> web.Response:
        """Auth, channel, validation, then the nonce check and the post as one step under the lock."""
        key = f"channel:{channel_id}"
        with self.lock:
            channel = self._channels.get(channel_id)
            tokens = {c["token"] for c in self._channels.values()}
        token = auth[len("Bot ") :] if auth and auth.startswith("Bot ") else None
        if token is None or token not in tokens:
            return self._discord_reply(key, 401, UNAUTHORIZED)
        if channel is None:
            return self._discord_reply(key, 404, UNKNOWN_CHANNEL)
        if token != channel["token"]:
            return self._discord_reply(key, 403, MISSING_ACCESS)
        if payload is None:
            return self._discord_reply(key, 400, INVALID_JSON)
        if not _has_message(payload, files):
            return self._discord_reply(key, 400, EMPTY_MESSAGE)
        errors = form_errors(payload)
        _nonce_errors(payload, errors)
        if errors:
            return self._discord_reply(key, 400, _form_error(errors))
        nonce = payload.get("nonce")
        with self._posted:
            seen = self._nonce_message(channel_id, nonce) if payload.get("enforce_nonce") is True else None
            if seen is not None:
                return self._discord_reply(key, 200, seen)
            author = _author(channel["author_id"], channel["name"])
            message = self._message_object(channel_id, author, payload, files)
            if nonce is not None:
                message["nonce"] = nonce
                self._nonces[(channel_id, str(nonce))] = (time.monotonic(), message)
            self._posts.append(Post(key, payload, query, message))
            self._posted.notify_all()
        return self._discord_reply(key, 200, message)

    def _nonce_message(self, channel_id: str, nonce: Any) -> dict[str, Any] | None:
        """The message already created with this nonce within the window (caller holds the lock)."""
        if nonce is None:
            return None
        seen = self._nonces.get((channel_id, str(nonce)))
        if seen is None:
            return None
        at, message = seen
        if self.nonce_window is not None and time.monotonic() - at > self.nonce_window:
            return None
        return message

    # -- generic webhook ---------------------------------------------------------------------

    async def _generic_hook(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        answer = self._next_answer(f"hook:{name}")
        if answer is not None and answer.held is None:
            status = answer.status or 500
            headers = {"Retry-After": str(math.ceil(answer.retry_after))} if status == 429 else {}
            return _hook_reply(status, headers)
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}

        def take() -> web.Response:
            with self._posted:
                if name not in self._hooks:
                    return _hook_reply(404)
                self._raw_posts.append(RawPost(name, body, headers))
                self._posted.notify_all()
            return _hook_reply(200)

        if answer is not None and answer.held is not None:
            return await self._after_hang(answer.held, take)
        return take()

    # -- Slack -------------------------------------------------------------------------------

    async def _slack_hook(self, request: web.Request) -> web.Response:
        key = "/".join(request.match_info[k] for k in ("team", "bot", "secret"))
        answer = self._next_answer(key)
        if answer is not None and answer.held is not None:
            await answer.held.wait()
        elif answer is not None:
            status = answer.status or 500
            if status == 429:
                headers = {"Retry-After": str(math.ceil(answer.retry_after))}
                return web.Response(status=429, text="", content_type="text/plain", headers=headers)
            return _slack_text(status, SLACK_BODIES.get(status, ""))
        with self.lock:
            known = key in self._slack
        if not known:
            return _slack_text(404, "no_service")
        payload = _slack_payload(request)
        if payload is None:
            return _slack_text(400, "invalid_payload")
        blocks = payload.get("blocks") or []
        if not payload.get("text") and not blocks:
            return _slack_text(400, "no_text")
        if not slack_blocks_valid(blocks):
            return _slack_text(400, "invalid_blocks")
        self._deliver(Post(key, payload, dict(request.query)))
        return _slack_text(200, "ok")


def form_errors(payload: dict[str, Any]) -> Errors:
    """Discord's length and count limits, as a nested `errors` tree (empty when valid)."""
    errors: Errors = {}

    def too_long(path: tuple[str, ...], limit: int) -> None:
        _put(errors, path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def check(path: tuple[str, ...], value: Any, limit: int) -> int:
        if value is None:
            return 0
        if not isinstance(value, str):
            _put(errors, path, "STRING_TYPE_CONVERT", f'Could not interpret "{value}" as string.')
            return 0
        length = len(value.strip())
        if length > limit:
            too_long(path, limit)
        return length

    check(("content",), payload.get("content"), 2000)
    username = payload.get("username")
    check(("username",), username, 80)
    for word in ("discord", "clyde"):
        if isinstance(username, str) and word in username.lower():
            _put(
                errors,
                ("username",),
                "USERNAME_INVALID_CONTAINS",
                f'Username cannot contain "{word}"',
            )
    embeds = payload.get("embeds") or []
    if not isinstance(embeds, list) or not all(isinstance(e, dict) for e in embeds):
        _put(errors, ("embeds",), "BASE_TYPE_BAD_TYPE", "Must be an array of embed objects.")
        return errors
    if len(embeds) > 10:
        too_long(("embeds",), 10)
    total = 0
    for i, embed in enumerate(embeds):
        at = ("embeds", str(i))
        for key, limit in EMBED_LIMITS.items():
            total += check((*at, key), embed.get(key), limit)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            too_long((*at, "fields"), 25)
        for j, item in enumerate(fields if isinstance(fields, list) else []):
            item = item if isinstance(item, dict) else {}
            total += check((*at, "fields", str(j), "name"), item.get("name"), 256)
            total += check((*at, "fields", str(j), "value"), item.get("value"), 1024)
        total += check((*at, "footer", "text"), (embed.get("footer") or {}).get("text"), 2048)
        total += check((*at, "author", "name"), (embed.get("author") or {}).get("name"), 256)
    if total > 6000:
        _put(
            errors,
            ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
            "Embed size exceeds maximum size of 6000",
        )
    return errors


def _nonce_errors(payload: dict[str, Any], errors: Errors) -> None:
    nonce = payload.get("nonce")
    if nonce is None:
        return
    if isinstance(nonce, bool) or not isinstance(nonce, int | str):
        _put(errors, ("nonce",), "BASE_TYPE_BAD_TYPE", "Must be an integer or a string.")
    elif len(str(nonce)) > NONCE_MAX:
        _put(errors, ("nonce",), "BASE_TYPE_MAX_LENGTH", f"Must be {NONCE_MAX} or fewer in length.")


def slack_blocks_valid(blocks: Any) -> bool:
    """Block Kit limits an incoming webhook enforces; Slack names no detail, just `invalid_blocks`."""
    return (
        isinstance(blocks, list)
        and len(blocks) <= SLACK_MAX_BLOCKS
        and all(_slack_block_valid(b) for b in blocks)
    )


def _slack_block_valid(block: Any) -> bool:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return False
    block_id = block.get("block_id")
    if block_id is not None and not (isinstance(block_id, str) and len(block_id) <= 255):
        return False
    kind = block["type"]
    if kind == "header":
        return _slack_text_valid(block.get("text"), 150, ("plain_text",))
    if kind == "section":
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            return False
        if text is not None and not _slack_text_valid(text, 3000):
            return False
        return fields is None or (
            isinstance(fields, list) and len(fields) <= 10 and all(_slack_text_valid(f) for f in fields)
        )
    if kind in ("context", "actions"):
        elements = block.get("elements")
        return isinstance(elements, list) and 1 <= len(elements) <= (10 if kind == "context" else 25)
    return True


def _slack_text_valid(
    text: Any, limit: int | None = None, kinds: tuple[str, ...] = ("plain_text", "mrkdwn")
) -> bool:
    if not isinstance(text, dict) or text.get("type") not in kinds:
        return False
    value = text.get("text")
    return isinstance(value, str) and len(value) >= 1 and (limit is None or len(value) <= limit)


def _author(user_id: str, username: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": username,
        "avatar": None,
        "discriminator": "0000",
        "public_flags": 0,
        "flags": 0,
        "bot": True,
        "global_name": None,
    }


def _hook_reply(status: int, headers: dict[str, str] | None = None) -> web.Response:
    body = {"ok": True} if status < 400 else {"ok": False, "error": HTTPStatus(status).phrase}
    return web.json_response(body, status=status, headers=headers)


def _put(errors: Errors, path: tuple[str, ...], code: str, message: str) -> None:
    node = errors
    for part in path:
        node = node.setdefault(part, {})
    node.setdefault("_errors", []).append({"code": code, "message": message})


def _form_error(errors: Errors) -> dict[str, Any]:
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


def _flag(value: str) -> bool | None:
    return {"true": True, "1": True, "false": False, "0": False}.get(value.lower())


def _has_message(payload: dict[str, Any], files: list[str]) -> bool:
    content = payload.get("content")
    has_content = isinstance(content, str) and bool(content.strip())
    others = ("embeds", "components", "poll", "file", "sticker_ids")
    return has_content or bool(files) or any(payload.get(k) for k in others)


async def _discord_payload(request: web.Request) -> tuple[dict[str, Any] | None, list[str]]:
    """The JSON body, or `payload_json` plus file names for multipart uploads."""
    if not request.content_type.startswith("multipart/"):
        body = request.get(BODY)
        if body is None:
            return {}, []
        return (body if isinstance(body, dict) else None), []
    form = await request.post()
    files = [v.filename for k, v in form.items() if isinstance(v, web.FileField)]
    raw = form.get("payload_json")
    try:
        payload = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        payload = None
    request[BODY] = payload
    return (payload if isinstance(payload, dict) else None), files


def _slack_payload(request: web.Request) -> dict[str, Any] | None:
    body = request.get(BODY)
    if isinstance(body, str) and request.content_type == "application/x-www-form-urlencoded":
        try:
            body = json.loads(parse_qs(body).get("payload", [""])[0])
        except ValueError:
            return None
    return body if isinstance(body, dict) else None


def _slack_text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain")
