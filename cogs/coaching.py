"""/coach: the ladder's next step, draft tweets and blog prompts, feedback, progress, nudges, and the
overview."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group
from bot.discordbot.translator import T
from bot.discordbot.views import run_service
from bot.services import ladder, writing

# The settings command has an option named `nudges`: the module goes by another name here.
from bot.services import nudges as weekly_nudges
from cogs._options import declared, given

Choice = app_commands.Choice


class Coaching(commands.Cog):
    """The coaching ladder, writing help and weekly nudges; the overview and settings for coordinators."""

    coach_group = app_commands.Group(
        name=T("cmd.coach.name"),
        description=T("cmd.coach.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )
    # Discord hides only whole top-level commands: the coordinators' subcommands have a twin group, hidden
    # from members (the console and Slack keep them as `coach overview`).
    coach_admin_group = coordinator_group(T("cmd.coach_admin.name"), T("cmd.coach_admin.description"))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    # -- members ---------------------------------------------------------------------------------------------

    @declared("coach next", group=coach_group)
    async def coach_next(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Show the member's next step with a ready draft."""
        # The draft may come from the model: answer "thinking…" first, Discord allows 3 seconds.
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, ladder.next_step, self.bot.app.coach)

    @declared("coach tweet", group=coach_group)
    async def coach_tweet(self, interaction: discord.Interaction[JobbBot],
                          topic: app_commands.Range[str, 1, writing.MAX_TOPIC] | None = None,
                          issue: app_commands.Range[str, 1, 100] | None = None) -> None:
        """Give three draft tweets with share links."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, writing.tweet, self.bot.app.coach, **given(topic=topic, issue=issue))

    @declared("coach blog", group=coach_group)
    async def coach_blog(self, interaction: discord.Interaction[JobbBot],
                         topic: app_commands.Range[str, 1, writing.MAX_TOPIC] | None = None,
                         issue: app_commands.Range[str, 1, 100] | None = None) -> None:
        """Give a blog prompt: title ideas and an outline."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, writing.blog, self.bot.app.coach, **given(topic=topic, issue=issue))

    @declared("coach feedback", group=coach_group)
    async def coach_feedback(self, interaction: discord.Interaction[JobbBot],
                             text: app_commands.Range[str, 1, writing.MAX_TEXT],
                             issue: app_commands.Range[str, 1, 100] | None = None,
                             kind: Choice[str] | None = None) -> None:
        """Give feedback on a draft tweet or blog paragraph, the most important fixes first."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, writing.feedback, self.bot.app.coach, draft=text,
                          **given(issue=issue, kind=kind))

    @declared("coach done", group=coach_group)
    async def coach_done(self, interaction: discord.Interaction[JobbBot],
                         step: app_commands.Range[str, 1, 40] | None = None,
                         link: app_commands.Range[str, 1, 300] | None = None) -> None:
        """Mark a step done, with an optional link as evidence."""
        await run_service(interaction, ladder.done, **given(step=step, link=link))

    @declared("coach progress", group=coach_group)
    async def coach_progress(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Show the whole ladder and the member's progress."""
        await run_service(interaction, ladder.progress)

    @declared("coach pause", group=coach_group)
    async def coach_pause(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Pause the member's weekly nudges."""
        await run_service(interaction, weekly_nudges.pause)

    @declared("coach resume", group=coach_group)
    async def coach_resume(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Start the member's weekly nudges again."""
        await run_service(interaction, weekly_nudges.resume)

    # -- coordinators: /coach-admin --------------------------------------------------------------------------

    @declared("coach overview", group=coach_admin_group)
    async def coach_overview(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Show who stands on which step, as text and as a chart."""
        # Drawing the chart takes a moment.
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, ladder.overview)

    @declared("coach settings", group=coach_admin_group)
    async def coach_settings(self, interaction: discord.Interaction[JobbBot],
                             hashtag: app_commands.Range[str, 1, 100] | None = None,
                             day: Choice[int] | None = None,
                             hour: app_commands.Range[int, 0, 23] | None = None,
                             nudges: bool | None = None) -> None:
        """Change the campaign hashtag and the weekly nudge; show the settings."""
        settings = self.bot.app.settings
        await run_service(interaction, weekly_nudges.configure, quiet=(settings.quiet_hours_start,
                                                                       settings.quiet_hours_end),
                          **given(hashtag=hashtag, day=day, hour=hour, nudges=nudges))

    @declared("coach ladder", group=coach_admin_group)
    async def coach_ladder(self, interaction: discord.Interaction[JobbBot],
                           step: app_commands.Range[str, 1, 32] | None = None,
                           title: app_commands.Range[str, 1, 100] | None = None,
                           why: app_commands.Range[str, 1, 500] | None = None,
                           example: app_commands.Range[str, 1, 500] | None = None,
                           kind: Choice[str] | None = None,
                           position: app_commands.Range[int, 1, 50] | None = None,
                           active: bool | None = None,
                           reset: bool | None = None) -> None:
        """Show the ladder, or add or change a step."""
        await run_service(interaction, ladder.configure_ladder, **given(
            step=step, title=title, why=why, example=example, kind=kind, position=position, active=active,
            reset=reset))


async def setup(bot: JobbBot) -> None:
    """Load the Coaching cog."""
    await bot.add_cog(Coaching(bot))
