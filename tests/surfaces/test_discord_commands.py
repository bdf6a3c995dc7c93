"""Discord /status and /poll: the command tree, replies within Discord's limits, admins only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from bot.app import App
from bot.discord_app import register
from bot.notifiers.discord_bot import Options
from bot.secrets import Secret
from tests.fakes.upstream import FakeGitHub

MakeApp = Callable[..., App]


class FakeResponse:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.deferred = False

    async def send_message(self, content: str | None = None, **kwargs: Any) -> None:
        self.sent.append({"content": content, **kwargs})

    async def defer(self, **kwargs: Any) -> None:
        self.deferred = True


class FakeFollowup:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, content: str, **kwargs: Any) -> None:
        self.sent.append(content)


class FakeInteraction:
    def __init__(self, user_id: int) -> None:
        self.user = discord.Object(id=user_id)
        self.response = FakeResponse()
        self.followup = FakeFollowup()


def tree_for(app: App, admins: list[str] | None = None, public: bool = False
             ) -> app_commands.CommandTree[discord.Client]:
    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    opts = Options(token=Secret("bot-token-s3cr3t"), channel_id="1", admins=admins or [],
                   status_public=public)

    async def poll(watch: str) -> str:
        result = await app.engine.poll(watch)
        return f"{watch}: polled, {len(result.events)} new event(s)"
    register(tree, health=app.health, watches=lambda: list(app.config.watches), opts=opts,
             poll=poll)
    return tree


def config(github: FakeGitHub) -> str:
    return (f'[endpoints]\ngithub = "{github.url}"\n'
            '[watches.deepseek-org]\nkind = "github_org"\norg = "deepseek-ai"\n'
            '[watches.qwen-org]\nkind = "github_org"\norg = "qwen"\n'
            '[notifiers.stdout]\nkind = "console"\n')


def command(tree: app_commands.CommandTree[discord.Client], name: str) -> app_commands.Command[Any, Any, Any]:
    found = tree.get_command(name)
    assert isinstance(found, app_commands.Command)
    return found


async def test_tree_has_status_and_poll_with_watch_options(github: FakeGitHub,
                                                           make_app: MakeApp) -> None:
    tree = tree_for(make_app(config(github)))
    assert sorted(c.name for c in tree.get_commands()) == ["poll", "status"]
    status = command(tree, "status")
    assert [p.name for p in status.parameters] == ["watch"] and not status.parameters[0].required
    assert command(tree, "poll").parameters[0].required


async def test_status_replies_with_one_embed_within_limits_ephemeral(github: FakeGitHub,
                                                                      make_app: MakeApp) -> None:
    github.add_org("deepseek-ai")
    app = make_app(config(github))
    await app.engine.poll("deepseek-org")
    await app.engine.poll("qwen-org")  # fails: no such org on the fake
    interaction = FakeInteraction(5)
    await command(tree_for(app), "status").callback(interaction, None)  # type: ignore[arg-type,call-arg]
    [reply] = interaction.response.sent
    embed = reply["embed"].to_dict()
    assert reply["ephemeral"] is True
    assert embed["title"].endswith("1 of 2 watches need attention")
    lines = embed["description"].split("\n")
    assert lines[0].startswith("❌ qwen-org: failing (1 in a row): HTTP 404")
    assert lines[1].startswith("✅ deepseek-org: ok")
    assert len(embed["description"]) <= 4096 and len(embed["title"]) <= 256


async def test_status_of_one_watch_shows_its_detail(github: FakeGitHub, make_app: MakeApp) -> None:
    app = make_app(config(github))
    interaction = FakeInteraction(5)
    await command(tree_for(app, public=True), "status").callback(interaction, "qwen-org")  # type: ignore[arg-type,call-arg]
    [reply] = interaction.response.sent
    assert reply["ephemeral"] is False
    assert reply["embed"].to_dict()["description"].startswith("qwen-org [github\\_org] org=qwen")


async def test_poll_from_a_non_admin_is_refused(github: FakeGitHub, make_app: MakeApp) -> None:
    app = make_app(config(github))
    interaction = FakeInteraction(5)
    await command(tree_for(app, admins=["42"]), "poll").callback(interaction, "deepseek-org")  # type: ignore[arg-type,call-arg]
    assert interaction.response.sent[0]["content"].startswith("Not allowed")
    assert app.health().watch("deepseek-org").state == "never_polled"  # type: ignore[union-attr]


async def test_poll_from_an_admin_defers_then_answers(github: FakeGitHub, make_app: MakeApp) -> None:
    github.add_org("deepseek-ai")
    app = make_app(config(github))
    interaction = FakeInteraction(42)
    await command(tree_for(app, admins=["42"]), "poll").callback(interaction, "deepseek-org")  # type: ignore[arg-type,call-arg]
    assert interaction.response.deferred
    assert interaction.followup.sent == ["deepseek-org: polled, 0 new event(s)"]
