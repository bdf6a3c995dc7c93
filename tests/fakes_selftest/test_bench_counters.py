"""The counters and knobs `make bench` relies on: connections and bytes per client (control
traffic left out), arrival times and raw query strings, server-side latency, and serving a fake
from its own process through the control API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.fakes import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent.parent


def test_stats_count_connections_and_bytes_but_not_control_calls() -> None:
    with FakeGitHub() as github:
        github.add_repo("acme", "alpha")
        with httpx.Client(base_url=github.url) as client:
            for _ in range(3):
                client.get("/repos/acme/alpha", params=[("expand", "a"), ("expand", "b")])
        with httpx.Client(base_url=github.url) as other:
            received = len(other.get("/repos/acme/alpha").content)
        stats = github.stats()
        assert stats["requests"] == 4
        assert stats["connections_opened"] == 2
        assert stats["bytes_sent"] > 4 * received  # status lines and headers too
        httpx.post(f"{github.url}/_control/stats", json={})  # control traffic is not counted
        assert github.stats() == stats
        [first, *_] = github.requests
        assert first.path_qs == "/repos/acme/alpha?expand=a&expand=b"
        assert abs(first.at - time.time()) < 60
        github.clear_stats()
        assert github.stats() == {"requests": 0, "connections_opened": 0, "bytes_sent": 0}


def test_latency_delays_every_answer() -> None:
    with FakeGitHub() as github:
        github.set_latency(120)
        started = time.perf_counter()
        assert httpx.get(f"{github.url}/rate_limit").status_code == 200
        assert time.perf_counter() - started >= 0.12
        github.set_latency(0)


def test_serve_runs_fakes_in_their_own_process() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.serve", "github", "sink"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        lines = [json.loads(proc.stdout.readline()) for _ in range(3)]
        assert lines[2] == {"ready": True}
        github = lines[0]["url"]
        httpx.post(f"{github}/_control/add_repo", json={"args": ["acme", "alpha"]}).raise_for_status()
        assert httpx.get(f"{github}/repos/acme/alpha").json()["full_name"] == "acme/alpha"
        assert httpx.post(f"{github}/_control/stats", json={}).json()["result"]["requests"] == 1
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(15) == 0
