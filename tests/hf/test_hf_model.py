"""hf_model against the fake Hub: one repo, from "not there yet" through weights, licence, gating
and config.json changes, with the Hub's own error codes and rate limits."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from bot.app import App
from bot.clock import FakeClock
from tests.fakes.huggingface import FakeHub
from tests.hf.conftest import (
    HF_TOKEN,
    V4,
    add_v3,
    kinds,
    record,
    status,
    v3_config,
    v3_shards,
    watch_config,
)

MakeApp = Callable[..., App]
RID = f"models/{V4}"


def v4_config(hub: FakeHub, extra: str = "") -> str:
    return watch_config(hub, "hf_model", f'repo = "{V4}"', extra)


async def test_first_poll_of_an_existing_repo_is_a_silent_baseline(hub: FakeHub,
                                                                   make_app: MakeApp) -> None:
    add_v3(hub)
    app = make_app(v4_config(hub))
    result = await app.engine.poll("hf")
    assert result.ok and result.baseline and result.events == []
    fields = record(app, RID)
    assert fields["weights"] == {"safetensors": {"files": 163, "bytes": 688_586_727_753}}
    assert fields["context_window"] == 163_840 and fields["license"] == "mit"


async def test_repo_not_found_401_is_an_empty_poll_then_its_creation_posts_once(
        hub: FakeHub, make_app: MakeApp) -> None:
    app = make_app(v4_config(hub))
    first = await app.engine.poll("hf")
    assert first.ok and first.events == []
    assert [r.status for r in hub.requests] == [401]
    health = status(app)
    assert health.ok and health.records == 0 and health.note == f"{V4} not on the Hub yet (or private)"
    hub.add_repo(V4, license="mit", gated="manual")
    created = await app.engine.poll("hf")
    assert kinds(created) == ["hf.model_created"]
    assert created.events[0].title == f"{V4} created (gated: manual, no weights yet)"
    assert (await app.engine.poll("hf")).events == []


async def test_missing_repo_with_a_token_is_a_404_and_still_a_successful_poll(
        hub: FakeHub, make_app: MakeApp) -> None:
    app = make_app(v4_config(hub), environ={"RW_HF_TOKEN": HF_TOKEN})
    result = await app.engine.poll("hf")
    assert result.ok
    [request] = hub.requests
    assert request.status == 404 and request.headers["authorization"] == f"Bearer {HF_TOKEN}"
    assert HF_TOKEN not in "\n".join(app.store.db.iterdump())


async def test_163_shards_post_one_weights_published_with_count_size_and_parameters(
        hub: FakeHub, make_app: MakeApp, capsys: pytest.CaptureFixture[str]) -> None:
    add_v3(hub, weights=False, gated="manual")
    app = make_app(v4_config(hub))
    await app.engine.poll("hf")
    hub.put_files(V4, v3_shards(), parameters={"BF16": 3918786560, "F8_E4M3": 680571043840,
                                                "F32": 41555600})
    result = await app.engine.poll("hf")
    assert kinds(result) == ["hf.weights_published"]
    [event] = result.events
    assert event.title == f"Weights published: {V4}"
    assert event.diff == ["163 safetensors shards, 688.6 GB, 685B parameters (F8_E4M3, BF16, F32), "
                          "licence MIT"]
    assert json.loads(json.dumps(event.after))["parameters"]["total"] == 684_531_386_000
    await app.dispatcher.deliver_due()
    assert capsys.readouterr().out.count("Weights published") == 1


async def test_weights_and_config_in_one_upload_post_one_message(hub: FakeHub,
                                                                 make_app: MakeApp) -> None:
    add_v3(hub, weights=False, config=False)
    app = make_app(v4_config(hub))
    await app.engine.poll("hf")
    hub.put_files(V4, {**v3_shards(), "config.json": v3_config(max_position_embeddings=1_048_576)},
                  parameters={"BF16": 1_000_000_000})
    result = await app.engine.poll("hf")
    assert kinds(result) == ["hf.weights_published"]
    assert "context window: 1,048,576 tokens" in result.events[0].diff


async def test_licence_change_posts_one_license_changed(hub: FakeHub, make_app: MakeApp) -> None:
    add_v3(hub)
    app = make_app(v4_config(hub))
    await app.engine.poll("hf")
    hub.update_repo(V4, license="apache-2.0")
    result = await app.engine.poll("hf")
    assert kinds(result) == ["hf.license_changed"]
    assert result.events[0].diff == ["licence: MIT → Apache-2.0"]
    assert (result.events[0].before, result.events[0].after) == ({"license": "mit"},
                                                                {"license": "apache-2.0"})


async def test_gating_change_posts_one_gating_changed(hub: FakeHub, make_app: MakeApp) -> None:
    add_v3(hub, gated="manual")
    app = make_app(v4_config(hub), environ={"RW_HF_TOKEN": HF_TOKEN})
    hub.approve(V4, HF_TOKEN)
    await app.engine.poll("hf")
    hub.update_repo(V4, gated=False)
    result = await app.engine.poll("hf")
    assert kinds(result) == ["hf.gating_changed"]
    assert result.events[0].title == f"{V4} is now open"
    assert result.events[0].diff == ["gated: manual → open"]


async def test_context_window_change_posts_context_window_changed(hub: FakeHub,
                                                                  make_app: MakeApp) -> None:
    add_v3(hub)
    app = make_app(v4_config(hub))
    await app.engine.poll("hf")
    hub.put_files(V4, {"config.json": v3_config(max_position_embeddings=1_048_576)})
    result = await app.engine.poll("hf")
    assert kinds(result) == ["hf.context_window_changed"]
    [event] = result.events
    assert event.title == f"{V4}: context window 160K → 1M"
    assert event.diff == ["context window: 163,840 → 1,048,576 tokens"]


async def test_expert_change_posts_one_config_changed(hub: FakeHub, make_app: MakeApp) -> None:
    add_v3(hub)
    app = make_app(v4_config(hub))
    await app.engine.poll("hf")
    hub.put_files(V4, {"config.json": v3_config(n_routed_experts=384, num_experts_per_tok=16,
                                                architectures=["DeepseekV4ForCausalLM"])})
    result = await app.engine.poll("hf")
    assert kinds(result) == ["hf.config_changed"]
    assert result.events[0].diff == [
        "architecture: DeepseekV3ForCausalLM → DeepseekV4ForCausalLM",
        "experts: 256 routed, 8 per token, 1 shared → 384 routed, 16 per token, 1 shared"]


async def test_gated_repo_reports_its_config_as_unknown_when_anonymous(hub: FakeHub,
                                                                       make_app: MakeApp) -> None:
    add_v3(hub, gated="manual")
    app = make_app(v4_config(hub))
    result = await app.engine.poll("hf")
    assert result.ok
    assert [(r.path.endswith("config.json"), r.status) for r in hub.requests] == [(False, 200),
                                                                                  (True, 401)]
    fields = record(app, RID)
    assert fields["context_window"] == fields["experts"] == "unknown (gated)"
    assert fields["weights"]["safetensors"]["files"] == 163


async def test_gated_config_fills_in_with_one_event_once_the_token_is_approved(
        hub: FakeHub, make_app: MakeApp) -> None:
    add_v3(hub, gated="manual")
    app = make_app(v4_config(hub), environ={"RW_HF_TOKEN": HF_TOKEN})
    await app.engine.poll("hf")
    assert hub.requests[-1].status == 403
    assert (await app.engine.poll("hf")).events == []
    hub.approve(V4, HF_TOKEN)
    result = await app.engine.poll("hf")
    assert kinds(result) == ["hf.context_window_changed"]
    [event] = result.events
    assert "context window: unknown (gated) → 163,840 tokens" in event.diff
    assert "architecture: unknown (gated) → DeepseekV3ForCausalLM" in event.diff
    hub.clear_requests()
    assert (await app.engine.poll("hf")).events == []
    assert not any(r.path.endswith("config.json") for r in hub.requests)


async def test_download_counts_changing_post_nothing(hub: FakeHub, make_app: MakeApp) -> None:
    add_v3(hub)
    app = make_app(v4_config(hub))
    await app.engine.poll("hf")
    hub.update_repo(V4, downloads=1_000_000, likes=5000, trendingScore=900)
    hub.clear_requests()
    result = await app.engine.poll("hf")
    assert result.ok and result.events == []
    assert [r.status for r in hub.requests] == [200]


async def test_unchanged_poll_is_one_request_answered_304(hub: FakeHub, make_app: MakeApp) -> None:
    add_v3(hub)
    app = make_app(v4_config(hub))
    await app.engine.poll("hf")
    hub.clear_requests()
    assert (await app.engine.poll("hf")).ok
    assert [(r.path, r.status) for r in hub.requests] == [(f"/api/models/{V4}", 304)]


async def test_429_fails_the_poll_with_the_wait_and_sends_nothing_until_it_passes(
        hub: FakeHub, make_app: MakeApp, clock: FakeClock) -> None:
    add_v3(hub)
    app = make_app(v4_config(hub))
    await app.engine.poll("hf")
    hub.exhaust_rate_limit(retry_after=120)
    limited = await app.engine.poll("hf")
    host = hub.url.removeprefix("http://")
    until = clock.now().replace(microsecond=0).timestamp() + 120
    assert not limited.ok and limited.error is not None
    assert limited.error.startswith(f"rate limited by {host} until ")
    assert hub.requests[-1].status == 429
    health = status(app)
    assert health.rate_limited_until is not None and health.rate_limited_until.timestamp() == until
    hub.clear_requests()
    clock.advance(60)
    assert not (await app.engine.poll("hf")).ok
    assert hub.requests == []
    hub.reset_rate_limit()
    clock.advance(61)
    assert (await app.engine.poll("hf")).ok and len(hub.requests) == 1


async def test_repo_gone_is_deleted_after_two_polls_that_say_not_found(hub: FakeHub,
                                                                      make_app: MakeApp) -> None:
    add_v3(hub)
    app = make_app(v4_config(hub))
    await app.engine.poll("hf")
    hub.remove_repo(V4)
    first = await app.engine.poll("hf")  # RepoNotFound is the Hub's word: not held as a glitch
    assert first.ok and first.events == []
    deleted = await app.engine.poll("hf")
    assert kinds(deleted) == ["hf.model_deleted"]
    assert deleted.events[0].title == f"{V4} is gone from the Hub"


async def test_bad_token_is_a_failed_poll_with_the_hub_message(hub: FakeHub,
                                                               make_app: MakeApp) -> None:
    add_v3(hub)
    hub.accept_tokens("hf_some_other_token")
    app = make_app(v4_config(hub), environ={"RW_HF_TOKEN": HF_TOKEN})
    result = await app.engine.poll("hf")
    assert not result.ok and result.error is not None
    assert "HTTP 401" in result.error and "Invalid credentials in Authorization header" in result.error
    assert HF_TOKEN not in result.error


async def test_repo_without_config_json_has_no_config_and_is_not_asked_again(
        hub: FakeHub, make_app: MakeApp) -> None:
    add_v3(hub, config=False)
    app = make_app(v4_config(hub))
    await app.engine.poll("hf")
    assert hub.requests[-1].status == 404 and record(app, RID)["context_window"] is None
    hub.update_repo(V4, downloads=7)
    hub.clear_requests()
    assert (await app.engine.poll("hf")).events == []
    assert [r.path for r in hub.requests] == [f"/api/models/{V4}"]


async def test_config_behind_a_cdn_redirect_is_read(hub: FakeHub, make_app: MakeApp) -> None:
    add_v3(hub, config=False)
    hub.put_files(V4, {"config.json": v3_config()}, lfs=True)
    app = make_app(v4_config(hub))
    await app.engine.poll("hf")
    assert [r.status for r in hub.requests][-2:] == [302, 200]
    assert record(app, RID)["context_window"] == 163_840


async def test_a_spent_download_bucket_does_not_stop_the_api_bucket(hub: FakeHub,
                                                                    make_app: MakeApp) -> None:
    add_v3(hub, config=False)
    app = make_app(v4_config(hub))
    await app.engine.poll("hf")
    hub.put_files(V4, {"config.json": v3_config()})  # a new commit: config.json must be read
    hub.exhaust_rate_limit(bucket="resolvers", retry_after=300)
    limited = await app.engine.poll("hf")
    assert not limited.ok and "rate limited" in (limited.error or "")
    hub.clear_requests()
    again = await app.engine.poll("hf")
    assert not again.ok
    paths = [r.path for r in hub.requests]
    assert any(p.startswith("/api/models/") for p in paths)  # the api bucket is still asked
    assert not any("/resolve/" in p for p in paths)  # the spent bucket is not
