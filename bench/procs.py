"""Child processes of the bench and chaos runs: fakes served by `tests.fakes.serve`, the bench
worker and the floor (JSON lines over stdin/stdout), and exact per-child CPU and peak RSS from
`os.wait4`, which reports one child's own resource usage (RUSAGE_CHILDREN would mix them)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without any RW_* setting or proxy of the person running the bench."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RW_") and not k.lower().endswith("_proxy")}
    env["PYTHONPATH"] = str(ROOT)
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env.update(extra or {})
    return env


@dataclass
class Usage:
    """What `os.wait4` says about one finished child."""

    returncode: int
    cpu_s: float
    user_s: float
    sys_s: float
    maxrss_mib: float


def wait_usage(proc: subprocess.Popen[Any], timeout: float) -> Usage:
    """Wait for `proc` and return its own CPU time and peak RSS (Linux: ru_maxrss in KiB)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, ru = os.wait4(proc.pid, 0)
            break
        time.sleep(0.005)
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    return Usage(code, ru.ru_utime + ru.ru_stime, ru.ru_utime, ru.ru_stime, ru.ru_maxrss / 1024)


class Remote:
    """A fake in another process, driven through its control API."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = httpx.Client(timeout=120, trust_env=False)

    def __call__(self, op: str, *args: Any, **kwargs: Any) -> Any:
        response = self._client.post(f"{self.url}/_control/{op}", json={"args": list(args), **kwargs})
        body = response.json()
        if response.status_code != 200:
            raise RuntimeError(f"{self.url} {op}: {body.get('error')}")
        return body["result"]

    def close(self) -> None:
        self._client.close()


class FakeProcess:
    """`python -m tests.fakes.serve SPEC...`: one process serving one or more fakes."""

    def __init__(self, *specs: str, latency_ms: float = 0.0, log: Path | None = None) -> None:
        self.log: Any = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "tests.fakes.serve", *specs, "--latency-ms", str(latency_ms)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, cwd=ROOT,
            env=child_env(), text=True)
        self.remotes: list[Remote] = []
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"fake process {specs} exited before it was ready")
            msg = json.loads(line)
            if msg.get("ready"):
                break
            self.remotes.append(Remote(msg["url"]))

    def stop(self) -> None:
        for remote in self.remotes:
            remote.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log is not subprocess.DEVNULL:
            self.log.close()


class LineProcess:
    """A child answering one JSON line per JSON command (bench.worker, bench.floor)."""

    def __init__(self, args: list[str], *, env: dict[str, str] | None = None, log: Path | None = None,
                 cwd: Path = ROOT) -> None:
        self.log: Any = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen([PYTHON, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, cwd=cwd, env=env or child_env(), text=True)

    def ask(self, **command: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.proc.args!r} exited (code {self.proc.poll()}) on {command.get('op')}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"{self.proc.args!r}: {answer['error']}")
        return answer

    def close(self, timeout: float = 30) -> Usage:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        usage = wait_usage(self.proc, timeout)
        if self.log is not subprocess.DEVNULL:
            self.log.close()
        return usage
