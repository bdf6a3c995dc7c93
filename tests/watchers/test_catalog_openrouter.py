"""OpenRouter catalog scenarios, end to end against the fake OpenRouter on 127.0.0.1: real httpx,
a real SQLite file, the real engine, time driven by a fake clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.app import App
from bot.clock import FakeClock
from tests.fakes.catalogs import FakeOpenRouter

MakeApp = Callable[..., App]
GOOD_KEY = "sk-or-v1-good0123456789abcdef"
WRONG_KEY = "sk-or-v1-wrong9876543210fedcba"
DEEPSEEK_MODELS = 8


def config(server: FakeOpenRouter, extra: str = "", match: str = "^deepseek/") -> str:
    return f"""
[endpoints]
openrouter = "{server.url}"
[watches.or]
kind = "openrouter_models"
match = "{match}"
{extra}
[notifiers.stdout]
kind = "console"
"""


def catalog_events(app: App) -> list[str]:
    """Stored catalog events (the engine may add health.* events of its own on failed polls)."""
    return [e.kind for e in app.store.events(limit=100) if e.kind.startswith("catalog.")]


async def baseline(make_app: MakeApp, server: FakeOpenRouter, extra: str = "", **env: str) -> App:
    app = make_app(config(server, extra), environ=env)
    result = await app.engine.poll("or")
    assert result.ok and result.baseline, result.error
    return app


def stored(app: App) -> dict[str, dict[str, Any]]:
    return {rid: r.fields for rid, r in app.store.load_watch("or").records.items() if not r.removed}


async def test_baseline_posts_nothing(openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    app = make_app(config(openrouter))
    result = await app.engine.poll("or")
    assert result.ok and result.baseline and result.events == []
    assert len(stored(app)) == DEEPSEEK_MODELS
    assert catalog_events(app) == []


async def test_new_matching_model_posts_one_listing_with_context_and_prices(
        openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.add_model("deepseek/deepseek-v4-lite", context_length=1048576, prompt="0.00000014",
                         completion="0.00000028", input_modalities=("text", "image"))
    [event] = (await app.engine.poll("or")).events
    assert event.kind == "catalog.model_listed" and event.subject == "deepseek/deepseek-v4-lite"
    assert event.title == ("deepseek/deepseek-v4-lite listed on OpenRouter: 1M context, "
                           "$0.14 / $0.28 per 1M tokens, text+image → text")
    assert "input: $0.14 per 1M tokens" in event.diff and "output: $0.28 per 1M tokens" in event.diff
    assert event.url == "https://openrouter.ai/deepseek/deepseek-v4-lite"


async def test_new_model_that_does_not_match_posts_nothing(openrouter: FakeOpenRouter,
                                                           make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.add_model("mistralai/mistral-large-2512")
    result = await app.engine.poll("or")
    assert result.ok and result.events == []
    assert "mistralai/mistral-large-2512" not in stored(app)


async def test_excluded_model_posts_nothing(openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter, 'exclude = ":free$"')
    openrouter.add_model("deepseek/deepseek-v3.2:free", prompt="0", completion="0")
    assert (await app.engine.poll("or")).events == []


async def test_context_window_128k_to_1m_posts_one_event(openrouter: FakeOpenRouter,
                                                         make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.update_model("deepseek/deepseek-chat", context_length=1048576)
    [event] = (await app.engine.poll("or")).events
    assert event.kind == "catalog.context_window_changed"
    assert event.title == "deepseek/deepseek-chat context window on OpenRouter: 128K → 1M"
    assert (event.before, event.after) == ({"context_length": 131072}, {"context_length": 1048576})
    assert (await app.engine.poll("or")).events == []


async def test_price_change_posts_one_event_with_the_percentage(openrouter: FakeOpenRouter,
                                                                make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.update_model("deepseek/deepseek-chat", completion="0.00000028")
    [event] = (await app.engine.poll("or")).events
    assert event.kind == "catalog.price_changed"
    assert event.title == ("deepseek/deepseek-chat output price on OpenRouter: "
                           "$1.10 → $0.28 per 1M tokens (−75%)")
    assert (event.before, event.after) == ({"completion": "0.0000011"}, {"completion": "0.00000028"})


async def test_input_and_output_price_cut_is_one_event_with_a_line_each(
        openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.update_model("deepseek/deepseek-chat", prompt="0.00000014", completion="0.00000028")
    [event] = (await app.engine.poll("or")).events
    assert event.title == "deepseek/deepseek-chat prices on OpenRouter: input −48%, output −75%"
    assert event.diff == ["input: $0.27 → $0.14 per 1M tokens (−48%)",
                          "output: $1.10 → $0.28 per 1M tokens (−75%)"]


async def test_modalities_change_posts_modalities_changed(openrouter: FakeOpenRouter,
                                                          make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.update_model("deepseek/deepseek-chat", input_modalities=("image", "text"))
    [event] = (await app.engine.poll("or")).events
    assert event.kind == "catalog.modalities_changed"
    assert event.title == "deepseek/deepseek-chat modalities on OpenRouter: text+image → text"
    assert event.diff == ["input: +image"]


async def test_model_missing_on_one_poll_and_back_on_the_next_posts_nothing(
        openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.hide_model("deepseek/deepseek-prover-v2")
    assert (await app.engine.poll("or")).events == []
    openrouter.hide_model("deepseek/deepseek-prover-v2", hidden=False)
    assert (await app.engine.poll("or")).events == []
    assert (await app.engine.poll("or")).events == []
    assert catalog_events(app) == []


async def test_model_missing_on_two_polls_posts_one_delisting(openrouter: FakeOpenRouter,
                                                              make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.remove_model("deepseek/deepseek-prover-v2")
    assert (await app.engine.poll("or")).events == []
    [event] = (await app.engine.poll("or")).events
    assert event.kind == "catalog.model_delisted"
    assert event.title == "deepseek/deepseek-prover-v2 is no longer listed on OpenRouter"
    assert (await app.engine.poll("or")).events == []


async def test_catalog_that_suddenly_returns_far_fewer_models_is_held_not_delisted(
        openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.partial(3)
    for _ in range(2):
        result = await app.engine.poll("or")
        assert result.held and result.error == f"shrink held ({DEEPSEEK_MODELS} → 3 records)"
    openrouter.partial(None)
    assert (await app.engine.poll("or")).ok
    assert catalog_events(app) == [] and len(stored(app)) == DEEPSEEK_MODELS


async def test_outage_page_answered_200_is_a_failed_poll(openrouter: FakeOpenRouter,
                                                         make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.fail_next(1, status=200, path_contains="/api/v1/models",
                         body="<html><body><h1>We'll be right back</h1></body></html>")
    result = await app.engine.poll("or")
    assert not result.ok and "invalid JSON" in (result.error or "")
    assert len(stored(app)) == DEEPSEEK_MODELS


async def test_answer_without_a_data_list_is_a_failed_poll_naming_what_is_missing(
        openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.fail_next(1, status=200, body={"models": []})
    result = await app.engine.poll("or")
    assert not result.ok and result.error == "OpenRouter model list has no data list of models with an id"


async def test_upstream_502_is_a_failed_poll_with_openrouters_message(openrouter: FakeOpenRouter,
                                                                      make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.fail_next(3, status=502, body={"error": {"code": 502, "message": "Bad gateway"}})
    result = await app.engine.poll("or")
    assert not result.ok and result.error
    assert "HTTP 502" in result.error and "Bad gateway" in result.error


async def test_rate_limited_catalog_sends_nothing_until_retry_after(
        openrouter: FakeOpenRouter, make_app: MakeApp, clock: FakeClock) -> None:
    app = await baseline(make_app, openrouter)
    openrouter.rate_limit(retry_after=120)
    limited = await app.engine.poll("or")
    assert not limited.ok and "rate limited by 127.0.0.1" in (limited.error or "")
    openrouter.clear_requests()
    clock.advance(60)
    assert not (await app.engine.poll("or")).ok and openrouter.requests == []
    openrouter.clear_rate_limit()
    clock.advance(61)
    assert (await app.engine.poll("or")).ok


async def test_image_output_models_are_watched_too(openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    app = make_app(config(openrouter, match="^google/gemini"))
    await app.engine.poll("or")
    assert list(stored(app)) == ["google/gemini-2.5-flash-image"]
    assert openrouter.requests[-1].query == {"output_modalities": "all"}


async def test_unchanged_catalog_rewrites_no_record(openrouter: FakeOpenRouter, make_app: MakeApp,
                                                    clock: FakeClock) -> None:
    app = await baseline(make_app, openrouter)
    before = app.store.query("SELECT record_id, revision, updated_at FROM snapshots")
    clock.advance(600)
    result = await app.engine.poll("or")
    assert result.ok and result.events == []
    assert app.store.query("SELECT record_id, revision, updated_at FROM snapshots") == before


async def test_with_etags_an_unchanged_catalog_is_one_304(openrouter: FakeOpenRouter,
                                                          make_app: MakeApp) -> None:
    openrouter.set_validators(True)
    app = await baseline(make_app, openrouter)
    openrouter.clear_requests()
    assert (await app.engine.poll("or")).ok
    assert [r.status for r in openrouter.requests] == [304]
    openrouter.update_model("deepseek/deepseek-chat", context_length=1048576)
    assert [e.kind for e in (await app.engine.poll("or")).events] == ["catalog.context_window_changed"]


async def test_new_provider_posts_provider_added(openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter, "providers = true")
    openrouter.add_provider("deepseek/deepseek-chat", "Fireworks", context_length=163840,
                            prompt="0.0000009", completion="0.0000009")
    [event] = (await app.engine.poll("or")).events
    assert event.kind == "catalog.provider_added"
    assert event.title == ("Fireworks (fp8) now serves deepseek/deepseek-chat on OpenRouter: "
                           "160K context, $0.90 / $0.90 per 1M tokens")
    assert event.subject == "deepseek/deepseek-chat via fireworks/fp8"


async def test_provider_gone_on_two_polls_posts_provider_removed(openrouter: FakeOpenRouter,
                                                                 make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter, "providers = true")
    openrouter.remove_provider("deepseek/deepseek-chat", "novita/fp8")
    assert (await app.engine.poll("or")).events == []
    [event] = (await app.engine.poll("or")).events
    assert event.kind == "catalog.provider_removed"
    assert event.title == "Novita (fp8) no longer serves deepseek/deepseek-chat on OpenRouter"


async def test_provider_price_change_posts_price_changed_for_that_provider(
        openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter, "providers = true")
    openrouter.update_provider("deepseek/deepseek-chat", "deepinfra/fp8", prompt="0.00000019")
    [event] = (await app.engine.poll("or")).events
    assert event.kind == "catalog.price_changed"
    assert event.subject == "deepseek/deepseek-chat via deepinfra/fp8"
    assert event.title == ("deepseek/deepseek-chat input price via DeepInfra (fp8) on OpenRouter: "
                           "$0.38 → $0.19 per 1M tokens (−50%)")


async def test_uptime_latency_and_throughput_never_make_an_event_or_a_record(
        openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter, "providers = true")
    for _ in range(3):
        assert (await app.engine.poll("or")).events == []
    text = json.dumps(stored(app))
    assert "uptime" not in text and "latency" not in text and "throughput" not in text
    assert set(stored(app)["deepseek/deepseek-chat"]["providers"]) == {"deepseek", "deepinfra/fp8",
                                                                       "novita/fp8"}


async def test_endpoints_404_keeps_the_known_providers(openrouter: FakeOpenRouter,
                                                       make_app: MakeApp) -> None:
    app = await baseline(make_app, openrouter, "providers = true")
    openrouter.drop_endpoints("deepseek/deepseek-chat")
    for _ in range(2):
        result = await app.engine.poll("or")
        assert result.ok and result.events == []
    assert len(stored(app)["deepseek/deepseek-chat"]["providers"]) == 3
    [last] = app.store.query("SELECT note FROM polls WHERE watch_id = 'or' ORDER BY id DESC LIMIT 1")
    assert "no endpoints for deepseek/deepseek-chat" in (last["note"] or "")


async def test_api_key_is_sent_only_to_the_endpoints_route(openrouter: FakeOpenRouter,
                                                           make_app: MakeApp) -> None:
    openrouter.accept_keys(GOOD_KEY)
    await baseline(make_app, openrouter, 'providers = true\napi_key = "${RW_OPENROUTER_API_KEY}"',
                   RW_OPENROUTER_API_KEY=GOOD_KEY)
    for request in openrouter.requests:
        sent = request.headers.get("authorization")
        assert sent == (f"Bearer {GOOD_KEY}" if request.path.endswith("/endpoints") else None)


async def test_wrong_api_key_is_a_failed_poll_that_says_so_without_the_key(
        openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    openrouter.accept_keys(GOOD_KEY)
    app = make_app(config(openrouter, 'providers = true\napi_key = "${RW_OPENROUTER_API_KEY}"'),
                   environ={"RW_OPENROUTER_API_KEY": WRONG_KEY})
    result = await app.engine.poll("or")
    assert not result.ok
    assert result.error == "OpenRouter refused the API key: HTTP 401 (User not found.)"
    assert WRONG_KEY not in "\n".join(app.store.db.iterdump())


async def test_providers_for_too_many_models_is_a_failed_poll_asking_for_a_narrower_match(
        openrouter: FakeOpenRouter, make_app: MakeApp) -> None:
    app = make_app(config(openrouter, "providers = true", match="/"))
    result = await app.engine.poll("or")
    assert not result.ok and "providers = true needs a narrower match" in (result.error or "")
    assert not any(r.path.endswith("/endpoints") for r in openrouter.requests)


async def test_endpoints_route_that_enforces_a_key_asks_for_api_key(openrouter: FakeOpenRouter,
                                                                    make_app: MakeApp) -> None:
    openrouter.accept_keys(GOOD_KEY)
    result = await make_app(config(openrouter, "providers = true")).engine.poll("or")
    assert result.error == "OpenRouter wants an API key: HTTP 401 (No auth credentials found); set api_key"
