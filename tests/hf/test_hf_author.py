"""hf_author against the fake Hub: an author's listing, paged by the Link cursor, read in detail
only where a commit moved; datasets and Spaces under their own event names."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.app import App
from tests.fakes.huggingface import FakeHub
from tests.hf.conftest import (
    add_v3,
    kinds,
    per_repo_paths,
    record,
    status,
    v3_config,
    v3_shards,
    watch_config,
)
from watchers import hf_author

MakeApp = Callable[..., App]
AUTHOR = "deepseek-ai"


def author_config(hub: FakeHub, extra: str = "") -> str:
    return watch_config(hub, "hf_author", f'author = "{AUTHOR}"', extra)


def seed(hub: FakeHub, n: int, repo_type: str = "model") -> None:
    for i in range(n):
        config = v3_config(max_position_embeddings=4096 * (i + 1))
        files = {"config.json": config} if repo_type == "model" else {}
        hub.add_repo(f"{AUTHOR}/repo-{i:03d}", repo_type, license="mit", files=files)


async def test_baseline_posts_nothing_and_reads_each_repo_once(hub: FakeHub, make_app: MakeApp) -> None:
    seed(hub, 3)
    hub.add_repo("someone-else/unrelated", license="mit")
    app = make_app(author_config(hub))
    result = await app.engine.poll("hf")
    assert result.ok and result.baseline and result.events == []
    assert status(app).records == 3
    paths = [r.path for r in hub.requests]
    assert paths[0] == "/api/models" and len(paths) == 1 + 3 * 2
    query = hub.requests[0].query
    assert (query["author"], query["sort"], query["direction"], query["limit"]) == (
        AUTHOR, "lastModified", "-1", "100")


async def test_new_repo_posts_model_created_and_reads_only_that_repo(hub: FakeHub,
                                                                    make_app: MakeApp) -> None:
    seed(hub, 3)
    app = make_app(author_config(hub))
    await app.engine.poll("hf")
    hub.add_repo(f"{AUTHOR}/DeepSeek-V4", license="mit", gated="manual")
    hub.clear_requests()
    result = await app.engine.poll("hf")
    assert kinds(result) == ["hf.model_created"]
    assert result.events[0].title == f"{AUTHOR}/DeepSeek-V4 created (gated: manual, no weights yet)"
    info, config = per_repo_paths(hub)
    assert info == f"/api/models/{AUTHOR}/DeepSeek-V4"
    assert config.startswith(f"/{AUTHOR}/DeepSeek-V4/resolve/") and config.endswith("/config.json")


async def read_baseline(app: App) -> None:
    """Poll until every repo was read in detail (DETAIL_BUDGET of them per poll)."""
    for _ in range(20):
        assert (await app.engine.poll("hf")).ok
        if not any(r.fields.get("pending") for r in app.store.load_watch("hf").records.values()):
            return
    raise AssertionError("baseline never completed")


async def test_unchanged_poll_of_100_repos_is_one_request_and_no_per_repo_request(
        hub: FakeHub, make_app: MakeApp) -> None:
    seed(hub, 100)
    app = make_app(author_config(hub))
    await read_baseline(app)
    hub.clear_requests()
    result = await app.engine.poll("hf")
    assert result.ok and result.events == []
    assert [(r.path, r.status) for r in hub.requests] == [("/api/models", 304)]


async def test_unchanged_poll_costs_one_request_per_listing_page(hub: FakeHub,
                                                               make_app: MakeApp) -> None:
    seed(hub, 250)
    app = make_app(author_config(hub))
    await read_baseline(app)
    hub.clear_requests()
    assert (await app.engine.poll("hf")).events == []
    assert [(r.path, r.status) for r in hub.requests] == [("/api/models", 304)] * 3
    assert [r.query.get("cursor") is not None for r in hub.requests] == [False, True, True]


async def test_download_counts_changing_post_nothing_and_read_no_repo(hub: FakeHub,
                                                                      make_app: MakeApp) -> None:
    seed(hub, 5)
    app = make_app(author_config(hub))
    await app.engine.poll("hf")
    for i in range(5):
        hub.update_repo(f"{AUTHOR}/repo-{i:03d}", downloads=10_000 * i, likes=i, trendingScore=i)
    hub.clear_requests()
    result = await app.engine.poll("hf")
    assert result.ok and result.events == []
    assert per_repo_paths(hub) == []


async def test_gating_change_in_the_listing_posts_one_event_without_reading_the_repo(
        hub: FakeHub, make_app: MakeApp) -> None:
    seed(hub, 4)
    app = make_app(author_config(hub))
    await app.engine.poll("hf")
    hub.update_repo(f"{AUTHOR}/repo-002", gated="auto")
    hub.clear_requests()
    result = await app.engine.poll("hf")
    assert kinds(result) == ["hf.gating_changed"]
    assert result.events[0].diff == ["gated: open → auto"]
    assert per_repo_paths(hub) == []


async def test_shards_uploaded_to_one_repo_post_one_weights_published(hub: FakeHub,
                                                                      make_app: MakeApp) -> None:
    seed(hub, 3)
    add_v3(hub, weights=False)
    app = make_app(author_config(hub))
    await app.engine.poll("hf")
    hub.put_files(f"{AUTHOR}/DeepSeek-V4", v3_shards(), parameters={"F8_E4M3": 680_571_043_840})
    hub.clear_requests()
    result = await app.engine.poll("hf")
    assert kinds(result) == ["hf.weights_published"]
    assert result.events[0].diff[0].startswith("163 safetensors shards, 688.6 GB, 681B parameters")
    assert all("DeepSeek-V4" in path for path in per_repo_paths(hub))


async def test_datasets_and_spaces_post_their_own_created_events(hub: FakeHub,
                                                                 make_app: MakeApp) -> None:
    seed(hub, 1)
    seed(hub, 1, "dataset")
    app = make_app(author_config(hub, 'repo_types = ["model", "dataset", "space"]'))
    await app.engine.poll("hf")
    hub.add_repo(f"{AUTHOR}/DeepSeek-Prover-data", "dataset", license="mit")
    hub.add_repo(f"{AUTHOR}/chat-demo", "space", sdk="gradio")
    result = await app.engine.poll("hf")
    assert sorted(kinds(result)) == ["hf.dataset_created", "hf.space_created"]
    titles = sorted(e.title for e in result.events)
    assert titles == [f"Dataset {AUTHOR}/DeepSeek-Prover-data created", f"Space {AUTHOR}/chat-demo created"]
    space = record(app, f"spaces/{AUTHOR}/chat-demo")
    assert space["url"] == f"{hub.url}/spaces/{AUTHOR}/chat-demo" and space["sdk"] == "gradio"


async def test_match_keeps_only_repos_whose_name_matches(hub: FakeHub, make_app: MakeApp) -> None:
    seed(hub, 3)
    app = make_app(author_config(hub, 'match = "V4"'))
    await app.engine.poll("hf")
    hub.add_repo(f"{AUTHOR}/DeepSeek-V4-Lite", license="mit")
    hub.add_repo(f"{AUTHOR}/Janus-Pro-2", license="mit")
    result = await app.engine.poll("hf")
    assert [e.subject for e in result.events] == [f"{AUTHOR}/DeepSeek-V4-Lite"]


async def test_deleted_repo_posts_model_deleted_after_two_complete_listings(
        hub: FakeHub, make_app: MakeApp) -> None:
    seed(hub, 5)
    app = make_app(author_config(hub))
    await app.engine.poll("hf")
    hub.remove_repo(f"{AUTHOR}/repo-001")
    assert (await app.engine.poll("hf")).events == []
    result = await app.engine.poll("hf")
    assert kinds(result) == ["hf.model_deleted"]


async def test_large_author_baseline_spreads_detail_reads_and_fills_in_silently(
        hub: FakeHub, make_app: MakeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hf_author, "DETAIL_BUDGET", 2)
    seed(hub, 5)
    app = make_app(author_config(hub))
    infos = []
    for _ in range(4):
        hub.clear_requests()
        result = await app.engine.poll("hf")
        assert result.ok and result.events == []
        infos.append(sum(1 for r in hub.requests if r.path.startswith("/api/models/")))
    assert infos == [2, 2, 1, 0]
    assert record(app, f"models/{AUTHOR}/repo-000")["context_window"] == 4096


async def test_unknown_author_is_an_empty_successful_poll_with_a_note(hub: FakeHub,
                                                                      make_app: MakeApp) -> None:
    app = make_app(author_config(hub))
    result = await app.engine.poll("hf")
    assert result.ok and status(app).note == f"no model repos by {AUTHOR} on the Hub"
