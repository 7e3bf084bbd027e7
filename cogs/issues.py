"""/issue list|show|calendar|map|ask|asked, /council show and /hashtag; for coordinators
/issue-admin create|edit|close|outcome|countdown|asks|reminders and /council-admin seats."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group
from bot.discordbot.translator import T
from bot.discordbot.views import run_service
from bot.services import asks, countdowns, issues, stances
from cogs._options import declared, given


class Issues(commands.Cog):
    """The decisions the group wants to influence: alerts, the map, the calendar and the questions to ask."""

    issue_group = app_commands.Group(
        name=T("cmd.issue.name"),
        description=T("cmd.issue.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )
    council_group = app_commands.Group(
        name=T("cmd.council.name"),
        description=T("cmd.council.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )
    # Discord hides only whole top-level commands: the coordinators' subcommands have twin groups, hidden from
    # members (the console and Slack keep them as `issue create`, `council seats`).
    issue_admin_group = coordinator_group(T("cmd.issue_admin.name"), T("cmd.issue_admin.description"))
    council_admin_group = coordinator_group(T("cmd.council_admin.name"), T("cmd.council_admin.description"))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("issue create", group=issue_admin_group)
    async def issue_create(
        self,
        interaction: discord.Interaction[JobbBot],
        title: Range[str, 1, 100],
        summary: Range[str, 1, 1000],
        municipality: Choice[str],
        body: Choice[str],
        decision: Range[str, 1, 60],
        hashtag: Range[str, 1, 101],
        position: Range[str, 1, 1000],
        source: Range[str, 1, 300] | None = None,
        committee: Range[str, 1, 100] | None = None,
        topics: Range[str, 1, 200] | None = None,
        ask_days: Range[str, 1, 40] | None = None,
    ) -> None:
        """Create an issue and alert its followers."""
        await run_service(interaction, issues.create, **given(
            title=title, summary=summary, municipality=municipality, body=body, decision=decision,
            hashtag=hashtag, position=position, source=source, committee=committee, topics=topics,
            ask_days=ask_days))

    @declared("issue edit", group=issue_admin_group)
    async def issue_edit(
        self,
        interaction: discord.Interaction[JobbBot],
        issue: Range[str, 1, 100],
        title: Range[str, 1, 100] | None = None,
        summary: Range[str, 1, 1000] | None = None,
        municipality: Choice[str] | None = None,
        body: Choice[str] | None = None,
        decision: Range[str, 1, 60] | None = None,
        hashtag: Range[str, 1, 101] | None = None,
        position: Range[str, 1, 1000] | None = None,
        source: Range[str, 1, 300] | None = None,
        committee: Range[str, 1, 100] | None = None,
        topics: Range[str, 1, 200] | None = None,
        ask_days: Range[str, 1, 40] | None = None,
    ) -> None:
        """Change an issue; a material change alerts the followers again."""
        await run_service(interaction, issues.edit, issue=issue, **given(
            title=title, summary=summary, municipality=municipality, body=body, decision=decision,
            hashtag=hashtag, position=position, source=source, committee=committee, topics=topics,
            ask_days=ask_days))

    @declared("issue close", group=issue_admin_group)
    async def issue_close(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100],
                          outcome: Choice[str], note: Range[str, 1, 300] | None = None) -> None:
        """Close an issue with its outcome."""
        await run_service(interaction, issues.close, **given(issue=issue, outcome=outcome, note=note))

    @declared("issue outcome", group=issue_admin_group)
    async def issue_outcome(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100],
                            result: Choice[str], note: Range[str, 1, 300] | None = None,
                            voted_for: Range[str, 1, 500] | None = None) -> None:
        """Record how the vote went and close the issue; followers get a follow-up."""
        await run_service(interaction, countdowns.record_outcome,
                          **given(issue=issue, result=result, note=note, voted_for=voted_for))

    @declared("issue countdown", group=issue_admin_group)
    async def issue_countdown(
        self,
        interaction: discord.Interaction[JobbBot],
        days: Range[str, 1, 40] | None = None,
        issue: Range[str, 1, 100] | None = None,
    ) -> None:
        """Set the countdown's stages for one issue or by default, and show them."""
        await run_service(interaction, countdowns.configure, **given(days=days, issue=issue))

    @declared("issue list", group=issue_group)
    async def issue_list(self, interaction: discord.Interaction[JobbBot], status: Choice[str] | None = None,
                         municipality: Choice[str] | None = None) -> None:
        """List the issues."""
        await run_service(interaction, issues.list_issues, **given(status=status, municipality=municipality))

    @declared("issue show", group=issue_group)
    async def issue_show(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100]) -> None:
        """Show an issue."""
        await run_service(interaction, issues.show, issue=issue)

    @declared("issue calendar", group=issue_group)
    async def issue_calendar(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Send the decision dates as a calendar file."""
        await run_service(interaction, issues.calendar)

    @declared("issue map", group=issue_group)
    async def issue_map(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100]) -> None:
        """Show who decides, as a picture and a table."""
        # Drawing the picture takes a moment; Discord wants an answer within three seconds.
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, stances.show_map, issue=issue)

    @declared("issue ask", group=issue_group)
    async def issue_ask(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100]) -> None:
        """Give the member a politician to ask and a ready question."""
        await run_service(interaction, asks.my_question, issue=issue)

    @declared("issue asked", group=issue_group)
    async def issue_asked(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100],
                          link: Range[str, 1, 300] | None = None,
                          politician: Range[str, 1, 100] | None = None, how: Choice[str] | None = None,
                          note: Range[str, 1, 500] | None = None) -> None:
        """Record that the member asked: on X with a link, or by e-mail, phone, letter, at a meeting or a
        fika."""
        await run_service(interaction, asks.mark_asked,
                          **given(issue=issue, link=link, politician=politician, how=how, note=note))

    @declared("issue asks", group=issue_admin_group)
    async def issue_asks(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100]) -> None:
        """Show who asked whom about an issue."""
        await run_service(interaction, asks.overview, issue=issue)

    @declared("issue reminders", group=issue_admin_group)
    async def issue_reminders(self, interaction: discord.Interaction[JobbBot],
                              ask_days: Range[str, 1, 40] | None = None,
                              issue: Range[str, 1, 100] | None = None) -> None:
        """Set when followers are asked to put questions, for one issue or by default."""
        await run_service(interaction, asks.set_ask_days, **given(ask_days=ask_days, issue=issue))

    @declared("council seats", group=council_admin_group)
    async def council_seats(self, interaction: discord.Interaction[JobbBot], municipality: Choice[str],
                            body: Choice[str], seats: Range[str, 1, 300],
                            committee: Range[str, 1, 100] | None = None) -> None:
        """Enter a body's seats per party."""
        await run_service(interaction, stances.set_seats,
                          **given(municipality=municipality, body=body, seats=seats, committee=committee))

    @declared("council show", group=council_group)
    async def council_show(self, interaction: discord.Interaction[JobbBot], municipality: Choice[str],
                           body: Choice[str], committee: Range[str, 1, 100] | None = None) -> None:
        """Show a body's seats per party."""
        await run_service(interaction, stances.show_seats, **given(municipality=municipality, body=body,
                                                                   committee=committee))

    @declared("hashtag")
    async def hashtag(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100] | None = None
                      ) -> None:
        """Show the group's hashtags and a ready text to copy."""
        await run_service(interaction, issues.hashtags, **given(issue=issue))


async def setup(bot: JobbBot) -> None:
    """Load the Issues cog."""
    await bot.add_cog(Issues(bot))
