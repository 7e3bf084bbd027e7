"""One error handler for every interaction: commands, buttons and modals; it always answers, in the user's
language."""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands

from bot.discordbot.checks import identity_from
from bot.discordbot.render import allowed_mentions, render_text
from bot.errors import UserError
from bot.i18n import normalize_language
from bot.replies import Text, text

if TYPE_CHECKING:
    from bot.discordbot.bot import JobbBot

log = logging.getLogger(__name__)


class JobbTree(app_commands.CommandTree["JobbBot"]):
    """The command tree, with the one error handler."""

    async def on_error(self, interaction: discord.Interaction[JobbBot], error: app_commands.AppCommandError, /
                       ) -> None:
        """Answer a failed command."""
        await handle_interaction_error(interaction, error)


# Set on an interaction once its "thinking…" deferral was replaced by an answer.
DEFERRAL_ANSWERED = "jb_deferral_answered"
# Set on an interaction the bot deferred as ephemeral without knowing yet whether its answer is for all to
# see.
EPHEMERAL_DEFERRAL = "jb_ephemeral_deferral"


async def answer(interaction: discord.Interaction[Any], **kwargs: Any) -> None:
    """Send a message as the answer to an interaction, whatever happened before.

    The first answer is the interaction response; after a "thinking…" deferral the answer replaces that
    message (a followup would leave it spinning); anything later is a followup.
    """
    response = interaction.response
    if not response.is_done():
        await response.send_message(**kwargs)
        return
    if (response.type is discord.InteractionResponseType.deferred_channel_message
            and not interaction.extras.get(DEFERRAL_ANSWERED)):
        interaction.extras[DEFERRAL_ANSWERED] = True
        if interaction.extras.get(EPHEMERAL_DEFERRAL) and kwargs.get("ephemeral") is False:
            # A public answer cannot replace an ephemeral "thinking…": it goes out as a message of its own.
            await interaction.followup.send(**kwargs)
            await interaction.delete_original_response()
            return
        # The deferral already fixed who sees the message; new files are attachments of an edit.
        edit = {name: value for name, value in kwargs.items() if name not in ("ephemeral", "files")}
        if "files" in kwargs:
            edit["attachments"] = kwargs["files"]
        await interaction.edit_original_response(**edit)
        return
    await interaction.followup.send(**kwargs)


async def send_ephemeral(interaction: discord.Interaction[Any], *, content: str | None = None,
                         embed: discord.Embed | None = None, view: discord.ui.View | None = None) -> None:
    """Answer only the user, whether or not the interaction was already answered or deferred."""
    kwargs: dict[str, Any] = {"ephemeral": True, "allowed_mentions": allowed_mentions()}
    if content is not None:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    await answer(interaction, **kwargs)


def unwrap(error: BaseException) -> BaseException:
    """Return the error a command, transformer or callback really raised."""
    while True:
        inner = getattr(error, "original", None)
        if isinstance(error, app_commands.TransformerError) and isinstance(error.__cause__, UserError):
            inner = error.__cause__
        if not isinstance(inner, BaseException):
            return error
        error = inner


# Discord's codes for an interaction that can no longer be answered: it expired (an answer must come within
# three seconds) or it was answered already. Nothing is wrong with the bot, and trying again cannot help.
GONE = {10062: "expired (Unknown interaction)", 40060: "was already answered"}
MAX_CAUSES = 10


def expiry(error: BaseException) -> discord.HTTPException | None:
    """Return the error (or the one it was raised from) that says the interaction can no longer be
    answered."""
    seen: BaseException | None = error
    for _ in range(MAX_CAUSES):
        if seen is None:
            break
        if isinstance(seen, discord.HTTPException) and seen.code in GONE:
            return seen
        seen = seen.__cause__
    return None


async def handle_interaction_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the user what went wrong; log what we did not expect with an error code the user can quote.

    An interaction that expired gets one short warning and no answer (there is no one left to answer).
    """
    error = unwrap(error)
    gone = expiry(error)
    if gone is not None:
        _log_gone(interaction, gone)
        return
    language = await _language(interaction, error)
    message: Text
    if isinstance(error, UserError):
        message = error.text
    elif isinstance(error, app_commands.NoPrivateMessage):
        message = text("errors.guild_only")
    elif isinstance(error, app_commands.CommandOnCooldown):
        message = text("errors.cooldown", seconds=max(1, math.ceil(error.retry_after)))
    elif isinstance(error, app_commands.CheckFailure):
        message = text("errors.coordinator_only")
    else:
        code = secrets.token_hex(4)
        log.error("Unexpected error %s in %s (user %s, guild %s)", code, _what(interaction),
                  interaction.user.id, interaction.guild_id, exc_info=error)
        message = text("errors.unexpected", code=code)
    try:
        await send_ephemeral(interaction, content=render_text(message, language))
    except discord.HTTPException as failed:
        # Too late (the interaction expired) or Discord is down: one line in the log is all we can do.
        gone = expiry(failed)
        if gone is not None:
            _log_gone(interaction, gone)
        else:
            log.warning(
                "Could not tell user %s (guild %s) about an error in %s: HTTP %s, Discord error %s",
                interaction.user.id,
                interaction.guild_id,
                _what(interaction),
                failed.status,
                failed.code,
            )


def _log_gone(interaction: discord.Interaction[Any], gone: discord.HTTPException) -> None:
    """Say once, without a traceback, that an interaction could not be answered because it was gone."""
    log.warning("Could not answer %s for user %s (guild %s): the interaction %s (Discord error %s)",
                _what(interaction), interaction.user.id, interaction.guild_id, GONE[gone.code], gone.code)


async def _language(interaction: discord.Interaction[Any], error: BaseException) -> str:
    if isinstance(error, UserError) and error.language:
        return error.language
    bot = cast("JobbBot", interaction.client)
    try:
        return await bot.app.language_of(await identity_from(interaction))
    except Exception:  # the database may be what failed; the answer must still go out
        log.debug("Falling back to the client's locale for user %s", interaction.user.id, exc_info=True)
        return normalize_language(str(interaction.locale))


def _what(interaction: discord.Interaction[Any]) -> str:
    """Name what was used: the command, or the button or modal's custom_id."""
    if interaction.command is not None:
        return "/" + interaction.command.qualified_name
    data: Mapping[str, Any] = interaction.data or {}
    return str(data.get("custom_id", interaction.type))
