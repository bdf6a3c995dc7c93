"""Any OpenAI-compatible `GET {base_url}/models` (DeepSeek, Together, Fireworks, vLLM): a model id
that appears there is usable today, often before the announcement."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import field_validator

from bot import (
    Change,
    EventDraft,
    Fetched,
    Fields,
    Options as BaseOptions,
    ParseError,
    SecretStr,
    UpstreamHTTPError,
    WatchContext,
)

from . import _catalog as cat

KIND = "openai_models"
EVENTS = (
    "catalog.model_listed",
    "catalog.model_delisted",
)


class Options(BaseOptions):
    base_url: str
    api_key: SecretStr | None = None
    match: re.Pattern[str] | None = None
    exclude: re.Pattern[str] | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an http(s):// URL such as 'https://api.deepseek.com', got {value!r}")
        if parts.username or parts.password or parts.query:
            raise ValueError("must not carry credentials or a query; put the key in api_key")
        return value.rstrip("/")


async def fetch(ctx: WatchContext, opts: Options) -> Fetched:
    host = catalog_name(opts.base_url)
    headers = {"Authorization": f"Bearer {opts.api_key.reveal()}"} if opts.api_key else None
    try:
        page = await ctx.http.get(f"{opts.base_url}/models", headers=headers)
    except UpstreamHTTPError as exc:
        if exc.status in (401, 403):
            raise cat.refused(exc, opts.api_key, host) from None
        raise
    items = _models(page.json(), host)
    records: dict[str, Fields] = {}
    for item in items:
        if not cat.wanted(item["id"], opts.match, opts.exclude):
            continue
        fields = normalise(item, host)
        cat.first_seen(fields, ctx.previous.get(item["id"]), "created")
        records[item["id"]] = fields
    return Fetched(records, complete=True, note=f"{len(records)} of {len(items)} models match")


def catalog_name(base_url: str) -> str:
    return urlsplit(base_url).netloc


def _models(body: Any, host: str) -> list[dict[str, Any]]:
    """`{"object": "list", "data": [...]}`, or a bare list as some providers (Together) send."""
    data = body.get("data") if isinstance(body, dict) else body
    if not isinstance(data, list) or not all(isinstance(m, dict) and isinstance(m.get("id"), str)
                                             for m in data):
        raise ParseError(f"{host} /models answer has no data list of models with an id")
    return data


def normalise(item: dict[str, Any], host: str) -> Fields:
    fields: Fields = {"catalog": host}
    if isinstance(item.get("owned_by"), str) and item["owned_by"]:
        fields["owned_by"] = item["owned_by"]
    if cat.day(item.get("created")):
        fields["created"] = item["created"]
    return fields


def describe(change: Change) -> list[EventDraft]:
    model = change.current
    catalog = str(model.get("catalog") or "the provider")
    if change.type == "removed":
        return [cat.delisted(change, catalog, None)]
    if change.type != "added":
        return []
    lines = [f"owned by: {model['owned_by']}"] if model.get("owned_by") else []
    if cat.day(model.get("created")):
        lines.append(f"created {cat.day(model.get('created'))}")
    return [cat.listed(change, catalog, "", lines, None)]


def cost(opts: Options) -> dict[str, float]:
    return {urlsplit(str(opts.base_url)).hostname or str(opts.base_url): 1.0}
