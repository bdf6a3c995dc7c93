"""hf_author's noise filter: someone else's quantisations and fine-tunes stay out; a lab's own
variants never do."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from tests.fakes.huggingface import FakeHub
from tests.hf.conftest import watch_config

MakeApp = Callable[..., App]


def names(app: App) -> set[str]:
    return {r["record_id"].rsplit("/", 1)[1] for r in app.store.query(
        "SELECT record_id FROM snapshots WHERE watch_id = 'hf'")}


async def test_a_community_quantisation_is_skipped(hub: FakeHub, make_app: MakeApp) -> None:
    hub.add_repo("unsloth/DeepSeek-V3-GGUF", card={"base_model": "deepseek-ai/DeepSeek-V3",
                                                   "base_model_relation": "quantized"})
    hub.add_repo("unsloth/Llama-Thing-AWQ")  # no card: the name says it
    hub.add_repo("unsloth/unsloth-own-model")
    app = make_app(watch_config(hub, "hf_author", 'author = "unsloth"'))
    await app.engine.poll("hf")
    assert names(app) == {"unsloth-own-model"}


async def test_the_labs_own_fp8_release_is_not_skipped(hub: FakeHub, make_app: MakeApp) -> None:
    hub.add_repo("deepseek-ai/DeepSeek-V3.1-FP8", card={"base_model": "deepseek-ai/DeepSeek-V3.1",
                                                        "base_model_relation": "quantized"})
    app = make_app(watch_config(hub, "hf_author", 'author = "deepseek-ai"'))
    await app.engine.poll("hf")
    assert names(app) == {"DeepSeek-V3.1-FP8"}


async def test_the_filter_can_be_turned_off(hub: FakeHub, make_app: MakeApp) -> None:
    hub.add_repo("unsloth/DeepSeek-V3-GGUF", card={"base_model": "deepseek-ai/DeepSeek-V3",
                                                   "base_model_relation": "quantized"})
    app = make_app(watch_config(hub, "hf_author", 'author = "unsloth"\nexclude_derivatives = false'))
    await app.engine.poll("hf")
    assert names(app) == {"DeepSeek-V3-GGUF"}
