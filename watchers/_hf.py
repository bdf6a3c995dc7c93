"""Hugging Face Hub code the `hf_*` watchers share: one repo read into a record, and how a record's
changes read as events. Records hold only what people call news (weights, licence, gating,
visibility, config.json); downloads, likes and trending are never stored, so they never post."""

from __future__ import annotations

from typing import Any

from bot import Change, EventDraft, Fields, ParseError, UpstreamHTTPError, WatchContext, numbers

UNKNOWN = "unknown (gated)"
PLURAL = {"model": "models", "dataset": "datasets", "space": "spaces"}
WEIGHT_SUFFIXES = {"safetensors": "safetensors", "bin": "bin", "gguf": "gguf", "pt": "pt", "pth": "pt"}
NOT_WEIGHTS = ("training_args", "optimizer", "scheduler", "rng_state")
SHARDED = ("safetensors", "bin")
CONFIG = ("context_window", "rope_scaling", "architecture", "model_type", "dtype", "quantization",
          "experts")
LABELS = {"context_window": "context window", "rope_scaling": "rope scaling",
          "architecture": "architecture", "model_type": "model type", "dtype": "dtype",
          "quantization": "quantization", "experts": "experts"}
EXPERT_KEYS = (("routed", ("n_routed_experts", "num_local_experts", "num_experts")),
               ("per_token", ("num_experts_per_tok",)), ("shared", ("n_shared_experts",)))
LICENCES = {"mit": "MIT", "apache-2.0": "Apache-2.0", "bsd-3-clause": "BSD-3-Clause",
            "gpl-3.0": "GPL-3.0", "cc-by-4.0": "CC-BY-4.0", "cc-by-nc-4.0": "CC-BY-NC-4.0"}


def record_id(repo_type: str, repo_id: str) -> str:
    return f"{PLURAL[repo_type]}/{repo_id}"


def web_url(ctx: WatchContext, repo_type: str, repo_id: str) -> str:
    prefix = "" if repo_type == "model" else f"{PLURAL[repo_type]}/"
    return f"{ctx.endpoints.huggingface}/{prefix}{repo_id}"


def is_missing(exc: UpstreamHTTPError) -> bool:
    """The Hub's "no such repo, or not yours to see": RepoNotFound (401 anonymous, 404 with a token)."""
    return exc.error_code == "RepoNotFound" or (exc.error_code is None and exc.status == 404)


async def read_repo(ctx: WatchContext, repo_type: str, repo_id: str,
                    previous: Fields | None) -> Fields | None:
    """The repo's record, or None when the Hub says it is not there."""
    url = f"{ctx.endpoints.huggingface}/api/{PLURAL[repo_type]}/{repo_id}"
    try:
        page = await ctx.http.get(url, {"blobs": "true"} if repo_type == "model" else None)
    except UpstreamHTTPError as exc:
        if is_missing(exc):
            return None
        raise
    info = page.json()
    if not isinstance(info, dict) or not isinstance(info.get("id"), str) or "sha" not in info:
        raise ParseError(f"Hub info for {repo_id} lacks 'id' or 'sha'")
    return await with_config(ctx, normalise(info, repo_type, web_url(ctx, repo_type, repo_id)),
                             previous)


async def with_config(ctx: WatchContext, record: Fields, previous: Fields | None) -> Fields:
    """Adds config.json's fields, read at the repo's commit only when that commit moved or the file
    could not be read before (gated). A denial keeps values known before: a repo that becomes
    gated has not changed its config."""
    if record["type"] != "model":
        return record
    prev = previous or {}
    kept = {k: prev.get(k) for k in (*CONFIG, "config_sha")}
    if prev.get("config_sha") and prev["config_sha"] == record["sha"]:
        return {**record, **kept}
    url = f"{ctx.endpoints.huggingface}/{record['repo']}/resolve/{record['sha']}/config.json"
    try:
        page = await ctx.http.get(url, max_bytes=1_000_000)
    except UpstreamHTTPError as exc:
        code = exc.error_code
        if code == "EntryNotFound" or (code is None and exc.status == 404):
            return {**record, **dict.fromkeys(CONFIG), "config_sha": record["sha"]}
        if code == "GatedRepo" or (code is None and exc.status in (401, 403)):
            if prev.get("config_sha"):
                return {**record, **kept}
            return {**record, **dict.fromkeys(CONFIG, UNKNOWN), "config_sha": None}
        raise
    return {**record, **config_fields(page.json(), record["repo"]), "config_sha": record["sha"]}


def normalise(info: dict[str, Any], repo_type: str, url: str) -> Fields:
    card: dict[str, Any] = info["cardData"] if isinstance(info.get("cardData"), dict) else {}
    tags = [t for t in info.get("tags") or [] if isinstance(t, str)]
    licence = card.get("license") or next(
        (t.removeprefix("license:") for t in tags if t.startswith("license:")), None)
    if isinstance(licence, list):
        licence = ", ".join(map(str, licence))
    if licence == "other" and card.get("license_name"):
        licence = f"other ({card['license_name']})"
    record: Fields = {
        "repo": info["id"], "type": repo_type, "url": url, "sha": info.get("sha"),
        "last_modified": info.get("lastModified"), "private": bool(info.get("private")),
        "gated": info.get("gated") or False, "license": licence,
    }
    if repo_type == "model":
        record |= {"pipeline_tag": info.get("pipeline_tag"), "library": info.get("library_name"),
                   "weights": weight_files(info.get("siblings") or []),
                   "parameters": parameters(info.get("safetensors"))}
    elif repo_type == "space":
        record["sdk"] = info.get("sdk")
    return record


def weight_files(siblings: list[Any]) -> dict[str, dict[str, int]]:
    """Count and total bytes per weight format; one upload of 163 shards is one entry."""
    found: dict[str, dict[str, int]] = {}
    for sibling in siblings:
        name = str(sibling.get("rfilename", "")).rsplit("/", 1)[-1]
        fmt = WEIGHT_SUFFIXES.get(name.rsplit(".", 1)[-1]) if "." in name else None
        if fmt is None or name.startswith(NOT_WEIGHTS):
            continue
        size = sibling.get("size") or (sibling.get("lfs") or {}).get("size") or 0
        entry = found.setdefault(fmt, {"files": 0, "bytes": 0})
        entry["files"] += 1
        entry["bytes"] += int(size)
    return found


def parameters(safetensors: Any) -> Fields | None:
    if not isinstance(safetensors, dict) or not safetensors.get("total"):
        return None
    dtypes = safetensors.get("parameters") or {}
    return {"total": int(safetensors["total"]), "dtypes": {k: int(v) for k, v in dtypes.items()}}


def config_fields(config: Any, repo_id: str) -> Fields:
    if not isinstance(config, dict):
        raise ParseError(f"config.json of {repo_id} is not a JSON object")
    inner = config.get("text_config")
    merged = {**inner, **config} if isinstance(inner, dict) else config
    experts = {}
    for label, keys in EXPERT_KEYS:
        value = next((merged[k] for k in keys if isinstance(merged.get(k), int)), None)
        if value is not None:
            experts[label] = value
    rope = merged.get("rope_scaling")
    if isinstance(rope, dict):
        rope = {k: v for k, v in (("type", rope.get("rope_type") or rope.get("type")),
                                  ("factor", rope.get("factor")),
                                  ("original", rope.get("original_max_position_embeddings")))
                if v is not None}
    quant = merged.get("quantization_config")
    window = merged.get("max_position_embeddings")
    archs = merged.get("architectures")
    return {
        "context_window": window if isinstance(window, int) else None,
        "rope_scaling": rope or None,
        "architecture": ", ".join(map(str, archs)) if isinstance(archs, list) and archs else None,
        "model_type": merged.get("model_type"),
        "dtype": merged.get("torch_dtype") or merged.get("dtype"),
        "quantization": quant.get("quant_method") if isinstance(quant, dict) else None,
        "experts": experts or None,
    }


# -- how changes read --------------------------------------------------------------------------

def describe(change: Change) -> list[EventDraft]:
    repo = change.current
    if change.type == "added":
        return [_created(repo)]
    name = repo["repo"]
    if change.type == "removed":
        return [EventDraft(f"hf.{repo['type']}_deleted", name, f"{name} is gone from the Hub",
                           ["no longer found: deleted, made private, or renamed"],
                           repo.get("url"), {"repo": name}, None)]
    before = change.before or {}
    drafts = [_setting(before, repo, "gated"), _setting(before, repo, "private")]
    if not before.get("pending") and not repo.get("pending"):
        weights = _weights(before, repo)
        folded = weights is not None and weights.kind == "hf.weights_published"
        licence_news = None if folded and not before.get("license") else _licence(before, repo)
        drafts = [weights, _config(before, repo, folded), licence_news, *drafts]
    return [d for d in drafts if d is not None]


def _draft(kind: str, repo: Fields, title: str, lines: list[str], fields: list[str],
           before: Fields) -> EventDraft:
    return EventDraft(kind, repo["repo"], title, lines, repo.get("url"),
                      {f: before.get(f) for f in fields}, {f: repo.get(f) for f in fields})


def _created(repo: Fields) -> EventDraft:
    name, kind = repo["repo"], repo["type"]
    bits = [b for b in ("private" if repo.get("private") else "",
                        f"gated: {repo['gated']}" if repo.get("gated") else "") if b]
    lines = [f"licence: {licence(repo.get('license'))}"]
    if kind == "model" and not repo.get("pending"):
        summary = weights_summary(repo)
        bits.append("weights published" if summary else "no weights yet")
        lines += [f"weights: {summary}"] if summary else []
        lines += config_lines(repo)
    if repo.get("sdk"):
        lines.append(f"sdk: {repo['sdk']}")
    label = name if kind == "model" else f"{kind.capitalize()} {name}"
    title = f"{label} created" + (f" ({', '.join(bits)})" if bits else "")
    return EventDraft(f"hf.{kind}_created", name, title, lines, repo.get("url"), None, {"repo": name})


def _weights(before: Fields, after: Fields) -> EventDraft | None:
    old, new = before.get("weights") or {}, after.get("weights") or {}
    fields = [f for f in ("weights", "parameters") if before.get(f) != after.get(f)]
    if not fields or not (old or new):
        return None
    name = after["repo"]
    if not old:
        lines = [f"{weights_summary(after)}, licence {licence(after.get('license'))}"]
        if _config_first_seen(before, after):
            lines += config_lines(after)
        return _draft("hf.weights_published", after, f"Weights published: {name}", lines, fields,
                      before)
    if not new:
        return _draft("hf.weights_updated", after, f"{name}: weight files removed",
                      [f"weights: {weights_summary(before)} → none"], fields, before)
    lines = [f"weights: {_files(old.get(fmt), fmt)} → {_files(new.get(fmt), fmt)}"
             for fmt in sorted(old.keys() | new.keys()) if old.get(fmt) != new.get(fmt)]
    bp, ap = before.get("parameters") or {}, after.get("parameters") or {}
    if bp.get("total") != ap.get("total"):
        lines.append(f"parameters: {_params(bp)} → {_params(ap)}")
    if _dtypes(bp) != _dtypes(ap):
        lines.append(f"dtypes: {_dtypes(bp) or 'none'} → {_dtypes(ap) or 'none'}")
    return _draft("hf.weights_updated", after, f"{name}: weights updated", lines, fields, before)


def _config(before: Fields, after: Fields, folded: bool) -> EventDraft | None:
    """One event per config.json change: the context window's kind when it (or its rope scaling)
    moved, else hf.config_changed; "unknown (gated) → value" when the file becomes readable."""
    changed = [f for f in CONFIG if before.get(f) != after.get(f)]
    if not changed or (folded and _config_first_seen(before, after)):
        return None
    lines = [config_line(f, before.get(f), after.get(f)) for f in changed
             if not (before.get(f) == UNKNOWN and after.get(f) is None)]
    name = after["repo"]
    if "context_window" in changed:
        title = (f"{name}: context window {_short(before.get('context_window'))} → "
                 f"{_short(after.get('context_window'))}")
    else:
        title = f"{name}: config.json changed ({', '.join(LABELS[f] for f in changed)})"
    kind = ("hf.context_window_changed" if {"context_window", "rope_scaling"} & set(changed)
            else "hf.config_changed")
    return _draft(kind, after, title, lines, changed, before)


def _licence(before: Fields, after: Fields) -> EventDraft | None:
    if before.get("license") == after.get("license"):
        return None
    line = f"licence: {licence(before.get('license'))} → {licence(after.get('license'))}"
    return _draft("hf.license_changed", after, f"{after['repo']} {line}", [line], ["license"], before)


def _setting(before: Fields, after: Fields, field: str) -> EventDraft | None:
    old, new = before.get(field), after.get(field)
    if old == new or old is None:
        return None
    name = after["repo"]
    if field == "gated":
        state = f"gated ({new})" if new else "open"
        line = f"gated: {old or 'open'} → {new or 'open'}"
        return _draft("hf.gating_changed", after, f"{name} is now {state}", [line], [field], before)
    line = f"visibility: {'private' if old else 'public'} → {'private' if new else 'public'}"
    return _draft("hf.visibility_changed", after, f"{name} is now {'private' if new else 'public'}",
                  [line], [field], before)


# -- numbers and values as people write them ---------------------------------------------------

def licence(value: Any) -> str:
    return LICENCES.get(str(value).lower(), str(value)) if value else "none"


def weights_summary(repo: Fields) -> str | None:
    """'163 safetensors shards, 688.6 GB, 685B parameters (F8_E4M3, BF16, F32)'."""
    weights = repo.get("weights") or {}
    if not weights:
        return None
    parts = [_files(w, fmt) for fmt, w in sorted(weights.items(), key=lambda kv: -kv[1]["bytes"])]
    params = repo.get("parameters")
    if params:
        parts.append(f"{_params(params)} parameters ({_dtypes(params)})")
    return ", ".join(parts)


def config_lines(repo: Fields) -> list[str]:
    if repo.get("context_window") == UNKNOWN:
        return [f"config.json: {UNKNOWN}"]
    return [config_line(f, None, repo[f], alone=True) for f in CONFIG
            if repo.get(f) is not None and f in ("context_window", "architecture", "experts")]


def config_line(field: str, old: Any, new: Any, *, alone: bool = False) -> str:
    show = {"context_window": _window, "experts": _experts, "rope_scaling": _rope}.get(field, _plain)
    label = LABELS[field]
    if alone:
        return f"{label}: {show(new)}"
    if field == "context_window" and isinstance(old, int) and isinstance(new, int):
        return f"{label}: {numbers.grouped(old)} → {numbers.grouped(new)} tokens"
    return f"{label}: {show(old)} → {show(new)}"


def _files(entry: dict[str, int] | None, fmt: str) -> str:
    if not entry:
        return f"no {fmt} files"
    n = entry["files"]
    noun = "file" if n == 1 else "shards" if fmt in SHARDED else "files"
    return f"{n} {fmt} {noun}, {numbers.size(entry['bytes'])}"


def _params(params: Fields) -> str:
    return numbers.params(params["total"]) if params.get("total") else "unknown"


def _dtypes(params: Fields) -> str:
    dtypes = params.get("dtypes") or {}
    return ", ".join(sorted(dtypes, key=lambda d: -dtypes[d]))


def _short(window: Any) -> str:
    return numbers.tokens(window) if isinstance(window, int) else "unknown" if window else "none"


def _window(value: Any) -> str:
    return f"{numbers.grouped(value)} tokens" if isinstance(value, int) else _plain(value)


def _experts(value: Any) -> str:
    if not isinstance(value, dict):
        return _plain(value)
    words = {"routed": "routed", "per_token": "per token", "shared": "shared"}
    return ", ".join(f"{value[k]} {w}" for k, w in words.items() if k in value)


def _rope(value: Any) -> str:
    if not isinstance(value, dict):
        return _plain(value)
    text = f"{value.get('type', 'scaling')} ×{value.get('factor', '?')}"
    original = value.get("original")
    return f"{text} over {numbers.grouped(original)}" if isinstance(original, int) else text


def _plain(value: Any) -> str:
    return "none" if value is None else str(value)


def _config_first_seen(before: Fields, after: Fields) -> bool:
    return (all(before.get(f) in (None, UNKNOWN) for f in CONFIG)
            and any(after.get(f) not in (None, UNKNOWN) for f in CONFIG))
