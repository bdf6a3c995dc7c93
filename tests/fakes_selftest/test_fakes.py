"""Proves the fakes speak the wire formats the bot's tests rely on."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes import ChatSink, FakeGitHub

ORG = "deepseek-ai"
REPOS = ["DeepSeek-V3", "DeepSeek-R1", "FlashMLA", "DeepEP", "3FS", "smallpond", "DualPipe"]


@pytest.fixture(scope="module")
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


@pytest.fixture(scope="module")
def sink() -> Iterator[ChatSink]:
    with ChatSink() as server:
        yield server


@pytest.fixture
def gh(github: FakeGitHub) -> Iterator[httpx.Client]:
    github.reset()
    github.add_org(ORG)
    for name in REPOS:
        github.add_repo(ORG, name, license="mit")
    with httpx.Client(base_url=github.url, timeout=5) as client:
        yield client


@pytest.fixture
def chat(sink: ChatSink) -> Iterator[httpx.Client]:
    sink.reset()
    sink.register_webhook(111, "tok")
    with httpx.Client(timeout=5) as client:
        yield client


def test_link_header_followed_verbatim_returns_every_repo(gh: httpx.Client) -> None:
    response = gh.get(f"/orgs/{ORG}/repos", params={"per_page": 2})
    assert 'rel="next"' in response.headers["link"] and 'rel="last"' in response.headers["link"]
    assert "/organizations/" in response.headers["link"]
    names = [r["name"] for r in response.json()]
    while "next" in response.links:
        response = gh.get(response.links["next"]["url"])
        names += [r["name"] for r in response.json()]
    assert names == list(reversed(REPOS))
    assert set(response.links) == {"prev", "first"}


def test_single_page_has_no_link_and_users_sort_by_name(gh: httpx.Client) -> None:
    response = gh.get(f"/users/{ORG}/repos")
    assert "link" not in response.headers
    assert [r["name"] for r in response.json()] == sorted(REPOS, key=str.lower)


def test_if_none_match_gives_304_with_rate_headers(gh: httpx.Client) -> None:
    first = gh.get(f"/repos/{ORG}/FlashMLA")
    assert first.headers["etag"].startswith('W/"')
    assert first.headers["content-type"] == "application/json; charset=utf-8"
    second = gh.get(f"/repos/{ORG}/FlashMLA", headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 304 and second.content == b""
    assert int(second.headers["x-ratelimit-remaining"]) == int(first.headers["x-ratelimit-remaining"]) - 1


def test_authorized_304_is_not_counted(gh: httpx.Client) -> None:
    auth = {"Authorization": "Bearer ghp_test"}
    first = gh.get(f"/repos/{ORG}/DeepEP/releases", headers=auth)
    again = gh.get(f"/repos/{ORG}/DeepEP/releases", headers={**auth, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]


def test_change_invalidates_etag(github: FakeGitHub, gh: httpx.Client) -> None:
    first = gh.get(f"/repos/{ORG}/DeepEP/releases")
    github.add_release(f"{ORG}/DeepEP", "v1.0.0", draft=True)
    again = gh.get(f"/repos/{ORG}/DeepEP/releases", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200
    assert again.json()[0]["draft"] is True and again.json()[0]["published_at"] is None


def test_exhausted_rate_limit_gives_real_403(github: FakeGitHub, gh: httpx.Client) -> None:
    github.exhaust_rate_limit(reset_epoch=1_900_000_000)
    anonymous = gh.get(f"/orgs/{ORG}/repos")
    token = gh.get(f"/orgs/{ORG}/repos", headers={"Authorization": "token ghp_test"})
    assert anonymous.status_code == token.status_code == 403
    assert anonymous.json()["message"].startswith("API rate limit exceeded for 127.0.0.1. (But")
    assert token.json()["message"] == "API rate limit exceeded for user ID 1."
    assert anonymous.headers["x-ratelimit-remaining"] == "0"
    assert anonymous.headers["x-ratelimit-reset"] == "1900000000"
    github.reset_rate_limit()
    assert gh.get(f"/orgs/{ORG}/repos").status_code == 200


def test_fail_next_then_recovers(github: FakeGitHub, gh: httpx.Client) -> None:
    github.fail_next(2, status=502, path_contains="/releases")
    assert gh.get(f"/repos/{ORG}/DeepEP").status_code == 200
    assert [gh.get(f"/repos/{ORG}/DeepEP/releases").status_code for _ in range(3)] == [
        502,
        502,
        200,
    ]
    assert [r.status for r in github.requests] == [200, 502, 502, 200]


def test_unknown_repo_404_and_renamed_repo_301(github: FakeGitHub, gh: httpx.Client) -> None:
    missing = gh.get(f"/repos/{ORG}/nope")
    assert missing.status_code == 404 and missing.json()["status"] == "404"
    repo = github.rename_repo(ORG, "3FS", "3FS-v2")
    moved = gh.get(f"/repos/{ORG}/3FS/tags")
    assert moved.status_code == 301
    assert gh.get(moved.headers["location"]).status_code == 200
    assert gh.get(f"/repositories/{repo['id']}").json()["full_name"] == f"{ORG}/3FS-v2"


def test_hold_parks_a_request_until_released(github: FakeGitHub, gh: httpx.Client) -> None:
    held = github.hold("/tags")
    results: list[int] = []
    worker = threading.Thread(target=lambda: results.append(gh.get(f"/repos/{ORG}/DeepEP/tags").status_code))
    worker.start()
    assert held.arrived.wait(5)
    assert results == []
    held.release()
    worker.join(5)
    assert results == [200]


def test_control_api_over_http(github: FakeGitHub, gh: httpx.Client) -> None:
    body = {
        "args": [f"{ORG}/FlashMLA", "v1.0.1"],
        "prerelease": True,
        "assets": ["flash_mla.tar.gz"],
    }
    created = gh.post("/_control/add_release", json=body).json()["result"]
    listed = gh.get(f"/repos/{ORG}/FlashMLA/releases").json()
    assert listed[0]["id"] == created["id"] and listed[0]["prerelease"] is True
    assert listed[0]["assets"][0]["browser_download_url"].endswith("/v1.0.1/flash_mla.tar.gz")
    assert gh.get(f"/repos/{ORG}/FlashMLA/tags").json()[0]["name"] == "v1.0.1"


def test_discord_429_script_then_delivers(sink: ChatSink, chat: httpx.Client) -> None:
    sink.script(111, ("429", 0.25))
    url = sink.webhook_url(111) + "?wait=true"
    limited = chat.post(url, json={"content": "hello"})
    assert limited.status_code == 429
    assert limited.json() == {
        "message": "You are being rate limited.",
        "retry_after": 0.25,
        "global": False,
    }
    assert limited.headers["via"] == "1.1 google" and limited.headers["x-ratelimit-scope"] == "user"
    assert limited.headers["retry-after"] == "1" and limited.headers["x-ratelimit-remaining"] == "0"
    assert sink.posts == []
    delivered = chat.post(url, json={"content": "hello"})
    assert delivered.status_code == 200 and delivered.json()["webhook_id"] == "111"
    assert [p.body["content"] for p in sink.wait_for_posts(1, timeout=1)] == ["hello"]
    assert [a.status for a in sink.attempts] == [429, 200]


def test_discord_limits_give_50035_by_path(sink: ChatSink, chat: httpx.Client) -> None:
    url = sink.webhook_url(111)
    too_long = chat.post(url, json={"embeds": [{"description": "x" * 4097}]})
    assert too_long.status_code == 400
    assert too_long.json() == {
        "code": 50035,
        "message": "Invalid Form Body",
        "errors": {
            "embeds": {
                "0": {
                    "description": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_MAX_LENGTH",
                                "message": "Must be 4096 or fewer in length.",
                            }
                        ]
                    }
                }
            }
        },
    }
    big = [{"description": "y" * 4000}, {"description": "z" * 2001}]
    assert chat.post(url, json={"embeds": big}).json()["errors"]["embeds"]["_errors"][0]["code"] == (
        "MAX_EMBED_SIZE_EXCEEDED"
    )
    assert chat.post(url, json={"content": "  "}).json()["code"] == 50006
    assert chat.post(url, json={"content": "ok"}).status_code == 204
    assert chat.post(sink.url + "/api/webhooks/999/x", json={"content": "a"}).json()["code"] == 10015
    assert chat.post(sink.url + "/api/webhooks/111/bad", json={"content": "a"}).status_code == 401
    assert len(sink.posts) == 1


def test_hang_delivers_after_release(sink: ChatSink, chat: httpx.Client) -> None:
    (hang,) = sink.script(111, "hang")
    worker = threading.Thread(target=lambda: chat.post(sink.webhook_url(111), json={"content": "late"}))
    worker.start()
    assert hang.arrived.wait(5)
    assert sink.posts == []
    hang.release()
    assert sink.wait_for_posts(1, timeout=5)[0].body == {"content": "late"}
    worker.join(5)


def test_slack_webhook(sink: ChatSink, chat: httpx.Client) -> None:
    url = sink.register_slack()
    sink.script("T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", ("429", 3), "410")
    limited = chat.post(url, json={"text": "hi"})
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert (chat.post(url, json={"text": "hi"}).text) == "channel_is_archived"
    assert chat.post(url, json={}).text == "no_text"
    ok = chat.post(url, json={"text": "hi"})
    assert (ok.status_code, ok.text, ok.headers["content-type"]) == (
        200,
        "ok",
        "text/plain; charset=utf-8",
    )
