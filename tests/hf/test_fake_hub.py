"""Proves the fake Hub speaks the wire format the watchers' tests rely on (API-FACTS §2), against
the fixtures in tests/fixtures/hf."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.huggingface import FakeHub
from tests.hf.conftest import HF_TOKEN, V4, add_v3, fixture, v3_shards

V3 = "deepseek-ai/DeepSeek-V3"
AUTH = {"Authorization": f"Bearer {HF_TOKEN}"}


@pytest.fixture
def client(hub: FakeHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub.url, timeout=5) as c:
        yield c


def as_fixture(response: httpx.Response, hub: FakeHub) -> dict[str, object]:
    """The parts of an error answer the fixtures pin, with the fake's URL put back to the Hub's."""
    headers = {k: response.headers[k].replace(hub.url, "https://huggingface.co")
               for k in ("x-error-code", "x-error-message") if k in response.headers}
    body = response.text.replace(hub.url, "https://huggingface.co")
    return {"status": response.status_code, "headers": headers, "body": httpx.Response(200, text=body).json()}


def expected(name: str) -> dict[str, object]:
    case = fixture("errors.json")[name]
    return {k: case[k] for k in ("status", "headers", "body")}


def test_missing_repo_is_401_anonymous_and_404_with_a_token(hub: FakeHub, client: httpx.Client) -> None:
    assert as_fixture(client.get(f"/api/models/{V4}"), hub) == expected("repo_not_found_anonymous")
    assert as_fixture(client.get(f"/api/models/{V4}", headers=AUTH), hub) == expected("repo_not_found_token")


def test_gated_files_answer_401_anonymous_and_403_until_approved(hub: FakeHub,
                                                                 client: httpx.Client) -> None:
    add_v3(hub, gated="manual")
    assert client.get(f"/api/models/{V4}").status_code == 200
    url = f"/{V4}/resolve/main/config.json"
    assert as_fixture(client.get(url), hub) == expected("gated_anonymous")
    assert as_fixture(client.get(url, headers=AUTH), hub) == expected("gated_not_approved")
    hub.approve(V4, HF_TOKEN)
    assert client.get(url, headers=AUTH).json()["max_position_embeddings"] == 163_840


def test_revision_entry_and_credential_errors_match_the_fixtures(hub: FakeHub,
                                                                 client: httpx.Client) -> None:
    add_v3(hub, V3)
    assert as_fixture(client.get(f"/{V3}/resolve/{'0' * 40}/config.json"), hub) == expected(
        "revision_not_found")
    assert as_fixture(client.get(f"/{V3}/resolve/main/missing.json"), hub) == expected("entry_not_found")
    hub.accept_tokens("hf_right")
    wrong = client.get(f"/api/models/{V3}", headers={"Authorization": "Bearer hf_wrong"})
    assert as_fixture(wrong, hub) == expected("bad_token")


def test_listing_pages_by_link_cursor_with_only_the_expanded_properties(hub: FakeHub,
                                                                       client: httpx.Client) -> None:
    for i in range(5):
        hub.add_repo(f"deepseek-ai/m{i}")
    hub.add_repo("deepseek-ai/private", private=True)
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("author", "deepseek-ai"), ("sort", "lastModified"), ("direction", "-1"), ("limit", "2"),
        ("expand", "sha"), ("expand", "lastModified"), ("expand", "gated")]
    response = client.get("/api/models", params=params)
    names = []
    while True:
        assert response.status_code == 200
        items = response.json()
        assert all(set(item) == {"_id", "id", "sha", "lastModified", "gated"} for item in items)
        names += [item["id"] for item in items]
        if "next" not in response.links:
            break
        url = response.links["next"]["url"]
        assert url.startswith(f"{hub.url}/api/models?") and url.count("expand=") == 3
        response = client.get(url)
    assert names == [f"deepseek-ai/m{i}" for i in reversed(range(5))]
    shape = set(fixture("models_listing.json")[0])
    assert shape >= {"_id", "id", "sha", "lastModified", "gated"}


def test_expand_cannot_be_combined_with_full(client: httpx.Client) -> None:
    response = client.get("/api/models", params={"author": "x", "expand": "sha", "full": "true"})
    assert response.status_code == 400 and "error" in response.json()


def test_etag_304_and_ratelimit_headers_on_every_answer(hub: FakeHub, client: httpx.Client) -> None:
    add_v3(hub, V3)
    first = client.get("/api/models", params={"author": "deepseek-ai"})
    assert first.headers["etag"].startswith('W/"')
    assert first.headers["ratelimit-policy"] == '"fixed window";"api";q=500;w=300'
    again = client.get("/api/models", params={"author": "deepseek-ai"},
                       headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ratelimit"].startswith('"api";r=498;t=')
    resolved = client.get(f"/{V3}/resolve/main/config.json")
    assert resolved.headers["ratelimit"].startswith('"resolvers";r=2999;')


def test_info_with_blobs_has_sizes_lfs_and_safetensors_like_the_fixture(hub: FakeHub,
                                                                        client: httpx.Client) -> None:
    add_v3(hub, V3)
    info = client.get(f"/api/models/{V3}", params={"blobs": "true"}).json()
    real = fixture("deepseek_v3_info.json")
    assert set(real) - {"transformersInfo"} <= set(info)
    shards = [s for s in info["siblings"] if s["rfilename"].endswith(".safetensors")]
    assert len(shards) == 163 and sum(s["size"] for s in shards) == sum(v3_shards().values())
    assert shards[0]["lfs"]["size"] == shards[0]["size"] == 5_234_139_343
    assert info["safetensors"] == real["safetensors"]
    assert info["config"]["architectures"] == ["DeepseekV3ForCausalLM"]
    plain = client.get(f"/api/models/{V3}").json()
    assert set(plain["siblings"][0]) == {"rfilename"}


def test_lfs_file_redirects_to_the_cdn_and_regular_file_is_served_with_its_commit(
        hub: FakeHub, client: httpx.Client) -> None:
    add_v3(hub, V3)
    shard = client.get(f"/{V3}/resolve/main/model-00001-of-000163.safetensors")
    assert shard.status_code == 302 and "/cdn/" in shard.headers["location"]
    assert shard.headers["x-linked-size"] == "5234139343" and shard.headers["x-linked-etag"].startswith('"')
    config = client.get(f"/{V3}/resolve/main/config.json")
    sha = client.get(f"/api/models/{V3}").json()["sha"]
    assert config.status_code == 200 and config.headers["x-repo-commit"] == sha
    cached = client.get(f"/{V3}/resolve/{sha}/config.json", headers={"If-None-Match": config.headers["etag"]})
    assert cached.status_code == 304


def test_spent_bucket_answers_429_with_retry_after(hub: FakeHub, client: httpx.Client) -> None:
    hub.exhaust_rate_limit(retry_after=120)
    response = client.get("/api/models", params={"author": "deepseek-ai"})
    case = fixture("errors.json")["rate_limited"]
    assert response.status_code == case["status"] == 429
    assert response.headers["retry-after"] == "120"
    assert response.headers["ratelimit"] == '"api";r=0;t=120'
    assert response.json() == case["body"]
    hub.reset_rate_limit()
    assert client.get("/api/models").status_code == 200
