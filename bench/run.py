"""`make bench`: speed and memory of releasewatch against loopback fakes, with the floor measured in
the same run. Writes bench/results/bench.json (and profile-*.txt) and prints a table with PASS/FAIL
per target. See bench/README.md for what each figure means and how it is measured."""

from __future__ import annotations

import argparse
import inspect
import json
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.procs import PYTHON, ROOT, FakeProcess, LineProcess, child_env, wait_usage
from bot.http import HttpClient

RESULTS = ROOT / "bench" / "results"
PER_HOST = inspect.signature(HttpClient).parameters["per_host"].default
GITHUB_TOKEN = "ghp_bench_0123456789abcdef0123456789abcdef"
HF_TOKEN = "hf_bench_0123456789abcdef0123456789"
WEBHOOK = ("424242", "bench-webhook-token")
W1 = ("rel-", "org-")
W2 = ("hfa-", "hfm-", "catalog-", "docs-", "changelog-")
URLWATCH_MS = 2.4
DROP_HEADERS = {"host", "if-none-match", "if-modified-since", "content-length", "connection"}


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    import httpx
    return {"nproc": len(__import__("os").sched_getaffinity(0)), "cpu": model,
            "python": platform.python_version(), "platform": platform.platform(),
            "httpx": httpx.__version__, "sqlite": sqlite3.sqlite_version,
            "memory_gib": round(int(Path("/proc/meminfo").read_text().split()[1]) / 2**20, 1),
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def available_kinds() -> set[str]:
    from watchers import WATCHERS
    return set(WATCHERS)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="rw-bench-"))
        self.results: dict[str, Any] = {"machine": machine(), "passes": [], "floors": [],
                                        "notes": [], "missing": []}
        self.kinds = available_kinds()
        self.log(f"scratch folder {self.tmp}")
        self.github = FakeProcess("bench.fakes:BenchGitHub", log=self.tmp / "fake-github.log")
        self.sink = FakeProcess("sink", log=self.tmp / "fake-sink.log")
        self.w2 = FakeProcess("bench.fakes:BenchHub", "bench.fakes:BenchOpenRouter",
                              "bench.fakes:BenchPages", log=self.tmp / "fake-w2.log")
        self.gh, self.chat = self.github.remotes[0], self.sink.remotes[0]
        self.hub, self.router, self.pages = self.w2.remotes
        self.upstreams = {"github": self.gh, "hub": self.hub, "openrouter": self.router,
                          "pages": self.pages}
        self.chat("register_webhook", *WEBHOOK)
        self.floor = LineProcess(["-m", "bench.floor"], log=self.tmp / "floor.log")

    @staticmethod
    def log(text: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    # -- setup -------------------------------------------------------------------------------

    def seed(self) -> None:
        a = self.args
        t0 = time.perf_counter()
        made = self.gh("seed", "acme", a.repos)
        self.log(f"seeded GitHub: {made['repos']} repos, {made['releases']} releases "
                 f"({time.perf_counter() - t0:.1f}s)")
        self.results["workload"] = {"w1": {"github_releases": a.repos, "github_org": 1,
                                           "org_repos": a.repos, "releases": made["releases"]}}
        w2: dict[str, Any] = {}
        self.hf: dict[str, list[str]] = {"authors": [], "models": []}
        if {"hf_author", "hf_model"} <= self.kinds:
            self.hf = self.hub("seed", a.hf_authors, 5, a.hf_models)
            w2["hf_author"], w2["hf_model"] = len(self.hf["authors"]), len(self.hf["models"])
        else:
            self.results["missing"].append("hf_author/hf_model watchers")
        if "openrouter_models" in self.kinds:
            w2["openrouter_models"] = 1
            w2["catalog_models"] = self.router("count")
        else:
            self.results["missing"].append("openrouter_models watcher")
        self.pages_made: dict[str, list[str]] = {"docs": [], "changelogs": []}
        if {"docs_table", "changelog_page"} <= self.kinds:
            self.pages_made = self.pages("seed", a.pages // 2, a.pages - a.pages // 2)
            w2["docs_table"], w2["changelog_page"] = (len(self.pages_made["docs"]),
                                                      len(self.pages_made["changelogs"]))
        else:
            self.results["missing"].append("docs_table/changelog_page watchers")
        self.results["workload"]["w2"] = w2

    def config(self, name: str, *, w2: bool) -> Path:
        folder = self.tmp / name
        folder.mkdir()
        lines = ['[settings]', 'database = "rw.db"', 'interval = "1h"', '', '[endpoints]',
                 f'github = "{self.gh.url}"', f'huggingface = "{self.hub.url}"',
                 f'openrouter = "{self.router.url}"', f'discord = "{self.chat.url}/api/v10"', '',
                 '[watches.org-acme]', 'kind = "github_org"', 'org = "acme"', '']
        for i in range(self.args.repos):
            lines += [f'[watches.rel-{i:04d}]', 'kind = "github_releases"',
                      f'repo = "acme/repo-{i:04d}"', '']
        if w2:
            for author in self.hf["authors"]:
                lines += [f'[watches.hfa-{author}]', 'kind = "hf_author"', f'author = "{author}"', '']
            for repo in self.hf["models"]:
                lines += [f'[watches.hfm-{repo.replace("/", "-")}]', 'kind = "hf_model"',
                          f'repo = "{repo}"', '']
            if "openrouter_models" in self.kinds:
                lines += ['[watches.catalog-openrouter]', 'kind = "openrouter_models"', '']
            for i, url in enumerate(self.pages_made["docs"]):
                lines += [f'[watches.docs-{i:02d}]', 'kind = "docs_table"', f'url = "{url}"', '']
            for i, url in enumerate(self.pages_made["changelogs"]):
                lines += [f'[watches.changelog-{i:02d}]', 'kind = "changelog_page"', f'url = "{url}"', '']
        lines += ['[notifiers.discord]', 'kind = "discord_webhook"', 'url = "${RW_DISCORD_WEBHOOK_URL}"']
        path = folder / "releasewatch.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def env(self) -> dict[str, str]:
        return child_env({"RW_GITHUB_TOKEN": GITHUB_TOKEN, "RW_HF_TOKEN": HF_TOKEN,
                          "RW_DISCORD_WEBHOOK_URL":
                              f"{self.chat.url}/api/webhooks/{WEBHOOK[0]}/{WEBHOOK[1]}"})

    def worker(self, config: Path) -> LineProcess:
        return LineProcess(["-m", "bench.worker", str(config)], env=self.env(),
                           log=config.parent / "worker.log", cwd=config.parent)

    # -- one pass ----------------------------------------------------------------------------

    def bot_pass(self, worker: LineProcess, name: str, prefixes: tuple[str, ...], concurrency: int, *,
                 latency_ms: float, deliver: bool = False, floor: list[int] | None = None,
                 expect_posts: list[str] | None = None, profile: str | None = None) -> dict[str, Any]:
        for remote in [*self.upstreams.values(), self.chat]:
            remote("clear_stats")
        units0 = self.gh("units")
        answer = worker.ask(op="pass", prefixes=list(prefixes), concurrency=concurrency,
                            deliver=deliver, profile=profile)
        units = self.gh("units") - units0
        stats = {n: r("stats") for n, r in self.upstreams.items()}
        record = {
            "pass": name, "latency_ms": latency_ms, "concurrency": concurrency,
            **{k: answer[k] for k in ("polls", "ok", "failed", "failures", "events", "baseline",
                                      "wall_s", "cpu_s", "sys_cpu_s", "gc_s", "gc_runs",
                                      "wall_with_delivery_s", "cpu_with_delivery_s",
                                      "pending_after", "write_tx", "max_write_tx_per_poll",
                                      "statements", "rows_changed", "writes_by_table",
                                      "rss_mib", "peak_rss_mib")},
            "cpu_ms_per_poll": 1000 * answer["cpu_s"] / max(1, answer["polls"]),
            "requests": sum(s["requests"] for s in stats.values()),
            "connections_opened": sum(s["connections_opened"] for s in stats.values()),
            "connections_by_host": {n: s["connections_opened"] for n, s in stats.items()
                                    if s["requests"]},
            "bytes_received": sum(s["bytes_sent"] for s in stats.values()),
            "rate_limit_units": units,
            "snapshot_rows_written": sum(answer["snapshot_rows_written"].values()),
            "snapshot_rows_by_watch": {w: n for w, n in answer["snapshot_rows_written"].items()
                                       if not w.startswith("rel-")},
        }
        if deliver:
            record.update(self.delivery(answer["commits"], expect_posts or []))
        if profile:
            record["profile"] = self.profile_text(profile)
        requests = self.recorded() if floor else []
        self.results["passes"].append(record)
        self.log(f"{name}: {record['polls']} polls, {record['wall_s']:.2f}s wall, "
                 f"{record['cpu_ms_per_poll']:.2f} ms CPU/poll (sys {record['sys_cpu_s']:.2f}s, "
                 f"gc {record['gc_s']:.2f}s {record['gc_runs']}), {record['requests']} requests, "
                 f"{record['failed']} failed")
        for c in floor or []:
            self.floor_pass(name, requests, c, latency_ms, record if c == concurrency else None)
        return record

    def recorded(self) -> list[dict[str, Any]]:
        """The GETs the bot just sent to the upstream fakes, to replay on the floor."""
        requests = []
        for remote in self.upstreams.values():
            for r in remote("requests"):
                if r["method"] != "GET":
                    continue
                headers = {k: v for k, v in r["headers"].items() if k not in DROP_HEADERS}
                requests.append({"url": remote.url + r["path_qs"], "headers": headers, "at": r["at"]})
        requests.sort(key=lambda r: r["at"])
        return [{"url": r["url"], "headers": r["headers"]} for r in requests]

    def floor_pass(self, name: str, requests: list[dict[str, Any]], concurrency: int,
                   latency_ms: float, bot: dict[str, Any] | None) -> None:
        answer = self.floor.ask(op="run", requests=requests, concurrency=concurrency)
        record = {"pass": name, "concurrency": concurrency, "latency_ms": latency_ms,
                  "requests": answer["requests"], "statuses": answer["statuses"],
                  "wall_s": answer["wall_s"], "cpu_s": answer["cpu_s"], "sys_cpu_s": answer["sys_cpu_s"],
                  "cpu_ms_per_request": 1000 * answer["cpu_s"] / max(1, answer["requests"])}
        self.results["floors"].append(record)
        if bot is not None:
            bot["floor_cpu_s"] = answer["cpu_s"]
            bot["floor_cpu_ms_per_request"] = record["cpu_ms_per_request"]
            bot["ratio_to_floor"] = bot["cpu_s"] / answer["cpu_s"] if answer["cpu_s"] else None
        self.log(f"  floor {name} at {concurrency}: {record['cpu_ms_per_request']:.2f} ms CPU/request "
                 f"{answer['statuses']}")

    def delivery(self, commits: dict[str, float], expected: list[str]) -> dict[str, Any]:
        """Commit -> post: from the moment the poll's transaction committed (in the bot) to the
        moment the chat sink received the request carrying the event (both time.time())."""
        latencies, seen = [], set()
        for r in self.chat("requests"):
            if not 200 <= r["status"] < 300 or not isinstance(r["body"], dict):
                continue
            for embed in r["body"].get("embeds") or []:
                title = str(embed.get("title", "")).replace("\\", "")
                if title in commits:
                    latencies.append(1000 * (r["at"] - commits[title]))
                    seen.add(title)
        latencies.sort()
        missing = sorted({*expected, *commits} - seen)
        return {"posts_expected": len({*expected, *commits}), "posts_received": len(seen),
                "posts_missing": missing, "k_titles_committed": sum(t in commits for t in expected),
                "commit_to_post_ms": latencies,
                "commit_to_post_p50_ms": percentile(latencies, 50),
                "commit_to_post_p99_ms": percentile(latencies, 99)}

    @staticmethod
    def profile_text(path: str) -> str:
        return str(Path(path).relative_to(ROOT))

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> None:
        a = self.args
        self.seed()
        # Phase A: no latency; W1 and W2 loaded in one bot process (the RSS target)
        config = self.config("zero", w2=True)
        bot = self.worker(config)
        self.bot_pass(bot, "W1 cold", W1, PER_HOST, latency_ms=0, floor=[PER_HOST])
        for rep in range(a.repeat):  # bot and floor alternate, so a noisy neighbour hits both
            self.bot_pass(bot, "W1 warm", W1, 1, latency_ms=0, floor=[1])
            self.bot_pass(bot, "W1 warm", W1, PER_HOST, latency_ms=0,
                          floor=[PER_HOST, 20] if rep == 0 else [PER_HOST])
        self.bot_pass(bot, "W1 warm", W1, 16, latency_ms=0)
        titles = self.gh("bump", "acme", a.k)
        self.bot_pass(bot, f"W1 K={a.k} changed", W1, PER_HOST, latency_ms=0, deliver=True,
                      floor=[PER_HOST], expect_posts=titles)
        if self.results["workload"]["w2"]:
            self.bot_pass(bot, "W2 cold", W2, PER_HOST, latency_ms=0, floor=[PER_HOST])
            self.bot_pass(bot, "W2 warm", W2, PER_HOST, latency_ms=0, floor=[PER_HOST])
            self.bot_pass(bot, "catalog warm (400 models)", ("catalog-",), 1, latency_ms=0)
            if self.hf["models"]:
                self.hub("bump", self.hf["models"][:3])
            if "openrouter_models" in self.kinds:
                self.router("bump", 2)
            if self.pages_made["docs"]:
                self.pages("bump", [0, 1], [0])
            self.bot_pass(bot, "W2 K changed", W2, PER_HOST, latency_ms=0, deliver=True,
                          floor=[PER_HOST])
        rss = bot.ask(op="rss")
        usage = bot.close()
        self.results["peak_rss"] = {"worker_peak_rss_mib": usage.maxrss_mib, "during": rss,
                                    "loaded": "W1 + W2 (every pass above, one process)"}
        db = config.parent / "rw.db"
        self.results["database"] = {
            "file_mib": round(db.stat().st_size / 2**20, 1),
            "wal_mib": round(db.with_name("rw.db-wal").stat().st_size / 2**20, 1)
            if db.with_name("rw.db-wal").exists() else 0,
            "http_cache_body_mib": round(sqlite3.connect(db).execute(
                "SELECT coalesce(sum(length(body)), 0) FROM http_cache").fetchone()[0] / 2**20, 1)}
        self.cli_once(config)
        self.breakdown()
        if not a.quick:
            self.with_latency(a.latency_ms)
        self.results["targets"] = self.targets()

    def breakdown(self) -> None:
        """Where a poll's CPU goes (one poll at a time, thread CPU time per part and per watch
        kind), cold then warm, in fresh bot processes; then the profiles (pyinstrument), which
        are kept out of the measured passes: a profiler costs CPU and memory itself."""
        bot = self.worker(self.config("breakdown", w2=True))
        found = {}
        for name, prefixes in (("W1 cold", W1), ("W2 cold", W2), ("W1 warm", W1), ("W2 warm", W2)):
            found[name] = bot.ask(op="breakdown", prefixes=list(prefixes))
        if self.args.profile:
            found["profile W1 warm"] = bot.ask(op="pass", prefixes=list(W1), concurrency=PER_HOST,
                                               profile=str(RESULTS / "profile-w1-warm.txt"))["cpu_s"]
        bot.close()
        if self.args.profile:
            bot = self.worker(self.config("profile-cold", w2=False))
            found["profile W1 cold"] = bot.ask(op="pass", prefixes=list(W1), concurrency=PER_HOST,
                                               profile=str(RESULTS / "profile-w1-cold.txt"))["cpu_s"]
            bot.close()
        self.results["breakdown"] = found
        for name, b in found.items():
            if isinstance(b, dict):
                parts = ", ".join(f"{k} {v:.2f}" for k, v in b["parts_ms"].items())
                kinds = ", ".join(f"{k} {v['mean_ms']:.1f}/{v['max_ms']:.1f}"
                                  for k, v in b["by_kind"].items())
                self.log(f"breakdown {name}: {b['cpu_ms_per_poll']:.2f} ms/poll = {parts}; "
                         f"by kind mean/max ms: {kinds}")

    def cli_once(self, config: Path) -> None:
        """The real command, as cron would run it: `run --once` over every watch (warm), one poll
        at a time; CPU and peak RSS of that process from wait4. `check-config` is the start-up
        cost (imports, config) to subtract."""
        def run(*argv: str) -> tuple[float, Any]:
            t0 = time.perf_counter()
            proc = subprocess.Popen([PYTHON, "-m", "bot", "--config", str(config), *argv],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env=self.env(), cwd=config.parent)
            usage = wait_usage(proc, 600)
            return time.perf_counter() - t0, usage

        for remote in self.upstreams.values():
            remote("clear_stats")
        _, start = run("check-config")
        wall, once = run("run", "--once")
        stats = {n: r("stats") for n, r in self.upstreams.items()}
        watches = self.args.repos + 1 + sum(v for k, v in self.results["workload"]["w2"].items()
                                            if k in ("hf_author", "hf_model", "openrouter_models",
                                                     "docs_table", "changelog_page"))
        record = {"command": "releasewatch run --once (warm, W1 + W2, one poll at a time)",
                  "exit": once.returncode, "watches": watches, "wall_s": wall, "cpu_s": once.cpu_s,
                  "startup_cpu_s": start.cpu_s, "peak_rss_mib": once.maxrss_mib,
                  "cpu_ms_per_watch": 1000 * (once.cpu_s - start.cpu_s) / watches,
                  "requests": sum(s["requests"] for s in stats.values()),
                  "connections_opened": sum(s["connections_opened"] for s in stats.values())}
        self.results["cli_run_once"] = record
        self.log(f"cli run --once: exit {once.returncode}, {wall:.1f}s, CPU {once.cpu_s:.2f}s "
                 f"(start-up {start.cpu_s:.2f}s), peak RSS {once.maxrss_mib:.0f} MiB")

    def with_latency(self, latency_ms: float) -> None:
        """Phase B: the same W1 with every upstream answer delayed: wall times as users see them."""
        for remote in self.upstreams.values():
            remote("set_latency", latency_ms)
        bot = self.worker(self.config(f"latency{latency_ms:g}", w2=False))
        self.bot_pass(bot, "W1 cold", W1, PER_HOST, latency_ms=latency_ms)
        self.bot_pass(bot, "W1 warm", W1, PER_HOST, latency_ms=latency_ms, floor=[PER_HOST])
        self.bot_pass(bot, "W1 warm", W1, 16, latency_ms=latency_ms)
        titles = self.gh("bump", "acme", self.args.k)
        self.bot_pass(bot, f"W1 K={self.args.k} changed", W1, PER_HOST, latency_ms=latency_ms,
                      deliver=True, floor=[PER_HOST], expect_posts=titles)
        bot.close()
        for remote in self.upstreams.values():
            remote("set_latency", 0)

    # -- targets -----------------------------------------------------------------------------

    def find(self, name: str, concurrency: int | None = None, latency: float = 0) -> dict[str, Any] | None:
        return next((p for p in self.results["passes"] if p["pass"] == name and p["latency_ms"] == latency
                     and (concurrency is None or p["concurrency"] == concurrency)), None)

    def targets(self) -> list[dict[str, Any]]:
        t: list[dict[str, Any]] = []

        def add(name: str, value: float | None, limit: float, unit: str = "", why: str = "") -> None:
            ok = value is not None and value <= limit
            t.append({"target": name, "measured": value, "limit": limit, "unit": unit,
                      "result": "PASS" if ok else "FAIL", "note": why})

        for c in (1, PER_HOST):
            warm = [p for p in self.results["passes"] if p["pass"] == "W1 warm" and p["latency_ms"] == 0
                    and p["concurrency"] == c and p.get("ratio_to_floor")]
            if warm:
                add(f"W1 warm CPU ≤ 1.5× floor (concurrency {c}, median of {len(warm)})",
                    statistics.median(p["ratio_to_floor"] for p in warm), 1.5, "×")
                add(f"W1 warm CPU per watch < urlwatch 2.4 ms (concurrency {c}, median of {len(warm)})",
                    statistics.median(p["cpu_ms_per_poll"] for p in warm), URLWATCH_MS, "ms")
        cold = self.find("W1 cold", PER_HOST)
        if cold:
            add(f"W1 cold CPU ≤ 2× floor (concurrency {PER_HOST})", cold.get("ratio_to_floor"), 2.0, "×")
        warm_all = [p for p in self.results["passes"] if p["pass"] == "W1 warm"]
        if warm_all:
            add(f"W1 warm rate-limit units with a token (max of {len(warm_all)} passes, 0 and "
                f"{self.args.latency_ms:g} ms)", max(p["rate_limit_units"] for p in warm_all), 0, "units")
            add(f"W1 warm connections opened ≤ per-host limit {PER_HOST} (max of {len(warm_all)} passes)",
                max(p["connections_opened"] for p in warm_all), PER_HOST, "connections")
        peak = max([p["peak_rss_mib"] for p in self.results["passes"] if p["latency_ms"] == 0]
                   + [self.results.get("peak_rss", {}).get("worker_peak_rss_mib", 0)])
        add("peak RSS with W1 + W2 loaded", peak, 100, "MiB")
        for p in self.results["passes"]:
            if "commit_to_post_p99_ms" in p and p["commit_to_post_ms"]:
                add(f"commit → post p99 ({p['pass']}, {p['latency_ms']:g} ms)", p["commit_to_post_p99_ms"],
                    50, "ms")
        unchanged = [p for p in self.results["passes"] if "warm" in p["pass"] and "profiled" not in p["pass"]]
        if unchanged:
            add(f"unchanged poll ≤ 1 SQLite write transaction (worst of {len(unchanged)} warm passes)",
                max(p["write_tx"] / max(1, p["polls"]) for p in unchanged), 1, "tx/poll")
            one = [p for p in unchanged if p["concurrency"] == 1]
            if one:
                add("unchanged poll ≤ 1 SQLite write transaction (worst single poll, concurrency 1)",
                    max(p["max_write_tx_per_poll"] for p in one), 1, "tx")
        cat = self.find("catalog warm (400 models)")
        if cat:
            rewrites = cat["snapshot_rows_written"] + cat["writes_by_table"].get("http_cache", 0)
            add("unchanged 400-model catalog rewrites nothing", rewrites, 0, "rows")
        return t


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def table(results: dict[str, Any]) -> str:
    head = ("pass", "lat", "c", "polls", "wall s", "CPU s", "ms/poll", "floor", "ratio", "RSS", "reqs",
            "conns", "KB in", "units", "wr tx", "post p50/p99")
    rows = []
    for p in results["passes"]:
        post = ""
        if p.get("commit_to_post_ms"):
            post = f"{p['commit_to_post_p50_ms']:.1f}/{p['commit_to_post_p99_ms']:.1f} ms"
        rows.append((p["pass"], f"{p['latency_ms']:g}", str(p["concurrency"]), str(p["polls"]),
                     f"{p['wall_s']:.2f}", f"{p['cpu_s']:.2f}", f"{p['cpu_ms_per_poll']:.2f}",
                     f"{p['floor_cpu_ms_per_request']:.2f}" if "floor_cpu_ms_per_request" in p else "",
                     f"{p['ratio_to_floor']:.2f}×" if p.get("ratio_to_floor") else "",
                     f"{p['peak_rss_mib']:.0f}", str(p["requests"]), str(p["connections_opened"]),
                     f"{p['bytes_received'] / 1024:.0f}", str(p["rate_limit_units"]), str(p["write_tx"]),
                     post))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    floors = [f"  floor {f['pass']} c={f['concurrency']} {f['latency_ms']:g} ms: "
              f"{f['cpu_ms_per_request']:.2f} ms CPU/request, {f['wall_s']:.2f}s wall, {f['statuses']}"
              for f in results["floors"]]
    once = results.get("cli_run_once")
    extra = []
    if once:
        extra.append(f"  {once['command']}: exit {once['exit']}, {once['wall_s']:.1f}s wall, "
                     f"CPU {once['cpu_s']:.2f}s (start-up {once['startup_cpu_s']:.2f}s) = "
                     f"{once['cpu_ms_per_watch']:.2f} ms/watch, peak RSS {once['peak_rss_mib']:.0f} MiB")
    targets = [f"  {t['result']}  {t['target']}: "
               f"{'n/a' if t['measured'] is None else format(t['measured'], '.3g')} {t['unit']} "
               f"(limit {t['limit']:g})" for t in results.get("targets", [])]
    m = results["machine"]
    return "\n".join([f"releasewatch bench — {m['nproc']} cores, {m['cpu']}, Python {m['python']}, "
                      f"{m['date']}", *lines, "", *floors, *extra, "", "targets:", *targets,
                      *(["", "missing: " + "; ".join(results["missing"])] if results["missing"] else [])])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--repos", type=int, default=1000, help="W1 size (github_releases watches and org repos)")
    p.add_argument("--k", type=int, default=10, help="repos changed in the K pass")
    p.add_argument("--hf-authors", type=int, default=10)
    p.add_argument("--hf-models", type=int, default=90)
    p.add_argument("--pages", type=int, default=20, help="docs_table + changelog_page watches")
    p.add_argument("--latency-ms", type=float, default=50.0, help="phase B upstream latency")
    p.add_argument("--quick", action="store_true", help="skip phase B (latency)")
    p.add_argument("--no-profile", dest="profile", action="store_false")
    p.add_argument("--repeat", type=int, default=3, help="warm passes (and floors) per concurrency")
    p.add_argument("--out", type=Path, default=RESULTS / "bench.json")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    bench = Bench(args)
    try:
        bench.run()
    finally:
        bench.floor.close()
        for fake in (bench.github, bench.sink, bench.w2):
            fake.stop()
    bench.results["duration_s"] = round(time.perf_counter() - started, 1)
    bench.results["args"] = {k: str(v) for k, v in vars(args).items()}
    args.out.write_text(json.dumps(bench.results, indent=1, default=str) + "\n")
    print(table(bench.results))
    print(f"\nwritten: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out} "
          f"({bench.results['duration_s']:.0f}s)")
    shutil.rmtree(bench.tmp, ignore_errors=True)
    missed = [t for t in bench.results.get("targets", []) if t["result"] != "PASS"]
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    raise SystemExit(main())
