"""How GitHub changes read as events: pure describe() on normalised records."""

from __future__ import annotations

from bot.models import Change
from watchers import github_org, github_releases

REPO = {"id": 7, "name": "DeepSeek-V4", "full_name": "deepseek-ai/DeepSeek-V4",
        "description": None, "homepage": None, "topics": ["llm"], "license": None,
        "archived": False, "visibility": "public", "fork": False,
        "created_at": "2026-03-04T09:00:00Z", "html_url": "https://github.com/deepseek-ai/DeepSeek-V4"}


def test_new_repo_reads_as_repo_created() -> None:
    [event] = github_org.describe(Change("added", "7", None, github_org.normalise(REPO)))
    assert event.kind == "github.repo_created"
    assert event.title == "New repository deepseek-ai/DeepSeek-V4"
    assert "licence: none" in event.diff and event.url == REPO["html_url"]


def test_description_change_is_one_readable_line() -> None:
    before = github_org.normalise(REPO)
    after = github_org.normalise({**REPO, "description": "DeepSeek-V4 technical report"})
    [event] = github_org.describe(Change("changed", "7", before, after, 1))
    assert event.kind == "github.repo_changed"
    assert event.diff == ["description: '' → 'DeepSeek-V4 technical report'"]
    assert event.before == {"description": ""}


def test_rename_keeps_the_id_and_says_renamed() -> None:
    before = github_org.normalise(REPO)
    after = github_org.normalise({**REPO, "name": "V4", "full_name": "deepseek-ai/V4"})
    [event] = github_org.describe(Change("changed", "7", before, after, 1))
    assert event.title == "deepseek-ai/DeepSeek-V4 renamed to deepseek-ai/V4"


def test_licence_and_topics_lines() -> None:
    before = github_org.normalise(REPO)
    after = github_org.normalise({**REPO, "license": {"spdx_id": "MIT"}, "topics": ["llm", "moe"]})
    [event] = github_org.describe(Change("changed", "7", before, after, 1))
    assert event.diff == ["topics: +moe", "licence: none → 'MIT'"]


RELEASE = {"repo": "deepseek-ai/DeepEP", "tag": "v1.2", "name": "v1.2", "prerelease": False,
           "published_at": "2026-03-01T10:05:00Z", "html_url": "https://github.com/x/y/releases/tag/v1.2",
           "body": "Fixes.", "assets": []}


def test_release_published() -> None:
    [event] = github_releases.describe(Change("added", "release:9", None, RELEASE))
    assert (event.kind, event.subject) == ("github.release_published", "deepseek-ai/DeepEP v1.2")


def test_prerelease_then_promotion() -> None:
    pre = {**RELEASE, "prerelease": True}
    [first] = github_releases.describe(Change("added", "release:9", None, pre))
    [second] = github_releases.describe(Change("changed", "release:9", pre, RELEASE, 1))
    assert first.kind == "github.prerelease_published"
    assert second.kind == "github.release_published" and "promoted from prerelease" in second.diff


def test_publish_time_alone_is_not_news() -> None:
    later = {**RELEASE, "published_at": "2026-03-02T00:00:00Z"}
    assert github_releases.describe(Change("changed", "release:9", RELEASE, later, 1)) == []


def test_edited_notes_read_as_release_changed() -> None:
    edited = {**RELEASE, "body": "Fixes. Also 1M context."}
    [event] = github_releases.describe(Change("changed", "release:9", RELEASE, edited, 1))
    assert event.kind == "github.release_changed"
    assert event.diff == ["notes: 'Fixes.' → 'Fixes. Also 1M context.'"]
