"""The shared client's text handling, without a server (httpx.MockTransport)."""

from __future__ import annotations

import httpx
import pytest

from bot.clock import FakeClock
from bot.errors import ParseError, UpstreamHTTPError, UpstreamRateLimited
from bot.http import HttpClient, decode


def test_declared_charset_wins() -> None:
    assert decode("café".encode("latin-1"), "text/html; charset=ISO-8859-1") == "café"


def test_meta_charset_is_used_when_the_header_has_none() -> None:
    body = '<html><head><meta charset="windows-1251"></head><p>Привет</p>'.encode("cp1251")
    assert "Привет" in decode(body, "text/html")


def test_undeclared_non_utf8_falls_back_to_windows_1252() -> None:
    assert decode("naïve – ok".encode("cp1252"), "text/html") == "naïve – ok"


def client_for(handler) -> HttpClient:  # type: ignore[no-untyped-def]
    return HttpClient(FakeClock(), transport=httpx.MockTransport(handler))


async def test_body_over_the_limit_is_refused_with_a_reason() -> None:
    client = client_for(lambda request: httpx.Response(200, content=b"x" * 2_000_001))
    with pytest.raises(ParseError, match="over the 2 MB limit"):
        await client.for_poll().get("https://example.test/page", max_bytes=2_000_000)
    await client.aclose()


async def test_hub_error_code_header_is_kept_on_the_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, headers={"X-Error-Code": "RepoNotFound",
                                            "X-Error-Message": "Invalid username or password."})
    client = client_for(answer)
    with pytest.raises(UpstreamHTTPError) as info:
        await client.for_poll().get("https://huggingface.test/api/models/a/b")
    assert info.value.error_code == "RepoNotFound" and info.value.status == 401
    assert "Invalid username or password." in str(info.value)
    await client.aclose()


async def test_rate_limit_reset_in_milliseconds_is_understood() -> None:
    reset_ms = 1_772_366_400_000  # 2026-03-01T12:00:00Z in ms
    client = client_for(lambda request: httpx.Response(
        429, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset_ms)}))
    with pytest.raises(UpstreamRateLimited) as info:
        await client.for_poll().get("https://openrouter.test/api/v1/models")
    assert info.value.until.timestamp() == reset_ms / 1000
    await client.aclose()


async def test_a_chunked_body_is_cut_off_at_the_limit_without_reading_the_rest() -> None:
    sent = []

    async def endless():  # type: ignore[no-untyped-def]
        for _ in range(1000):
            sent.append(1)
            yield b"x" * 100_000

    client = client_for(lambda request: httpx.Response(200, content=endless()))
    with pytest.raises(ParseError, match="over the 1 MB limit"):
        await client.for_poll().get("https://example.test/dump", max_bytes=1_000_000)
    assert len(sent) < 20  # stopped after ~1 MB, not 100 MB
    await client.aclose()


def test_redacted_urls_keep_ordinary_parameters_and_hide_secret_ones() -> None:
    from bot.secrets import redact_url
    url = "https://huggingface.co/api/models?author=deepseek-ai&api_key=abc&access_token=x&keyword=v4"
    assert redact_url(url) == ("https://huggingface.co/api/models?author=deepseek-ai&api_key=***"
                               "&access_token=***&keyword=v4")
