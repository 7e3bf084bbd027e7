"""/story share|list|search|show|about|delete and, for coordinators, /story-admin
feature|hide|unhide|public|export: members' stories of what social media brought them."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group
from bot.discordbot.translator import T
from bot.discordbot.views import run_form_service, run_service
from bot.services import stories
from cogs._options import declared, given


class Stories(commands.Cog):
    """Stories: share one (a form), find, show and applaud them; coordinators feature, hide, publish and
    export them."""

    story_group = app_commands.Group(
        name=T("cmd.story.name"),
        description=T("cmd.story.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )
    # Discord hides only whole top-level commands: the coordinators' subcommands have a twin group, hidden
    # from members (the console and Slack keep them as `story feature`).
    story_admin_group = coordinator_group(T("cmd.story_admin.name"), T("cmd.story_admin.description"))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("story share", group=story_group)
    async def story_share(
        self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100] | None = None
    ) -> None:
        """Open the story form; with an issue, the story is about it (the issue is looked up first)."""
        if issue is None:
            await run_form_service(interaction, stories.SHARE_ACTION, stories.start_share)
        else:
            await run_service(interaction, stories.start_share, issue=issue)

    @declared("story list", group=story_group)
    async def story_list(
        self, interaction: discord.Interaction[JobbBot], featured: bool | None = None
    ) -> None:
        """List the group's stories, newest first."""
        await run_service(interaction, stories.list_stories, **given(featured=featured))

    @declared("story search", group=story_group)
    async def story_search(
        self, interaction: discord.Interaction[JobbBot], query: Range[str, 1, 100]
    ) -> None:
        """Search the group's stories."""
        await run_service(interaction, stories.search, query=query)

    @declared("story show", group=story_group)
    async def story_show(self, interaction: discord.Interaction[JobbBot], story: Range[str, 1, 20]) -> None:
        """Show one story with its applause button."""
        await run_service(interaction, stories.show, story=story)

    @declared("story feature", group=story_admin_group)
    async def story_feature(self, interaction: discord.Interaction[JobbBot], story: Range[str, 1, 20],
                            remove: bool | None = None) -> None:
        """Feature a story for the group, or take the feature back."""
        await run_service(interaction, stories.feature, story=story, **given(remove=remove))

    @declared("story hide", group=story_admin_group)
    async def story_hide(self, interaction: discord.Interaction[JobbBot], story: Range[str, 1, 20]) -> None:
        """Hide a story from the public page and the public exports."""
        await run_service(interaction, stories.hide, story=story)

    @declared("story unhide", group=story_admin_group)
    async def story_unhide(self, interaction: discord.Interaction[JobbBot], story: Range[str, 1, 20]) -> None:
        """Show a hidden story again."""
        await run_service(interaction, stories.unhide, story=story)

    @declared("story public", group=story_admin_group)
    async def story_public(self, interaction: discord.Interaction[JobbBot], on: bool | None = None) -> None:
        """Publish the group's public stories page, take it down, or say where it stands."""
        await run_service(interaction, stories.public_page, **given(on=on))

    @declared("story export", group=story_admin_group)
    async def story_export(
        self,
        interaction: discord.Interaction[JobbBot],
        audience: Choice[str] | None = None,
        featured: bool | None = None,
    ) -> None:
        """Export the stories as Markdown and CSV."""
        # Writing the files of many stories may take a moment.
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, stories.export, **given(audience=audience, featured=featured))

    @declared("story about", group=story_group)
    async def story_about(self, interaction: discord.Interaction[JobbBot], story: Range[str, 1, 20],
                          issue: Range[str, 1, 100] | None = None) -> None:
        """Say which issue a story is about, or that it is about none."""
        await run_service(interaction, stories.about, story=story, **given(issue=issue))

    @declared("story delete", group=story_group)
    async def story_delete(self, interaction: discord.Interaction[JobbBot], story: Range[str, 1, 20]) -> None:
        """Ask to confirm deleting a story."""
        await run_service(interaction, stories.delete_request, story=story)


async def setup(bot: JobbBot) -> None:
    """Load the Stories cog."""
    await bot.add_cog(Stories(bot))
