"""How catalog changes read: exact prices per 1M tokens, and pure describe() on records. Price
cases live in fixtures/catalogs/price_cases.toml."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot import Secret, UpstreamHTTPError
from bot.models import Change
from watchers import _catalog as cat, openai_models, openrouter_models

FIXTURES = Path(__file__).parent.parent / "fixtures" / "catalogs"
CASES = tomllib.loads((FIXTURES / "price_cases.toml").read_text("utf-8"))
LISTING = json.loads((FIXTURES / "openrouter_models.json").read_text("utf-8"))["data"]


def model(model_id: str) -> dict[str, Any]:
    return openrouter_models.normalise(next(m for m in LISTING if m["id"] == model_id))


@pytest.mark.parametrize(("key", "value", "text"), CASES["price_text"], ids=str)
def test_price_text(key: str, value: str, text: str) -> None:
    assert cat.price_text(key, value) == text


@pytest.mark.parametrize(("key", "before", "after", "text"), CASES["price_line"], ids=str)
def test_price_line(key: str, before: str, after: str, text: str) -> None:
    assert cat.price_line(key, before or None, after or None) == text


@pytest.mark.parametrize("case", CASES["headline"], ids=lambda c: c["text"])
def test_headline_prices(case: dict[str, Any]) -> None:
    assert cat.headline_prices(cat.prices(case["pricing"])) == case["text"]


def test_prices_are_exact_canonical_strings_without_free_or_non_price_keys() -> None:
    raw = {"prompt": "0.000000280", "completion": "1.1E-6", "request": "0", "image": "0",
           "input_cache_read": "0.000000028", "discount": 0.2}
    assert cat.prices(raw) == {"prompt": "0.00000028", "completion": "0.0000011",
                               "input_cache_read": "0.000000028"}
    assert list(cat.prices(raw)) == ["prompt", "completion", "input_cache_read"]


def test_modalities_read_text_first_whatever_order_upstream_sends() -> None:
    assert cat.modalities(["image", "file", "text"]) == ["text", "image", "file"]


def test_refused_reason_masks_a_partly_echoed_key_that_redaction_cannot_know() -> None:
    key = "sk-proj-4f9a8b7c6d5e"
    exc = UpstreamHTTPError(401, "https://api.example.com/v1/models",
                            "Incorrect API key provided: sk-proj-4f9a8b7c6d5e. Or sk-pro*****6d5e, 6d5e")
    reason = cat.refused(exc, _unregistered(key), "api.example.com").reason
    assert reason == ("api.example.com refused the API key: HTTP 401 "
                      "(Incorrect API key provided: *** Or ***, ***)")


def _unregistered(value: str) -> Secret:
    """A Secret that redact() has never heard of, as if the upstream echoed a key we hold elsewhere."""
    secret = Secret.__new__(Secret)
    object.__setattr__(secret, "_value", value)
    return secret


def test_listing_lines_name_context_prices_weights_and_date() -> None:
    [event] = openrouter_models.describe(Change("added", "deepseek/deepseek-chat", None,
                                                model("deepseek/deepseek-chat")))
    assert event.title == ("deepseek/deepseek-chat listed on OpenRouter: 128K context, "
                           "$0.27 / $1.10 per 1M tokens, text → text")
    assert event.diff == ["name: DeepSeek: DeepSeek V3", "context: 128K tokens", "max output: 8K tokens",
                          "input: $0.27 per 1M tokens", "output: $1.10 per 1M tokens",
                          "cache read: $0.07 per 1M tokens",
                          "weights: https://huggingface.co/deepseek-ai/DeepSeek-V3", "added 2024-12-26"]
    assert event.after == {"id": "deepseek/deepseek-chat"}


def test_free_variant_lists_as_free() -> None:
    [event] = openrouter_models.describe(Change("added", "deepseek/deepseek-r1:free", None,
                                                model("deepseek/deepseek-r1:free")))
    assert event.title == "deepseek/deepseek-r1:free listed on OpenRouter: 160K context, free, text → text"


def test_router_with_variable_price_lists_as_variable_pricing() -> None:
    [event] = openrouter_models.describe(Change("added", "openrouter/auto", None, model("openrouter/auto")))
    assert "2M context, variable pricing, text+image → text" in event.title


def test_context_change_carries_max_output_when_both_moved() -> None:
    before = model("deepseek/deepseek-chat")
    after = {**before, "context_length": 1048576, "max_completion_tokens": 65536}
    [event] = openrouter_models.describe(Change("changed", "deepseek/deepseek-chat", before, after, 3))
    assert event.diff == ["context: 128K → 1M", "max output: 8K → 64K"]
    assert event.after == {"context_length": 1048576, "max_completion_tokens": 65536}


def test_name_created_or_max_output_alone_are_not_news() -> None:
    before = model("deepseek/deepseek-chat")
    after = {**before, "name": "DeepSeek: DeepSeek V3 0324", "created": 1742824755,
             "max_completion_tokens": None}
    assert openrouter_models.describe(Change("changed", "deepseek/deepseek-chat", before, after, 1)) == []


def test_provider_missing_once_is_kept_with_a_mark_and_reads_as_nothing() -> None:
    known = {"novita/fp8": {"provider": "Novita", "quantization": "fp8", "context_length": 163840,
                            "max_completion_tokens": None, "pricing": {"prompt": "0.0000004"}}}
    once = cat.two_misses(known, {})
    assert once["novita/fp8"]["missing"] == 1
    assert cat.two_misses(once, {}) == {}
    before = {**model("deepseek/deepseek-chat"), "providers": known}
    after = {**model("deepseek/deepseek-chat"), "providers": once}
    assert openrouter_models.describe(Change("changed", "deepseek/deepseek-chat", before, after, 1)) == []


def test_turning_providers_on_does_not_post_every_provider() -> None:
    before = model("deepseek/deepseek-chat")
    after = {**before, "providers": {"deepseek": {"provider": "DeepSeek", "quantization": "fp8",
                                                  "context_length": 131072, "max_completion_tokens": 8192,
                                                  "pricing": {}}}}
    assert openrouter_models.describe(Change("changed", "deepseek/deepseek-chat", before, after, 1)) == []


def test_events_hold_only_json_values() -> None:
    before = model("deepseek/deepseek-chat")
    after = {**before, "pricing": {"prompt": "0.00000014"}, "context_length": 1048576}
    for event in openrouter_models.describe(Change("changed", "deepseek/deepseek-chat", before, after, 1)):
        json.dumps([event.before, event.after])


def test_openai_listing_without_created_or_owner_is_just_the_id() -> None:
    fields = openai_models.normalise({"id": "deepseek-v4-flash", "object": "model"}, "api.deepseek.com")
    [event] = openai_models.describe(Change("added", "deepseek-v4-flash", None, fields))
    assert (event.title, event.diff) == ("deepseek-v4-flash listed on api.deepseek.com", [])
