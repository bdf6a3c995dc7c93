"""GitHub REST object shapes and error bodies, apart from the fake's state so both stay short."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

API = "https://api.github.com"
WEB = "https://github.com"
DOCS = "https://docs.github.com/rest"
RATE_DOCS = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"

NOT_FOUND: dict[str, Any] = {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
BAD_CREDENTIALS: dict[str, Any] = {
    "message": "Bad credentials",
    "documentation_url": DOCS,
    "status": "401",
}
SERVER_ERROR: dict[str, Any] = {"message": "Server Error"}
ANON_RATE_MESSAGE = (
    "API rate limit exceeded for {ip}. (But here's the good news: Authenticated requests get a "
    "higher rate limit. Check out the documentation for more details.)"
)
TOKEN_RATE_MESSAGE = "API rate limit exceeded for user ID 1."

LICENSES: dict[str, dict[str, Any]] = {
    "mit": {"key": "mit", "name": "MIT License", "spdx_id": "MIT", "node_id": "MDc6TGljZW5zZTEz"},
    "apache-2.0": {
        "key": "apache-2.0",
        "name": "Apache License 2.0",
        "spdx_id": "Apache-2.0",
        "node_id": "MDc6TGljZW5zZTI=",
    },
    "other": {
        "key": "other",
        "name": "Other",
        "spdx_id": "NOASSERTION",
        "node_id": "MDc6TGljZW5zZTA=",
    },
}

REPO_HEAD = ("id", "node_id", "name", "full_name", "private", "owner", "html_url", "description")
CONTENT_TYPES = {".gz": "application/gzip", ".tgz": "application/gzip", ".zip": "application/zip"}


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(prefix: str, number: int) -> str:
    return prefix + base64.b64encode(number.to_bytes(8, "big")).decode().rstrip("=")


def fake_sha(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


def license_obj(value: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """`"mit"` becomes GitHub's licence object; dicts and None pass through."""
    if value is None or isinstance(value, dict):
        return value
    found = LICENSES.get(value.lower(), {**LICENSES["other"], "key": value.lower(), "name": value})
    url = None if found["spdx_id"] == "NOASSERTION" else f"{API}/licenses/{found['key']}"
    return {**found, "url": url}


def user_obj(owner: dict[str, Any]) -> dict[str, Any]:
    login, number = owner["login"], owner["id"]
    return {
        "login": login,
        "id": number,
        "node_id": node_id("O_kgDO" if owner["type"] == "Organization" else "U_kgDO", number),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{number}?v=4",
        "url": f"{API}/users/{login}",
        "html_url": f"{WEB}/{login}",
        "type": owner["type"],
        "site_admin": False,
    }


def repo_obj(repo: dict[str, Any], owner: dict[str, Any]) -> dict[str, Any]:
    full = f"{owner['login']}/{repo['name']}"
    derived = {
        "full_name": full,
        "owner": user_obj(owner),
        "html_url": f"{WEB}/{full}",
        "url": f"{API}/repos/{full}",
        "releases_url": f"{API}/repos/{full}/releases{{/id}}",
        "tags_url": f"{API}/repos/{full}/tags",
        "git_url": f"git://github.com/{full}.git",
        "ssh_url": f"git@github.com:{full}.git",
        "clone_url": f"{WEB}/{full}.git",
        "watchers_count": repo["stargazers_count"],
        "forks": repo["forks_count"],
        "open_issues": repo["open_issues_count"],
        "watchers": repo["stargazers_count"],
    }
    merged = {**derived, **{k: v for k, v in repo.items() if not k.startswith("_")}}
    return {**{k: merged[k] for k in REPO_HEAD}, **merged}


def asset_obj(full: str, tag: str, asset: dict[str, Any], uploader: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": f"{API}/repos/{full}/releases/assets/{asset['id']}",
        "uploader": user_obj(uploader),
        "state": "uploaded",
        "browser_download_url": f"{WEB}/{full}/releases/download/{tag}/{asset['name']}",
        **asset,
    }


def release_obj(full: str, release: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
    number, tag = release["id"], release["tag_name"]
    shown_tag = release["_untagged"] if release["draft"] else tag
    return {
        "url": f"{API}/repos/{full}/releases/{number}",
        "assets_url": f"{API}/repos/{full}/releases/{number}/assets",
        "upload_url": f"https://uploads.github.com/repos/{full}/releases/{number}/assets{{?name,label}}",
        "html_url": f"{WEB}/{full}/releases/tag/{shown_tag}",
        "author": user_obj(author),
        "tarball_url": f"{API}/repos/{full}/tarball/{tag}",
        "zipball_url": f"{API}/repos/{full}/zipball/{tag}",
        **{k: v for k, v in release.items() if not k.startswith("_") and k != "assets"},
        "assets": [asset_obj(full, tag, a, author) for a in release["assets"]],
    }


def tag_obj(full: str, tag: dict[str, Any]) -> dict[str, Any]:
    name, sha = tag["name"], tag["sha"]
    return {
        "name": name,
        "zipball_url": f"{API}/repos/{full}/zipball/refs/tags/{name}",
        "tarball_url": f"{API}/repos/{full}/tarball/refs/tags/{name}",
        "commit": {"sha": sha, "url": f"{API}/repos/{full}/commits/{sha}"},
        "node_id": tag["node_id"],
    }


def content_type_for(filename: str) -> str:
    suffix = filename[filename.rfind(".") :] if "." in filename else ""
    return CONTENT_TYPES.get(suffix, "application/octet-stream")
