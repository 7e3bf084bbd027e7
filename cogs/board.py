"""/board: a coordinator's one-time login link to the campaign board (bot.web.board)."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.views import run_service
from bot.services import board
from cogs._options import declared


class Board(commands.Cog):
    """The campaign board's login link."""

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("board")
    async def board(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Give the coordinator a one-time link to the board, in an answer only they see."""
        await run_service(interaction, board.login_link)


async def setup(bot: JobbBot) -> None:
    """Load the Board cog."""
    await bot.add_cog(Board(bot))
