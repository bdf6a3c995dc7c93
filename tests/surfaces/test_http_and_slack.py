"""The HTTP surface on 127.0.0.1: /status, /healthz, /metrics and Slack's signed slash commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App
from bot.slack_commands import signature
from bot.web import StatusServer
from tests.fakes.upstream import FakeGitHub

MakeApp = Callable[..., App]
SECRET = "slack-signing-s3cr3t"


def config(github: FakeGitHub) -> str:
    return (f'[settings]\n[settings.slack]\nadmins = ["U_ADMIN"]\n'
            f'[endpoints]\ngithub = "{github.url}"\n'
            '[watches.org]\nkind = "github_org"\norg = "deepseek-ai"\n'
            '[notifiers.stdout]\nkind = "console"\n')


@pytest.fixture
async def served(github: FakeGitHub, make_app: MakeApp,
                 monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[App, httpx.AsyncClient]]:
    monkeypatch.setenv("RW_SLACK_SIGNING_SECRET", SECRET)
    github.add_org("deepseek-ai")
    github.add_repo("deepseek-ai", "DeepSeek-V3")
    app = make_app(config(github))
    await app.engine.poll("org")
    server = StatusServer(app, lambda: True)
    await server.start("127.0.0.1:0")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        yield app, client
    await server.stop()
    await app.http.aclose()


def signed(body: bytes, *, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature(secret, stamp, body),
            "Content-Type": "application/x-www-form-urlencoded"}


STATUS = b"command=%2Freleasewatch&text=status&user_id=U1&team_id=T1&response_url=x"


async def test_signed_slack_status_gets_block_kit(served: tuple[App, httpx.AsyncClient]) -> None:
    _, client = served
    reply = await client.post("/slack/commands", content=STATUS, headers=signed(STATUS))
    assert reply.status_code == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert body["blocks"][0]["type"] == "header" and "all watches ok" in body["blocks"][0]["text"]["text"]
    assert "org: ok, 1 records" in body["blocks"][1]["text"]["text"]


async def test_wrong_signature_is_refused(served: tuple[App, httpx.AsyncClient]) -> None:
    _, client = served
    reply = await client.post("/slack/commands", content=STATUS,
                              headers=signed(STATUS, secret="not-the-secret"))
    assert reply.status_code == 401


async def test_stale_timestamp_is_refused(served: tuple[App, httpx.AsyncClient]) -> None:
    _, client = served
    old = int(time.time()) - 301
    reply = await client.post("/slack/commands", content=STATUS, headers=signed(STATUS, ts=old))
    assert reply.status_code == 401


async def test_replayed_body_with_new_timestamp_but_old_signature_is_refused(
        served: tuple[App, httpx.AsyncClient]) -> None:
    _, client = served
    headers = signed(STATUS, ts=int(time.time()) - 100)
    headers["X-Slack-Request-Timestamp"] = str(int(time.time()))
    assert (await client.post("/slack/commands", content=STATUS, headers=headers)).status_code == 401


async def test_oversized_body_gets_413(served: tuple[App, httpx.AsyncClient]) -> None:
    _, client = served
    body = b"text=" + b"x" * 100_000
    assert (await client.post("/slack/commands", content=body, headers=signed(body))).status_code == 413


async def test_poll_from_a_non_admin_is_refused(served: tuple[App, httpx.AsyncClient]) -> None:
    _, client = served
    body = b"command=%2Freleasewatch&text=poll+org&user_id=U_SOMEONE"
    reply = await client.post("/slack/commands", content=body, headers=signed(body))
    assert reply.json()["text"].startswith("Not allowed")


async def test_poll_from_an_admin_polls(served: tuple[App, httpx.AsyncClient],
                                        github: FakeGitHub) -> None:
    _, client = served
    github.add_repo("deepseek-ai", "DeepSeek-V4")
    body = b"command=%2Freleasewatch&text=poll+org&user_id=U_ADMIN"
    reply = await client.post("/slack/commands", content=body, headers=signed(body))
    assert reply.json()["text"] == "org: polled, 1 new event(s)"


async def test_upstream_text_in_slack_status_is_escaped(served: tuple[App, httpx.AsyncClient],
                                                        github: FakeGitHub) -> None:
    app, client = served
    github.fail_next(3, status=500, body={"message": "<!channel> broken"})
    await app.engine.poll("org")
    reply = await client.post("/slack/commands", content=STATUS, headers=signed(STATUS))
    text = json.dumps(reply.json())
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


async def test_healthz_is_200_then_503_when_the_database_is_unwritable(
        served: tuple[App, httpx.AsyncClient]) -> None:
    app, client = served
    assert (await client.get("/healthz")).json() == {"ok": True, "reason": None}
    app.store.db.execute("PRAGMA query_only = ON")
    reply = await client.get("/healthz")
    assert reply.status_code == 503 and "not writable" in reply.json()["reason"]


async def test_metrics_parse_as_prometheus_text(served: tuple[App, httpx.AsyncClient]) -> None:
    _, client = served
    reply = await client.get("/metrics")
    families = {f.name: f for f in text_string_to_metric_families(reply.text)}
    polls = {(s.labels["watch"], s.labels["outcome"]): s.value for s in families["releasewatch_polls"].samples
             if s.name.endswith("_total")}
    assert polls[("org", "ok")] == 1
    assert "releasewatch_last_success_timestamp_seconds" in families
    assert "releasewatch_outbox_depth" in families


async def test_status_json_equals_the_cli(served: tuple[App, httpx.AsyncClient],
                                          tmp_path: Path) -> None:
    app, client = served
    served_json = (await client.get("/status")).json()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RW_")},
           "RW_DATABASE": str(app.config.settings.database)}
    cli = subprocess.run([sys.executable, "-m", "bot", "--config", str(tmp_path / "releasewatch.toml"),
                          "status", "--json"], capture_output=True, text=True, timeout=60, env=env)
    cli_json = json.loads(cli.stdout)
    for part in (served_json, cli_json):
        part["process"].pop("database_bytes")
    assert served_json == cli_json
