"""A fake Hugging Face Hub on 127.0.0.1 speaking the wire format of API-FACTS §2: listings with
cursor `Link` pagination and ETag/304, repo info with `blobs=true` sizes and `safetensors`, files
under `resolve` (LFS files by a 302 to a CDN path on the same server), errors by `X-Error-Code` /
`X-Error-Message`, and `RateLimit` / `RateLimit-Policy` on every answer with a 429 and
`Retry-After` once a bucket is spent. The 429 body's wording is made up; the rest follows the docs.

Every change of files or card is one commit (new `sha`, new `lastModified`); settings (private,
gated) and counters (downloads, likes) change no commit, as on the Hub."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import unquote, urlencode

from aiohttp import web

from .server import Handler
from .upstream import FakeUpstream, Reply

PLURAL = {"model": "models", "dataset": "datasets", "space": "spaces"}
EXPANDS = {
    "models": {"author", "cardData", "config", "createdAt", "disabled", "downloads", "gated",
               "lastModified", "library_name", "likes", "pipeline_tag", "private", "safetensors",
               "sha", "siblings", "spaces", "tags", "trendingScore", "usedStorage"},
    "datasets": {"author", "cardData", "createdAt", "description", "disabled", "downloads", "gated",
                 "lastModified", "likes", "private", "sha", "siblings", "tags", "trendingScore",
                 "usedStorage"},
    "spaces": {"author", "cardData", "createdAt", "disabled", "lastModified", "likes", "private",
               "runtime", "sdk", "sha", "siblings", "tags", "trendingScore", "usedStorage"},
}
DEFAULT_KEYS = {
    "models": ("_id", "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag",
               "library_name", "createdAt", "modelId"),
    "datasets": ("_id", "id", "author", "disabled", "gated", "lastModified", "likes", "trendingScore",
                 "private", "sha", "downloads", "tags", "createdAt", "description"),
    "spaces": ("_id", "id", "author", "lastModified", "likes", "trendingScore", "private", "sha",
               "tags", "sdk", "createdAt"),
}
SORT_KEYS = ("createdAt", "lastModified", "downloads", "likes", "trendingScore")
QUOTAS = {False: {"api": 500, "resolvers": 3000, "pages": 100},
          True: {"api": 1000, "resolvers": 5000, "pages": 200}}
WINDOW_S = 300
LFS_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth", ".h5", ".onnx", ".msgpack", ".png")
NOT_FOUND_PAGE = {"error": "Sorry, we can't find the page you are looking for."}
SERVER_ERROR = {"error": "Internal Error - We're working hard to fix this as soon as possible!"}


@dataclass(frozen=True)
class HubFile:
    content: bytes
    size: int
    lfs: bool
    path: str

    @property
    def _identity(self) -> bytes:
        return self.path.encode() + self.content + str(self.size).encode()

    @property
    def blob_id(self) -> str:
        return hashlib.sha1(b"blob:" + self._identity).hexdigest()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self._identity).hexdigest()


@dataclass
class HubRepo:
    kind: str  # plural: models / datasets / spaces
    id: str
    created: datetime
    modified: datetime = field(init=False)
    sha: str = ""
    files: dict[str, HubFile] = field(default_factory=dict)
    commits: dict[str, dict[str, HubFile]] = field(default_factory=dict)
    card: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, int] = field(default_factory=dict)
    private: bool = False
    gated: bool | str = False
    downloads: int = 0
    likes: int = 0
    trending: int = 0
    pipeline_tag: str | None = None
    library_name: str | None = None
    sdk: str | None = None
    approved: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.modified = self.created

    @property
    def author(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def object_id(self) -> str:
        return hashlib.md5(f"{self.kind}/{self.id}".encode()).hexdigest()[:24]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _file(path: str, value: Any, lfs: bool | None = None) -> HubFile:
    """A file from a test's value: dict/list as JSON, str/bytes as content, int as a size only
    (large weight files whose bytes nobody reads)."""
    if isinstance(value, HubFile):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return HubFile(b"", value, True if lfs is None else lfs, path)
    if isinstance(value, dict | list):
        value = json.dumps(value, indent=2)
    content = value.encode() if isinstance(value, str) else bytes(value)
    big = len(content) > 10 * 1024 * 1024 or path.endswith(LFS_SUFFIXES)
    return HubFile(content, len(content), big if lfs is None else lfs, path)


def _error(status: int, code: str | None, message: str) -> Reply:
    headers = {"x-error-message": message}
    if code:
        headers["x-error-code"] = code
    return Reply(status, {"error": message}, headers)


class FakeHub(FakeUpstream):
    """The Hub: models, datasets and Spaces of any author, with tokens, gating and rate limits."""

    control_ops: ClassVar[tuple[str, ...]] = (
        *FakeUpstream.control_ops,
        *("add_repo", "update_repo", "put_files", "delete_files", "remove_repo", "approve"),
        *("accept_tokens", "exhaust_rate_limit", "reset_rate_limit"),
    )
    failure_body: ClassVar[Any] = SERVER_ERROR
    epoch: ClassVar[datetime] = datetime(2025, 1, 1, tzinfo=UTC)

    def __init__(self) -> None:
        super().__init__()
        self._wipe()

    def _wipe(self) -> None:
        self._repos: dict[tuple[str, str], HubRepo] = {}
        self._tokens: set[str] = set()
        self._clock = self.epoch
        self._commits = 0
        self._window_end = time.monotonic() + WINDOW_S
        self._remaining = {authed: dict(q) for authed, q in QUOTAS.items()}
        self._cdn_store: dict[str, HubFile] = {}

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self._wipe()

    # -- control API -------------------------------------------------------------------------

    def add_repo(self, repo_id: str, repo_type: str = "model", *, license: str | None = None,
                 card: dict[str, Any] | None = None, files: dict[str, Any] | None = None,
                 parameters: dict[str, int] | None = None, **settings: Any) -> str:
        """Creates the repo with a first commit (.gitattributes, README.md and `files`); returns
        its sha."""
        with self.lock:
            key = (PLURAL[repo_type], repo_id.lower())
            if key in self._repos:
                raise ValueError(f"{repo_type} {repo_id} already exists")
            repo = HubRepo(PLURAL[repo_type], repo_id, self._tick())
            repo.card = dict(card or {})
            if license is not None:
                repo.card["license"] = license
            if repo.kind == "spaces":
                repo.sdk = settings.pop("sdk", "gradio")
            self._apply_settings(repo, settings)
            repo.files[".gitattributes"] = _file(".gitattributes", "*.safetensors filter=lfs diff=lfs\n")
            repo.files.update({p: _file(p, v) for p, v in (files or {}).items()})
            repo.parameters = dict(parameters or {})
            self._repos[key] = repo
            self._commit(repo)
            return repo.sha

    def update_repo(self, repo_id: str, repo_type: str = "model", **changes: Any) -> str:
        """Settings and counters change in place; `license`, `license_name`, `card`,
        `pipeline_tag` and `library_name` live in the README, so they make a commit."""
        with self.lock:
            repo = self._require(repo_id, repo_type)
            card_change = {k: changes.pop(k) for k in ("license", "license_name", "card",
                                                       "pipeline_tag", "library_name") if k in changes}
            self._apply_settings(repo, changes)
            if card_change:
                repo.card.update(card_change.pop("card", {}))
                for key in ("license", "license_name"):
                    if key in card_change:
                        repo.card[key] = card_change[key]
                repo.pipeline_tag = card_change.get("pipeline_tag", repo.pipeline_tag)
                repo.library_name = card_change.get("library_name", repo.library_name)
                self._commit(repo)
            return repo.sha

    def put_files(self, repo_id: str, files: dict[str, Any], repo_type: str = "model", *,
                  parameters: dict[str, int] | None = None, lfs: bool | None = None) -> str:
        """One commit adding or replacing `files` (an int value is an LFS file of that size);
        `parameters` is the safetensors metadata (dtype -> count) the Hub computes."""
        with self.lock:
            repo = self._require(repo_id, repo_type)
            repo.files.update({p: _file(p, v, lfs) for p, v in files.items()})
            if parameters is not None:
                repo.parameters = dict(parameters)
            self._commit(repo)
            return repo.sha

    def delete_files(self, repo_id: str, paths: list[str], repo_type: str = "model") -> str:
        with self.lock:
            repo = self._require(repo_id, repo_type)
            for path in paths:
                repo.files.pop(path, None)
            if not any(p.endswith(".safetensors") for p in repo.files):
                repo.parameters = {}
            self._commit(repo)
            return repo.sha

    def remove_repo(self, repo_id: str, repo_type: str = "model") -> None:
        with self.lock:
            self._repos.pop((PLURAL[repo_type], repo_id.lower()))

    def approve(self, repo_id: str, token: str, repo_type: str = "model") -> None:
        """The owner accepted this token's access request to the gated repo."""
        with self.lock:
            self._require(repo_id, repo_type).approved.add(token)

    def accept_tokens(self, *tokens: str) -> None:
        """Only these tokens are valid (others get 401); with none, any token is accepted."""
        with self.lock:
            self._tokens = set(tokens)

    def exhaust_rate_limit(self, bucket: str = "api", retry_after: int | None = None) -> None:
        """Spends `bucket` for anonymous and token callers; the window then ends in `retry_after`
        seconds (real time, so in a test it stays spent until `reset_rate_limit`)."""
        with self.lock:
            for remaining in self._remaining.values():
                remaining[bucket] = 0
            if retry_after is not None:
                self._window_end = time.monotonic() + retry_after

    def reset_rate_limit(self) -> None:
        with self.lock:
            self._window_end = time.monotonic() + WINDOW_S
            self._remaining = {authed: dict(q) for authed, q in QUOTAS.items()}

    def failure_headers(self) -> dict[str, str]:
        with self.lock:
            return self._rate_headers("api", False)

    # -- state helpers (callers hold self.lock) ----------------------------------------------

    def _tick(self) -> datetime:
        self._clock += timedelta(minutes=1)
        return self._clock

    def _commit(self, repo: HubRepo) -> None:
        self._commits += 1
        repo.sha = hashlib.sha1(f"{repo.kind}/{repo.id}@{self._commits}".encode()).hexdigest()
        repo.modified = self._tick()
        repo.files["README.md"] = _file("README.md", self._readme(repo))
        repo.commits[repo.sha] = dict(repo.files)

    @staticmethod
    def _readme(repo: HubRepo) -> str:
        meta = {**repo.card, "pipeline_tag": repo.pipeline_tag, "library_name": repo.library_name}
        front = "".join(f"{k}: {v}\n" for k, v in meta.items() if v is not None)
        return f"---\n{front}---\n# {repo.id.split('/', 1)[1]}\n"

    @staticmethod
    def _apply_settings(repo: HubRepo, settings: dict[str, Any]) -> None:
        names = {"private": "private", "gated": "gated", "downloads": "downloads", "likes": "likes",
                 "trendingScore": "trending", "pipeline_tag": "pipeline_tag",
                 "library_name": "library_name", "sdk": "sdk"}
        for key, value in settings.items():
            if key not in names:
                raise ValueError(f"unknown repo setting {key!r}")
            setattr(repo, names[key], value)

    def _require(self, repo_id: str, repo_type: str) -> HubRepo:
        repo = self._repos.get((PLURAL[repo_type], repo_id.lower()))
        if repo is None:
            raise KeyError(f"no {repo_type} {repo_id}")
        return repo

    def _roll_window(self) -> float:
        now = time.monotonic()
        if now >= self._window_end:
            self._window_end = now + WINDOW_S
            self._remaining = {authed: dict(q) for authed, q in QUOTAS.items()}
        return self._window_end - now

    def _rate_headers(self, bucket: str, authed: bool) -> dict[str, str]:
        left = max(1, math.ceil(self._roll_window()))
        remaining = max(self._remaining[authed][bucket], 0)
        return {"ratelimit": f'"{bucket}";r={remaining};t={left}',
                "ratelimit-policy": f'"fixed window";"{bucket}";q={QUOTAS[authed][bucket]};w={WINDOW_S}'}

    # -- HTTP --------------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        for kind in EXPANDS:
            router.add_get(f"/api/{kind}", self._api(self._listing))
            router.add_get(f"/api/{kind}/{{owner}}/{{name}}", self._api(self._info))
            router.add_get(f"/api/{kind}/{{owner}}/{{name}}/revision/{{rev}}", self._api(self._info))
        for prefix in ("", "/datasets", "/spaces"):
            router.add_get(prefix + "/{owner}/{name}/resolve/{rev}/{path:.+}", self._api(self._resolve))
        router.add_get("/cdn/{oid}", self._cdn)
        router.add_route("*", "/{tail:.*}", self._api(lambda request, token: Reply(404, NOT_FOUND_PAGE)))

    def _api(self, route: Any) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return self._answer(request, route)

        return handler

    def _answer(self, request: web.Request, route: Any) -> web.Response:
        token = _token(request)
        bucket = ("resolvers" if "/resolve/" in request.path
                  else "api" if request.path.startswith("/api/") else "pages")
        with self.lock:
            authed = token is not None
            if authed and self._tokens and token not in self._tokens:
                reply = _error(401, None, "Invalid credentials in Authorization header")
                return _respond(request, reply, self._rate_headers(bucket, False))
            self._roll_window()
            if self._remaining[authed][bucket] <= 0:
                headers = self._rate_headers(bucket, authed)
                wait = headers["ratelimit"].rsplit("t=", 1)[1]
                message = (f'You have exceeded the "{bucket}" rate limit ({QUOTAS[authed][bucket]} '
                           f"requests per 5 minutes). Retry after {wait} seconds, or log in for a "
                           "higher limit.")
                return _respond(request, Reply(429, {"error": message}, {"retry-after": wait}), headers)
            self._remaining[authed][bucket] -= 1
            reply = route(request, token)
            return _respond(request, reply, self._rate_headers(bucket, authed))

    def _visible(self, kind: str, request: web.Request, token: str | None) -> HubRepo | Reply:
        repo_id = f"{request.match_info['owner']}/{request.match_info['name']}"
        repo = self._repos.get((kind, repo_id.lower()))
        if repo is None or (repo.private and token is None):
            if token is None:
                return _error(401, "RepoNotFound", "Invalid username or password.")
            return _error(404, "RepoNotFound", "Repository not found")
        return repo

    def _listing(self, request: web.Request, token: str | None) -> Reply:
        kind = request.path.split("/")[2]
        query = request.query
        expand = query.getall("expand", []) + query.getall("expand[]", [])
        flags = {k for k in ("full", "config", "cardData") if query.get(k) in ("true", "1", "True")}
        if expand and flags:
            return Reply(400, {"error": '"expand" cannot be combined with "full", "config" or "cardData"'})
        if bad := [e for e in expand if e not in EXPANDS[kind]]:
            return Reply(400, {"error": f'"expand" must be one of [{", ".join(sorted(EXPANDS[kind]))}], '
                                        f'got "{bad[0]}"'})
        author, search = query.get("author"), (query.get("search") or "").lower()
        repos = [r for r in self._repos.values() if r.kind == kind
                 and (author is None or r.author.lower() == author.lower())
                 and (token is not None or not r.private) and search in r.id.lower()]
        sort = query.get("sort") or "createdAt"
        if sort not in SORT_KEYS:
            return Reply(400, {"error": f'"sort" must be one of [{", ".join(SORT_KEYS)}]'})
        repos.sort(key=lambda r: (self._full(r, r.files, r.sha, False)[sort], r.id), reverse=True)
        try:
            limit = min(max(int(query.get("limit", "1000")), 1), 1000)
            offset = _decode_cursor(query.get("cursor"))
        except ValueError:
            return Reply(400, {"error": "Invalid cursor or limit"})
        items = [self._list_item(r, expand, flags) for r in repos[offset:offset + limit]]
        headers = {}
        if offset + limit < len(repos):
            kept = [(k, v) for k, v in query.items() if k != "cursor"]
            url = f"{request.scheme}://{request.host}{request.path}?"
            headers["link"] = f'<{url}{urlencode([*kept, ("cursor", _cursor(offset + limit))])}>; rel="next"'
        return Reply(200, items, headers)

    def _list_item(self, repo: HubRepo, expand: list[str], flags: set[str]) -> dict[str, Any]:
        full = self._full(repo, repo.files, repo.sha, False)
        if expand:
            return {"_id": full["_id"], "id": full["id"], **{k: full[k] for k in expand if k in full}}
        keys = list(DEFAULT_KEYS[repo.kind])
        if "full" in flags:
            keys += ["author", "sha", "lastModified", "gated", "disabled", "siblings"]
        keys += [k for k in ("config", "cardData") if k in flags]
        return {k: full[k] for k in dict.fromkeys(keys) if k in full}

    def _info(self, request: web.Request, token: str | None) -> Reply:
        kind = request.path.split("/")[2]
        repo = self._visible(kind, request, token)
        if isinstance(repo, Reply):
            return repo
        rev = unquote(request.match_info.get("rev", "main"))
        files = repo.files if rev == "main" else repo.commits.get(rev)
        if files is None:
            return _error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        blobs = request.query.get("blobs") in ("true", "1", "True")
        body = self._full(repo, files, repo.sha if rev == "main" else rev, blobs)
        wanted = request.query.getall("expand", []) + request.query.getall("expand[]", [])
        if wanted:
            body = {"_id": body["_id"], "id": body["id"], **{k: body[k] for k in wanted if k in body}}
        return Reply(200, body)

    def _full(self, repo: HubRepo, files: dict[str, HubFile], sha: str, blobs: bool) -> dict[str, Any]:
        """Every property of a repo as the Hub names them (the info body, and what expand picks)."""
        siblings = []
        for path in sorted(files):
            f = files[path]
            sibling: dict[str, Any] = {"rfilename": path}
            if blobs:
                sibling |= {"blobId": f.blob_id, "size": f.size}
                if f.lfs:
                    sibling["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": 135}
            siblings.append(sibling)
        licence = repo.card.get("license")
        tags = [t for t in (repo.library_name, "safetensors" if self._safetensors(repo, files) else None,
                            repo.pipeline_tag, f"license:{licence}" if licence else None, "region:us") if t]
        bases = repo.card.get("base_model") or []
        relation = repo.card.get("base_model_relation", "finetune")  # the Hub infers one if absent
        for base in [bases] if isinstance(bases, str) else bases:
            tags += [f"base_model:{base}", f"base_model:{relation}:{base}"]
        body: dict[str, Any] = {
            "_id": repo.object_id, "id": repo.id, "author": repo.author, "sha": sha,
            "lastModified": iso(repo.modified), "private": repo.private, "disabled": False,
            "downloads": repo.downloads, "likes": repo.likes, "trendingScore": repo.trending,
            "tags": tags, "createdAt": iso(repo.created), "siblings": siblings,
            "usedStorage": sum(f.size for f in files.values()),
        }
        if repo.card:
            body["cardData"] = dict(repo.card)
        if repo.kind != "spaces":
            body["gated"] = repo.gated
        if repo.kind == "spaces":
            body |= {"sdk": repo.sdk, "runtime": {"stage": "RUNNING", "hardware": {"current": "cpu-basic"}}}
        if repo.kind == "models":
            body |= {"modelId": repo.id, "spaces": []}
            body |= {k: v for k, v in (("pipeline_tag", repo.pipeline_tag),
                                       ("library_name", repo.library_name)) if v}
            if config := _config_summary(files.get("config.json")):
                body["config"] = config
            if safetensors := self._safetensors(repo, files):
                body["safetensors"] = safetensors
        return body

    @staticmethod
    def _safetensors(repo: HubRepo, files: dict[str, HubFile]) -> dict[str, Any] | None:
        if not repo.parameters or not any(p.endswith(".safetensors") for p in files):
            return None
        return {"parameters": dict(repo.parameters), "total": sum(repo.parameters.values())}

    def _resolve(self, request: web.Request, token: str | None) -> Reply:
        kind = {"datasets": "datasets", "spaces": "spaces"}.get(request.path.split("/")[1], "models")
        repo = self._visible(kind, request, token)
        if isinstance(repo, Reply):
            return repo
        rev = unquote(request.match_info["rev"])
        files = repo.files if rev == "main" else repo.commits.get(rev)
        if files is None:
            return _error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        commit = repo.sha if rev == "main" else rev
        if repo.gated and repo.kind != "spaces" and (token is None or token not in repo.approved):
            what = f"{kind[:-1]} {repo.id}"
            if token is None:
                return _error(401, "GatedRepo", f"Access to {what} is restricted. You must have access "
                                                "to it and be authenticated to access it. Please log in.")
            page = f"{request.scheme}://{request.host}/{repo.id}"
            return _error(403, "GatedRepo", f"Access to {what} is restricted and you are not in the "
                                            f"authorized list. Visit {page} to ask for access.")
        f = files.get(request.match_info["path"])
        if f is None:
            return _error(404, "EntryNotFound", "Entry not found")
        if f.lfs:
            self._cdn_store[f.sha256] = f
            location = f"{request.scheme}://{request.host}/cdn/{f.sha256}"
            return Reply(302, b"", {"location": location, "x-linked-etag": f'"{f.sha256}"',
                                    "x-linked-size": str(f.size), "x-repo-commit": commit,
                                    "etag": f'"{f.sha256}"'})
        return Reply(200, f.content, {"etag": f'"{f.blob_id}"', "x-repo-commit": commit,
                                      "content-type": "text/plain; charset=utf-8"})

    async def _cdn(self, request: web.Request) -> web.Response:
        with self.lock:
            f = self._cdn_store.get(request.match_info["oid"])
        if f is None:
            return web.Response(status=403, text="<Error><Code>AccessDenied</Code></Error>",
                                content_type="application/xml")
        etag = f'"{f.sha256}"'
        if _matches(request, etag):
            return web.Response(status=304, headers={"etag": etag})
        return web.Response(body=f.content, headers={"etag": etag,
                                                     "content-type": "application/octet-stream"})


def _respond(request: web.Request, reply: Reply, rate: dict[str, str]) -> web.Response:
    """The reply with rate headers, an ETag on every JSON 200, and a 304 when it still matches."""
    headers = {**reply.headers, **rate}
    if isinstance(reply.body, bytes):
        body, kind = reply.body, headers.pop("content-type", "application/octet-stream")
    else:
        body, kind = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
        if reply.status == 200:
            headers["etag"] = f'W/"{len(body):x}-{hashlib.sha1(body).hexdigest()[:27]}"'
    if reply.status == 200 and "etag" in headers and _matches(request, headers["etag"]):
        return web.Response(status=304, headers=headers)
    headers["content-type"] = kind
    return web.Response(status=reply.status, body=body, headers=headers)


def _matches(request: web.Request, etag: str) -> bool:
    wanted = {t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")}
    return etag.removeprefix("W/") in wanted


def _config_summary(f: HubFile | None) -> dict[str, Any] | None:
    """The slice of config.json the Hub repeats in repo info (never the context window)."""
    if f is None:
        return None
    try:
        config = json.loads(f.content)
    except ValueError:
        return None
    summary = {k: config[k] for k in ("architectures", "model_type", "auto_map") if k in config}
    if isinstance(config.get("quantization_config"), dict):
        summary["quantization_config"] = {"quant_method": config["quantization_config"].get("quant_method")}
    return summary


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"$skip": offset}).encode()).decode()


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["$skip"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError("bad cursor") from exc


def _token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else header
