"""OpenAI-compatible /models scenarios against a fake DeepSeek-style API on 127.0.0.1 with Bearer
auth: listings, two-poll delistings, and a refused key that never shows up anywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import App
from bot.config import load_config
from bot.errors import ConfigErrors
from tests.fakes.catalogs import FakeOpenAIModels

MakeApp = Callable[..., App]
KEY = "sk-5f0c2a9d4e7b41c3a8e6d2b9f1a7c3e5"
WRONG_KEY = "sk-0b1e8d7c6a5f4e3d2c1b0a9f8e7d6c5b"


@pytest.fixture
def api(api_server: FakeOpenAIModels) -> FakeOpenAIModels:
    """The shared fake, wiped, accepting this module's key."""
    api_server.reset()
    api_server.accept_keys(KEY)
    return api_server


def config(server: FakeOpenAIModels, extra: str = "", path: str = "") -> str:
    return f"""
[watches.ds]
kind = "openai_models"
base_url = "{server.url}{path}"
api_key = "${{RW_DEEPSEEK_API_KEY}}"
{extra}
[notifiers.stdout]
kind = "console"
"""


def catalog_events(app: App) -> list[str]:
    """Stored catalog events (the engine may add health.* events of its own on failed polls)."""
    return [e.kind for e in app.store.events(limit=100) if e.kind.startswith("catalog.")]


async def baseline(make_app: MakeApp, server: FakeOpenAIModels, extra: str = "", path: str = "") -> App:
    app = make_app(config(server, extra, path), environ={"RW_DEEPSEEK_API_KEY": KEY})
    result = await app.engine.poll("ds")
    assert result.ok and result.baseline, result.error
    return app


def host(server: FakeOpenAIModels) -> str:
    return server.url.removeprefix("http://")


async def test_baseline_posts_nothing_and_sends_the_key_as_bearer(api: FakeOpenAIModels,
                                                                  make_app: MakeApp) -> None:
    app = await baseline(make_app, api)
    assert catalog_events(app) == []
    assert api.requests[-1].path == "/models"
    assert api.requests[-1].headers["authorization"] == f"Bearer {KEY}"


async def test_new_model_posts_one_listing(api: FakeOpenAIModels, make_app: MakeApp) -> None:
    app = await baseline(make_app, api)
    api.add_model("deepseek-v4-flash")
    [event] = (await app.engine.poll("ds")).events
    assert event.kind == "catalog.model_listed" and event.subject == "deepseek-v4-flash"
    assert event.title == f"deepseek-v4-flash listed on {host(api)}"
    assert event.diff == ["owned by: deepseek"]


async def test_model_that_does_not_match_posts_nothing(api: FakeOpenAIModels, make_app: MakeApp) -> None:
    app = await baseline(make_app, api, 'match = "^deepseek-v4"')
    api.add_model("deepseek-chat-0324-preview")
    assert (await app.engine.poll("ds")).events == []
    api.add_model("deepseek-v4-pro")
    assert [e.subject for e in (await app.engine.poll("ds")).events] == ["deepseek-v4-pro"]


async def test_model_missing_on_one_poll_and_back_posts_nothing(api: FakeOpenAIModels,
                                                                make_app: MakeApp) -> None:
    app = await baseline(make_app, api)
    api.remove_model("deepseek-reasoner")
    assert (await app.engine.poll("ds")).events == []
    api.add_model("deepseek-reasoner")
    assert (await app.engine.poll("ds")).events == []
    assert catalog_events(app) == []


async def test_model_missing_on_two_polls_posts_one_delisting(api: FakeOpenAIModels,
                                                              make_app: MakeApp) -> None:
    app = await baseline(make_app, api)
    api.remove_model("deepseek-reasoner")
    await app.engine.poll("ds")
    [event] = (await app.engine.poll("ds")).events
    assert event.kind == "catalog.model_delisted"
    assert event.title == f"deepseek-reasoner is no longer listed on {host(api)}"


@pytest.mark.parametrize("echo", ["deepseek", "openai", "full"])
async def test_wrong_key_is_a_failed_poll_saying_it_was_refused_without_the_key(
        api: FakeOpenAIModels, make_app: MakeApp, echo: str) -> None:
    api.set_echo(echo)
    app = make_app(config(api), environ={"RW_DEEPSEEK_API_KEY": WRONG_KEY})
    result = await app.engine.poll("ds")
    assert not result.ok and result.error
    assert result.error.startswith(f"{host(api)} refused the API key: HTTP 401")
    assert WRONG_KEY not in result.error and WRONG_KEY[-4:] not in result.error
    dump = "\n".join(app.store.db.iterdump())
    assert WRONG_KEY not in dump and WRONG_KEY[-4:] not in dump


async def test_missing_key_is_a_failed_poll_asking_for_one(api: FakeOpenAIModels, make_app: MakeApp) -> None:
    text = config(api).replace('api_key = "${RW_DEEPSEEK_API_KEY}"', "")
    result = await make_app(text).engine.poll("ds")
    assert result.error == (f"{host(api)} wants an API key: HTTP 401 "
                            "(Authentication Fails, no api key provided); set api_key")


async def test_base_url_with_v1_reads_v1_models(api: FakeOpenAIModels, make_app: MakeApp) -> None:
    await baseline(make_app, api, path="/v1/")
    assert api.requests[-1].path == "/v1/models"


async def test_bare_list_answer_is_read_like_an_openai_list(api: FakeOpenAIModels,
                                                            make_app: MakeApp) -> None:
    api.set_shape("bare")
    app = await baseline(make_app, api)
    api.add_model("deepseek-ai/DeepSeek-V4", owned_by="together")
    [event] = (await app.engine.poll("ds")).events
    assert event.subject == "deepseek-ai/DeepSeek-V4" and event.diff == ["owned by: together"]


async def test_created_stamped_on_every_request_rewrites_no_record(api: FakeOpenAIModels,
                                                                   make_app: MakeApp) -> None:
    api.set_shape("vllm")
    app = await baseline(make_app, api)
    before = app.store.query("SELECT record_id, revision, fields FROM snapshots")
    for _ in range(2):
        result = await app.engine.poll("ds")
        assert result.ok and result.events == []
    assert app.store.query("SELECT record_id, revision, fields FROM snapshots") == before


async def test_created_date_is_shown_when_the_server_gives_one(api: FakeOpenAIModels,
                                                               make_app: MakeApp) -> None:
    app = await baseline(make_app, api)
    api.add_model("gpt-5-mini", owned_by="system", created=1754425777)
    [event] = (await app.engine.poll("ds")).events
    assert event.diff == ["owned by: system", "created 2025-08-05"]


def test_base_url_must_be_http(write_config: Callable[[str], Path]) -> None:
    path = write_config('[watches.ds]\nkind = "openai_models"\nbase_url = "api.deepseek.com"\n'
                        '[notifiers.stdout]\nkind = "console"\n')
    with pytest.raises(ConfigErrors) as caught:
        load_config(path, environ={})
    assert "key 'base_url': must be an http(s):// URL" in str(caught.value)
