"""Shared by the model catalog watchers: exact prices, modalities, how a listing and a change read,
and the "key refused" reason, so OpenRouter and any /models list speak alike."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot import Change, EventDraft, Fields, Secret, UpstreamHTTPError, WatcherError, field_line, numbers

PER_TOKEN = {"prompt": "input", "completion": "output", "input_cache_read": "cache read",
             "input_cache_write": "cache write", "internal_reasoning": "reasoning"}
PER_UNIT = {"request": ("request", "per request"), "image": ("image", "per image"),
            "web_search": ("web search", "per search")}
SIZES = {"context_length": "context", "max_completion_tokens": "max output"}
MODALITIES = {"input_modalities": "input", "output_modalities": "output"}
_ORDER = ("text", "image", "audio", "video", "file")
_WORD = re.compile(r"[^\s'\"(),;]+")


def wanted(model_id: str, match: re.Pattern[str] | None, exclude: re.Pattern[str] | None) -> bool:
    return (match is None or bool(match.search(model_id))) and not (exclude and exclude.search(model_id))


def modalities(values: Any) -> list[str]:
    """Text first, then a fixed order: a list reordered upstream is not a change."""
    return sorted({str(v) for v in values or []}, key=lambda m: (_ORDER.index(m) if m in _ORDER else 9, m))


def prices(raw: Any) -> dict[str, str]:
    """Non-zero prices as exact, canonical decimal strings. OpenRouter sends prices as strings
    (a number such as `discount` is not a price); a missing key and "0" both mean free."""
    out = {}
    for key, value in (raw or {}).items():
        amount = numbers.decimal(value) if isinstance(value, str) else None
        if amount:
            out[str(key)] = format(amount.normalize(), "f")
    return {k: out[k] for k in price_order(out)}


def price_order(keys: Any) -> list[str]:
    """Input, output, cache, then per-unit prices: the order people read a price list in."""
    known = [*PER_TOKEN, *PER_UNIT]
    return sorted(keys, key=lambda k: (known.index(k) if k in known else len(known), k))


def price_label(key: str) -> str:
    return PER_TOKEN.get(key) or PER_UNIT.get(key, (key.replace("_", " "), ""))[0]


def _unit(key: str) -> str:
    return "per 1M tokens" if key in PER_TOKEN else PER_UNIT.get(key, ("", "per unit"))[1]


def _amount(key: str, value: str | None) -> Decimal:
    amount = numbers.decimal(value or "0") or Decimal(0)
    return numbers.per_million(amount) if key in PER_TOKEN else amount


def price_text(key: str, value: str | None) -> str:
    """'$0.28 per 1M tokens'; a negative price is OpenRouter's mark of a router's variable price."""
    amount = _amount(key, value)
    return "variable" if amount < 0 else f"{numbers.money(amount)} {_unit(key)}"


def price_line(key: str, before: str | None, after: str | None) -> str:
    """'input: $1.10 → $0.28 per 1M tokens (−75%)'."""
    old, new = _amount(key, before), _amount(key, after)
    if old < 0 or new < 0:
        return f"{price_label(key)}: {price_text(key, before)} → {price_text(key, after)}"
    return f"{price_label(key)}: {numbers.price_change(old, new, unit=_unit(key))}"


def price_move(key: str, before: str | None, after: str | None) -> str:
    """'input −75%' for a title; 'input changed' when there is no base to compare with."""
    old, new = _amount(key, before), _amount(key, after)
    pct = numbers.percent_change(old, new) if old > 0 and new >= 0 else None
    return f"{price_label(key)} {pct or 'changed'}"


def headline_prices(pricing: Mapping[str, str]) -> str:
    """'$0.14 / $0.28 per 1M tokens' (input / output), 'free' or 'variable pricing'."""
    if any(_amount(k, v) < 0 for k, v in pricing.items()):
        return "variable pricing"
    if "prompt" not in pricing and "completion" not in pricing:
        return ", ".join(price_text(k, pricing[k]) for k in price_order(pricing)) or "free"
    prompt, completion = (_amount(k, pricing.get(k)) for k in ("prompt", "completion"))
    return f"{numbers.money(prompt)} / {numbers.money(completion)} per 1M tokens"


def modality_text(fields: Fields) -> str:
    """'text+image → text'."""
    return " → ".join("+".join(fields.get(k) or ["?"]) for k in MODALITIES)


def day(created: Any) -> str | None:
    if isinstance(created, int | float) and not isinstance(created, bool) and created > 0:
        return datetime.fromtimestamp(created, UTC).date().isoformat()
    return None


def summary(fields: Fields) -> str:
    """'1M context, $0.14 / $0.28 per 1M tokens, text+image → text'."""
    parts = [f"{numbers.tokens(fields['context_length'])} context"] if fields.get("context_length") else []
    parts.append(headline_prices(fields.get("pricing") or {}))
    if "input_modalities" in fields:
        parts.append(modality_text(fields))
    return ", ".join(parts)


def detail_lines(fields: Fields) -> list[str]:
    """Sizes in tokens and every price, one line each."""
    pricing = fields.get("pricing") or {}
    lines = [f"{label}: {numbers.tokens(fields[k])} tokens" for k, label in SIZES.items() if fields.get(k)]
    return lines + [f"{price_label(k)}: {price_text(k, pricing[k])}" for k in price_order(pricing)]


def _tokens(value: Any) -> str:
    return numbers.tokens(value) if isinstance(value, int) else "unknown"


def changes(subject: str, who: str, where: str, before: Fields, after: Fields,
            url: str | None) -> list[EventDraft]:
    """Context, price and modality events for one model (or one provider's endpoint of it). Max
    output alone is not news: OpenRouter's follows whichever provider it ranks first."""
    events = []
    if before.get("context_length") != after.get("context_length"):
        moved = [k for k in SIZES if before.get(k) != after.get(k)]
        lines = [f"{SIZES[k]}: {_tokens(before.get(k))} → {_tokens(after.get(k))}" for k in moved]
        events.append(EventDraft("catalog.context_window_changed", subject,
                                 f"{who} context window {where}: {lines[0].partition(': ')[2]}", lines,
                                 url, {k: before.get(k) for k in moved}, {k: after.get(k) for k in moved}))
    old, new = before.get("pricing") or {}, after.get("pricing") or {}
    moved = price_order(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    if moved:
        lines = [price_line(k, old.get(k), new.get(k)) for k in moved]
        label, _, text = lines[0].partition(": ")
        title = (f"{who} {label} price {where}: {text}" if len(moved) == 1 else
                 f"{who} prices {where}: " + ", ".join(price_move(k, old.get(k), new.get(k)) for k in moved))
        events.append(EventDraft("catalog.price_changed", subject, title, lines, url,
                                 {k: old.get(k, "0") for k in moved}, {k: new.get(k, "0") for k in moved}))
    moved = [k for k in MODALITIES if k in after and before.get(k) != after.get(k)]
    if moved:
        events.append(EventDraft("catalog.modalities_changed", subject,
                                 f"{who} modalities {where}: {modality_text(after)}",
                                 [field_line(MODALITIES[k], before.get(k) or [], after[k]) for k in moved],
                                 url, {k: before.get(k) for k in moved}, {k: after.get(k) for k in moved}))
    return events


def listed(change: Change, catalog: str, headline: str, lines: list[str], url: str | None) -> EventDraft:
    head = f"{change.record_id} listed on {catalog}"
    return EventDraft("catalog.model_listed", change.record_id, f"{head}: {headline}" if headline else head,
                      lines, url, None, {"id": change.record_id})


def delisted(change: Change, catalog: str, url: str | None) -> EventDraft:
    return EventDraft("catalog.model_delisted", change.record_id,
                      f"{change.record_id} is no longer listed on {catalog}",
                      ["missing from two complete listings in a row"], url, {"id": change.record_id}, None)


def refused(exc: UpstreamHTTPError, key: Secret | None, host: str) -> WatcherError:
    """A 401/403 as a reason that names the problem, never the key: upstreams echo keys partly
    masked ('****abcd', 'sk-ab***abcd'), which the engine's exact-match redaction cannot catch."""
    detail = _mask(exc.detail, key.reveal() if key else "")
    said = f" ({detail})" if detail else ""
    if key is None:
        return WatcherError(f"{host} wants an API key: HTTP {exc.status}{said}; set api_key")
    return WatcherError(f"{host} refused the API key: HTTP {exc.status}{said}")


def _mask(text: str, key: str) -> str:
    def hide(m: re.Match[str]) -> str:
        word = m.group(0)
        if "*" in word or (key and any(word[i:i + 4] in key for i in range(len(word) - 3))):
            return "***"
        return word
    return _WORD.sub(hide, text)


def two_misses(previous: dict[str, Fields] | None, current: dict[str, Fields]) -> dict[str, Fields]:
    """A sub-item (a provider of a model) is gone only when missing twice in a row, like a delisted
    model: the first miss keeps it with a `missing` mark, which no describe reads as news."""
    merged = dict(current)
    for key, fields in (previous or {}).items():
        if key not in current and not fields.get("missing"):
            merged[key] = {**fields, "missing": 1}
    return dict(sorted(merged.items()))


def first_seen(fields: Fields, previous: Fields | None, key: str) -> None:
    """Keep the value a record had when first seen: some servers (vLLM) stamp `created` with the
    time of each request, which would otherwise rewrite every record on every poll."""
    if previous and key in previous and key in fields:
        fields[key] = previous[key]
