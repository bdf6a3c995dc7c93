"""The floor: a bare `httpx.AsyncClient` loop making exactly the requests the bot made in a pass
(same URLs, same headers, same concurrency, conditional with the ETags it saw itself) and parsing
every JSON body it gets, in a process of its own. Nothing else: no store, no diff, no retries.
What the bot spends above this is the bot's own cost.

    {"op": "run", "requests": [{"url": ..., "headers": {...}}], "concurrency": 4}
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from collections import Counter
from typing import Any

import httpx


def cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class Floor:
    def __init__(self) -> None:
        # the bot's client limits (bot/http.py), so pooling behaves the same
        self.client = httpx.AsyncClient(timeout=60, trust_env=False, follow_redirects=True,
                                        limits=httpx.Limits(max_connections=50,
                                                            max_keepalive_connections=20))
        self.etags: dict[str, str] = {}

    async def run(self, cmd: dict[str, Any]) -> dict[str, Any]:
        sem = asyncio.Semaphore(int(cmd["concurrency"]))
        conditional = cmd.get("conditional", True)

        async def one(request: dict[str, Any]) -> int:
            url, headers = request["url"], dict(request["headers"])
            if conditional and url in self.etags:
                headers["If-None-Match"] = self.etags[url]
            async with sem:
                response = await self.client.get(url, headers=headers)
            if response.status_code == 200:
                if "json" in response.headers.get("content-type", ""):
                    response.json()
                if etag := response.headers.get("etag"):
                    self.etags[url] = etag
            return response.status_code

        sys0 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        cpu0, t0 = cpu(), time.perf_counter()
        statuses = await asyncio.gather(*(one(r) for r in cmd["requests"]))
        cpu1, t1 = cpu(), time.perf_counter()
        sys1 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        return {"requests": len(statuses), "statuses": dict(Counter(map(str, statuses))),
                "wall_s": t1 - t0, "cpu_s": cpu1 - cpu0, "sys_cpu_s": sys1 - sys0}


def main() -> int:
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    floor = loop.run_until_complete(_make())
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            answer = loop.run_until_complete(floor.run(cmd))
        except Exception as exc:  # noqa: BLE001 - reported to the orchestrator
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(answer) + "\n")
    loop.run_until_complete(floor.client.aclose())
    return 0


async def _make() -> Floor:
    return Floor()


if __name__ == "__main__":
    raise SystemExit(main())
