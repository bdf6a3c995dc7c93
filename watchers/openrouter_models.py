"""OpenRouter: the public model catalog. A new model at a provider, a context or price change
often shows here before any announcement; with `providers = true`, also who serves each model."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import quote

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
    WatcherError,
)

from . import _catalog as cat

KIND = "openrouter_models"
EVENTS = (
    "catalog.model_listed",
    "catalog.model_delisted",
    "catalog.context_window_changed",
    "catalog.price_changed",
    "catalog.modalities_changed",
    "catalog.provider_added",
    "catalog.provider_removed",
)
CATALOG = "OpenRouter"
MAX_PROVIDER_MODELS = 40  # providers = true costs one request per matching model and poll
MAX_LIST_BYTES = 20_000_000


class Options(BaseOptions):
    match: re.Pattern[str] | None = None
    exclude: re.Pattern[str] | None = None
    providers: bool = False
    api_key: SecretStr | None = None


async def fetch(ctx: WatchContext, opts: Options) -> Fetched:
    base = f"{ctx.endpoints.openrouter}/api/v1"
    # the default lists text-output models only: an image model would look delisted
    page = await ctx.http.get(f"{base}/models", {"output_modalities": "all"}, max_bytes=MAX_LIST_BYTES)
    if page.not_modified and not opts.providers:  # options unchanged too (see WatchConfig)
        return Fetched.not_modified(complete=True)
    listing = _models(page.json())
    records = {m["id"]: normalise(m) for m in listing if cat.wanted(m["id"], opts.match, opts.exclude)}
    note = f"{len(records)} of {len(listing)} models match"
    if opts.providers:
        if len(records) > MAX_PROVIDER_MODELS:
            raise WatcherError(f"providers = true needs a narrower match: {len(records)} models match,"
                               f" at most {MAX_PROVIDER_MODELS} (one request each per poll)")
        answers = await asyncio.gather(*(_endpoints(ctx, base, opts, m) for m in records),
                                       return_exceptions=True)
        unknown = []
        for model_id, answer in zip(list(records), answers, strict=True):
            if isinstance(answer, BaseException):
                raise answer
            previous = ctx.previous.get(model_id, {}).get("providers")
            if answer is None:  # listed, but no endpoints (yet): keep what was known
                unknown.append(model_id)
                records[model_id]["providers"] = previous or {}
            else:
                records[model_id]["providers"] = cat.two_misses(previous, answer)
        if unknown:
            note += f"; no endpoints for {', '.join(unknown)}"
    # with providers, a 304 list still needs the endpoints read: parse the stored body
    return Fetched(records, complete=True, note=note)


async def _endpoints(ctx: WatchContext, base: str, opts: Options,
                     model_id: str) -> dict[str, Fields] | None:
    """The providers of a model by tag, or None when OpenRouter has no endpoints for it (404)."""
    headers = {"Authorization": f"Bearer {opts.api_key.reveal()}"} if opts.api_key else None
    try:
        page = await ctx.http.get(f"{base}/models/{quote(model_id, safe='/:')}/endpoints",
                                  headers=headers)
    except UpstreamHTTPError as exc:
        if exc.status in (401, 403):
            raise cat.refused(exc, opts.api_key, CATALOG) from None
        if exc.status == 404:
            return None
        raise
    body = page.json()
    data = body.get("data") if isinstance(body, dict) else None
    items = data.get("endpoints") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(e, dict) for e in items):
        raise ParseError(f"OpenRouter endpoints of {model_id} have no data.endpoints list")
    return {str(e.get("tag") or e.get("provider_name")): _provider(e) for e in items}


def _models(body: Any) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(m, dict) and isinstance(m.get("id"), str)
                                             for m in data):
        raise ParseError("OpenRouter model list has no data list of models with an id")
    return data


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def normalise(model: dict[str, Any]) -> Fields:
    """What a person reads about a model; descriptions and parameter lists stay out."""
    arch, top = model.get("architecture") or {}, model.get("top_provider") or {}
    return {
        "name": model.get("name") or model["id"],
        "created": _int(model.get("created")),
        "context_length": _int(model.get("context_length")) or _int(top.get("context_length")),
        "max_completion_tokens": _int(top.get("max_completion_tokens")),
        "input_modalities": cat.modalities(arch.get("input_modalities")),
        "output_modalities": cat.modalities(arch.get("output_modalities")),
        "pricing": cat.prices(model.get("pricing")),
        "hugging_face_id": model.get("hugging_face_id") or None,
    }


def _provider(endpoint: dict[str, Any]) -> Fields:
    """Uptime, latency and throughput move on every poll: they are never part of a record."""
    return {
        "provider": str(endpoint.get("provider_name") or endpoint.get("name") or "?"),
        "quantization": endpoint.get("quantization") or None,
        "context_length": _int(endpoint.get("context_length")),
        "max_completion_tokens": _int(endpoint.get("max_completion_tokens")),
        "pricing": cat.prices(endpoint.get("pricing")),
    }


def _who(fields: Fields) -> str:
    quant = fields.get("quantization")
    return f"{fields['provider']} ({quant})" if quant and quant != "unknown" else str(fields["provider"])


def describe(change: Change) -> list[EventDraft]:
    model, model_id = change.current, change.record_id
    url = f"https://openrouter.ai/{model_id}"
    if change.type == "removed":
        return [cat.delisted(change, CATALOG, url)]
    if change.type == "added":
        lines = [f"name: {model['name']}", *cat.detail_lines(model)]
        if model.get("hugging_face_id"):
            lines.append(f"weights: https://huggingface.co/{model['hugging_face_id']}")
        if model.get("providers"):
            lines.append("served by: " + ", ".join(_who(p) for p in model["providers"].values()))
        if cat.day(model.get("created")):
            lines.append(f"added {cat.day(model.get('created'))}")
        return [cat.listed(change, CATALOG, cat.summary(model), lines, url)]
    before = change.before or {}
    events = cat.changes(model_id, model_id, f"on {CATALOG}", before, model, url)
    if "providers" not in before or "providers" not in model:  # providers just turned on or off
        return events
    old, new = before["providers"], model["providers"]
    for key in sorted(old.keys() | new.keys()):
        subject = f"{model_id} via {key}"
        if key not in old:
            events.append(EventDraft(
                "catalog.provider_added", subject,
                f"{_who(new[key])} now serves {model_id} on {CATALOG}: {cat.summary(new[key])}",
                [f"provider: {_who(new[key])}", *cat.detail_lines(new[key])], url, None, {"provider": key}))
        elif key not in new:
            events.append(EventDraft("catalog.provider_removed", subject,
                                     f"{_who(old[key])} no longer serves {model_id} on {CATALOG}",
                                     ["missing from two endpoint lists in a row"], url, {"provider": key},
                                     None))
        else:
            events += cat.changes(subject, model_id, f"via {_who(new[key])} on {CATALOG}", old[key], new[key],
                                  url)
    return events


def cost(opts: Options) -> dict[str, float]:
    """The list, plus one /endpoints request per matching model with `providers = true`
    (counted as a few: the match is unknown until the list is read)."""
    return {"openrouter": 1.0 + (5.0 if opts.providers else 0.0)}
