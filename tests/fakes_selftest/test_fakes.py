"""Proves the fakes speak the wire formats the bot's tests rely on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes import ChatSink, FakeGitHub
from tests.fakes.chat_sink import RawPost

ORG = "deepseek-ai"
BOT = {"Authorization": "Bot bot-tok"}
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


def test_slack_block_limits_answer_invalid_blocks(sink: ChatSink, chat: httpx.Client) -> None:
    url = sink.register_slack()

    def header(text: str) -> dict[str, object]:
        return {"type": "header", "text": {"type": "plain_text", "text": text}}

    def post(blocks: list[dict[str, object]]) -> httpx.Response:
        return chat.post(url, json={"text": "fallback", "blocks": blocks})

    too_long = post([header("h" * 151)])
    assert (too_long.status_code, too_long.text) == (400, "invalid_blocks")
    assert too_long.headers["content-type"].startswith("text/plain")
    section: dict[str, object] = {"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}
    context: dict[str, object] = {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}
    assert [post(b).text for b in ([section], [context], [header("h")] * 51)] == ["invalid_blocks"] * 3
    assert post([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]).text == "invalid_blocks"
    assert chat.post(url, json={"blocks": []}).text == "no_text"
    assert post([header("h" * 150)]).text == "ok"
    assert len(sink.posts) == 1


def test_bot_message_auth_and_channel(sink: ChatSink, chat: httpx.Client) -> None:
    url = sink.register_channel(42, "bot-tok")
    assert url == f"{sink.bot_base_url}/channels/42/messages" and sink.bot_base_url.endswith("/api/v10")
    for headers in ({}, {"Authorization": "bot-tok"}, {"Authorization": "Bot nope"}):
        denied = chat.post(url, json={"content": "hi"}, headers=headers)
        assert denied.status_code == 401
        assert denied.json() == {"message": "401: Unauthorized", "code": 0}
    missing = chat.post(f"{sink.bot_base_url}/channels/7/messages", json={"content": "hi"}, headers=BOT)
    assert (missing.status_code, missing.json()["code"]) == (404, 10003)
    long_nonce = {"content": "hi", "nonce": "n" * 26, "enforce_nonce": True}
    assert chat.post(url, json=long_nonce, headers=BOT).json()["errors"]["nonce"]["_errors"][0]["code"] == (
        "BASE_TYPE_MAX_LENGTH"
    )
    assert chat.post(url, json={"content": " "}, headers=BOT).json()["code"] == 50006
    created = chat.post(sink.url + "/api/channels/42/messages", json={"content": "hi"}, headers=BOT)
    assert created.status_code == 200 and "x-ratelimit-bucket" in created.headers
    message = created.json()
    assert (message["channel_id"], message["content"], message["author"]["bot"]) == ("42", "hi", True)
    assert [p.message for p in sink.posts_for_channel(42)] == [message]
    assert sink.posts_for("channel:42") == sink.wait_for_posts(1, timeout=1)


def test_bot_nonce_enforced_returns_existing_message(sink: ChatSink, chat: httpx.Client) -> None:
    url = sink.register_channel(42, "bot-tok")
    body = {"content": "once", "nonce": "abc123", "enforce_nonce": True}
    first = chat.post(url, json=body, headers=BOT)
    second = chat.post(url, json={**body, "content": "changed"}, headers=BOT)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json() and first.json()["nonce"] == "abc123"
    assert len(sink.posts_for_channel(42)) == 1 and len(sink.attempts) == 2
    without_enforce = chat.post(url, json={"content": "again", "nonce": "abc123"}, headers=BOT)
    assert without_enforce.json()["id"] != first.json()["id"]
    assert len(sink.posts_for_channel(42)) == 2


def test_bot_nonce_window_expires(chat: httpx.Client) -> None:
    with ChatSink(nonce_window=0.05) as short:
        url = short.register_channel(1, "bot-tok")
        body = {"content": "x", "nonce": 12345, "enforce_nonce": True}
        ids = [chat.post(url, json=body, headers=BOT).json()["id"]]
        time.sleep(0.1)
        ids.append(chat.post(url, json=body, headers=BOT).json()["id"])
        assert ids[0] != ids[1] and len(short.posts) == 2


def test_bot_scripted_429_has_via_header(sink: ChatSink, chat: httpx.Client) -> None:
    url = sink.register_channel(42, "bot-tok")
    sink.script("channel:42", ("429", 0.5), "502")
    limited = chat.post(url, json={"content": "hi"}, headers=BOT)
    assert limited.status_code == 429 and limited.headers["via"] == "1.1 google"
    assert limited.json()["retry_after"] == 0.5 and limited.headers["x-ratelimit-remaining"] == "0"
    assert chat.post(url, json={"content": "hi"}, headers=BOT).status_code == 502
    assert chat.post(url, json={"content": "hi"}, headers=BOT).status_code == 200
    assert len(sink.posts) == 1


def test_released_hang_then_retry_with_same_nonce_posts_once(sink: ChatSink, chat: httpx.Client) -> None:
    url = sink.register_channel(42, "bot-tok")
    (hang,) = sink.script("channel:42", "hang")
    body = {"content": "release", "nonce": "k1", "enforce_nonce": True}
    with pytest.raises(httpx.ReadTimeout):
        chat.post(url, json=body, headers=BOT, timeout=httpx.Timeout(5, read=0.3))
    assert hang.arrived.wait(5) and sink.posts == []
    hang.release()
    [post] = sink.wait_for_posts(1, timeout=5)
    retry = chat.post(url, json=body, headers=BOT)
    assert retry.status_code == 200 and post.message is not None
    assert retry.json()["id"] == post.message["id"]
    assert len(sink.posts_for_channel(42)) == 1


def test_generic_hook_records_raw_body_and_headers(sink: ChatSink, chat: httpx.Client) -> None:
    url = sink.register_hook("ci")
    raw = b'{"b": 1,  "a": "\xc3\xa9"}'
    sink.script("hook:ci", ("429", 2), "500")
    limited = chat.post(url, content=raw)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "2")
    assert chat.post(url, content=raw).status_code == 500
    headers = {"Content-Type": "application/json", "X-Releasewatch-Signature": "sha256=ab"}
    ok = chat.post(url, content=raw, headers=headers)
    assert (ok.status_code, ok.json()) == (200, {"ok": True})
    [post] = sink.wait_for_hook_posts("ci", 1, timeout=1)
    assert isinstance(post, RawPost) and post.body == raw and post.name == "ci"
    assert post.headers["x-releasewatch-signature"] == "sha256=ab"
    assert post.headers["content-type"] == "application/json"
    assert chat.post(sink.url + "/hooks/unknown", content=raw).status_code == 404
    assert sink.hook_posts("ci") == [post] and sink.posts == []


def test_generic_hook_hang_records_after_release(sink: ChatSink, chat: httpx.Client) -> None:
    url = sink.register_hook("slow")
    (hang,) = sink.script("hook:slow", "hang")
    worker = threading.Thread(target=lambda: chat.post(url, content=b"late"))
    worker.start()
    assert hang.arrived.wait(5)
    assert sink.hook_posts("slow") == []
    hang.release()
    assert sink.wait_for_hook_posts("slow", 1, timeout=5)[0].body == b"late"
    worker.join(5)


def test_reset_drops_a_pending_hang(sink: ChatSink, chat: httpx.Client) -> None:
    url = sink.register_channel(42, "bot-tok")
    (hang,) = sink.script("channel:42", "hang")
    statuses: list[int] = []
    worker = threading.Thread(
        target=lambda: statuses.append(chat.post(url, json={"content": "x"}, headers=BOT).status_code)
    )
    worker.start()
    assert hang.arrived.wait(5)
    sink.reset()
    sink.register_channel(42, "bot-tok")
    worker.join(5)
    assert statuses == [503] and sink.posts == []
