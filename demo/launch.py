"""`make demo`: a model launch like DeepSeek V4's, replayed against fake upstreams and chat sinks
on 127.0.0.1 with the real bot (engine, SQLite, dispatcher, notifiers) in a minute of fake time.
Each message is printed as the chat shows it; `tests/test_demo.py` runs it headless."""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import App
from bot.clock import FakeClock
from bot.config import load_config
from bot.status import render_text
from demo.pages import Entry, Model, changelog, pricing
from tests.fakes.catalogs import FakeOpenRouter
from tests.fakes.chat_sink import ChatSink, Post
from tests.fakes.huggingface import FakeHub
from tests.fakes.pages import FakePages
from tests.fakes.upstream import FakeGitHub

Show = Callable[[str], None]
V3 = Model("deepseek-chat", "DeepSeek-V3.2 (Non-thinking Mode)", "128K", "$0.028", "$0.28", "$0.42")
R = Model("deepseek-reasoner", "DeepSeek-V3.2 (Thinking Mode)", "128K", "$0.028", "$0.28", "$0.42")
V4 = Model("deepseek-v4", "DeepSeek-V4", "1M", "$0.014", "$0.14", "$0.28")
OLD_LOG = [Entry("2025-12-01", "deepseek-chat &amp; deepseek-reasoner",
                 ["Both models are upgraded to DeepSeek-V3.2."])]
V4_LOG = Entry("2026-03-05", "deepseek-v4", ["DeepSeek-V4 is released: 1M context, open weights "
                                             "under MIT, $0.14 / $0.28 per 1M tokens."])
V4_SHARDS = 211
V4_PARAMS = {"F8_E4M3": 1_010_000_000_000, "BF16": 12_400_000_000, "F32": 41_000_000}
V4_CONFIG = {"architectures": ["DeepseekV4ForCausalLM"], "model_type": "deepseek_v4",
             "max_position_embeddings": 1_048_576, "n_routed_experts": 384,
             "num_experts_per_tok": 16, "n_shared_experts": 1, "torch_dtype": "bfloat16"}


@dataclass
class Fakes:
    github: FakeGitHub = field(default_factory=FakeGitHub)
    hub: FakeHub = field(default_factory=FakeHub)
    pages: FakePages = field(default_factory=FakePages)
    openrouter: FakeOpenRouter = field(default_factory=FakeOpenRouter)
    sink: ChatSink = field(default_factory=ChatSink)

    def all(self) -> list[Any]:
        return [self.github, self.hub, self.pages, self.openrouter, self.sink]


@dataclass(frozen=True)
class Step:
    when: str
    what: str
    act: Callable[[Fakes], None]
    expect: tuple[str, ...]


def seed(f: Fakes) -> None:
    f.github.add_org("deepseek-ai")
    for name in ("DeepSeek-V3", "DeepSeek-R1", "FlashMLA", "DeepEP"):
        f.github.add_repo("deepseek-ai", name, license="mit")
    f.hub.add_repo("deepseek-ai/DeepSeek-V3.2", license="mit")
    f.pages.set_page("/quick_start/pricing", pricing([V3, R], "2026-01-20"))
    f.pages.set_page("/updates", changelog(OLD_LOG))


def lite(f: Fakes) -> None:
    f.openrouter.add_model("deepseek/deepseek-v4-lite", context_length=1_048_576,
                           prompt="0.00000014", completion="0.00000028",
                           input_modalities=("text", "image"), output_modalities=("text",))


def weights(f: Fakes) -> None:
    shards = {f"model-{i:05d}-of-{V4_SHARDS:06d}.safetensors": 4_900_000_000
              for i in range(1, V4_SHARDS + 1)}
    f.hub.put_files("deepseek-ai/DeepSeek-V4", {**shards, "config.json": V4_CONFIG},
                    parameters=V4_PARAMS)
    f.hub.update_repo("deepseek-ai/DeepSeek-V4", gated=False)


STORY = [
    Step("Feb 11", "the docs' context length goes 128K → 1M, without a word",
         lambda f: f.pages.set_page("/quick_start/pricing", pricing(
             [Model(**{**V3.__dict__, "context": "1M"}), Model(**{**R.__dict__, "context": "1M"})],
             "2026-02-11")), ("docs.context_window_changed",) * 2),
    Step("Feb 20", "a 'V4 Lite' shows up at an inference provider", lite,
         ("catalog.model_listed",)),
    Step("Mar 5, 08:00", "the GitHub repo appears",
         lambda f: f.github.add_repo("deepseek-ai", "DeepSeek-V4",
                                     description="DeepSeek-V4 technical report", license="mit"),
         ("github.repo_created",)),
    Step("Mar 5, 08:10", "the Hub repo appears, gated",
         lambda f: f.hub.add_repo("deepseek-ai/DeepSeek-V4", license="mit", gated="manual"),
         ("hf.model_created",)),
    Step("Mar 5, 09:00", "the weights land and the gate opens", weights,
         ("hf.weights_published", "hf.gating_changed")),
    Step("Mar 5, 09:05", "the pricing table gains a V4 column",
         lambda f: f.pages.set_page("/quick_start/pricing", pricing(
             [Model(**{**V3.__dict__, "context": "1M"}), Model(**{**R.__dict__, "context": "1M"}),
              V4], "2026-03-05")), ("docs.row_added",)),
    Step("Mar 5, 09:10", "the change log names V4",
         lambda f: f.pages.set_page("/updates", changelog([V4_LOG, *OLD_LOG])),
         ("changelog.entry_added",)),
]
WATCHES = ("deepseek-pricing", "deepseek-changelog", "openrouter-deepseek", "deepseek-org",
           "deepseek-hf")


def config_text(f: Fakes, database: Path) -> str:
    return f"""
[settings]
database = "{database}"
announce_baseline = true
[endpoints]
github = "{f.github.url}"
huggingface = "{f.hub.url}"
openrouter = "{f.openrouter.url}"
[watches.deepseek-pricing]
kind = "docs_table"
url = "{f.pages.url}/quick_start/pricing"
table = ".theme-doc-markdown table"
[watches.deepseek-changelog]
kind = "changelog_page"
url = "{f.pages.url}/updates"
entry = ".theme-doc-markdown h2"
[watches.openrouter-deepseek]
kind = "openrouter_models"
match = "^deepseek/"
[watches.deepseek-org]
kind = "github_org"
org = "deepseek-ai"
[watches.deepseek-hf]
kind = "hf_author"
author = "deepseek-ai"
[notifiers.discord]
kind = "discord_webhook"
url = "${{RW_DEMO_DISCORD}}"
[notifiers.slack]
kind = "slack_webhook"
url = "${{RW_DEMO_SLACK}}"
"""


def _plain(text: str) -> str:
    """Discord's markdown escapes, undone for the terminal."""
    return re.sub(r"\\([\\*_~`|>\[\]()#-])", r"\1", text)


def discord_text(post: Post) -> str:
    out = []
    for embed in post.body["embeds"]:
        out.append(f"  ┃ {_plain(embed['title'])}" + (f"  <{embed['url']}>" if embed.get("url") else ""))
        out += [f"  ┃   {_plain(line)}" for line in embed.get("description", "").splitlines()]
        out.append(f"  ┃ {embed['footer']['text']} • {embed.get('timestamp', '')[:16]}")
    return "\n".join(out)


def slack_text(post: Post) -> str:
    out = []
    for block in post.body["blocks"]:
        if block["type"] == "header":
            out.append(f"  ▌ *{block['text']['text']}*")
        elif block["type"] == "section":
            out += [f"  ▌ {line}" for line in block["text"]["text"].splitlines()]
        elif block["type"] == "context":
            out += [f"  ▌ {e['text']}" for e in block["elements"]]
    return "\n".join(out)


def kinds_of(post: Post) -> list[str]:
    if "embeds" in post.body:
        return [e["footer"]["text"].rsplit(" · ", 1)[-1] for e in post.body["embeds"]]
    return [b["elements"][0]["text"].split(" · ")[1] for b in post.body["blocks"]
            if b["type"] == "context"]


@dataclass
class Report:
    discord: Counter[str]
    slack: Counter[str]
    expected: Counter[str]
    status: str

    @property
    def ok(self) -> bool:
        return self.discord == self.expected == self.slack


async def replay(show: Show = print, *, step_seconds: float = 8.0) -> Report:
    """Run the story; returns what each chat received against what the story expects."""
    fakes = Fakes()
    for server in fakes.all():
        server.start()
    try:
        return await _replay(fakes, show, step_seconds)
    finally:
        for server in fakes.all():
            server.stop()


async def _replay(f: Fakes, show: Show, step_seconds: float) -> Report:
    seed(f)
    f.sink.register_webhook("1", "demo-token")
    env = {"RW_DEMO_DISCORD": f.sink.webhook_url("1"),
           "RW_DEMO_SLACK": f.sink.register_slack("T0DEMO/B0DEMO/demo")}
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "demo.toml"
        path.write_text(config_text(f, Path(scratch) / "demo.db"))
        clock = FakeClock(datetime(2026, 2, 10, 9, 0, tzinfo=UTC))
        app = App.build(load_config(path, environ=env, dotenv=None), clock=clock, environ=env)
        seen = 0
        expected: Counter[str] = Counter({"health.watch_started": len(WATCHES)})
        try:
            for title, act in [("Feb 10", "releasewatch starts: one baseline per watch")] + [
                    (s.when, s.what) for s in STORY]:
                show(f"\n━━ {title}: {act} " + "━" * max(0, 60 - len(title) - len(act)))
                step = next((s for s in STORY if s.what == act), None)
                if step:
                    step.act(f)
                    expected.update(step.expect)
                clock.advance(step_seconds)
                for watch_id in WATCHES:
                    await app.engine.poll(watch_id)
                await app.dispatcher.deliver_due()
                for post in f.sink.posts[seen:]:
                    show("Discord:\n" + discord_text(post) if "embeds" in post.body
                         else "Slack:\n" + slack_text(post))
                seen = len(f.sink.posts)
            status = render_text(app.health())
            show("\n━━ /status " + "━" * 50 + "\n" + status)
            discord = Counter(k for p in f.sink.posts_for("1") for k in kinds_of(p))
            slack = Counter(k for p in f.sink.posts if p.webhook_id != "1" for k in kinds_of(p))
            return Report(discord, slack, expected, status)
        finally:
            app.store.close()
            await app.http.aclose()


def main() -> int:
    report = asyncio.run(replay())
    if report.ok:
        print(f"\nEvery expected message arrived exactly once in Discord and in Slack "
              f"({sum(report.expected.values())} each).")
        return 0
    print(f"\nMismatch: expected {dict(report.expected)}\n discord {dict(report.discord)}\n"
          f" slack {dict(report.slack)}", file=sys.stderr)
    return 1
