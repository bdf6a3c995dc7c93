"""Runs fakes in a process of their own, driven through their HTTP control API
(`POST <url>/_control/<op>` with a JSON object: `{"args": [...], **kwargs}` -> `{"result": ...}`).

    python -m tests.fakes.serve github sink [--latency-ms 50] [--port 0]

A fake is a short name (github, sink, hub, openrouter, openai) or `module:Class` for any
ThreadedServer subclass. Prints one JSON line per fake, `{"name": ..., "url": ...}`, then
`{"ready": true}`, and serves until stdin closes or SIGTERM/SIGINT arrives. The benchmark uses it so
that the fakes' CPU is not the bot's: each process has its own interpreter and GIL."""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import threading

from .server import ThreadedServer

SHORT = {
    "github": "tests.fakes.upstream:FakeGitHub",
    "sink": "tests.fakes.chat_sink:ChatSink",
    "hub": "tests.fakes.huggingface:FakeHub",
    "openrouter": "tests.fakes.catalogs:FakeOpenRouter",
    "openai": "tests.fakes.catalogs:FakeOpenAIModels",
}


def load(spec: str) -> type[ThreadedServer]:
    module_name, _, class_name = SHORT.get(spec, spec).partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, ThreadedServer)):
        raise SystemExit(f"{spec} is not a ThreadedServer")
    return cls


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.fakes.serve", description=__doc__)
    p.add_argument("fakes", nargs="+", help="short name or module:Class")
    p.add_argument("--latency-ms", type=float, default=0.0, help="delay every answer (default 0)")
    p.add_argument("--port", type=int, default=0, help="first port (0: any free port)")
    args = p.parse_args(argv)
    servers: list[ThreadedServer] = []
    for i, spec in enumerate(args.fakes):
        server = load(spec)()
        server.port = args.port + i if args.port else 0
        server.set_latency(args.latency_ms)
        server.start()
        servers.append(server)
        print(json.dumps({"name": spec, "url": server.url}), flush=True)
    print(json.dumps({"ready": True}), flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())

    def until_stdin_closes() -> None:
        sys.stdin.read()
        done.set()

    threading.Thread(target=until_stdin_closes, daemon=True).start()
    while not done.wait(0.5):
        pass
    for server in servers:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
