"""Config errors name the file, the entry and the key; good configs load into typed objects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import ConfigErrors

Write = Callable[[str], Path]

GOOD = """
[settings]
database = "data/rw.db"
interval = "10m"
[watches.deepseek-org]
kind = "github_org"
org = "deepseek-ai"
interval = "5m"
[watches.deepseek-v3]
kind = "github_releases"
repo = "deepseek-ai/DeepSeek-V3"
notify = ["discord-main"]
[notifiers.discord-main]
kind = "discord_webhook"
url = "${RW_DISCORD_WEBHOOK_URL}"
[notifiers.stdout]
kind = "console"
"""
HOOK = "https://discord.com/api/webhooks/1/s3cr3t-hook-token"


def errors_of(write: Write, text: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_config(write(text), environ=environ or {})
    return [str(e) for e in info.value.errors]


def test_good_config_loads_with_intervals_and_paths(write_config: Write, tmp_path: Path) -> None:
    config = load_config(write_config(GOOD), environ={"RW_DISCORD_WEBHOOK_URL": HOOK})
    assert config.watches["deepseek-org"].interval == 300
    assert config.watches["deepseek-v3"].interval == 600
    assert config.watches["deepseek-v3"].notify == ("discord-main",)
    assert config.settings.database == tmp_path / "data" / "rw.db"
    assert str(config.notifiers["discord-main"].options.url) == "***"


def test_rw_database_overrides_settings(write_config: Write, tmp_path: Path) -> None:
    env = {"RW_DISCORD_WEBHOOK_URL": HOOK, "RW_DATABASE": str(tmp_path / "x.db")}
    assert load_config(write_config(GOOD), environ=env).settings.database == tmp_path / "x.db"


def test_unknown_key_names_file_entry_key_and_suggests(write_config: Write,
                                                      tmp_path: Path) -> None:
    text = '[watches.deepseek-v3]\nkind = "github_releases"\nrep = "deepseek-ai/DeepSeek-V3"\n'
    assert errors_of(write_config, text) == [
        f"{tmp_path / 'releasewatch.toml'}: watches.deepseek-v3: "
        "unknown key 'rep' (did you mean 'repo'?)",
        f"{tmp_path / 'releasewatch.toml'}: watches.deepseek-v3: missing key 'repo'",
    ]


def test_unknown_kind_is_named(write_config: Write) -> None:
    [line] = errors_of(write_config, '[watches.x]\nkind = "github_orgs"\norg = "a"\n')
    assert "watches.x: key 'kind': unknown kind 'github_orgs' (did you mean 'github_org'?) " \
        "(known: " in line
    assert "github_releases" in line.rsplit("(known: ", 1)[1]


def test_missing_kind_is_named(write_config: Write) -> None:
    [line] = errors_of(write_config, '[notifiers.n]\nurl = "x"\n')
    assert line.endswith("notifiers.n: missing key 'kind'")


def test_wrong_type_is_named(write_config: Write) -> None:
    text = '[watches.x]\nkind = "github_releases"\nrepo = "a/b"\ninclude_tags = "often"\n'
    [line] = errors_of(write_config, text)
    assert "watches.x: key 'include_tags':" in line and "boolean" in line


def test_bad_interval_is_named(write_config: Write) -> None:
    text = '[watches.x]\nkind = "github_org"\norg = "a"\ninterval = "5 minutes"\n'
    [line] = errors_of(write_config, text)
    assert line.endswith("watches.x: key 'interval': bad interval '5 minutes' "
                         '(use e.g. "30s", "5m", "1h", "1d")')


def test_unset_variable_is_an_error_naming_it(write_config: Write, tmp_path: Path) -> None:
    lines = errors_of(write_config, GOOD)
    assert lines == [f"{tmp_path / 'releasewatch.toml'}: notifiers.discord-main: "
                     "${RW_DISCORD_WEBHOOK_URL} is not set (set it in the environment or .env)"]


def test_optional_notifier_with_unset_variable_is_skipped(write_config: Write) -> None:
    text = GOOD.replace('url = "${RW_DISCORD_WEBHOOK_URL}"',
                        'url = "${RW_DISCORD_WEBHOOK_URL}"\noptional = true')
    text = text.replace('notify = ["discord-main"]\n', "")
    config = load_config(write_config(text), environ={})
    assert list(config.notifiers) == ["stdout"] and config.skipped == ["discord-main"]


def test_dotenv_file_supplies_variables(write_config: Write, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"RW_DISCORD_WEBHOOK_URL={HOOK}\n")
    config = load_config(write_config(GOOD), environ={}, dotenv=tmp_path / ".env")
    assert config.notifiers["discord-main"].options.url.reveal() == HOOK


def test_notify_naming_unknown_notifier(write_config: Write) -> None:
    text = GOOD.replace('["discord-main"]', '["discord-mian"]')
    lines = errors_of(write_config, text, {"RW_DISCORD_WEBHOOK_URL": HOOK})
    assert lines[0].endswith("watches.deepseek-v3: key 'notify': unknown notifier 'discord-mian' "
                             "(did you mean 'discord-main'?)")


def test_invalid_toml_reports_line_and_column(write_config: Write) -> None:
    [line] = errors_of(write_config, '[watches.x]\nkind = "github_org\n')
    assert "invalid TOML" in line and "line 2" in line and "column" in line


def test_bad_regex_is_named(write_config: Write) -> None:
    [line] = errors_of(write_config, '[watches.x]\nkind = "github_org"\norg = "a"\nmatch = "("\n')
    assert "watches.x: key 'match':" in line


def test_org_and_user_are_exclusive(write_config: Write) -> None:
    [line] = errors_of(write_config, '[watches.x]\nkind = "github_org"\norg = "a"\nuser = "b"\n')
    assert line.endswith("watches.x: set exactly one of 'org' or 'user'")


def test_every_problem_is_reported_at_once(write_config: Write) -> None:
    text = '[settings]\nintervl = "5m"\n[watches.a]\nkind = "nope"\n[watches.b]\nkind = "github_org"\n'
    assert len(errors_of(write_config, text)) == 3


def test_secret_never_appears_in_a_config_error(write_config: Write) -> None:
    text = '[notifiers.d]\nkind = "discord_webhook"\nurl = "${RW_HOOK}"\nusername = 5\n'
    lines = errors_of(write_config, text, {"RW_HOOK": HOOK})
    assert lines and not any(HOOK in line for line in lines)


def test_shipped_default_config_is_valid() -> None:
    config = load_config(None, environ={})
    assert {"deepseek-org"} <= set(config.watches)
    assert "stdout" in config.notifiers and config.is_default
    assert config.settings.database == Path("releasewatch.db")


def test_noise_settings_are_validated_with_their_keys(write_config: Write) -> None:
    text = ('[settings]\nalerts_to = ["opps"]\n[notifiers.ops]\nkind = "console"\n'
            'digest = "weekly"\nmin_severity = "urgent"\n'
            '[watches.x]\nkind = "github_org"\norg = "a"\n'
            'severity = { "github.repo_chnged" = "high" }\n')
    lines = errors_of(write_config, text)
    assert any(line.endswith("notifiers.ops: key 'digest': 'weekly' is not like \"daily@09:00\"")
               for line in lines)
    assert any("notifiers.ops: key 'min_severity': must be one of low, normal, high" in line
               for line in lines)
    assert any("watches.x: key 'severity': unknown event kind 'github.repo_chnged' "
               "(did you mean 'github.repo_changed'?)" in line for line in lines)
    assert any("settings: key 'alerts_to': unknown notifier 'opps' (did you mean 'ops'?)" in line
               for line in lines)


def test_discord_mention_must_be_a_role_or_user(write_config: Write) -> None:
    text = '[notifiers.d]\nkind = "discord_webhook"\nurl = "${RW_HOOK}"\nmention = "@everyone"\n'
    [line] = errors_of(write_config, text, {"RW_HOOK": HOOK})
    assert "notifiers.d: key 'mention': must be a role mention" in line


def test_every_toml_example_in_the_readme_is_a_valid_config(write_config: Write) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```toml\n")[1:]]
    assert len(blocks) >= 3  # the configuration reference, Hub and catalogs, docs pages
    env = {"RW_DISCORD_WEBHOOK_URL": HOOK, "RW_DEEPSEEK_API_KEY": "sk-readme-example-key"}
    for block in blocks:
        text = block if "[notifiers." in block else block + '\n[notifiers.stdout]\nkind = "console"\n'
        load_config(write_config(text), environ=env)
