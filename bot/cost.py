"""What a config costs each upstream in requests an hour, against the anonymous and token limits,
so a watch list can be checked before it gets rate limited."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from .config import Config, WatchConfig

# requests per hour: (anonymous, with token, the variable that holds the token)
LIMITS: dict[str, tuple[float, float, str]] = {
    "github": (60, 5000, "RW_GITHUB_TOKEN"),
    "huggingface": (6000, 12000, "RW_HF_TOKEN"),  # 500 / 1000 "api" requests per 5 minutes
}


@dataclass(frozen=True)
class HostCost:
    host: str
    per_hour: float
    anonymous_limit: float | None
    token_limit: float | None
    token_variable: str | None

    def over(self, with_token: bool) -> bool:
        limit = self.token_limit if with_token else self.anonymous_limit
        return limit is not None and self.per_hour > limit


def per_poll(watch: WatchConfig) -> dict[str, float]:
    """A watcher's own estimate (`cost(opts)`), else one request to its URL's host."""
    estimate = getattr(watch.module, "cost", None)
    if estimate:
        return dict(estimate(watch.options))
    for key in ("url", "base_url"):
        url = getattr(watch.options, key, None)
        if isinstance(url, str):
            return {urlsplit(url).hostname or url: 1.0}
    return {watch.kind: 1.0}


def estimate(config: Config) -> list[HostCost]:
    hourly: dict[str, float] = defaultdict(float)
    for watch in config.watches.values():
        for host, requests in per_poll(watch).items():
            hourly[host] += requests * 3600 / watch.interval
    rows = []
    for host, per_hour in sorted(hourly.items()):
        anonymous, token, variable = LIMITS.get(host, (None, None, None))
        rows.append(HostCost(host, per_hour, anonymous, token, variable))
    return rows


def render(rows: list[HostCost], has_token: dict[str, bool]) -> tuple[str, list[str]]:
    """The table, and one warning per limit that would be exceeded."""
    lines = [f"{'host':<24} {'requests/h':>11} {'anonymous':>10} {'with token':>11}"]
    warnings = []
    for r in rows:
        anon = f"{r.anonymous_limit:.0f}" if r.anonymous_limit else "?"
        token = f"{r.token_limit:.0f}" if r.token_limit else "?"
        lines.append(f"{r.host:<24} {r.per_hour:>11.1f} {anon:>10} {token:>11}")
        using_token = bool(r.token_variable and has_token.get(r.token_variable))
        if r.over(using_token):
            how = "with" if using_token else "without"
            hint = "" if using_token or not r.token_variable else f"; set {r.token_variable}"
            warnings.append(f"{r.host}: {r.per_hour:.0f} requests/h exceeds the limit {how} a "
                            f"token{hint} or poll less often")
    return "\n".join(lines), warnings
