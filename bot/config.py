"""Loads the TOML config into frozen objects, or refuses it with one line per problem that names
the file, the entry and the key."""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import re
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import ValidationError

from .errors import ConfigError, ConfigErrors
from .events import EVENT_KINDS
from .options import Options
from .watching import Endpoints

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 600
DEFAULT_CONFIRM_POLLS = 3
WATCH_KEYS = ("kind", "interval", "notify", "optional", "confirm_polls", "alert_after",
              "announce_baseline", "severity")
NOTIFIER_KEYS = ("kind", "optional", "watches", "events", "batch_over", "min_severity", "digest",
                 "digest_below")
DEFAULT_ALERT_AFTER = 3
SEVERITIES = ("low", "normal", "high")
_DIGEST = re.compile(r"^daily@([01]\d|2[0-3]):([0-5]\d)$")
DEFAULT_BATCH_OVER = 5
SETTINGS_KEYS = ("database", "interval", "confirm_polls", "timezone", "http_listen", "slack",
                 "alert_after", "announce_baseline", "alerts_to", "keep_polls", "keep_events")
TOP_KEYS = ("settings", "endpoints", "watches", "notifiers")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class SlackSettings:
    admins: tuple[str, ...] = ()
    public: bool = False


@dataclass(frozen=True)
class Settings:
    database: Path
    interval: int = DEFAULT_INTERVAL
    confirm_polls: int = DEFAULT_CONFIRM_POLLS
    timezone: str = "UTC"
    http_listen: str | None = None
    slack: SlackSettings = SlackSettings()
    alert_after: int = DEFAULT_ALERT_AFTER
    announce_baseline: bool = False
    alerts_to: tuple[str, ...] | None = None
    keep_polls: int = 30 * 86400
    keep_events: int = 365 * 86400


@dataclass(frozen=True)
class WatchConfig:
    id: str
    kind: str
    module: Any
    options: Options
    interval: int
    notify: tuple[str, ...] | None
    confirm_polls: int
    alert_after: int = DEFAULT_ALERT_AFTER
    announce_baseline: bool = False
    severity: dict[str, str] = field(default_factory=dict)

    @cached_property
    def options_fingerprint(self) -> str:
        """Changes when the watch's options do, so stale HTTP validators are not reused.
        Computed once: the options are frozen and every poll reads it twice."""
        blob = json.dumps(self.options.model_dump(), sort_keys=True, default=str)  # secrets: ***
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def severity_of(self, kind: str) -> str:
        """The watch's override, else the kind's default."""
        known = EVENT_KINDS.get(kind)
        return self.severity.get(kind) or (known.severity if known else "normal")

    @property
    def target(self) -> str:
        """What is watched, in a few words: the first of org, user, repo, author, url, base_url,
        then a match pattern."""
        dumped = self.options.model_dump(exclude_none=True)
        for key in ("org", "user", "repo", "author", "url", "base_url"):
            if isinstance(dumped.get(key), str):
                target = f"{key}={dumped[key]}"
                break
        else:
            target = ""
        match = getattr(self.options, "match", None)
        if match is not None:
            target = f"{target} match={getattr(match, 'pattern', match)}".strip()
        return target


@dataclass(frozen=True)
class NotifierConfig:
    id: str
    kind: str
    module: Any
    options: Options
    watches: tuple[str, ...] | None = None
    events: tuple[str, ...] | None = None
    batch_over: int = DEFAULT_BATCH_OVER
    min_severity: str = "low"
    digest: tuple[int, int] | None = None
    """(hour, minute) of the daily digest, in settings.timezone."""
    digest_below: str = "normal"

    def allows(self, watch_id: str, kind: str) -> bool:
        """Routing: every rule present must allow the event; absent rules allow everything."""
        return ((self.watches is None or any(fnmatchcase(watch_id, g) for g in self.watches))
                and (self.events is None or any(fnmatchcase(kind, g) for g in self.events)))


@dataclass(frozen=True)
class Config:
    path: str
    settings: Settings
    endpoints: Endpoints
    watches: dict[str, WatchConfig]
    notifiers: dict[str, NotifierConfig]
    skipped: list[str] = field(default_factory=list)
    is_default: bool = False
    source: Path | None = None
    """The file read (`path` is how it is shown); SIGHUP reads it again."""

    def alert_targets(self, exclude: str | None = None) -> list[str]:
        """Where health alerts go: `settings.alerts_to`, else every notifier (but `exclude`)."""
        names = self.settings.alerts_to or tuple(self.notifiers)
        return [n for n in names if n in self.notifiers and n != exclude]


def default_config_path() -> Path:
    return Path(str(resources.files("bot") / "default.toml"))


def parse_interval(text: Any) -> int:
    """'30s', '5m', '1h', '1d' -> seconds."""
    m = _INTERVAL.match(text) if isinstance(text, str) else None
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"bad interval {text!r} (use e.g. \"30s\", \"5m\", \"1h\", \"1d\")")
    return int(m.group(1)) * _UNITS[m.group(2)]


def load_config(path: str | Path | None = None, *, environ: dict[str, str] | None = None,
                dotenv: str | Path | None = ".env") -> Config:
    """Read, interpolate and validate a config; raises ConfigErrors listing every problem."""
    env = {k: v for k, v in (dotenv_values(dotenv) if dotenv and Path(dotenv).exists()
                             else {}).items() if v is not None}
    env.update(os.environ if environ is None else environ)
    env = {k: v for k, v in env.items() if v != ""}  # `RW_X=` as in .env.example means unset
    is_default = path is None and not env.get("RW_CONFIG")
    chosen = Path(path or env.get("RW_CONFIG") or default_config_path())
    shown = str(path or env.get("RW_CONFIG") or "bot/default.toml")
    try:
        raw = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigErrors([ConfigError(shown, None, None, "file not found")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigErrors([ConfigError(shown, None, None, f"invalid TOML: {exc}")]) from None
    return _Loader(shown, chosen, raw, env, is_default).load()


class _Loader:
    def __init__(self, shown: str, path: Path, raw: dict[str, Any], env: dict[str, str],
                 is_default: bool) -> None:
        self.shown, self.path, self.raw, self.env, self.is_default = shown, path, raw, env, is_default
        self.errors: list[ConfigError] = []
        self.skipped: list[str] = []

    def error(self, entry: str | None, reason: str, key: str | None = None) -> None:
        self.errors.append(ConfigError(self.shown, entry, key, reason))

    def load(self) -> Config:
        from watchers import WATCHERS  # late: watchers import the bot facade

        from .notifiers import NOTIFIERS

        for key in self.raw:
            if key not in TOP_KEYS:
                self.error(None, _unknown(key, TOP_KEYS))
        settings = self._settings(self._table(self.raw, "settings", None))
        endpoints = self._endpoints(self._table(self.raw, "endpoints", None))
        notifiers: dict[str, NotifierConfig] = {}
        for nid, body in self._entries("notifiers").items():
            built = self._entry("notifiers", nid, body, NOTIFIERS, NOTIFIER_KEYS)
            if built:
                kind, module, options, common = built
                entry = f"notifiers.{nid}"
                watch_globs = self._globs(entry, common, "watches", self.raw.get("watches") or {})
                event_globs = self._globs(entry, common, "events", EVENT_KINDS)
                batch_over = self._count(entry, "batch_over",
                                         common.get("batch_over", DEFAULT_BATCH_OVER),
                                         DEFAULT_BATCH_OVER)
                min_sev = self._severity(entry, "min_severity", common.get("min_severity", "low"))
                below = self._severity(entry, "digest_below", common.get("digest_below", "normal"))
                digest = None
                if "digest" in common:
                    m = _DIGEST.match(str(common["digest"]))
                    if m:
                        digest = (int(m.group(1)), int(m.group(2)))
                    else:
                        self.error(entry, f"key 'digest': {common['digest']!r} is not like "
                                   "\"daily@09:00\"")
                notifiers[nid] = NotifierConfig(nid, kind, module, options, watch_globs,
                                                event_globs, batch_over, min_sev, digest, below)
        declared_notifiers = set(self.raw.get("notifiers") or {})
        watches: dict[str, WatchConfig] = {}
        for wid, body in self._entries("watches").items():
            built = self._entry("watches", wid, body, WATCHERS, WATCH_KEYS)
            if not built:
                continue
            kind, module, options, common = built
            entry = f"watches.{wid}"
            interval = settings.interval
            if "interval" in common:
                try:
                    interval = parse_interval(common["interval"])
                except ValueError as exc:
                    self.error(entry, f"key 'interval': {exc}", "interval")
            notify = common.get("notify")
            if notify is not None:
                if not isinstance(notify, list) or not all(isinstance(n, str) for n in notify):
                    self.error(entry, "key 'notify': must be a list of notifier names", "notify")
                    notify = None
                else:
                    for n in notify:
                        if n not in declared_notifiers:
                            self.error(entry, f"key 'notify': unknown notifier {n!r}"
                                       + _suggest(n, declared_notifiers), "notify")
            confirm = self._count(entry, "confirm_polls",
                                  common.get("confirm_polls", settings.confirm_polls),
                                  settings.confirm_polls)
            alert_after = self._count(entry, "alert_after",
                                      common.get("alert_after", settings.alert_after),
                                      settings.alert_after)
            announce = self._flag(entry, "announce_baseline",
                                  common.get("announce_baseline", settings.announce_baseline))
            overrides = common.get("severity", {})
            if not isinstance(overrides, dict):
                self.error(entry, "key 'severity': must be a table like "
                           "{ \"github.repo_changed\" = \"high\" }")
                overrides = {}
            for event_kind, level in overrides.items():
                if event_kind not in EVENT_KINDS:
                    self.error(entry, f"key 'severity': unknown event kind {event_kind!r}"
                               + _suggest(event_kind, EVENT_KINDS))
                self._severity(entry, f"severity.{event_kind}", level)
            watches[wid] = WatchConfig(wid, kind, module, options, interval,
                                       tuple(notify) if notify is not None else None, confirm,
                                       alert_after, announce, dict(overrides))
        alerts_to = settings.alerts_to
        for name in alerts_to or ():
            if name not in declared_notifiers:
                self.error("settings", f"key 'alerts_to': unknown notifier {name!r}"
                           + _suggest(name, declared_notifiers))
        if self.errors:
            raise ConfigErrors(self.errors)
        return Config(self.shown, settings, endpoints, watches, notifiers, self.skipped,
                      self.is_default, self.path)

    def _globs(self, entry: str, common: dict[str, Any], key: str,
               known: Any) -> tuple[str, ...] | None:
        """A list of globs that must each match something known, so a typo is caught now."""
        if key not in common:
            return None
        globs = common[key]
        if not isinstance(globs, list) or not all(isinstance(g, str) for g in globs):
            self.error(entry, f"key {key!r}: must be a list of names or globs like \"hf.*\"")
            return None
        for glob in globs:
            if not any(fnmatchcase(name, glob) for name in known):
                self.error(entry, f"key {key!r}: {glob!r} matches nothing" + _suggest(glob, known))
        return tuple(globs)

    def _severity(self, entry: str, key: str, value: Any) -> str:
        if value not in SEVERITIES:
            self.error(entry, f"key {key!r}: must be one of low, normal, high (got {value!r})")
            return "normal"
        return str(value)

    def _flag(self, entry: str, key: str, value: Any) -> bool:
        """A true/false option; anything else is an error (and reads as false)."""
        if not isinstance(value, bool):
            self.error(entry, f"key {key!r}: must be true or false", key)
            return False
        return value

    def _count(self, entry: str, key: str, value: Any, default: int) -> int:
        """A whole number ≥ 1; anything else is an error (and reads as `default`)."""
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            self.error(entry, f"key {key!r}: must be a whole number ≥ 1", key)
            return default
        return value

    def _table(self, parent: dict[str, Any], key: str, entry: str | None) -> dict[str, Any]:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            self.error(entry, f"key {key!r}: must be a table", key)
            return {}
        return value

    def _entries(self, section: str) -> dict[str, Any]:
        table = self._table(self.raw, section, None)
        good = {}
        for name, body in table.items():
            if isinstance(body, dict):
                good[name] = body
            else:
                self.error(f"{section}.{name}", "must be a table ([" + section + "." + name + "])")
        return good

    def _settings(self, raw: dict[str, Any]) -> Settings:
        for key in raw:
            if key not in SETTINGS_KEYS:
                self.error("settings", _unknown(key, SETTINGS_KEYS), key)
        interval, confirm, tz = DEFAULT_INTERVAL, DEFAULT_CONFIRM_POLLS, "UTC"
        if "interval" in raw:
            try:
                interval = parse_interval(raw["interval"])
            except ValueError as exc:
                self.error("settings", f"key 'interval': {exc}", "interval")
        if "confirm_polls" in raw:
            confirm = self._count("settings", "confirm_polls", raw["confirm_polls"], confirm)
        if "timezone" in raw:
            try:
                ZoneInfo(str(raw["timezone"]))
                tz = str(raw["timezone"])
            except (ZoneInfoNotFoundError, ValueError):
                self.error("settings", f"key 'timezone': unknown time zone {raw['timezone']!r}")
        listen = raw.get("http_listen")
        if listen is not None and not (isinstance(listen, str)
                                       and re.match(r"^[\w.:\[\]-]*:\d{1,5}$", listen)):
            self.error("settings", "key 'http_listen': must look like \"127.0.0.1:8787\"")
            listen = None
        slack = self._slack(self._table(raw, "slack", "settings"))
        database = self.env.get("RW_DATABASE") or raw.get("database", "releasewatch.db")
        if not isinstance(database, str) or not database:
            self.error("settings", "key 'database': must be a file path")
            database = "releasewatch.db"
        db_path = Path(database).expanduser()
        if not db_path.is_absolute() and "RW_DATABASE" not in self.env and not self.is_default:
            db_path = self.path.parent / db_path  # relative to the config file's folder
        alert_after = self._count("settings", "alert_after",
                                  raw.get("alert_after", DEFAULT_ALERT_AFTER), DEFAULT_ALERT_AFTER)
        announce = self._flag("settings", "announce_baseline", raw.get("announce_baseline", False))
        alerts_to = raw.get("alerts_to")
        if alerts_to is not None and (not isinstance(alerts_to, list)
                                      or not all(isinstance(a, str) for a in alerts_to)):
            self.error("settings", "key 'alerts_to': must be a list of notifier names")
            alerts_to = None
        keep = {}
        for key, default in (("keep_polls", "30d"), ("keep_events", "365d")):
            try:
                keep[key] = parse_interval(raw.get(key, default))
            except ValueError as exc:
                self.error("settings", f"key {key!r}: {exc}")
                keep[key] = parse_interval(default)
        return Settings(db_path, interval, confirm, tz, listen, slack, alert_after, announce,
                        tuple(alerts_to) if alerts_to is not None else None,
                        keep["keep_polls"], keep["keep_events"])

    def _slack(self, raw: dict[str, Any]) -> SlackSettings:
        for key in raw:
            if key not in ("admins", "public"):
                self.error("settings.slack", _unknown(key, ("admins", "public")), key)
        admins = raw.get("admins", [])
        if not isinstance(admins, list) or not all(isinstance(a, str) for a in admins):
            self.error("settings.slack", "key 'admins': must be a list of Slack user ids")
            admins = []
        public = self._flag("settings.slack", "public", raw.get("public", False))
        return SlackSettings(tuple(admins), public)

    def _endpoints(self, raw: dict[str, Any]) -> Endpoints:
        known = tuple(Endpoints.__dataclass_fields__)
        values = {}
        for key, value in raw.items():
            if key not in known:
                self.error("endpoints", _unknown(key, known), key)
            elif not isinstance(value, str) or not value.startswith(("http://", "https://")):
                self.error("endpoints", f"key {key!r}: must be an http(s):// URL", key)
            else:
                values[key] = value.rstrip("/")
        return Endpoints(**values)

    def _entry(self, section: str, name: str, body: dict[str, Any], registry: dict[str, Any],
               common_keys: tuple[str, ...]) -> tuple[str, ModuleType, Options, dict[str, Any]] | None:
        entry = f"{section}.{name}"
        kind = body.get("kind")
        if kind is None:
            self.error(entry, "missing key 'kind'", "kind")
            return None
        if kind not in registry:
            self.error(entry, f"key 'kind': unknown kind {kind!r}" + _suggest(str(kind), registry)
                       + f" (known: {', '.join(sorted(registry))})", "kind")
            return None
        optional = body.get("optional", False)
        if not isinstance(optional, bool):
            self.error(entry, "key 'optional': must be true or false", "optional")
        missing: list[str] = []
        body = {k: self._interpolate(v, missing) for k, v in body.items()}
        if missing:
            if optional:
                log.info("%s skipped: %s not set (it is optional)", entry,
                         ", ".join(sorted(set(missing))))
                self.skipped.append(name)
            else:
                for var in sorted(set(missing)):
                    self.error(entry, f"${{{var}}} is not set (set it in the environment or .env)")
            return None
        module = registry[kind]
        common = {k: v for k, v in body.items() if k in common_keys}
        specific = {k: v for k, v in body.items() if k not in common_keys}
        allowed = [*common_keys, *module.Options.model_fields]
        try:
            options = module.Options.model_validate(specific)
        except ValidationError as exc:
            for err in sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden"):
                self.error(entry, _explain(err, allowed), str(err["loc"][0]) if err["loc"] else None)
            return None
        return kind, module, options, common

    def _interpolate(self, value: Any, missing: list[str]) -> Any:
        if isinstance(value, str):
            def sub(m: re.Match[str]) -> str:
                if m.group(1) not in self.env:
                    missing.append(m.group(1))
                    return ""
                return self.env[m.group(1)]
            return _VAR.sub(sub, value)
        if isinstance(value, list):
            return [self._interpolate(v, missing) for v in value]
        if isinstance(value, dict):
            return {k: self._interpolate(v, missing) for k, v in value.items()}
        return value


def _explain(err: Any, allowed: list[str]) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return _unknown(loc, allowed)
    if err["type"] == "missing":
        return f"missing key {loc!r}"
    message = err["msg"].removeprefix("Value error, ")
    return f"key {loc!r}: {message}" if loc else message


def _unknown(key: str, allowed: Any) -> str:
    return f"unknown key {key!r}" + _suggest(key, allowed)


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
