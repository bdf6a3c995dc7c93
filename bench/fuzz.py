"""Bad input: every watcher's parser fed mutated real fixtures (tests/fixtures), through the real
engine (fetch -> diff -> describe -> commit) and dispatcher (render -> payload), with the HTTP
client on an in-memory transport (no socket at all). A seeded generator, so a failure replays:

    python -m bench.fuzz [--iterations 200] [--seed 9]

Each mutated answer must end as a poll that is accepted or failed with a reason; an exception out
of `engine.poll` is a crash that escaped. Failures whose reason is "internal error: …" are the
engine's catch-all for a watcher bug: they are failed polls too, but listed, since a parser should
say what was wrong with the upstream's answer."""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import logging
import random
import re
import shutil
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bot.app import App
from bot.clock import SystemClock
from bot.config import load_config
from bot.http import HttpClient

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
HOST = "http://fuzz.test"
HOOK = f"{HOST}/api/webhooks/1/fuzz-token"

# kind -> (options, [(path regex, fixture, content type)])
CASES: dict[str, tuple[dict[str, Any], list[tuple[str, str, str]]]] = {
    "github_releases": ({"repo": "acme/alpha", "include_tags": True}, [
        (r"^/repos/acme/alpha/releases$", "github/releases.json", "application/json; charset=utf-8"),
        (r"^/repos/acme/alpha/tags$", "github/tags.json", "application/json; charset=utf-8")]),
    "github_org": ({"org": "acme", "full_every": 1}, [
        (r"^/orgs/acme/repos$", "github/org_repos_page1.json", "application/json; charset=utf-8")]),
    "hf_author": ({"author": "deepseek-ai"}, [
        (r"^/api/models$", "hf/models_listing.json", "application/json; charset=utf-8"),
        (r"^/api/models/", "hf/deepseek_v3_info.json", "application/json; charset=utf-8"),
        (r"/resolve/", "hf/deepseek_v3_config.json", "application/json")]),
    "hf_model": ({"repo": "deepseek-ai/DeepSeek-V3"}, [
        (r"^/api/models/", "hf/deepseek_v3_info.json", "application/json; charset=utf-8"),
        (r"/resolve/", "hf/deepseek_v3_config.json", "application/json")]),
    "openrouter_models": ({}, [
        (r"^/api/v1/models$", "catalogs/openrouter_models.json", "application/json")]),
    "openai_models": ({"base_url": f"{HOST}/v1"}, [
        (r"^/v1/models$", "catalogs/openai_models_deepseek.json", "application/json")]),
    "docs_table": ({"url": f"{HOST}/pricing"}, [
        (r"^/pricing$", "pages/pricing_rows_before.html", "text/html; charset=utf-8")]),
    "changelog_page": ({"url": f"{HOST}/updates"}, [
        (r"^/updates$", "pages/changelog_before.html", "text/html; charset=utf-8")]),
    "page": ({"url": f"{HOST}/page"}, [
        (r"^/page$", "pages/pricing_columns_before.html", "text/html; charset=utf-8")]),
    "feed": ({"url": f"{HOST}/feed"}, [
        (r"^/feed$", "pages/releases_before.atom", "application/atom+xml; charset=utf-8")]),
}
ODD = [None, 0, -1, 10**30, 1.5e308, "", "x" * 5000, "\u202e<@everyone> 💥\x00", [], {}, True,
       [None], {"": None}, "2025-13-45T99:99:99Z", "NaN", -0.0]


def _odd(r: random.Random) -> Any:
    return copy.deepcopy(r.choice(ODD))


class Mutator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def mutate(self, raw: bytes, is_json: bool) -> tuple[bytes, str]:
        r = self.rng
        if is_json and r.random() < 0.7:
            try:
                value = json.loads(raw)
            except ValueError:
                value = None
            if value is not None:
                for _ in range(r.randint(1, 3)):
                    value = self._json(value)
                return json.dumps(value).encode(), "json"
        if r.random() < 0.4 and raw.lstrip().startswith(b"<"):
            return self._markup(raw), "markup"
        return self._bytes(raw), "bytes"

    def _json(self, value: Any) -> Any:
        r = self.rng
        if r.random() < 0.05:
            return _odd(r)
        paths = list(_paths(value))
        if not paths:
            return _odd(r)
        path = r.choice(paths)
        parent, key = _resolve(value, path[:-1]), path[-1]
        op = r.choice(["delete", "odd", "odd", "swap", "dup", "empty", "type"])
        if op == "delete":
            if isinstance(parent, dict):
                parent.pop(key, None)
            elif isinstance(parent, list) and parent:
                parent.pop(key)
        elif op == "odd":
            parent[key] = _odd(r)
        elif op == "swap" and isinstance(parent, list) and len(parent) > 1:
            r.shuffle(parent)
        elif op == "dup" and isinstance(parent, list):
            parent.append(json.loads(json.dumps(parent[key])))
        elif op == "empty":
            current = parent[key]
            parent[key] = type(current)() if isinstance(current, list | dict | str) else None
        else:
            current = parent[key]
            parent[key] = str(current) if not isinstance(current, str) else (
                int(current) if current.isdigit() else [current])
        return value

    def _markup(self, raw: bytes) -> bytes:
        r = self.rng
        text = raw.decode("utf-8", "replace")
        tags = [m.start() for m in re.finditer("<", text)]
        if len(tags) < 3:
            return self._bytes(raw)
        a, b = sorted(r.sample(tags, 2))
        op = r.choice(["cut", "dup", "garble", "numbers"])
        if op == "cut":
            text = text[:a] + text[b:]
        elif op == "dup":
            text = text[:b] + text[a:b] * r.randint(2, 50) + text[b:]
        elif op == "garble":
            text = text[:a] + "<td><table><tr><th>" + "<" * r.randint(1, 9) + text[a:]
        else:
            text = re.sub(r"\d+(\.\d+)?", lambda m: r.choice(["", "-1", "1e400", "¥", "∞", m.group(0) * 9]),
                          text, count=r.randint(1, 40))
        return text.encode("utf-8")

    def _bytes(self, raw: bytes) -> bytes:
        r = self.rng
        data = bytearray(raw)
        op = r.choice(["truncate", "flip", "insert", "empty", "latin1", "nul"])
        if op == "truncate" and data:
            return bytes(data[: r.randrange(len(data))])
        if op == "flip" and data:
            for _ in range(r.randint(1, 20)):
                data[r.randrange(len(data))] = r.randrange(256)
            return bytes(data)
        if op == "insert":
            at = r.randrange(len(data) + 1)
            noise = bytes(r.randrange(256) for _ in range(r.randint(1, 64)))
            return bytes(data[:at]) + noise + bytes(data[at:])
        if op == "latin1":
            return raw.decode("utf-8", "replace").encode("utf-16")
        if op == "nul":
            return raw.replace(b" ", b"\x00", r.randint(1, 50))
        return b""


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:50]):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _resolve(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


class Upstream:
    """The in-memory upstream: each route answers its fixture, or the mutated body for one."""

    def __init__(self, routes: list[tuple[str, str, str]]) -> None:
        self.routes = [(re.compile(p), (FIXTURES / f).read_bytes(), ct) for p, f, ct in routes]
        self.override: dict[int, tuple[bytes, str]] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":  # the chat: accept everything
            return httpx.Response(200, json={"id": "1"})
        for i, (pattern, body, content_type) in enumerate(self.routes):
            if pattern.search(request.url.path):
                body, content_type = self.override.get(i, (body, content_type))
                return httpx.Response(200, content=body, headers={"content-type": content_type})
        return httpx.Response(404, json={"message": "Not Found"})


class ErrorCount(logging.Handler):
    """Counts the dispatcher's unexpected errors, and where the engine's catch-all caught a
    watcher's exception (the innermost frame of its traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []
        self.where: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if not record.exc_info or record.exc_info[2] is None:
            return
        if record.name.startswith("bot.dispatcher"):
            self.records.append(record.getMessage())
        frame = traceback.extract_tb(record.exc_info[2])[-1]
        place = f"{Path(frame.filename).parent.name}/{Path(frame.filename).name}:{frame.lineno} {frame.name}"
        self.where[f"{type(record.exc_info[1]).__name__} at {place}"] += 1


def _toml(value: Any) -> str:
    return "true" if value is True else "false" if value is False else json.dumps(value)


async def fuzz_kind(kind: str, iterations: int, seed: int, folder: Path) -> dict[str, Any]:
    options, routes = CASES[kind]
    upstream = Upstream(routes)
    config_path = folder / f"{kind}.toml"
    lines = ["[settings]", f'database = "{kind}.db"', "[endpoints]", f'github = "{HOST}"',
             f'huggingface = "{HOST}"', f'openrouter = "{HOST}"', f'discord = "{HOST}/api/v10"',
             "[watches.fuzz]", f'kind = "{kind}"', *(f"{k} = {_toml(v)}" for k, v in options.items()),
             "[notifiers.chat]", 'kind = "discord_webhook"', f'url = "{HOOK}"']
    config_path.write_text("\n".join(lines) + "\n")
    config = load_config(config_path, environ={})
    clock = SystemClock()
    http = HttpClient(clock, transport=httpx.MockTransport(upstream.handler), retries=0)
    app = App.build(config, http=http)
    errors = ErrorCount()
    logging.getLogger("bot").addHandler(errors)
    rng = random.Random(f"{seed}:{kind}")
    mutator = Mutator(rng)
    outcome: Counter[str] = Counter()
    internal: Counter[str] = Counter()
    escaped: list[str] = []
    reasons: Counter[str] = Counter()
    try:
        first = await app.engine.poll("fuzz")
        baseline_ok = first.ok
        for i in range(iterations):
            upstream.override.clear()
            if i % 10 != 9:  # every tenth poll gets the real answer back
                route = rng.randrange(len(upstream.routes))
                raw, content_type = upstream.routes[route][1], upstream.routes[route][2]
                body, _how = mutator.mutate(raw, "json" in content_type)
                if rng.random() < 0.1:
                    content_type = rng.choice(["text/html", "application/json", "text/plain; charset=utf-16",
                                               "application/octet-stream"])
                upstream.override[route] = (body, content_type)
            try:
                result = await app.engine.poll("fuzz")
                await app.dispatcher.deliver_due()
            except Exception as exc:  # noqa: BLE001 - exactly what this pass looks for
                ours = [f for f in traceback.extract_tb(exc.__traceback__)
                        if "/bot/" in f.filename or "/watchers/" in f.filename]
                where = " <- ".join(f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno}"
                                    for f in reversed(ours[-3:]))
                escaped.append(f"{type(exc).__name__}: {str(exc)[:120]} at {where}")
                outcome["escaped"] += 1
                continue
            if result.ok:
                outcome["accepted"] += 1
            elif (result.error or "").startswith("internal error"):
                outcome["failed: internal error"] += 1
                internal[(result.error or "")[:160]] += 1
            else:
                outcome["failed with a reason"] += 1
                reasons[re.sub(r"\d+", "N", (result.error or ""))[:90]] += 1
    finally:
        logging.getLogger("bot").removeHandler(errors)
        await app.aclose()
    return {"kind": kind, "polls": iterations, "baseline_ok": baseline_ok, "outcomes": dict(outcome),
            "escaped": escaped[:10], "internal_errors": dict(internal.most_common(10)),
            "delivery_internal_errors": len(errors.records),
            "internal_error_sites": dict(errors.where.most_common(10)),
            "top_reasons": dict(reasons.most_common(6))}


async def fuzz_all(iterations: int, seed: int, kinds: list[str] | None = None) -> list[dict[str, Any]]:
    from watchers import WATCHERS

    logging.getLogger().setLevel(logging.CRITICAL)
    logging.getLogger("bot").setLevel(logging.ERROR)  # only the catch-alls' tracebacks, counted
    folder = Path(tempfile.mkdtemp(prefix="rw-fuzz-"))
    results = []
    try:
        for kind in kinds or list(WATCHERS):
            if kind not in CASES:
                results.append({"kind": kind, "skipped": "no fixture mapped in bench/fuzz.py"})
                continue
            t0 = time.perf_counter()
            result = await fuzz_kind(kind, iterations, seed, folder)
            result["seconds"] = round(time.perf_counter() - t0, 2)
            results.append(result)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    p.add_argument("--iterations", type=int, default=200)
    p.add_argument("--seed", type=int, default=9)
    p.add_argument("kinds", nargs="*")
    args = p.parse_args(argv)
    results = asyncio.run(fuzz_all(args.iterations, args.seed, args.kinds or None))
    print(json.dumps(results, indent=1))
    return 0 if not any(r.get("escaped") for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
