"""The `releasewatch` command as a user runs it: real subprocesses, real signals, real lock."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from tests.fakes.chat_sink import ChatSink
from tests.fakes.upstream import FakeGitHub

TIMEOUT = 60


def write(tmp_path: Path, github: FakeGitHub, sink: ChatSink | None = None,
          interval: str = "10m") -> Path:
    text = f'[settings]\ndatabase = "rw.db"\ninterval = "{interval}"\n'
    text += f'[endpoints]\ngithub = "{github.url}"\n'
    text += '[watches.org]\nkind = "github_org"\norg = "deepseek-ai"\nfull_every = 1\n'
    if sink:
        text += '[notifiers.discord]\nkind = "discord_webhook"\nurl = "${RW_DISCORD_WEBHOOK_URL}"\n'
    text += '[notifiers.stdout]\nkind = "console"\n'
    path = tmp_path / "releasewatch.toml"
    path.write_text(text)
    return path


def env(sink: ChatSink | None = None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("RW_")}
    if sink:
        sink.register_webhook("42", "hook-s3cr3t-token")
        base["RW_DISCORD_WEBHOOK_URL"] = sink.webhook_url("42")
    return base


def cli(config: Path, *args: str, environ: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=TIMEOUT, env=environ or env(),
                          cwd=config.parent)


def start(config: Path, *args: str, environ: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=environ or env(), cwd=config.parent)


def test_run_once_posts_a_changed_org_once_to_discord(github: FakeGitHub, sink: ChatSink,
                                                      tmp_path: Path) -> None:
    github.add_org("deepseek-ai")
    github.add_repo("deepseek-ai", "DeepSeek-V3")
    config, environ = write(tmp_path, github, sink), env(sink)
    assert cli(config, "run", "--once", environ=environ).returncode == 0
    assert sink.posts == []
    github.add_repo("deepseek-ai", "DeepSeek-V4")
    done = cli(config, "run", "--once", environ=environ)
    assert done.returncode == 0, done.stderr
    assert "New repository deepseek-ai/DeepSeek-V4" in done.stdout
    assert cli(config, "run", "--once", environ=environ).returncode == 0
    [post] = sink.posts_for("42")
    assert post.body["embeds"][0]["title"] == "New repository deepseek-ai/DeepSeek-V4"
    assert "hook-s3cr3t-token" not in done.stderr + done.stdout


def test_run_once_leaves_undeliverable_rows_pending_and_exits_1(github: FakeGitHub,
                                                                sink: ChatSink,
                                                                tmp_path: Path) -> None:
    github.add_org("deepseek-ai")
    config, environ = write(tmp_path, github, sink), env(sink)
    cli(config, "run", "--once", environ=environ)
    github.add_repo("deepseek-ai", "DeepSeek-V4")
    sink.script("42", ("429", 600))
    done = cli(config, "run", "--once", "--max-wait", "1", environ=environ)
    assert done.returncode == 1 and "still pending" in done.stderr
    assert cli(config, "run", "--once", environ=environ).returncode == 1  # not due yet
    status = json.loads(cli(config, "status", "--json", environ=environ).stdout)
    assert [n["pending"] for n in status["notifiers"] if n["id"] == "discord"] == [1]


def test_second_instance_on_the_same_database_exits_3(github: FakeGitHub, tmp_path: Path) -> None:
    github.add_org("deepseek-ai")
    config = write(tmp_path, github)
    held = github.hold("/repos")
    first = start(config, "run")
    try:
        assert held.arrived.wait(TIMEOUT)
        second = cli(config, "run", "--once")
        assert second.returncode == 3
        assert "another releasewatch" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        held.release()
        try:
            first.communicate(timeout=TIMEOUT)
        finally:
            if first.poll() is None:
                first.kill()


def test_sigterm_during_a_poll_leaves_the_store_consistent(github: FakeGitHub,
                                                           tmp_path: Path) -> None:
    github.add_org("deepseek-ai")
    github.add_repo("deepseek-ai", "DeepSeek-V3")
    config = write(tmp_path, github, interval="2s")  # `run` polls again once 2 s have passed
    assert cli(config, "run", "--once").returncode == 0
    github.add_repo("deepseek-ai", "DeepSeek-V4")
    held = github.hold("/repos")
    proc = start(config, "run")
    try:
        assert held.arrived.wait(TIMEOUT)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        held.release()
        if proc.poll() is None:  # never leave a bot running behind a failed assertion
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    db = sqlite3.connect(tmp_path / "rw.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM snapshots").fetchone() == (1,)
    db.close()
    done = cli(config, "run", "--once")
    assert done.returncode == 0 and done.stdout.count("DeepSeek-V4") >= 1


def test_bad_config_exits_2_naming_file_entry_and_key(tmp_path: Path) -> None:
    config = tmp_path / "releasewatch.toml"
    config.write_text('[watches.deepseek-v3]\nkind = "github_releases"\nrep = "a/b"\n')
    done = cli(config, "check-config")
    assert done.returncode == 2
    assert f"{config}: watches.deepseek-v3: unknown key 'rep' (did you mean 'repo'?)" in done.stderr


def test_unknown_watch_exits_2(github: FakeGitHub, tmp_path: Path) -> None:
    done = cli(write(tmp_path, github), "poll", "nope")
    assert done.returncode == 2 and "no watch named 'nope'" in done.stderr


def test_status_of_a_failing_watch_exits_1_with_its_reason(github: FakeGitHub,
                                                           tmp_path: Path) -> None:
    config = write(tmp_path, github)  # the org does not exist: every poll fails with a 404
    assert cli(config, "poll", "org").returncode == 1
    done = cli(config, "status")
    assert done.returncode == 1 and "failing (1 in a row)" in done.stdout
    assert "HTTP 404" in done.stdout


def test_newer_schema_exits_3(github: FakeGitHub, tmp_path: Path) -> None:
    config = write(tmp_path, github)
    db = sqlite3.connect(tmp_path / "rw.db")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('schema_version', '99')")
    db.commit()
    db.close()
    done = cli(config, "status")
    assert done.returncode == 3 and "schema v99" in done.stderr


def test_poll_dry_run_prints_events_and_stores_nothing(github: FakeGitHub, tmp_path: Path) -> None:
    github.add_org("deepseek-ai")
    config = write(tmp_path, github)
    assert cli(config, "poll", "org").returncode == 0
    github.add_repo("deepseek-ai", "DeepSeek-V4")
    dry = cli(config, "poll", "org", "--dry-run")
    assert dry.returncode == 0 and "New repository deepseek-ai/DeepSeek-V4" in dry.stdout
    events = cli(config, "events")
    assert "DeepSeek-V4" not in events.stdout
    real = cli(config, "poll", "org")
    assert "DeepSeek-V4" in real.stdout
    assert "github.repo_created" in cli(config, "events").stdout


def test_run_polls_on_schedule_and_delivers_as_soon_as_a_poll_commits(
        github: FakeGitHub, sink: ChatSink, tmp_path: Path) -> None:
    github.add_org("deepseek-ai")
    github.add_repo("deepseek-ai", "DeepSeek-V3")
    config, environ = write(tmp_path, github, sink, interval="2s"), env(sink)
    assert cli(config, "run", "--once", environ=environ).returncode == 0
    github.add_repo("deepseek-ai", "DeepSeek-V4")
    proc = start(config, "run", environ=environ)
    try:
        [post] = sink.wait_for_posts(1, timeout=TIMEOUT)
        assert post.body["embeds"][0]["title"] == "New repository deepseek-ai/DeepSeek-V4"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_notify_test_posts_one_sample_to_each_chat(github: FakeGitHub, sink: ChatSink,
                                                    tmp_path: Path) -> None:
    config, environ = write(tmp_path, github, sink), env(sink)
    done = cli(config, "notify-test", environ=environ)
    assert done.returncode == 0, done.stderr
    [post] = sink.posts_for("42")
    assert post.body["embeds"][0]["title"] == "releasewatch test message"
    assert "discord: sent" in done.stderr and "stdout: sent" in done.stderr
    assert "releasewatch test message" in done.stdout


def test_notify_test_reports_a_broken_webhook_and_exits_1(github: FakeGitHub, sink: ChatSink,
                                                          tmp_path: Path) -> None:
    config, environ = write(tmp_path, github, sink), env(sink)
    sink.script("42", "404")
    done = cli(config, "notify-test", "discord", environ=environ)
    assert done.returncode == 1 and "discord: failed: Discord answered 404" in done.stderr
    assert "hook-s3cr3t-token" not in done.stderr


def test_redeliver_resends_a_failed_row_once_the_webhook_works(github: FakeGitHub,
                                                                sink: ChatSink,
                                                                tmp_path: Path) -> None:
    github.add_org("deepseek-ai")
    config, environ = write(tmp_path, github, sink), env(sink)
    cli(config, "run", "--once", environ=environ)
    github.add_repo("deepseek-ai", "DeepSeek-V4")
    sink.script("42", "404")
    assert cli(config, "run", "--once", environ=environ).returncode == 0
    assert sink.posts_for("42") == []
    status = json.loads(cli(config, "status", "--json", environ=environ).stdout)
    assert [n["failed"] for n in status["notifiers"] if n["id"] == "discord"] == [1]
    again = cli(config, "redeliver", "--notifier", "discord", "--since", "1d", environ=environ)
    assert again.returncode == 0, again.stderr
    assert "1 failed deliveries queued again" in again.stderr
    assert len(sink.posts_for("42")) == 1
    assert cli(config, "redeliver", environ=environ).stderr.startswith("0 failed")


class StderrWatcher:
    """Reads a process's stderr in a thread, so a test can wait for a line instead of sleeping."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, text: str) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: any(text in ln for ln in self.lines), TIMEOUT)


def test_sighup_reloads_the_config_and_a_bad_one_is_refused(github: FakeGitHub,
                                                            tmp_path: Path) -> None:
    github.add_org("deepseek-ai")
    github.add_org("qwen")
    config = write(tmp_path, github)
    good = config.read_text()
    proc = start(config, "run")
    log = StderrWatcher(proc)
    try:
        assert log.wait_for("releasewatch running")
        config.write_text(good + '[watches.broken]\nkind = "nope"\n')
        proc.send_signal(signal.SIGHUP)
        assert log.wait_for("config reload refused")
        qwen = github.hold("/orgs/qwen/repos")
        config.write_text(good + '[watches.qwen]\nkind = "github_org"\norg = "qwen"\n')
        proc.send_signal(signal.SIGHUP)
        assert log.wait_for("config reloaded: 2 watch(es) (+1, -0)")
        assert qwen.arrived.wait(TIMEOUT)  # the new watch polls without a restart
        qwen.release()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=TIMEOUT)
    assert any("watches.broken" in ln for ln in log.lines)
    assert proc.returncode == 0


def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    config = tmp_path / "releasewatch.toml"
    config.write_text('[notifiers.stdout]\nkind = "console"\n[notifiers.d]\nkind = "discord_webhook"\n'
                      'url = "${RW_NOPE}"\noptional = true\n')
    done = cli(config, "--log-format", "json", "check-config")
    [line] = [ln for ln in done.stderr.splitlines() if ln.strip()]
    entry = json.loads(line)
    assert entry["level"] == "info" and "notifiers.d skipped" in entry["message"]


def test_check_config_cost_warns_past_the_anonymous_github_limit(tmp_path: Path) -> None:
    config = tmp_path / "releasewatch.toml"
    config.write_text("".join(f'[watches.org{i}]\nkind = "github_org"\norg = "o{i}"\ninterval = "1m"\n'
                              for i in range(3)) + '[notifiers.stdout]\nkind = "console"\n')
    done = cli(config, "check-config", "--cost")
    assert done.returncode == 0
    assert "github" in done.stdout and "195.0" in done.stdout  # 3 × (1 + 1/12) × 60
    assert "warning: github: 195 requests/h exceeds the limit without a token; set " \
        "RW_GITHUB_TOKEN" in done.stderr
    with_token = cli(config, "check-config", "--cost",
                     environ={**env(), "RW_GITHUB_TOKEN": "ghp_x_s3cr3t"})
    assert "warning" not in with_token.stderr


def test_check_config_probe_reports_failing_watches(github: FakeGitHub, tmp_path: Path) -> None:
    github.add_org("deepseek-ai")
    text = write(tmp_path, github).read_text() + '[watches.typo]\nkind = "github_org"\norg = "deepseek-aj"\n'
    config = tmp_path / "probe.toml"
    config.write_text(text)
    done = cli(config, "check-config", "--probe")
    assert done.returncode == 1
    assert "org: ok" in done.stdout and "typo: FAILED: HTTP 404" in done.stdout
    assert not (tmp_path / "rw.db").exists()  # a probe stores nothing


def test_overdue_watches_at_start_up_are_spread_not_fired_at_once(github: FakeGitHub,
                                                                   tmp_path: Path) -> None:
    watches = "".join(f'[watches.w{i:03d}]\nkind = "github_org"\norg = "org{i}"\n' for i in range(100))
    config = tmp_path / "many.toml"
    config.write_text(f'[settings]\ndatabase = "rw.db"\ninterval = "20s"\n'
                      f'[endpoints]\ngithub = "{github.url}"\n{watches}'
                      '[notifiers.stdout]\nkind = "console"\n')
    proc = start(config, "run")
    try:
        arrivals = sorted(r.at for r in github.wait_for_requests(100, timeout=TIMEOUT)[:100])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=TIMEOUT)
    # a tenth of the 20 s interval: the 100 first polls spread over about 2 s, not one burst
    assert arrivals[-1] - arrivals[0] >= 1.5
    busiest = max(sum(1 for t in arrivals if s <= t < s + 0.25) for s in arrivals)
    assert busiest <= 30
