"""Bench-only subclasses of the shared fakes: bulk seeding through one control call (15,000 control
requests would take longer than the benchmark), an index so a 1000-repo org answers in O(1), quotas
high enough for several passes, and the faults `make chaos` injects. Served by
`python -m tests.fakes.serve bench.fakes:BenchGitHub` and driven over the HTTP control API."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes import huggingface as hf_fake
from tests.fakes.catalogs import FakeOpenRouter
from tests.fakes.huggingface import FakeHub
from tests.fakes.pages import FakePages
from tests.fakes.upstream import FakeGitHub

NOTES = ("### Highlights\n- Faster attention kernels on Hopper (FP8).\n- New `--max-context` option.\n"
         "### Fixes\n- Tokenizer no longer drops a trailing newline.\n- Checkpoint loading on CPU-only "
         "hosts.\n### Thanks\nTo everyone who reported issues and sent pull requests. ")
UNLIMITED = 10**9
PAGES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages"


class BenchGitHub(FakeGitHub):
    """FakeGitHub with `seed` (one org of N repos with 12-16 releases each), `bump` (K new releases),
    `units` (rate-limit units spent so far) and the chaos faults."""

    control_ops: ClassVar[tuple[str, ...]] = (
        *FakeGitHub.control_ops, "seed", "bump", "units", "fault", "clear_faults", "empty_org",
    )

    def _wipe(self) -> None:
        super()._wipe()
        self._index: dict[tuple[str, str], dict[str, Any]] = {}
        self._faults: list[dict[str, Any]] = []
        self._empty_orgs: set[str] = set()
        self._bumps = 0

    def _find(self, owner: str, name: str) -> dict[str, Any] | None:
        key = (owner.lower(), name.lower())
        repo = self._index.get(key)
        if repo is not None and repo["id"] in self._repos and repo["name"].lower() == key[1]:
            return repo
        repo = super()._find(owner, name)
        if repo is not None:
            self._index[key] = repo
        return repo

    # -- control API -------------------------------------------------------------------------

    def seed(self, org: str, repos: int, min_releases: int = 12, max_releases: int = 16,
             seed: int = 1, prefix: str = "repo") -> dict[str, Any]:
        """An org of `repos` repositories named `{prefix}-0000`…, each with 12–16 releases and
        a few assets, as the largest AI-lab orgs look. Rate limits are lifted for the bench."""
        rng = random.Random(seed)
        self.set_rate_limit(UNLIMITED, UNLIMITED)
        self.add_org(org)
        releases = 0
        for i in range(repos):
            name = f"{prefix}-{i:04d}"
            self.add_repo(org, name, description=f"{name}: inference and training code",
                          license=rng.choice(["mit", "apache-2.0", None]),
                          topics=sorted(rng.sample(["llm", "moe", "inference", "cuda", "rl"], 2)),
                          homepage=f"https://example.org/{name}")
            for j in range(rng.randint(min_releases, max_releases)):
                self.add_release(f"{org}/{name}", f"v{j // 4}.{j % 4}.0", body=NOTES * rng.randint(1, 3),
                                 prerelease=j % 7 == 6,
                                 assets=[f"{name}-v{j}.tar.gz", f"{name}-v{j}-linux-x86_64.whl"])
                releases += 1
        return {"repos": repos, "releases": releases}

    def bump(self, org: str, k: int, seed: int = 2, prefix: str = "repo") -> list[str]:
        """A new release in `k` distinct repos; returns the titles the bot will post."""
        rng = random.Random(seed + self._bumps)
        self._bumps += 1
        with self.lock:
            names = sorted(r["name"] for r in self._repos.values()
                           if r["_owner"] == org.lower() and r["name"].startswith(prefix))
        titles = []
        for name in rng.sample(names, k):
            tag = f"v99.{self._bumps}.{rng.randint(0, 999)}"
            self.add_release(f"{org}/{name}", tag, body=NOTES)
            titles.append(f"Release {tag} of {org}/{name}")
        return titles

    def units(self) -> int:
        """Primary rate-limit units spent since the limit was last set (a 304 with a token is free)."""
        with self.lock:
            return self.limit - self.remaining

    def fault(self, kind: str, path_contains: str | None = None, n: int = 1) -> None:
        """The next `n` matching requests fail as `kind`: reset (the connection drops mid-body),
        truncated (a 200 whose JSON stops half-way), html (a 200 HTML error page where JSON was
        expected), or any of FakeUpstream.fail_next's statuses via `status:502`."""
        with self.lock:
            self._faults.append({"kind": kind, "path": path_contains, "left": n})

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()
            self._failures.clear()
            self._empty_orgs.clear()

    def empty_org(self, org: str, empty: bool = True) -> None:
        """The org's listing answers 200 with zero repos (as GitHub briefly does in an incident)."""
        with self.lock:
            (self._empty_orgs.add if empty else self._empty_orgs.discard)(org.lower())

    # -- faults ------------------------------------------------------------------------------

    async def intercept(self, request: web.Request) -> web.StreamResponse | None:
        with self.lock:
            fault = next((f for f in self._faults
                          if f["path"] is None or f["path"] in request.path_qs), None)
            if fault is not None:
                fault["left"] -= 1
                if fault["left"] <= 0:
                    self._faults.remove(fault)
            empty = any(request.path.lower() in (f"/orgs/{o}/repos",) for o in self._empty_orgs)
        if fault is not None:
            return await self._fault(request, fault["kind"])
        if empty:
            with self.lock:
                headers = self._rate_headers()
            return web.json_response([], headers={**headers, "etag": 'W/"empty"'})
        return await super().intercept(request)

    async def _fault(self, request: web.Request, kind: str) -> web.StreamResponse:
        body = json.dumps([{"id": 1, "tag_name": "v1", "name": "v1", "body": NOTES * 20}] * 20)
        if kind == "reset":
            response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
            response.content_length = len(body)
            await response.prepare(request)
            await response.write(body[: len(body) // 2].encode())
            await asyncio.sleep(0.01)
            if request.transport is not None:
                request.transport.abort()
            return response
        if kind == "truncated":
            return web.Response(status=200, text=body[: len(body) // 2],
                                content_type="application/json")
        if kind == "html":
            page = ("<!DOCTYPE html><html><head><title>Unicorn! · GitHub</title></head><body>"
                    "<h1>No server is currently available to service your request.</h1></body></html>")
            return web.Response(status=200, text=page, content_type="text/html")
        if kind.startswith("status:"):
            status = int(kind.split(":", 1)[1])
            return web.json_response({"message": "Server Error"}, status=status)
        raise ValueError(f"unknown fault {kind!r}")


class BenchHub(FakeHub):
    """FakeHub with `seed` (authors with models, and single model repos) and `bump`; quotas are
    lifted so several passes fit in one 5-minute window."""

    control_ops: ClassVar[tuple[str, ...]] = (*FakeHub.control_ops, "seed", "bump")

    def _roll_window(self) -> float:
        for remaining in self._remaining.values():
            for bucket in remaining:
                remaining[bucket] = UNLIMITED
        return float(hf_fake.WINDOW_S)

    def seed(self, authors: int, models_per_author: int, singles: int) -> dict[str, list[str]]:
        made: dict[str, list[str]] = {"authors": [], "models": []}
        for a in range(authors):
            author = f"lab-{a:02d}"
            made["authors"].append(author)
            for m in range(models_per_author):
                self._model(f"{author}/model-{m:02d}", m)
        for s in range(singles):
            repo = f"solo-{s % 10:02d}/llm-{s:03d}"
            self._model(repo, s)
            made["models"].append(repo)
        return made

    def _model(self, repo: str, n: int) -> None:
        config = {"architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",
                  "max_position_embeddings": 131072 * (1 + n % 2), "hidden_size": 7168,
                  "num_hidden_layers": 61, "n_routed_experts": 256, "num_experts_per_tok": 8,
                  "vocab_size": 129280, "torch_dtype": "bfloat16"}
        shards = {f"model-{i:05d}-of-00004.safetensors": 4_900_000_000 + i for i in range(1, 5)}
        self.add_repo(repo, "model", license="mit", files={"config.json": config, **shards},
                      parameters={"BF16": 8_030_261_248}, pipeline_tag="text-generation",
                      library_name="transformers")

    def bump(self, repos: list[str]) -> list[str]:
        """A new commit (one more shard) in each repo: changed weights, the launch-day signal."""
        for repo in repos:
            self.put_files(repo, {"model-00005-of-00005.safetensors": 1_000_000_000},
                           parameters={"BF16": 9_030_261_248})
        return repos


class BenchOpenRouter(FakeOpenRouter):
    """FakeOpenRouter listing 400 models (14 from the fixture and 386 made up), with `bump`."""

    filler: ClassVar[int] = 386
    control_ops: ClassVar[tuple[str, ...]] = (*FakeOpenRouter.control_ops, "bump", "count")

    def count(self) -> int:
        with self.lock:
            return len(self._models)

    def bump(self, k: int) -> list[str]:
        """Halve the prompt price of `k` filler models."""
        with self.lock:
            ids = [m for m in self._models if m.split("/")[-1][-3:].isdigit()][:k]
        for model_id in ids:
            with self.lock:
                price = float(self._models[model_id]["pricing"]["prompt"])
            self.update_model(model_id, prompt=f"{price / 2:.10f}")
        return ids


class BenchPages(FakePages):
    """FakePages serving N copies of the real pricing table and change log fixtures (`seed`),
    and their "after" versions on `bump`."""

    control_ops: ClassVar[tuple[str, ...]] = (*FakePages.control_ops, "seed", "bump")

    def seed(self, docs: int, changelogs: int) -> dict[str, list[str]]:
        made: dict[str, list[str]] = {"docs": [], "changelogs": []}
        for i in range(docs):
            made["docs"].append(self.set_page(f"/docs/{i:02d}/pricing", _page("pricing_rows_before.html")))
        for i in range(changelogs):
            made["changelogs"].append(self.set_page(f"/updates/{i:02d}", _page("changelog_before.html")))
        return made

    def bump(self, docs: list[int], changelogs: list[int]) -> None:
        for i in docs:
            self.set_page(f"/docs/{i:02d}/pricing", _page("pricing_rows_after.html"))
        for i in changelogs:
            self.set_page(f"/updates/{i:02d}", _page("changelog_after.html"))


def _page(name: str) -> str:
    return (PAGES / name).read_text("utf-8")
