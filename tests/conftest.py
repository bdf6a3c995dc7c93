"""Shared fixtures: a clean environment, a secret-leak check on every log record, a fake clock,
config files in a temp folder, and the session-wide fake upstream and chat sink on 127.0.0.1."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.config import Config, load_config
from bot.secrets import known_secrets
from tests.fakes.catalogs import FakeOpenAIModels, FakeOpenRouter
from tests.fakes.chat_sink import ChatSink
from tests.fakes.huggingface import FakeHub
from tests.fakes.pages import FakePages
from tests.fakes.server import ThreadedServer
from tests.fakes.upstream import FakeGitHub

TEST_TOKEN = "ghp_testtoken_s3cr3t_0123456789"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No RW_* variable, proxy or stray .env from the developer's machine reaches a test."""
    for name in list(os.environ):
        if name.startswith("RW_") or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_secret_in_logs() -> Iterator[None]:
    """Fails the test if any token or webhook URL shows up in any log record, at any level."""
    handler = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    secrets = known_secrets() | {TEST_TOKEN}
    for record in handler.records:
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info)
                                      if record.exc_info else "")
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"secret leaked into log record {record.name}: {text!r}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "releasewatch.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write


def fake(cls: type[ThreadedServer], name: str) -> tuple[Any, Any]:
    """Two fixtures per fake upstream: `<name>_server`, started once per session on 127.0.0.1,
    and `<name>`, the same server wiped clean for each test."""

    @pytest.fixture(scope="session", name=f"{name}_server")
    def server() -> Iterator[ThreadedServer]:
        instance = cls()
        instance.start()
        yield instance
        instance.stop()

    @pytest.fixture(name=name)
    def fresh(request: pytest.FixtureRequest) -> ThreadedServer:
        instance: ThreadedServer = request.getfixturevalue(f"{name}_server")
        instance.reset()
        return instance

    return server, fresh


github_server, github = fake(FakeGitHub, "github")
sink_server, sink = fake(ChatSink, "sink")
hub_server, hub = fake(FakeHub, "hub")
pages_server, pages = fake(FakePages, "pages")
openrouter_server, openrouter = fake(FakeOpenRouter, "openrouter")
api_server, api = fake(FakeOpenAIModels, "api")


@pytest.fixture
def make_app(write_config: Callable[[str], Path], clock: FakeClock, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Builds a real App (SQLite file, httpx, engine, dispatcher) on a config text and a fake clock."""
    apps: list[App] = []

    def make(text: str, environ: dict[str, str] | None = None) -> App:
        env = {"RW_DATABASE": str(tmp_path / "rw.db"), **(environ or {})}
        config: Config = load_config(write_config(text), environ=env)
        app = App.build(config, clock=clock, environ=env)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.store.close()
