"""/coach: the ladder's next step, draft tweets and blog prompts, feedback, progress, nudges, and the
overview."""

from __future__ import annotations

from typing import Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import PLATFORM, coordinator_group, coordinator_only
from bot.discordbot.render import MAX_OPTION_TEXT, clip
from bot.discordbot.translator import T, options
from bot.discordbot.views import run_service
from bot.services import ladder, writing

# The settings command has an option named `nudges`: the module goes by another name here.
from bot.services import nudges as weekly_nudges

Choice = app_commands.Choice
MAX_CHOICES = 25


async def _issue_choices(interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
    """Suggest open issues of the server matching what was typed."""
    app = cast("JobbBot", interaction.client).app
    async with app.sessionmaker() as session:
        found = await writing.issue_options(session, PLATFORM, str(interaction.guild_id), current)
    return [Choice(name=clip(title, MAX_OPTION_TEXT), value=value) for title, value in found[:MAX_CHOICES]]


async def _step_choices(interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
    """Suggest the ladder's steps matching what was typed."""
    app = cast("JobbBot", interaction.client).app
    async with app.sessionmaker() as session:
        found = await ladder.step_options(session, PLATFORM, str(interaction.guild_id), current)
    return [Choice(name=clip(name, MAX_OPTION_TEXT), value=value) for name, value in found[:MAX_CHOICES]]


def _day_choices() -> list[Choice[int]]:
    return [Choice(name=T(f"coaching.day.{day}"), value=day) for day in range(1, 8)]


def _kind_choices() -> list[Choice[str]]:
    return [Choice(name=T(f"coaching.kind.{kind}"), value=kind) for kind in ladder.KINDS]


def _draft_kind_choices() -> list[Choice[str]]:
    return [Choice(name=T("coaching.kind.tweet"), value="tweet"),
            Choice(name=T("coaching.feedback.kind.blog"), value="blog")]


def _given(value: object | None) -> Any:
    """Pass an option that was left out as the services' "not given"."""
    return "" if value is None else value


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

    @coach_group.command(name=T("cmd.coach.next.name"), description=T("cmd.coach.next.description"))
    async def coach_next(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Show the member's next step with a ready draft."""
        # The draft may come from the model: answer "thinking…" first, Discord allows 3 seconds.
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, ladder.next_step, self.bot.app.coach)

    @coach_group.command(name=T("cmd.coach.tweet.name"), description=T("cmd.coach.tweet.description"))
    @options("cmd.coach.tweet", "topic", "issue")
    @app_commands.autocomplete(issue=_issue_choices)
    async def coach_tweet(self, interaction: discord.Interaction[JobbBot],
                          topic: app_commands.Range[str, 1, writing.MAX_TOPIC] | None = None,
                          issue: app_commands.Range[str, 1, 100] | None = None) -> None:
        """Give three draft tweets with share links."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, writing.tweet, self.bot.app.coach, topic=_given(topic),
                          issue=_given(issue))

    @coach_group.command(name=T("cmd.coach.blog.name"), description=T("cmd.coach.blog.description"))
    @options("cmd.coach.blog", "topic", "issue")
    @app_commands.autocomplete(issue=_issue_choices)
    async def coach_blog(self, interaction: discord.Interaction[JobbBot],
                         topic: app_commands.Range[str, 1, writing.MAX_TOPIC] | None = None,
                         issue: app_commands.Range[str, 1, 100] | None = None) -> None:
        """Give a blog prompt: title ideas and an outline."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, writing.blog, self.bot.app.coach, topic=_given(topic),
                          issue=_given(issue))

    @coach_group.command(name=T("cmd.coach.feedback.name"), description=T("cmd.coach.feedback.description"))
    @options("cmd.coach.feedback", "text", "issue", "kind")
    @app_commands.autocomplete(issue=_issue_choices)
    @app_commands.choices(kind=_draft_kind_choices())
    async def coach_feedback(self, interaction: discord.Interaction[JobbBot],
                             text: app_commands.Range[str, 1, writing.MAX_TEXT],
                             issue: app_commands.Range[str, 1, 100] | None = None,
                             kind: Choice[str] | None = None) -> None:
        """Give feedback on a draft tweet or blog paragraph, the most important fixes first."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, writing.feedback, self.bot.app.coach, draft=text, issue=_given(issue),
                          kind=kind.value if kind is not None else "")

    @coach_group.command(name=T("cmd.coach.done.name"), description=T("cmd.coach.done.description"))
    @options("cmd.coach.done", "step", "link")
    @app_commands.autocomplete(step=_step_choices)
    async def coach_done(self, interaction: discord.Interaction[JobbBot],
                         step: app_commands.Range[str, 1, 40] | None = None,
                         link: app_commands.Range[str, 1, 300] | None = None) -> None:
        """Mark a step done, with an optional link as evidence."""
        await run_service(interaction, ladder.done, step=_given(step), link=_given(link))

    @coach_group.command(name=T("cmd.coach.progress.name"), description=T("cmd.coach.progress.description"))
    async def coach_progress(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Show the whole ladder and the member's progress."""
        await run_service(interaction, ladder.progress)

    @coach_group.command(name=T("cmd.coach.pause.name"), description=T("cmd.coach.pause.description"))
    async def coach_pause(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Pause the member's weekly nudges."""
        await run_service(interaction, weekly_nudges.pause)

    @coach_group.command(name=T("cmd.coach.resume.name"), description=T("cmd.coach.resume.description"))
    async def coach_resume(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Start the member's weekly nudges again."""
        await run_service(interaction, weekly_nudges.resume)

    # -- coordinators: /coach-admin --------------------------------------------------------------------------

    @coach_admin_group.command(name=T("cmd.coach.overview.name"),
                               description=T("cmd.coach.overview.description"))
    @coordinator_only()
    async def coach_overview(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Show who stands on which step, as text and as a chart."""
        # Drawing the chart takes a moment.
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, ladder.overview)

    @coach_admin_group.command(name=T("cmd.coach.settings.name"),
                               description=T("cmd.coach.settings.description"))
    @coordinator_only()
    @options("cmd.coach.settings", "hashtag", "day", "hour", "nudges")
    @app_commands.choices(day=_day_choices())
    async def coach_settings(self, interaction: discord.Interaction[JobbBot],
                             hashtag: app_commands.Range[str, 1, 100] | None = None,
                             day: Choice[int] | None = None,
                             hour: app_commands.Range[int, 0, 23] | None = None,
                             nudges: bool | None = None) -> None:
        """Change the campaign hashtag and the weekly nudge; show the settings."""
        settings = self.bot.app.settings
        await run_service(interaction, weekly_nudges.configure, hashtag=_given(hashtag),
                          day=str(day.value) if day is not None else "", hour=_given(hour),
                          nudges=_given(nudges), quiet=(settings.quiet_hours_start, settings.quiet_hours_end))

    @coach_admin_group.command(name=T("cmd.coach.ladder.name"), description=T("cmd.coach.ladder.description"))
    @coordinator_only()
    @options("cmd.coach.ladder", "step", "title", "why", "example", "kind", "position", "active", "reset")
    @app_commands.autocomplete(step=_step_choices)
    @app_commands.choices(kind=_kind_choices())
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
        await run_service(interaction, ladder.configure_ladder, step=_given(step), title=_given(title),
                          why=_given(why), example=_given(example),
                          kind=kind.value if kind is not None else "", position=_given(position),
                          active=_given(active), reset=_given(reset))


async def setup(bot: JobbBot) -> None:
    """Load the Coaching cog."""
    await bot.add_cog(Coaching(bot))
