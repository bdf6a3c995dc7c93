"""Proves the fake catalogs speak the wire formats the catalog tests rely on (API-FACTS §3)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.catalogs import FakeOpenAIModels, FakeOpenRouter


@pytest.fixture(scope="module")
def openrouter_fake() -> Iterator[FakeOpenRouter]:
    with FakeOpenRouter() as server:
        yield server


@pytest.fixture(scope="module")
def openrouter(openrouter_fake: FakeOpenRouter) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=openrouter_fake.url, timeout=5) as client:
        yield client


@pytest.fixture(scope="module")
def openai() -> Iterator[httpx.Client]:
    with FakeOpenAIModels() as server, httpx.Client(base_url=server.url, timeout=5) as client:
        server.accept_keys("sk-good")
        yield client


def test_openrouter_list_is_hundreds_of_models_with_string_prices(openrouter: httpx.Client) -> None:
    body = openrouter.get("/api/v1/models", params={"output_modalities": "all"}).json()
    assert len(body["data"]) > 300
    chat = next(m for m in body["data"] if m["id"] == "deepseek/deepseek-chat")
    assert chat["pricing"]["prompt"] == "0.00000027" and isinstance(chat["pricing"]["prompt"], str)
    assert set(chat) >= {"id", "canonical_slug", "name", "created", "context_length", "architecture",
                         "pricing", "top_provider", "per_request_limits", "supported_parameters"}


def test_openrouter_default_list_has_text_output_models_only(openrouter: httpx.Client) -> None:
    ids = {m["id"] for m in openrouter.get("/api/v1/models").json()["data"]}
    assert "deepseek/deepseek-chat" in ids and "google/gemini-2.5-flash-image" in ids
    images = openrouter.get("/api/v1/models", params={"output_modalities": "image"}).json()["data"]
    assert [m["id"] for m in images] == ["google/gemini-2.5-flash-image"]


def test_openrouter_endpoints_carry_moving_uptime(openrouter: httpx.Client) -> None:
    first, second = (openrouter.get("/api/v1/models/deepseek/deepseek-chat/endpoints").json()["data"]
                     for _ in range(2))
    assert [e["tag"] for e in first["endpoints"]] == ["deepseek", "deepinfra/fp8", "novita/fp8"]
    assert first["endpoints"][0]["uptime_last_30m"] != second["endpoints"][0]["uptime_last_30m"]


def test_openrouter_unknown_model_endpoints_is_404_with_an_error_object(openrouter: httpx.Client) -> None:
    response = openrouter.get("/api/v1/models/nobody/nothing/endpoints")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": 404, "message": "Model not found"}}


def test_openrouter_validators_answer_304_when_on(openrouter: httpx.Client,
                                                 openrouter_fake: FakeOpenRouter) -> None:
    server = openrouter_fake
    server.set_validators(True)
    try:
        etag = openrouter.get("/api/v1/models").headers["etag"]
        assert openrouter.get("/api/v1/models", headers={"If-None-Match": etag}).status_code == 304
    finally:
        server.set_validators(False)
    assert "etag" not in openrouter.get("/api/v1/models").headers


def test_openai_models_is_an_object_list_behind_bearer(openai: httpx.Client) -> None:
    body = openai.get("/models", headers={"Authorization": "Bearer sk-good"}).json()
    assert body == {"object": "list", "data": [
        {"id": "deepseek-chat", "object": "model", "owned_by": "deepseek"},
        {"id": "deepseek-reasoner", "object": "model", "owned_by": "deepseek"}]}


def test_openai_wrong_key_is_401_authentication_error(openai: httpx.Client) -> None:
    response = openai.get("/v1/models", headers={"Authorization": "Bearer sk-wrong-abcd"})
    error = response.json()["error"]
    assert response.status_code == 401 and error["type"] == "authentication_error"
    assert error["code"] == "invalid_api_key" and error["message"].endswith("****abcd is invalid")
