"""/issue list|show|calendar|map|ask|asked, /council show and /hashtag; for coordinators
/issue-admin create|edit|close|outcome|countdown|asks|reminders and /council-admin seats."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.commands import ISSUE_OPTIONS
from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group, coordinator_only
from bot.discordbot.translator import T, options
from bot.discordbot.views import run_service
from bot.services import asks, countdowns, issues, stances
from cogs._options import (
    BODY_CHOICES,
    MUNICIPALITY_CHOICES,
    OUTCOME_CHOICES,
    RESULT_CHOICES,
    STATUS_CHOICES,
    any_issue_autocomplete,
    given,
    issue_autocomplete,
    politician_autocomplete,
    topics_autocomplete,
    value,
)


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

    @issue_admin_group.command(name=T("cmd.issue.create.name"), description=T("cmd.issue.create.description"))
    @coordinator_only()
    @options("cmd.issue.create", *ISSUE_OPTIONS)
    @app_commands.choices(municipality=MUNICIPALITY_CHOICES, body=BODY_CHOICES)
    @app_commands.autocomplete(topics=topics_autocomplete)
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
        await run_service(
            interaction,
            issues.create,
            **given(
                title=title,
                summary=summary,
                municipality=municipality,
                body=body,
                decision=decision,
                hashtag=hashtag,
                position=position,
                source=source,
                committee=committee,
                topics=topics,
                ask_days=ask_days,
            ),
        )

    @issue_admin_group.command(name=T("cmd.issue.edit.name"), description=T("cmd.issue.edit.description"))
    @coordinator_only()
    @options("cmd.issue.edit", "issue", *ISSUE_OPTIONS)
    @app_commands.choices(municipality=MUNICIPALITY_CHOICES, body=BODY_CHOICES)
    @app_commands.autocomplete(issue=issue_autocomplete, topics=topics_autocomplete)
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
        await run_service(
            interaction,
            issues.edit,
            issue=issue,
            **given(
                title=title,
                summary=summary,
                municipality=municipality,
                body=body,
                decision=decision,
                hashtag=hashtag,
                position=position,
                source=source,
                committee=committee,
                topics=topics,
                ask_days=ask_days,
            ),
        )

    @issue_admin_group.command(name=T("cmd.issue.close.name"), description=T("cmd.issue.close.description"))
    @coordinator_only()
    @options("cmd.issue.close", "issue", "outcome", "note")
    @app_commands.choices(outcome=OUTCOME_CHOICES)
    @app_commands.autocomplete(issue=issue_autocomplete)
    async def issue_close(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100],
                          outcome: Choice[str], note: Range[str, 1, 300] | None = None) -> None:
        """Close an issue with its outcome."""
        await run_service(interaction, issues.close, issue=issue, outcome=outcome.value, note=note or "")

    @issue_admin_group.command(name=T("cmd.issue.outcome.name"),
                               description=T("cmd.issue.outcome.description"))
    @coordinator_only()
    @options("cmd.issue.outcome", "issue", "result", "note", "voted_for")
    @app_commands.choices(result=RESULT_CHOICES)
    @app_commands.autocomplete(issue=issue_autocomplete)
    async def issue_outcome(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100],
                            result: Choice[str], note: Range[str, 1, 300] | None = None,
                            voted_for: Range[str, 1, 500] | None = None) -> None:
        """Record how the vote went and close the issue; followers get a follow-up."""
        await run_service(
            interaction,
            countdowns.record_outcome,
            issue=issue,
            result=result.value,
            note=note or "",
            voted_for=voted_for or "",
        )

    @issue_admin_group.command(name=T("cmd.issue.countdown.name"),
                               description=T("cmd.issue.countdown.description"))
    @coordinator_only()
    @options("cmd.issue.countdown", "days", "issue")
    @app_commands.autocomplete(issue=issue_autocomplete)
    async def issue_countdown(
        self,
        interaction: discord.Interaction[JobbBot],
        days: Range[str, 1, 40] | None = None,
        issue: Range[str, 1, 100] | None = None,
    ) -> None:
        """Set the countdown's stages for one issue or by default, and show them."""
        await run_service(interaction, countdowns.configure, days=days or "", issue=issue or "")

    @issue_group.command(name=T("cmd.issue.list.name"), description=T("cmd.issue.list.description"))
    @options("cmd.issue.list", "status", "municipality")
    @app_commands.choices(status=STATUS_CHOICES, municipality=MUNICIPALITY_CHOICES)
    async def issue_list(self, interaction: discord.Interaction[JobbBot], status: Choice[str] | None = None,
                         municipality: Choice[str] | None = None) -> None:
        """List the issues."""
        await run_service(
            interaction, issues.list_issues, status=value(status), municipality=value(municipality)
        )

    @issue_group.command(name=T("cmd.issue.show.name"), description=T("cmd.issue.show.description"))
    @options("cmd.issue.show", "issue")
    @app_commands.autocomplete(issue=any_issue_autocomplete)
    async def issue_show(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100]) -> None:
        """Show an issue."""
        await run_service(interaction, issues.show, issue=issue)

    @issue_group.command(name=T("cmd.issue.calendar.name"), description=T("cmd.issue.calendar.description"))
    async def issue_calendar(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Send the decision dates as a calendar file."""
        await run_service(interaction, issues.calendar)

    @issue_group.command(name=T("cmd.issue.map.name"), description=T("cmd.issue.map.description"))
    @options("cmd.issue.map", "issue")
    @app_commands.autocomplete(issue=any_issue_autocomplete)
    async def issue_map(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100]) -> None:
        """Show who decides, as a picture and a table."""
        # Drawing the picture takes a moment; Discord wants an answer within three seconds.
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, stances.show_map, issue=issue)

    @issue_group.command(name=T("cmd.issue.ask.name"), description=T("cmd.issue.ask.description"))
    @options("cmd.issue.ask", "issue")
    @app_commands.autocomplete(issue=issue_autocomplete)
    async def issue_ask(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100]) -> None:
        """Give the member a politician to ask and a ready question."""
        await run_service(interaction, asks.my_question, issue=issue)

    @issue_group.command(name=T("cmd.issue.asked.name"), description=T("cmd.issue.asked.description"))
    @options("cmd.issue.asked", "issue", "link", "politician")
    @app_commands.autocomplete(issue=issue_autocomplete, politician=politician_autocomplete)
    async def issue_asked(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100],
                          link: Range[str, 1, 300], politician: Range[str, 1, 100] | None = None) -> None:
        """Record that the member asked, with a link."""
        await run_service(interaction, asks.mark_asked, issue=issue, link=link, politician=politician or "")

    @issue_admin_group.command(name=T("cmd.issue.asks.name"), description=T("cmd.issue.asks.description"))
    @coordinator_only()
    @options("cmd.issue.asks", "issue")
    @app_commands.autocomplete(issue=any_issue_autocomplete)
    async def issue_asks(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100]) -> None:
        """Show who asked whom about an issue."""
        await run_service(interaction, asks.overview, issue=issue)

    @issue_admin_group.command(name=T("cmd.issue.reminders.name"),
                               description=T("cmd.issue.reminders.description"))
    @coordinator_only()
    @options("cmd.issue.reminders", "ask_days", "issue")
    @app_commands.autocomplete(issue=issue_autocomplete)
    async def issue_reminders(self, interaction: discord.Interaction[JobbBot],
                              ask_days: Range[str, 1, 40] | None = None,
                              issue: Range[str, 1, 100] | None = None) -> None:
        """Set when followers are asked to put questions, for one issue or by default."""
        await run_service(interaction, asks.set_ask_days, ask_days=ask_days or "", issue=issue or "")

    @council_admin_group.command(name=T("cmd.council.seats.name"),
                                 description=T("cmd.council.seats.description"))
    @coordinator_only()
    @options("cmd.council.seats", "municipality", "body", "seats", "committee")
    @app_commands.choices(municipality=MUNICIPALITY_CHOICES, body=BODY_CHOICES)
    async def council_seats(self, interaction: discord.Interaction[JobbBot], municipality: Choice[str],
                            body: Choice[str], seats: Range[str, 1, 300],
                            committee: Range[str, 1, 100] | None = None) -> None:
        """Enter a body's seats per party."""
        await run_service(interaction, stances.set_seats, municipality=municipality.value, body=body.value,
                          seats=seats, committee=committee or "")

    @council_group.command(name=T("cmd.council.show.name"), description=T("cmd.council.show.description"))
    @options("cmd.council.show", "municipality", "body", "committee")
    @app_commands.choices(municipality=MUNICIPALITY_CHOICES, body=BODY_CHOICES)
    async def council_show(self, interaction: discord.Interaction[JobbBot], municipality: Choice[str],
                           body: Choice[str], committee: Range[str, 1, 100] | None = None) -> None:
        """Show a body's seats per party."""
        await run_service(interaction, stances.show_seats, municipality=municipality.value, body=body.value,
                          committee=committee or "")

    @app_commands.command(name=T("cmd.hashtag.name"), description=T("cmd.hashtag.description"))
    @app_commands.guild_only()
    @options("cmd.hashtag", "issue")
    @app_commands.autocomplete(issue=issue_autocomplete)
    async def hashtag(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100] | None = None
                      ) -> None:
        """Show the group's hashtags and a ready text to copy."""
        await run_service(interaction, issues.hashtags, issue=issue or "")


async def setup(bot: JobbBot) -> None:
    """Load the Issues cog."""
    await bot.add_cog(Issues(bot))
