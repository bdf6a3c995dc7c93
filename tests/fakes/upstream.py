"""Fake upstream APIs on 127.0.0.1 speaking the real wire formats, to test watchers end to end."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

from aiohttp import web

from . import github_shapes as gh
from .server import Handler, ThreadedServer


@dataclass
class FailRule:
    """The next `remaining` requests whose path contains `path_contains` answer `status`."""

    remaining: int
    status: int
    path_contains: str | None
    body: Any

    def matches(self, request: web.Request) -> bool:
        return self.path_contains is None or self.path_contains in request.path_qs


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[web.Request, bool], Reply]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    text = body if isinstance(body, str) else json.dumps(body)
    kind = "text/html" if isinstance(body, str) else "application/json"
    return web.Response(status=status, text=text, content_type=kind, headers=headers)


class FakeUpstream(ThreadedServer):
    """One fake upstream host: request log, holds and injected failures; subclasses add routes."""

    control_ops: ClassVar[tuple[str, ...]] = (*ThreadedServer.control_ops, "fail_next")
    failure_body: ClassVar[Any] = gh.SERVER_ERROR

    def __init__(self) -> None:
        super().__init__()
        self._failures: list[FailRule] = []

    def fail_next(
        self, n: int = 1, status: int = 500, path_contains: str | None = None, body: Any = None
    ) -> None:
        with self.lock:
            self._failures.append(FailRule(n, status, path_contains, body))

    def failure_headers(self) -> dict[str, str]:
        return {}

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self._failures.clear()

    async def intercept(self, request: web.Request) -> web.StreamResponse | None:
        with self.lock:
            rule = next((r for r in self._failures if r.matches(request)), None)
            if rule is None:
                return None
            rule.remaining -= 1
            if rule.remaining <= 0:
                self._failures.remove(rule)
        body = self.failure_body if rule.body is None else rule.body
        return json_response(rule.status, body, self.failure_headers())


class FakeGitHub(FakeUpstream):
    """GitHub REST: org/user repo lists, repos, releases, tags, ETags and the primary rate limit."""

    control_ops: ClassVar[tuple[str, ...]] = (
        *FakeUpstream.control_ops,
        *("add_org", "add_user", "add_repo", "update_repo", "rename_repo", "remove_repo"),
        *("add_release", "update_release", "remove_release", "add_tag"),
        *("exhaust_rate_limit", "reset_rate_limit", "set_rate_limit", "accept_tokens"),
    )
    epoch: ClassVar[datetime] = datetime(2025, 1, 1, tzinfo=UTC)
    default_limit: ClassVar[int] = 5000

    def __init__(self) -> None:
        super().__init__()
        self._wipe()

    def _wipe(self) -> None:
        self._owners: dict[str, dict[str, Any]] = {}
        self._repos: dict[int, dict[str, Any]] = {}
        self._moved: dict[str, int] = {}
        self._releases: dict[int, list[dict[str, Any]]] = {}
        self._tags: dict[int, list[dict[str, Any]]] = {}
        self._tokens: set[str] = set()
        self._owner_ids = itertools.count(148330001)
        self._repo_ids = itertools.count(900000001)
        self._release_ids = itertools.count(190000001)
        self._asset_ids = itertools.count(230000001)
        self._clock = self.epoch
        self._modified = self.epoch
        self.limit = self.default_limit
        self.remaining = self.default_limit
        self.reset_epoch = int(time.time()) + 3600
        self.rate_limit_status = 403

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self._wipe()

    # -- control API -------------------------------------------------------------------------

    def add_org(self, org: str, id: int | None = None) -> dict[str, Any]:
        with self.lock:
            return gh.user_obj(self._add_owner(org, "Organization", id))

    def add_user(self, login: str, id: int | None = None) -> dict[str, Any]:
        with self.lock:
            return gh.user_obj(self._add_owner(login, "User", id))

    def add_repo(self, owner: str, name: str, **fields: Any) -> dict[str, Any]:
        with self.lock:
            if self._find(owner, name) is not None:
                raise ValueError(f"repo {owner}/{name} already exists")
            login = self._owners.get(owner.lower()) or self._add_owner(owner, "Organization", None)
            number = fields.pop("id", None) or next(self._repo_ids)
            created = gh.iso(self._tick())
            repo: dict[str, Any] = {
                "id": number,
                "node_id": gh.node_id("R_kgDO", number),
                "name": name,
                "_owner": login["login"].lower(),
                "private": False,
                "description": None,
                "fork": False,
                "created_at": created,
                "updated_at": created,
                "pushed_at": created,
                "homepage": None,
                "size": 0,
                "stargazers_count": 0,
                "language": None,
                "has_issues": True,
                "has_wiki": True,
                "has_pages": False,
                "has_discussions": False,
                "forks_count": 0,
                "mirror_url": None,
                "archived": False,
                "disabled": False,
                "open_issues_count": 0,
                "license": None,
                "allow_forking": True,
                "is_template": False,
                "topics": [],
                "visibility": "public",
                "default_branch": "main",
            }
            repo.update(_normalise(fields))
            if "visibility" not in fields:
                repo["visibility"] = "private" if repo["private"] else "public"
            self._repos[number] = repo
            self._releases[number] = []
            self._tags[number] = []
            self._touch()
            return self._repo_json(repo)

    def update_repo(self, owner: str, name: str, **fields: Any) -> dict[str, Any]:
        with self.lock:
            repo = self._require(owner, name)
            repo.update(_normalise(fields))
            if "updated_at" not in fields:
                repo["updated_at"] = gh.iso(self._tick())
            self._touch()
            return self._repo_json(repo)

    def rename_repo(self, owner: str, old: str, new: str) -> dict[str, Any]:
        with self.lock:
            repo = self._require(owner, old)
            self._moved[f"{owner}/{old}".lower()] = repo["id"]
            self._moved.pop(f"{owner}/{new}".lower(), None)
            repo["name"] = new
            repo["updated_at"] = gh.iso(self._tick())
            self._touch()
            return self._repo_json(repo)

    def remove_repo(self, owner: str, name: str) -> None:
        with self.lock:
            repo = self._require(owner, name)
            for table in (self._repos, self._releases, self._tags):
                del table[repo["id"]]
            self._moved = {k: v for k, v in self._moved.items() if v != repo["id"]}
            self._touch()

    def add_release(
        self,
        full_name: str,
        tag: str,
        *,
        prerelease: bool = False,
        draft: bool = False,
        body: str | None = "",
        assets: Iterable[str | dict[str, Any]] = (),
        **fields: Any,
    ) -> dict[str, Any]:
        with self.lock:
            repo = self._require(*full_name.split("/", 1))
            author = self._author(fields.pop("author", "octocat"))
            created = self._tick()
            number = next(self._release_ids)
            release: dict[str, Any] = {
                "id": number,
                "node_id": gh.node_id("RE_kwDO", number),
                "tag_name": tag,
                "target_commitish": repo["default_branch"],
                "name": tag,
                "draft": draft,
                "prerelease": prerelease,
                "created_at": gh.iso(created),
                "published_at": None if draft else gh.iso(created + timedelta(minutes=5)),
                "body": body,
                "assets": [self._asset(a, created) for a in assets],
                "_author": author,
                "_untagged": "untagged-" + gh.fake_sha(full_name, str(number))[:20],
            }
            release.update(_normalise(fields))
            self._releases[repo["id"]].append(release)
            if not draft:
                self._ensure_tag(repo["id"], tag)
            self._touch()
            return self._release_json(repo, release)

    def update_release(self, full_name: str, tag: str, **fields: Any) -> dict[str, Any]:
        with self.lock:
            repo, release = self._require_release(full_name, tag)
            if "assets" in fields:
                fields["assets"] = [self._asset(a, self._clock) for a in fields["assets"]]
            if "author" in fields:
                fields["_author"] = self._author(fields.pop("author"))
            publishing = release["draft"] and fields.get("draft") is False
            release.update(_normalise(fields))
            if publishing and "published_at" not in fields:
                release["published_at"] = gh.iso(self._tick())
            if not release["draft"]:
                self._ensure_tag(repo["id"], release["tag_name"])
            self._touch()
            return self._release_json(repo, release)

    def remove_release(self, full_name: str, tag: str) -> None:
        with self.lock:
            repo, release = self._require_release(full_name, tag)
            self._releases[repo["id"]].remove(release)
            self._touch()

    def add_tag(self, full_name: str, name: str, sha: str | None = None) -> dict[str, Any]:
        with self.lock:
            repo = self._require(*full_name.split("/", 1))
            tag = self._ensure_tag(repo["id"], name, sha)
            self._touch()
            return gh.tag_obj(self._full_name(repo), tag)

    def exhaust_rate_limit(self, reset_epoch: int | None = None, status: int = 403) -> None:
        with self.lock:
            self.remaining = 0
            self.rate_limit_status = status
            if reset_epoch is not None:
                self.reset_epoch = int(reset_epoch)

    def reset_rate_limit(self) -> None:
        with self.lock:
            self.remaining = self.limit
            self.reset_epoch = int(time.time()) + 3600

    def set_rate_limit(self, limit: int, remaining: int, reset_epoch: int | None = None) -> None:
        with self.lock:
            self.limit, self.remaining = limit, remaining
            if reset_epoch is not None:
                self.reset_epoch = int(reset_epoch)

    def accept_tokens(self, *tokens: str) -> None:
        """Only these tokens are valid (others get 401); with none, any token is accepted."""
        with self.lock:
            self._tokens = set(tokens)

    def failure_headers(self) -> dict[str, str]:
        with self.lock:
            return self._rate_headers()

    # -- state helpers (callers hold self.lock) ----------------------------------------------

    def _tick(self) -> datetime:
        self._clock += timedelta(hours=1)
        return self._clock

    def _touch(self) -> None:
        self._modified += timedelta(seconds=1)

    def _add_owner(self, login: str, kind: str, number: int | None) -> dict[str, Any]:
        existing = self._owners.get(login.lower())
        if existing is not None:
            return existing
        owner = {"login": login, "id": number or next(self._owner_ids), "type": kind}
        self._owners[login.lower()] = owner
        return owner

    def _author(self, value: str | dict[str, Any]) -> dict[str, Any]:
        if isinstance(value, dict):
            return {"id": 583231, "type": "User", **value}
        return self._owners.get(value.lower()) or {"login": value, "id": 583231, "type": "User"}

    def _asset(self, spec: str | dict[str, Any], when: datetime) -> dict[str, Any]:
        fields = {"name": spec} if isinstance(spec, str) else dict(spec)
        number = next(self._asset_ids)
        return {
            "id": number,
            "node_id": gh.node_id("RA_kwDO", number),
            "name": fields["name"],
            "label": "",
            "content_type": gh.content_type_for(fields["name"]),
            "size": 1024,
            "download_count": 0,
            "created_at": gh.iso(when),
            "updated_at": gh.iso(when),
            **fields,
        }

    def _ensure_tag(self, repo_id: int, name: str, sha: str | None = None) -> dict[str, Any]:
        tags = self._tags[repo_id]
        tag = next((t for t in tags if t["name"] == name), None)
        if tag is None:
            tag = {"name": name, "sha": "", "node_id": gh.node_id("REF_kwDO", len(tags) + 1)}
            tags.insert(0, tag)
        if sha is not None or not tag["sha"]:
            tag["sha"] = sha or gh.fake_sha(str(repo_id), name)
        return tag

    def _find(self, owner: str, name: str) -> dict[str, Any] | None:
        key, lname = owner.lower(), name.lower()
        return next(
            (r for r in self._repos.values() if r["_owner"] == key and r["name"].lower() == lname),
            None,
        )

    def _require(self, owner: str, name: str) -> dict[str, Any]:
        repo = self._find(owner, name)
        if repo is None:
            raise KeyError(f"no repo {owner}/{name}")
        return repo

    def _require_release(self, full_name: str, tag: str) -> tuple[dict[str, Any], dict[str, Any]]:
        repo = self._require(*full_name.split("/", 1))
        for release in self._releases[repo["id"]]:
            if release["tag_name"] == tag:
                return repo, release
        raise KeyError(f"no release {tag} in {full_name}")

    def _full_name(self, repo: dict[str, Any]) -> str:
        return f"{self._owners[repo['_owner']]['login']}/{repo['name']}"

    def _repo_json(self, repo: dict[str, Any]) -> dict[str, Any]:
        return gh.repo_obj(repo, self._owners[repo["_owner"]])

    def _release_json(self, repo: dict[str, Any], release: dict[str, Any]) -> dict[str, Any]:
        return gh.release_obj(self._full_name(repo), release, release["_author"])

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(self.remaining, 0)),
            "x-ratelimit-used": str(self.limit - max(self.remaining, 0)),
            "x-ratelimit-reset": str(self.reset_epoch),
            "x-ratelimit-resource": "core",
            "x-github-api-version-selected": "2022-11-28",
        }

    # -- HTTP --------------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/rate_limit", self._rate_limit)
        router.add_get("/orgs/{login}/repos", self._api(self._org_repos))
        router.add_get(r"/organizations/{id:\d+}/repos", self._api(self._org_repos))
        router.add_get("/users/{login}/repos", self._api(self._user_repos))
        router.add_get(r"/user/{id:\d+}/repos", self._api(self._user_repos))
        for base in ("/repos/{owner}/{repo}", r"/repositories/{id:\d+}"):
            router.add_get(base, self._api(self._repo))
            router.add_get(base + "/releases", self._api(self._release_list))
            router.add_get(base + "/releases/latest", self._api(self._latest_release))
            router.add_get(base + "/releases/tags/{tag}", self._api(self._release_by_tag))
            router.add_get(base + "/tags", self._api(self._tag_list))
        router.add_route("*", "/{tail:.*}", self._api(lambda request, authed: Reply(404, gh.NOT_FOUND)))

    def _api(self, route: Route) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return self._answer(request, route)

        return handler

    def _answer(self, request: web.Request, route: Route) -> web.Response:
        token = _token(request)
        with self.lock:
            if token is not None and self._tokens and token not in self._tokens:
                return json_response(401, gh.BAD_CREDENTIALS, self._rate_headers())
            if self.remaining <= 0:
                message = gh.TOKEN_RATE_MESSAGE if token else gh.ANON_RATE_MESSAGE.format(ip=request.remote)
                body = {"message": message, "documentation_url": gh.RATE_DOCS}
                return json_response(self.rate_limit_status, body, self._rate_headers())
            reply = route(request, token is not None)
            text = json.dumps(reply.body)
            headers = dict(reply.headers)
            not_modified = False
            if reply.status == 200:
                etag = f'W/"{hashlib.sha1(text.encode()).hexdigest()}"'
                headers["etag"] = etag
                headers["last-modified"] = format_datetime(self._modified, usegmt=True)
                not_modified = _not_modified(request, etag, self._modified)
            if not (not_modified and token is not None):
                self.remaining -= 1
            headers.update(self._rate_headers())
            headers["cache-control"] = (
                "private, max-age=60, s-maxage=60" if token else "public, max-age=60, s-maxage=60"
            )
        if not_modified:
            return web.Response(status=304, headers=headers)
        return json_response(reply.status, reply.body, headers)

    async def _rate_limit(self, request: web.Request) -> web.Response:
        with self.lock:
            headers = self._rate_headers()
        core = {
            "limit": int(headers["x-ratelimit-limit"]),
            "used": int(headers["x-ratelimit-used"]),
            "remaining": int(headers["x-ratelimit-remaining"]),
            "reset": int(headers["x-ratelimit-reset"]),
        }
        body = {"resources": {"core": core}, "rate": core}
        return json_response(200, body, headers)

    def _owner_for(self, request: web.Request) -> dict[str, Any] | None:
        if "id" in request.match_info:
            number = int(request.match_info["id"])
            return next((o for o in self._owners.values() if o["id"] == number), None)
        return self._owners.get(request.match_info["login"].lower())

    def _org_repos(self, request: web.Request, authed: bool) -> Reply:
        owner = self._owner_for(request)
        if owner is None or owner["type"] != "Organization":
            return Reply(404, gh.NOT_FOUND)
        return self._repo_list(request, owner, authed, "created", f"/organizations/{owner['id']}/repos")

    def _user_repos(self, request: web.Request, authed: bool) -> Reply:
        owner = self._owner_for(request)
        if owner is None:
            return Reply(404, gh.NOT_FOUND)
        return self._repo_list(request, owner, authed, "full_name", f"/user/{owner['id']}/repos")

    def _repo_list(
        self,
        request: web.Request,
        owner: dict[str, Any],
        authed: bool,
        default_sort: str,
        path: str,
    ) -> Reply:
        kind = request.query.get("type", "all")
        repos = [
            r
            for r in self._repos.values()
            if r["_owner"] == owner["login"].lower()
            and (authed or not r["private"])
            and _type_matches(kind, r)
        ]
        sort = request.query.get("sort", default_sort)
        direction = request.query.get("direction", "asc" if sort == "full_name" else "desc")
        key = {"created": "created_at", "updated": "updated_at", "pushed": "pushed_at"}.get(sort)
        repos.sort(
            key=lambda r: (r[key] if key else r["name"].lower(), r["id"]),
            reverse=direction == "desc",
        )
        return self._page(request, [self._repo_json(r) for r in repos], path)

    def _page(self, request: web.Request, items: list[Any], path: str) -> Reply:
        per_page = min(_int(request.query.get("per_page"), 30) or 30, 100)
        page = max(_int(request.query.get("page"), 1), 1)
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        rels: list[tuple[str, int]] = []
        if page > 1:
            rels.append(("prev", page - 1))
        if page < last:
            rels += [("next", page + 1), ("last", last)]
        if page > 1:
            rels.append(("first", 1))
        if not rels:
            return Reply(200, chunk)
        base = f"{request.scheme}://{request.host}{path}"
        kept = [(k, v) for k, v in request.query.items() if k != "page"]
        link = ", ".join(f'<{base}?{urlencode([*kept, ("page", n)])}>; rel="{rel}"' for rel, n in rels)
        return Reply(200, chunk, {"link": link})

    def _lookup(self, request: web.Request, authed: bool) -> dict[str, Any] | Reply:
        """The repo that /repos/{o}/{r}/… or /repositories/{id}/… names, else the reply to give."""
        info = request.match_info
        if "id" in info:
            repo = self._repos.get(int(info["id"]))
        else:
            repo = self._find(info["owner"], info["repo"])
            moved = self._moved.get(f"{info['owner']}/{info['repo']}".lower())
            if repo is None and moved is not None:
                prefix = f"/repos/{info['owner']}/{info['repo']}"
                location = f"{request.scheme}://{request.host}/repositories/{moved}"
                location += request.path[len(prefix) :]
                body = {
                    "message": "Moved Permanently",
                    "url": location,
                    "documentation_url": gh.DOCS,
                }
                return Reply(301, body, {"location": location})
        if repo is None or (repo["private"] and not authed):
            return Reply(404, gh.NOT_FOUND)
        return repo

    def _repo(self, request: web.Request, authed: bool) -> Reply:
        repo = self._lookup(request, authed)
        return repo if isinstance(repo, Reply) else Reply(200, self._repo_json(repo))

    def _sorted_releases(self, repo: dict[str, Any]) -> list[dict[str, Any]]:
        return sorted(self._releases[repo["id"]], key=lambda r: (r["created_at"], r["id"]), reverse=True)

    def _release_list(self, request: web.Request, authed: bool) -> Reply:
        repo = self._lookup(request, authed)
        if isinstance(repo, Reply):
            return repo
        items = [self._release_json(repo, r) for r in self._sorted_releases(repo)]
        return self._page(request, items, f"/repositories/{repo['id']}/releases")

    def _latest_release(self, request: web.Request, authed: bool) -> Reply:
        repo = self._lookup(request, authed)
        if isinstance(repo, Reply):
            return repo
        for release in self._sorted_releases(repo):
            if not release["draft"] and not release["prerelease"]:
                return Reply(200, self._release_json(repo, release))
        return Reply(404, gh.NOT_FOUND)

    def _release_by_tag(self, request: web.Request, authed: bool) -> Reply:
        repo = self._lookup(request, authed)
        if isinstance(repo, Reply):
            return repo
        for release in self._releases[repo["id"]]:
            if release["tag_name"] == request.match_info["tag"] and not release["draft"]:
                return Reply(200, self._release_json(repo, release))
        return Reply(404, gh.NOT_FOUND)

    def _tag_list(self, request: web.Request, authed: bool) -> Reply:
        repo = self._lookup(request, authed)
        if isinstance(repo, Reply):
            return repo
        full = self._full_name(repo)
        items = [gh.tag_obj(full, t) for t in self._tags[repo["id"]]]
        return self._page(request, items, f"/repositories/{repo['id']}/tags")


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    out = {k: gh.iso(v) if isinstance(v, datetime) else v for k, v in fields.items()}
    if "license" in out:
        out["license"] = gh.license_obj(out["license"])
    return out


def _type_matches(kind: str, repo: dict[str, Any]) -> bool:
    checks: dict[str, Callable[[dict[str, Any]], bool]] = {
        "public": lambda r: not r["private"],
        "private": lambda r: bool(r["private"]),
        "forks": lambda r: bool(r["fork"]),
        "sources": lambda r: not r["fork"],
    }
    return checks.get(kind, lambda r: True)(repo)


def _token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("bearer", "token") else header


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _not_modified(request: web.Request, etag: str, modified: datetime) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in wanted or etag.removeprefix("W/") in wanted
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since:
        try:
            return modified <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False
