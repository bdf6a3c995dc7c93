"""The Discord bot's slash commands: `/status [watch]` for everyone, `/poll <watch>` for admins.
discord.py handles the gateway and the command tree; posting goes through the REST notifier."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands

from .notifiers.discord_bot import Options as BotOptions
from .status import Health
from .status_views import discord_embed

log = logging.getLogger(__name__)
RECONNECT_AFTER = 300.0


def register(tree: app_commands.CommandTree[discord.Client], *, health: Callable[[], Health],
             watches: Callable[[], list[str]], opts: BotOptions,
             poll: Callable[[str], Awaitable[str]],
             timezone: str = "UTC") -> None:
    """Add /status and /poll to a command tree (separate from the client, so tests can call it).
    `watches` is asked each time, so a SIGHUP reload shows in autocomplete."""

    @tree.command(name="status", description="Is releasewatch healthy? Every watch, or one.")
    @app_commands.describe(watch="show one watch in detail")
    async def status(interaction: discord.Interaction, watch: str | None = None) -> None:
        embed = discord.Embed.from_dict(discord_embed(health(), watch, timezone))
        await interaction.response.send_message(
            embed=embed, ephemeral=not opts.status_public,
            allowed_mentions=discord.AllowedMentions.none())

    @status.autocomplete("watch")
    async def watch_names(interaction: discord.Interaction,
                          current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=w, value=w) for w in watches()
                if current.lower() in w.lower()][:25]

    @tree.command(name="poll", description="Poll one watch now (admins only).")
    @app_commands.describe(watch="the watch to poll")
    async def poll_now(interaction: discord.Interaction, watch: str) -> None:
        if str(interaction.user.id) not in opts.admins:
            await interaction.response.send_message("Not allowed: only admins can poll.",
                                                    ephemeral=True)
            return
        if watch not in watches():
            await interaction.response.send_message(f"No watch named {watch!r}.", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(await poll(watch), ephemeral=True,
                                        allowed_mentions=discord.AllowedMentions.none())

    poll_now.autocomplete("watch")(watch_names)


class StatusBot(discord.Client):
    """A gateway client that only serves slash commands (no privileged intents)."""

    def __init__(self, opts: BotOptions, **register_args: object) -> None:
        super().__init__(intents=discord.Intents.none())
        self.opts = opts
        self.tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self)
        register(self.tree, opts=opts, **register_args)  # type: ignore[arg-type]

    async def setup_hook(self) -> None:
        if self.opts.guild_ids:
            for gid in self.opts.guild_ids:
                guild = discord.Object(id=gid)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
            log.info("slash commands synced to guilds %s", ", ".join(map(str, self.opts.guild_ids)))
        else:
            await self.tree.sync()
            log.info("slash commands synced globally (may take a while to appear)")


async def serve(make_bot: Callable[[], StatusBot], stop: asyncio.Event) -> None:
    """Keep a bot connected until `stop`; a failed connection is logged and retried with a new
    client, never fatal to polling and delivery."""
    while not stop.is_set():
        bot = make_bot()
        try:
            await bot.start(bot.opts.token.reveal())
        except discord.LoginFailure:
            log.error("Discord refused the bot token; /status is off")
            return
        except Exception as exc:  # no network, gateway trouble: try again later
            log.warning("Discord bot cannot connect (%s); retrying in %.0f s",
                        type(exc).__name__, RECONNECT_AFTER)
        finally:
            await bot.close()
        try:
            await asyncio.wait_for(stop.wait(), RECONNECT_AFTER)
        except TimeoutError:
            continue
